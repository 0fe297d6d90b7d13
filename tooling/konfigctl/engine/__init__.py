"""Engines: how a stack is resolved, rendered, tested against its golden file and edited.

A stack's engine is fixed by discovery: a stack directory holding ``kcl.yaml``
is a KCL stack (``kcl``), any other is made of YAML layers (``yaml``).
Everything around a stack -- discovery, selection, the dependency graph,
affected stacks, the results cache, the worker pool, test reports, golden
diffs, ownership, review, pipelines -- is one mechanism for both; only what
``base.Engine`` declares differs. ``yaml`` wraps ``resolve``/``render`` as they
are; ``kcl`` compiles with kcl-lib (an optional extra) in a sandbox
(``sandbox``: a copy of the files outside the work tree, no environment),
finds a stack's files through its imports (``imports``, pure Python) and reads
and writes ``main.k`` through kcl-lib's override specs.

May import (tests/test_architecture.py checks it): ``errors``, ``files``, ``yamlio``,
``keypath``, ``schema``, ``formats``, ``repo``, ``resolve``, ``render``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Engine

if TYPE_CHECKING:
    from ..repo.stack import Stack

__all__ = ["Engine", "of"]


def of(stack: "Stack") -> Engine:
    """The engine of ``stack`` (``stack.engine`` names it)."""
    if stack.engine == "kcl":
        from .kcl import ENGINE as KCL

        return KCL
    from .yaml import ENGINE as YAML

    return YAML
