"""Round-trip YAML: files read and written back with their comments, order and quotes kept.

``load_roundtrip``/``dump_roundtrip`` read a file into ruamel's round-trip
data (after the safe reader has checked it) and write it back the way it was
written: its indentation, a leading ``---`` and its line endings. The rest of
this module is comment-aware changes to that data (``konfig set``, ``konfig fmt``).

ruamel keeps a comment with the entry *before* it: the full-line comments
above a key are stored as the trailing part of the previous entry's comment
token (or, for the first entry, on the parent). Deleting, replacing or
appending entries naively would therefore drop or misplace the comments that
belong to the neighbours. The operations here move those comment lines so
that every comment the user wrote stays next to what it describes:

* a comment is kept unless it is the end-of-line comment of a deleted entry
  or sits inside the deleted entry's value (indented deeper than its key);
* comments after the last entry of a block that are indented less than the
  block (they introduce what follows it) stay after the block when an entry
  is appended to it.

Values are converted to ruamel's commented types, keeping the style of the
value they replace (quotes of a string, flow style of a collection).
"""
from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from .read import _NULL, _mark_error, iter_paths, load
from .write import UNPRINTABLE, block_ok, needs_quotes

Container = Any  # CommentedMap | CommentedSeq
_QUOTED = (DoubleQuotedScalarString, SingleQuotedScalarString)

FACTORY = {"dict": CommentedMap, "list": CommentedSeq}


# -- loading and dumping with comments, order and quotes kept ------------------------

def roundtrip() -> Any:
    """A ruamel round-trip YAML instance that keeps comments, order and quotes."""
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    y.allow_duplicate_keys = False
    y.brace_single_entry_mapping_in_flow_sequence = True  # [{a: 1}] stays, not [a: 1]
    return y


def detect_indent(text: str) -> tuple[int, int]:
    """(mapping indent, sequence dash offset) as the user wrote them.

    Measured at the first key that opens a block mapping and the first that
    opens a block sequence. Unknown parts are those of ``konfig fmt``'s
    layout: 2 spaces, dashes indented under their key.
    """
    mapping_indent: int | None = None
    seq_offset: int | None = None
    opener: int | None = None  # column of the key whose block starts on the next line
    scalar_block: int | None = None  # inside a literal/folded scalar started at this column
    for raw in text.splitlines():
        stripped = raw.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        ind = len(raw) - len(stripped)
        if scalar_block is not None:
            if ind > scalar_block:
                continue
            scalar_block = None
        if opener is not None and ind >= opener:
            if stripped.startswith("- ") or stripped == "-":
                if seq_offset is None:
                    seq_offset = ind - opener
            elif mapping_indent is None and ind > opener:
                mapping_indent = ind - opener
        if mapping_indent is not None and seq_offset is not None:
            break
        col = ind
        while stripped.startswith("- "):  # "- key: value" holds a mapping at the dash's content
            col += 2 + (len(stripped) - 2 - len(stripped[2:].lstrip(" ")))
            stripped = stripped[2:].lstrip(" ")
        content = re.sub(r"\s+#.*$", "", stripped).rstrip()
        opener = col if content.endswith(":") else None
        if re.search(r":\s+[|>][-+0-9]*$", content) or re.fullmatch(r"-?\s*[|>][-+0-9]*", content):
            scalar_block = col
    return (mapping_indent or 2, 2 if seq_offset is None else seq_offset)


def _preamble(text: str) -> str:
    """Leading comment lines and a ``---`` line before the content (ruamel would drop them)."""
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("---"):
            if stripped == "---" or stripped.startswith("--- #"):
                return text[: pos + len(line)]
            return ""
        if stripped and not stripped.startswith("#") and not stripped.startswith("%"):
            return ""
        pos += len(line)
    return ""


_NULL_WORDS = re.compile(r"(?:^|:|-)[ \t]+(null|Null|NULL|~)[ \t]*(?:#.*)?$", re.M)
_null_representers: dict[str, Any] = {}


