"""Rendering: a model's renderer run purely on a resolved stack, and what is checked of its output.

``renderer`` loads a model's ``render.py`` from the revision's own text into
a fresh module (builtins without I/O, an import allow-list) and checks and
orders what it returns (``render_stack``, the one entry point); ``libraries``
finds and compiles the platform's shared code (``konfig/base/lib/`` as
``konfiglib.<name>``); ``runner`` is the one place renderer code runs, under
``render.timeout`` with its prints captured, in a pool worker or a helper
process; ``kubernetes`` checks resources against the Kubernetes and CRD
schemas; ``golden`` compares them with ``golden.yaml`` and diffs them;
``manifests`` writes the rendered-manifests tree (``konfig render --out``).

May import (tests/test_architecture.py checks it): ``errors``, ``files``, ``yamlio``,
``keypath``, ``schema``, ``formats``, ``repo``, ``resolve``.
"""
