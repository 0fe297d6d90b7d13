"""The concepts of one revision of a Konfig, discovered by convention.

``repository.Repository`` is everything konfig knows about one revision (the
work tree or a commit) read through a ``files.source.Source``: its settings,
its files, and what lives in them -- ``project.Project``, ``stack.Stack``,
``model.Model``, ``policy.Policy``, ``teams.Teams`` -- and ``selector.Selector``,
which picks stacks by their attributes (``--selector``, policy and review
``when``).

May import (tests/test_architecture.py checks it): ``errors``, ``files``, ``yamlio``,
``keypath``, ``schema``, ``formats``.
"""