def _null_representer(word: str) -> Any:
    """A round-trip representer writing ``None`` as ``word`` (ruamel writes nothing: ``key:``)."""
    cls = _null_representers.get(word)
    if cls is None:
        from ruamel.yaml.representer import RoundTripRepresenter

        cls = type(f"RoundTripRepresenter_{word}", (RoundTripRepresenter,), {})
        cls.add_representer(type(None), lambda r, _d: r.represent_scalar(_NULL, word))
        _null_representers[word] = cls
    return cls


def load_roundtrip(text: str, filename: str) -> tuple[Any, Any]:
    """(ruamel YAML instance configured like the file, round-trip data).

    ``dump_roundtrip`` with the same instance writes the file back the way it
    was written: its indentation, a leading ``---`` (and the comments above
    it), and its line endings.
    """
    # The safe loader checks the untrusted-input rules first: round-trip mode
    # would accept arbitrary tags and expand aliases.
    load(text, filename)
    crlf = "\r\n" in text
    if crlf:
        text = text.replace("\r\n", "\n")
    preamble = _preamble(text)
    body = text[len(preamble):]
    y = roundtrip()
    indent, offset = detect_indent(body)
    # ruamel's `sequence` is where an item's content starts: two past the dash
    y.indent(mapping=indent, sequence=offset + 2, offset=offset)
    y.konfig_layout = (preamble, crlf)  # read back by dump_roundtrip
    try:
        data = y.load(body)
    except Exception as e:
        raise _mark_error(e, filename) from None
    # A null is written as the file writes them: `key:` if it leaves them empty,
    # else spelled out (`key: null`, the way a layer deletes a lower layer's value).
    words = _NULL_WORDS.findall(body)
    nulls = sum(1 for _p, v in iter_paths(data) if v is None) if data is not None else 0
    if words or not nulls:
        y.Representer = _null_representer(max(set(words), key=words.count) if words else "null")
    return y, data


def dump_roundtrip(y: Any, data: Any) -> str:
    buf = io.StringIO()
    y.dump(data, buf)
    preamble, crlf = getattr(y, "konfig_layout", ("", False))
    text = preamble + buf.getvalue()
    return text.replace("\n", "\r\n") if crlf else text


# -- values ---------------------------------------------------------------------

def is_flow(value: Any) -> bool:
    fa = getattr(value, "fa", None)
    return bool(fa is not None and fa.flow_style())


def is_block(value: Any) -> bool:
    """A non-empty collection written in block style (its entries are lines of their own)."""
    return isinstance(value, (CommentedMap, CommentedSeq)) and len(value) > 0 and not is_flow(value)


def commented(value: Any, like: Any = None) -> Any:
    """``value`` as round-trip data, in the style of ``like`` (the value it replaces)."""
    if isinstance(value, dict):
        out: Any = CommentedMap()
        for k, v in value.items():
            out[key(k)] = commented(v)
        same_kind = isinstance(like, dict)
    elif isinstance(value, list):
        out = CommentedSeq(commented(v) for v in value)
        same_kind = isinstance(like, list)
    elif isinstance(value, str):
        if UNPRINTABLE.search(value) or ("\n" in value and not block_ok(value)):
            return DoubleQuotedScalarString(value)  # escapes: other readers refuse the raw characters
        if "\n" in value:
            return FoldedScalarString(value) if isinstance(like, FoldedScalarString) else LiteralScalarString(value)
        if isinstance(like, _QUOTED):
            return type(like)(value)
        if needs_quotes(value) and not isinstance(value, _QUOTED):
            return SingleQuotedScalarString(value)  # `on` would be `true` to a YAML 1.1 reader
        return value
    else:
        return value
    if same_kind:
        if is_flow(like):
            out.fa.set_flow_style()
        tag = getattr(like, "tag", None)
        if tag is not None and getattr(tag, "value", None):  # !replace / !append stay
            out.yaml_set_ctag(tag)
    return out


def key(k: Any) -> Any:
    """A new mapping key, quoted if a YAML 1.1 reader would retype it (``on:`` is ``true:``)."""
    if isinstance(k, str) and not isinstance(k, _QUOTED) and needs_quotes(k):
        return SingleQuotedScalarString(k)
    return k


