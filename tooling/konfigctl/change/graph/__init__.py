"""The dependency graph of a revision: which files each stack is made of, and the reverse.

``rules`` is the table of rules that tie a file to stacks (one small function
per rule and direction, their docstring the user's reference); ``graph.Graph``
holds the lookups the rules use and runs the table both ways
(``Graph.dependents``: file -> stacks, ``Graph.inputs``: stack -> files).
This face re-exports what ``affected``, ``diff`` and the tests use.
"""
from .graph import Graph
from .rules import (
    ADDED,
    CHANGED,
    DEFAULTS,
    DELETED,
    ENV,
    GLOBAL,
    KCL,
    LIBRARY,
    MODEL,
    MODEL_ENV,
    PLACE_RULES,
    POLICY,
    PROJECT,
    REQUIRES,
    RULES,
    SCHEMA,
    STACK,
    Input,
    Reason,
)

__all__ = [
    "ADDED", "CHANGED", "DEFAULTS", "DELETED", "ENV", "GLOBAL", "KCL", "LIBRARY", "MODEL", "MODEL_ENV",
    "PLACE_RULES", "POLICY", "PROJECT", "REQUIRES", "RULES", "SCHEMA", "STACK",
    "Graph", "Input", "Reason",
]
