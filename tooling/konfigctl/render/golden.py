"""Golden files: a stack's expected rendered output, committed as ``golden.yaml`` beside it.

The comparison is semantic -- mapping key order does not matter, list order
does, and ``1``, ``"1"``, ``1.0`` and ``true`` are all different -- so a
hand-formatted golden file still passes. A mismatch is shown as a unified
diff of the YAML, with the committed side's keys put in the rendered order
first so that the diff shows only what changed.
"""
from __future__ import annotations

import difflib
from typing import Any

from ..yamlio import dump_all, load_all

MAX_DIFF_LINES = 400


def header(stack_path: str) -> str:
    return (
        f"# Rendered by konfig from {stack_path}: the resources this stack produces.\n"
        "# Reviewed in pull requests; regenerate with `konfig test --update`, never edit by hand.\n"
    )


def text(stack_path: str, resources: list[dict[str, Any]]) -> str:
    """The content of a golden file for these resources."""
    return header(stack_path) + dump_all(resources)


def parse(content: bytes | str, filename: str) -> list[Any]:
    """The documents of a golden file (empty documents skipped); ``YamlError`` if it is broken."""
    return [d for d in load_all(content, filename) if d is not None]


def same(a: Any, b: Any) -> bool:
    """Semantic equality: mappings unordered, lists ordered, types strict (``True != 1``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return _kind(a) == _kind(b) and a == b


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


def align(expected: Any, actual: Any) -> Any:
    """``expected`` with its mapping keys in ``actual``'s order where both have them."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = {k: align(expected[k], actual[k]) for k in actual if k in expected}
        out.update((k, v) for k, v in expected.items() if k not in out)
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        return [align(e, actual[i]) if i < len(actual) else e for i, e in enumerate(expected)]
    return expected


def diff(expected: list[Any], actual: list[Any], golden_file: str) -> str:
    """A unified diff from the committed golden file to the rendered output."""
    old = dump_all(align(expected, actual)).splitlines(keepends=True)
    new = dump_all(actual).splitlines(keepends=True)
    lines = list(difflib.unified_diff(old, new, fromfile=f"{golden_file} (committed)",
                                      tofile=f"{golden_file} (rendered)", n=3))
    if len(lines) > MAX_DIFF_LINES:
        more = len(lines) - MAX_DIFF_LINES
        lines = lines[:MAX_DIFF_LINES] + [f"... {more} more diff lines\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