def same(a: Any, b: Any) -> bool:
    """Equal as data, and of the same kind (``1`` is not ``true`` nor ``"1"``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    kinds = (bool, str, dict, list)
    if any(isinstance(a, t) != isinstance(b, t) for t in kinds):
        return False
    return bool(a == b)


# -- comment tokens ---------------------------------------------------------------

def _slot(c: Container, k: Any) -> CommentToken | None:
    entry = c.ca.items.get(k)
    if not entry:
        return None
    return entry[2] if isinstance(c, CommentedMap) else entry[0]


def _set_slot(c: Container, k: Any, tok: CommentToken | None) -> None:
    entry = c.ca.items.setdefault(k, [None, None, None, None])
    entry[2 if isinstance(c, CommentedMap) else 0] = tok


def _token(text: str) -> CommentToken:
    return CommentToken(text, CommentMark(0), None)


def _last_key(c: Container) -> Any:
    return next(reversed(c)) if isinstance(c, CommentedMap) else len(c) - 1


def last_slot(c: Container, k: Any) -> tuple[Container, Any]:
    """Where the comments after entry ``k`` (and all its block content) are stored."""
    while True:
        v = c[k]
        if not is_block(v):
            return c, k
        c, k = v, _last_key(v)


def column(c: Container) -> int:
    """The column of a block's entries (its keys, or its dashes).

    A block made by this edit has no position: it is deeper than anything that
    follows it, so every comment line after it is "outer" (a large column).
    """
    lc = getattr(c, "lc", None)
    col = getattr(lc, "col", None) if lc is not None else None
    return int(col) if isinstance(col, int) else 1 << 30


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _split(rest: str, moves: Any) -> tuple[str, str]:
    """Split comment lines in two at the first comment line for which ``moves(indent)``.

    The blank lines just before it go with the second part (they separate it).
    """
    lines = rest.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.strip().startswith("#") and moves(_indent(line)):
            j = i
            while j > 0 and not lines[j - 1].strip():
                j -= 1
            return "".join(lines[:j]), "".join(lines[j:])
    return rest, ""


def _trailing(c: Container, k: Any) -> tuple[str, str]:
    """(end-of-line part, following comment lines) of entry ``k``'s last slot."""
    sc, sk = last_slot(c, k)
    tok = _slot(sc, sk)
    if tok is None or not tok.value:
        return "", ""
    text = tok.value
    first, nl, rest = text.partition("\n")
    return first + nl, rest


def _take_outer(c: Container, k: Any, moves: Any) -> str:
    """Remove and return the comment lines after entry ``k`` for which ``moves(indent)``."""
    sc, sk = last_slot(c, k)
    tok = _slot(sc, sk)
    if tok is None or not tok.value:
        return ""
    first, nl, rest = tok.value.partition("\n")
    keep, outer = _split(rest, moves)
    if outer:
        remaining = first + nl + keep
        if remaining.strip():
            tok.value = remaining  # in place: the token's column places the end-of-line comment
        else:
            _set_slot(sc, sk, None)
    return outer


def attach_after(c: Container, k: Any, text: str) -> None:
    """Put comment lines ``text`` right after entry ``k`` (and its block content)."""
    if not text:
        return
    sc, sk = last_slot(c, k)
    tok = _slot(sc, sk)
    if tok is None or not tok.value:
        _set_slot(sc, sk, _token("\n" + text))
    else:
        value = tok.value if tok.value.endswith("\n") else tok.value + "\n"
        tok.value = value + text


def _pre_list(c: Container, parent: Container | None, pkey: Any) -> list[Any]:
    """The comment tokens shown before the first entry of ``c`` (created if missing)."""
    if isinstance(c, CommentedMap) and isinstance(parent, CommentedMap):
        entry = parent.ca.items.setdefault(pkey, [None, None, None, None])
        if entry[3] is None:
            entry[3] = []
        return entry[3]  # type: ignore[no-any-return]
    if c.ca.comment is None:
        c.ca.comment = [None, []]
    if c.ca.comment[1] is None:
        c.ca.comment[1] = []
    return c.ca.comment[1]  # type: ignore[no-any-return]


