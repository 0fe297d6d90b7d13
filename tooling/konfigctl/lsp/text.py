"""Where things are in a YAML buffer being typed: key ranges, the key under the cursor, its context.

Two readers, for two states of a buffer. A buffer that parses is read with
``yamlio.load(positions=True)`` (the one YAML reader): ``path_at`` finds the
key path under the cursor from the positions it records. A buffer being
typed often does not parse (``replicas: 2\\n  re`` is half a key), so
completion reads the lines instead (``context_at``): the parent keys by
indentation, block lists by their dashes, the keys already written beside
the cursor. Lines and columns here are 0-based, as LSP counts them; the
positions konfig reports are 1-based.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

from ..errors import KonfigError
from ..yamlio import load

Path = tuple[Any, ...]

_KEY = re.compile(r"""^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{}\[\],:][^#{}\[\],]*?)\s*:(\s|$)""")


def token_end(line: str, start: int) -> int:
    """End (exclusive) of the key or item that starts at ``start`` on ``line``."""
    if start >= len(line):
        return start
    q = line[start]
    if q in "\"'":
        end = line.find(q, start + 1)
        return len(line) if end < 0 else end + 1
    i = start
    while i < len(line):
        c = line[i]
        if c == ":" and (i + 1 == len(line) or line[i + 1] in " \t"):
            break
        if c in ",}]" or (c == "#" and i > start and line[i - 1] in " \t"):
            break
        i += 1
    return len(line[:i].rstrip()) if line[:i].strip() else i


def key_range(lines: list[str], line1: int | None, col1: int | None) -> tuple[int, int, int]:
    """(line, start, end), 0-based, of the token konfig located at ``line1:col1`` (1-based)."""
    if not line1:
        return 0, 0, len(lines[0]) if lines else 0
    line = min(line1 - 1, max(len(lines) - 1, 0))
    text = lines[line] if lines else ""
    start = min(max((col1 or 1) - 1, 0), len(text))
    end = token_end(text, start)
    if end <= start:  # a position past the text (an empty value): the whole line
        return line, 0, len(text)
    return line, start, end


def path_at(text: str, rel: str, line: int, char: int) -> Path | None:
    """The key path (in the file) of the key or list item under the cursor, or on whose line it is.

    None when the buffer does not parse or the cursor is on no key's line.
    """
    try:
        doc = load(text, rel, positions=True)
    except KonfigError:
        return None
    best: tuple[int, Path] | None = None
    for path, (l1, c1) in (doc.positions or {}).items():
        if l1 - 1 != line or c1 - 1 > char or not path:
            continue
        if best is None or c1 > best[0] or (c1 == best[0] and len(path) > len(best[1])):
            best = (c1, path)
    return best[1] if best else None


@dataclasses.dataclass
class Context:
    """What the cursor is in, as completion needs it.

    ``path``: the parent keys of the mapping the cursor is in (an ``int`` for a
    list item, index unknown: ``0``); ``key``: when the cursor is in a value,
    the key it is the value of; ``prefix``: what is typed of the word so far;
    ``siblings``: keys already written in the same mapping.
    """

    path: Path
    key: str | None
    prefix: str
    siblings: set[str]

    @property
    def in_value(self) -> bool:
        return self.key is not None


@dataclasses.dataclass
class _Line:
    """A line's layout: its block-list dashes (columns), where its content starts, its key."""

    dashes: list[int]
    col: int  # where the content starts (after indentation and dashes)
    key: str | None  # the key the content starts with (`key:`), if any
    opens: bool  # `key:` with nothing after it (or only a tag): a block below it belongs to it


def _layout(line: str) -> _Line | None:
    """None for a blank or comment line."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    i = len(line) - len(line.lstrip(" "))
    dashes = []
    while line.startswith("-", i) and (i + 1 == len(line) or line[i + 1] in " \t"):
        dashes.append(i)
        i += 1
        while i < len(line) and line[i] in " \t":
            i += 1
    m = _KEY.match(line[i:])
    if not m:
        return _Line(dashes, i, None, False)
    rest = line[i + m.end():].split(" #", 1)[0].strip()
    return _Line(dashes, i, _parse_key(m.group(1).strip()), not rest or rest in ("!replace", "!append"))


def _parse_key(s: str) -> str:
    if len(s) >= 2 and s[0] in "\"'" and s[-1] == s[0]:
        return s[1:-1]
    return s


def context_at(text: str, line: int, char: int) -> Context | None:
    """The completion context at a 0-based cursor, read from the lines (the buffer may not parse);
    None in a comment."""
    lines = text.split("\n")
    cur = lines[line] if line < len(lines) else ""
    before = cur[:char]
    here = _layout(before + "x")  # as if a word were typed at the cursor
    if here is None or " #" in before or before.lstrip().startswith("#"):
        return None
    ccol = here.col
    typed = before[ccol:]
    m = re.match(r"^(\"[^\"]*\"|'[^']*'|[^\s#:][^#:]*?)\s*:\s*(\S*)$", typed)
    if m:
        key: str | None = _parse_key(m.group(1).strip())
        prefix = m.group(2)
    else:
        key, prefix = None, typed
    suffix: list[Any] = [0] * len(here.dashes)
    # the parents, innermost first: each step finds the parent of an entry at `level`
    path: list[Any] = []
    if here.dashes:
        level, is_item = here.dashes[0], True
    else:
        level, is_item = ccol, False
    siblings = _siblings(lines, line, ccol, bool(here.dashes))
    for i in range(line - 1, -1, -1):
        if level == 0 and not is_item:
            break
        lay = _layout(lines[i])
        if lay is None:
            continue
        first = lay.dashes[0] if lay.dashes else lay.col
        if lay.dashes and lay.col == level and not is_item:
            # a sibling key of the item's first line: we are in that item's mapping
            path.extend([0] * len(lay.dashes))
            level, is_item = lay.dashes[0], True
            continue
        if lay.key is not None and lay.opens and (lay.col < level or (is_item and lay.col == level and not lay.dashes)):
            path.append(lay.key)
            if lay.dashes:
                path.extend([0] * len(lay.dashes))
                level, is_item = lay.dashes[0], True
            else:
                level, is_item = lay.col, False
            continue
        if first < level and not lay.dashes:
            break  # a less indented scalar: the structure is not what it seems
    return Context(tuple(reversed(path)) + tuple(suffix), key, prefix, siblings)


def _siblings(lines: list[str], line: int, col: int, new_item: bool) -> set[str]:
    """Keys already written at column ``col`` in the mapping around ``line`` (``new_item``: the
    cursor's line starts a list item, so the mapping starts there)."""
    out: set[str] = set()
    for step in (1,) if new_item else (-1, 1):
        i = line + step
        while 0 <= i < len(lines):
            lay = _layout(lines[i])
            i += step
            if lay is None:
                continue
            first = lay.dashes[0] if lay.dashes else lay.col
            if lay.dashes and lay.col == col:
                if step < 0 and lay.key:
                    out.add(lay.key)  # the first line of our list item
                break
            if first < col:
                break
            if first == col and lay.key:
                out.add(lay.key)
    return out
