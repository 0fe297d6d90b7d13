"""The concepts of one revision of a Konfig, discovered by convention.

``repository.Repository`` is everything konfig knows about one revision (the
work tree or a commit) read through a ``files.source.Source``: its settings,
its files, and what lives in them -- ``project.Project``, ``stack.Stack``,
``model.Model``, ``policy.Policy``, ``teams.Teams`` -- and ``selector.Selector``,
which picks stacks by their attributes (``--selector``, policy and review
``when``). The concepts are typed against ``view.RepoView`` (what they read of
their revision), not ``Repository``, so no type circle ties them to the class
that builds them; ``memo`` is the typed per-revision memo, ``order`` the
``depends_on`` order and cycles, ``peek`` the byte pre-checks that skip parses.

May import (tests/test_architecture.py checks it): ``errors``, ``files``, ``yamlio``,
``keypath``, ``schema``, ``formats``.
"""