def _take_pre(c: Container, parent: Container | None, pkey: Any) -> str:
    lists = []
    if isinstance(c, CommentedMap) and isinstance(parent, CommentedMap):
        entry = parent.ca.items.get(pkey)
        if entry and entry[3]:
            lists.append(entry[3])
    if c.ca.comment and c.ca.comment[1]:
        if not lists or c.ca.comment[1] is not lists[0]:
            lists.append(c.ca.comment[1])
    # these tokens hold their indentation in their column, not in their text
    text = "".join(" " * (t.column or 0) + t.value for lst in lists[:1] for t in lst if t is not None)
    for lst in lists:
        lst.clear()
    if isinstance(parent, CommentedMap) and pkey in parent.ca.items:
        # an empty list left there makes ruamel pad the key's value and drop the newline
        # at the end of the block (invalid YAML after a trailing comment)
        parent.ca.items[pkey][3] = None
    return text


# -- operations -------------------------------------------------------------------

def set_item(c: Container, k: Any, value: Any, parent: Container | None = None, pkey: Any = None) -> None:
    """``c[k] = value`` (k a key, an index, or ``len(c)`` to append), comments kept."""
    if isinstance(c, CommentedSeq) and k == len(c):
        append_item(c, value, parent, pkey)
        return
    if isinstance(c, CommentedMap) and k not in c:
        _add(c, k, value, parent, pkey)
        return
    old = c[k]
    if isinstance(old, CommentedMap) and isinstance(value, dict) and not isinstance(value, CommentedMap):
        sync(old, value)
        return
    new = commented(value, like=old)
    outer = ""
    if is_block(old):
        # comments after the old block that introduce what follows it
        col = column(c)
        outer = _take_outer(c, k, lambda ind: ind <= col)
    c[k] = new
    attach_after(c, k, outer)


def sync(old: CommentedMap, value: dict[str, Any]) -> None:
    """Make mapping ``old`` equal to ``value`` in place, keeping the comments of kept keys."""
    gone = [k for k in old if k not in value]
    for k, v in value.items():  # first, so that the mapping never becomes empty on the way
        if k in old and same(old[k], v):
            continue
        set_item(old, k, v)
    for k in gone:
        delete_item(old, k)


def _add(c: CommentedMap, k: Any, value: Any, parent: Container | None, pkey: Any) -> None:
    outer = _grow(c, parent, pkey)
    if len(c) and not is_flow(c):
        col = column(c)
        outer = _take_outer(c, _last_key(c), lambda ind: ind < col)
    k = key(k)
    c[k] = commented(value)
    attach_after(c, k, outer)


def append_item(c: CommentedSeq, value: Any, parent: Container | None = None, pkey: Any = None) -> None:
    outer = _grow(c, parent, pkey)
    if len(c) and not is_flow(c):
        col = column(c)
        outer = _take_outer(c, len(c) - 1, lambda ind: ind < col)
    c.append(commented(value))
    attach_after(c, len(c) - 1, outer)


def _grow(c: Container, parent: Container | None, pkey: Any) -> str:
    """An empty flow collection (``{}``, ``[]``) that gets entries becomes a block.

    Comment lines after it (kept in its entry's slot in the parent) would then
    print between its key and its first entry: they are returned, to go after it.
    """
    if len(c) != 0 or (parent is not None and is_flow(parent)):
        return ""
    c.fa.set_block_style()
    if parent is None:
        return ""
    tok = _slot(parent, pkey)
    if tok is None or not tok.value:
        return ""
    first, nl, rest = tok.value.partition("\n")
    if first.strip():
        tok.value = first + nl
    else:
        _set_slot(parent, pkey, None)
    return rest


