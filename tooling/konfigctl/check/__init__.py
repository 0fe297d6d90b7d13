"""Checks: what ``konfig validate`` and ``konfig test`` find on each stack, fast.

``validation`` resolves a stack and runs its model's and selecting policies'
validators, locating each problem at the layer line that set the value;
``stack_test`` is the per-stack test (four checks: validate, render,
kubernetes, golden) and ``konfig test --update``'s golden files; ``cache``
keeps results keyed by the content of every file a stack is made of;
``parallel`` spreads stacks over forked workers (and stops a renderer stuck
past its limit); ``junit`` writes the report.

May import (tests/test_architecture.py checks it): ``errors``, ``files``, ``yamlio``,
``keypath``, ``schema``, ``formats``, ``repo``, ``resolve``, ``render``, ``engine``.
"""