def delete_item(c: Container, k: Any, parent: Container | None = None, pkey: Any = None) -> Any:
    """Remove entry ``k`` (key or index); keep the comments that belong to its neighbours."""
    keys = list(c) if isinstance(c, CommentedMap) else list(range(len(c)))
    pos = keys.index(k)
    col = column(c)
    # Lines after the entry at its own column or less introduce the next entry (or what
    # follows the block); deeper ones were about the deleted value.
    outer = _take_outer(c, k, lambda ind: ind <= col) if not is_flow(c) else ""
    _take_doc(c, keys, pos, col, parent, pkey)
    old = c[k]
    if isinstance(c, CommentedMap):
        c.ca.items.pop(k, None)
        del c[k]
    else:
        del c[k]  # CommentedSeq shifts the comment slots of the later items
    if len(c) == 0:
        outer = _take_pre(c, parent, pkey) + outer
        if not (parent is not None and is_flow(parent)):
            c.fa.set_flow_style()
        if outer and parent is not None:
            attach_after(parent, pkey, outer)
        elif outer:
            _pre_list(c, parent, pkey).append(_token(outer))
        return old
    if pos > 0:
        prev = list(c)[pos - 1] if isinstance(c, CommentedMap) else pos - 1
        attach_after(c, prev, outer)
    elif outer:
        _pre_list(c, parent, pkey).append(_token(outer))
    return old


def _strip_doc(text: str, col: int) -> str:
    """``text`` without the comment lines at its end that sit at column ``col`` (no blank line after)."""
    lines = text.splitlines(keepends=True)
    while lines and lines[-1].strip().startswith("#") and _indent(lines[-1]) == col:
        lines.pop()
    return "".join(lines)


def _take_doc(c: Container, keys: list[Any], pos: int, col: int, parent: Container | None, pkey: Any) -> None:
    """Drop the comment lines right above entry ``keys[pos]`` (its documentation), before deleting it.

    Only the lines directly above it at its column: a comment separated by a
    blank line, or indented differently, is about something else and stays;
    so do the comments above the first entry of a block.
    """
    if is_flow(c) or pos == 0:
        return  # comments at the top of a block more often introduce the block: they stay
    sc, sk = last_slot(c, keys[pos - 1])
    tok = _slot(sc, sk)
    if tok is None or not tok.value:
        return
    first, nl, rest = tok.value.partition("\n")
    stripped = _strip_doc(rest, col)
    if stripped != rest:
        tok.value = first + nl + stripped


def reorder(m: CommentedMap, order: list[Any]) -> bool:
    """Reorder the keys of block mapping ``m`` (keys not in ``order`` keep their place after).

    The comment lines above each key move with it. Returns whether anything moved.
    """
    keys = list(m)
    rank = {k: i for i, k in enumerate(order)}
    new = sorted(keys, key=lambda k: (rank.get(k, len(order)), keys.index(k)))
    if new == keys or is_flow(m):
        return False
    col = column(m)
    # Split every entry's comments into "about this entry" (end of line, and lines
    # after a block value) and "before the next entry".
    before: dict[Any, str] = {}
    head = _take_pre(m, None, None)
    # The comments above the first key up to a blank line are the file's header
    # and stay on top; those right above it (after the last blank line) are its own.
    lines = head.splitlines(keepends=True)
    blank = max((i for i, line in enumerate(lines) if not line.strip()), default=-1)
    head, own_first = ("".join(lines[: blank + 1]), "".join(lines[blank + 1:])) if blank >= 0 else (head, "")
    tail = ""
    for i, k in enumerate(keys):
        outer = _take_outer(m, k, lambda ind: ind <= col)
        if i + 1 < len(keys):
            before[keys[i + 1]] = outer
        else:
            tail = outer
    before[keys[0]] = own_first
    values = [(k, m[k], m.ca.items.pop(k, None)) for k in keys]
    for k in keys:
        del m[k]
    by_key = {k: (v, ca) for k, v, ca in values}
    for k in new:
        v, ca = by_key[k]
        m[k] = v
        if ca is not None:
            m.ca.items[k] = ca
    if head:
        _pre_list(m, None, None).append(_token(head))
    for i, k in enumerate(new):
        if i + 1 < len(new) and before.get(new[i + 1]):
            attach_after(m, k, before[new[i + 1]])
    if before.get(new[0]):
        _pre_list(m, None, None).append(_token(before[new[0]]))
    attach_after(m, new[-1], tail)
    return True
