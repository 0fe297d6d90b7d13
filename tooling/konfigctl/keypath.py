"""Key paths into a stack's configuration: ``resources.disk``, ``ports[0]``, ``env[name=LOG_LEVEL].value``.

Keys containing dots or brackets are quoted: ``labels."app.kubernetes.io/name"``.
The same functions work on plain data and on ruamel round-trip data (whose
mappings and lists are ``dict`` and ``list`` subclasses), so ``get``, ``set``,
``-O`` overrides and ``override_file`` share one implementation.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Union

from .errors import UsageError


@dataclasses.dataclass(frozen=True)
class Select:
    """``[field=value]``: the item of a list of mappings whose ``field`` equals ``value``."""

    field: str
    value: str

    def matches(self, item: Any) -> bool:
        if not isinstance(item, dict) or self.field not in item:
            return False
        v = item[self.field]
        if isinstance(v, bool):
            return str(v).lower() == self.value.lower()
        return str(v) == self.value

    def __str__(self) -> str:
        return f"[{self.field}={_quote_if_needed(self.value, selector=True)}]"


Segment = Union[str, int, Select]
KeyPath = tuple[Segment, ...]

_BARE = re.compile(r"[^.\[\]\"'=\s]+")
_SAFE_KEY = re.compile(r"[A-Za-z0-9_\-/@:+~$]+\Z")


def _quote_if_needed(key: str, selector: bool = False) -> str:
    if _SAFE_KEY.match(key) and not (selector and "]" in key):
        return key
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read_quoted(s: str, i: int) -> tuple[str, int | None]:
    """The quoted name starting at ``s[i]`` (its quote character), backslash escaping the
    next character, and the index after the closing quote (None: it is never closed)."""
    q, j, buf = s[i], i + 1, []
    while j < len(s) and s[j] != q:
        if s[j] == "\\" and j + 1 < len(s):
            j += 1
        buf.append(s[j])
        j += 1
    return "".join(buf), (j + 1 if j < len(s) else None)


def parse(text: str) -> KeyPath:
    """Parse a key path; a ``UsageError`` names the offending column."""
    s = text.strip()
    if not s:
        raise UsageError("empty key path")
    out: list[Segment] = []
    i = 0
    n = len(s)
    expect_key = True

    def fail(msg: str) -> UsageError:
        return UsageError(f"bad key path {text!r}: {msg} at column {i + 1}")

    def quoted(i: int) -> tuple[str, int]:
        name, end = _read_quoted(s, i)
        if end is None:
            raise UsageError(f"bad key path {text!r}: unterminated quote at column {i + 1}")
        return name, end

    while i < n:
        c = s[i]
        if c == "[":
            j = s.find("]", i)
            if j == -1:
                raise fail("unclosed '['")
            inner = s[i + 1 : j].strip()
            if re.fullmatch(r"-?\d+", inner):
                out.append(int(inner))
            elif "=" in inner:
                field, _, value = inner.partition("=")
                field, value = field.strip(), value.strip()
                if not field or not _BARE.fullmatch(field):
                    raise fail(f"bad selector field {field!r}")
                if not value:  # a typo far more often than an item keyed by ""
                    raise UsageError(f"bad key path {text!r}: empty value in [{field}=] at column {i + 1}",
                                     hint=f'an empty string is written [{field}=""]')
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                out.append(Select(field, value))
            else:
                raise fail(f"expected [index] or [field=value], got [{inner}]")
            i = j + 1
            expect_key = False
            continue
        if c == ".":
            if expect_key:
                raise fail("empty key")
            i += 1
            expect_key = True
            if i >= n:
                raise fail("trailing '.'")
            continue
        if not expect_key:
            raise fail(f"unexpected {c!r}")
        if c in "\"'":
            key, i = quoted(i)
            out.append(key)
        else:
            m = _BARE.match(s, i)
            if not m:
                raise fail(f"unexpected {c!r}")
            out.append(m.group(0))
            i = m.end()
        expect_key = False
    return tuple(out)


def split_assignment(text: str) -> tuple[str, str] | None:
    """``("a.b[k=v]", "1")`` for ``a.b[k=v]=1``: the first ``=`` outside brackets and quotes.

    With a ``[`` left open, the first ``=`` at all: parsing that key path then
    names the unclosed bracket, which says more than "not an assignment".
    """
    depth = 0
    quote = ""
    first = -1
    for i, c in enumerate(text):
        if c == "=" and first < 0 and not quote:
            first = i
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
        elif c == "=" and depth == 0:
            return text[:i], text[i + 1:]
    if depth > 0 and first >= 0:
        return text[:first], text[first + 1:]
    return None


def format(path: tuple[Any, ...]) -> str:  # noqa: A001 - mirrors parse()
    """Render a key path (string keys, int indices, selectors) as text."""
    out = []
    for seg in path:
        if isinstance(seg, int) and not isinstance(seg, bool):
            out.append(f"[{seg}]")
        elif isinstance(seg, Select):
            out.append(str(seg))
        else:
            key = _quote_if_needed(str(seg))
            out.append(("." if out else "") + key)
    return "".join(out)


class PathNotFound(UsageError):
    pass


def _step(node: Any, seg: Segment, path_text: str) -> tuple[Any, Any]:
    """(child, concrete segment) or PathNotFound."""
    if isinstance(seg, str):
        if isinstance(node, dict) and seg in node:
            return node[seg], seg
    elif isinstance(seg, int):
        if isinstance(node, list) and -len(node) <= seg < len(node):
            return node[seg], seg % len(node)
    else:
        if isinstance(node, list):
            for i, item in enumerate(node):
                if seg.matches(item):
                    return item, i
    raise PathNotFound(f"no value at key path {path_text}")


def resolve(data: Any, path: KeyPath) -> tuple[Any, tuple[Any, ...]]:
    """(value, concrete path with selectors turned into indices)."""
    node = data
    concrete: list[Any] = []
    for k, seg in enumerate(path):
        node, c = _step(node, seg, format(path[: k + 1]))
        concrete.append(c)
    return node, tuple(concrete)


def get(data: Any, path: KeyPath) -> Any:
    return resolve(data, path)[0]


def exists(data: Any, path: KeyPath) -> bool:
    try:
        resolve(data, path)
        return True
    except PathNotFound:
        return False


def _container_for(seg: Segment, factory: Any) -> Any:
    return factory["list"]() if isinstance(seg, (int, Select)) else factory["dict"]()


_PLAIN = {"dict": dict, "list": list}


def set_value(data: Any, path: KeyPath, value: Any, factory: dict[str, Any] | None = None) -> Any:
    """Set ``value`` at ``path`` in place, creating mappings (and selected items) on the way.

    Returns the previous value (or ``None``). ``factory`` gives the container
    types to create (round-trip editing passes ruamel's commented types).
    """
    factory = factory or _PLAIN
    if not path:
        raise UsageError("cannot set the whole configuration; name a key path")
    node = data
    for k, seg in enumerate(path[:-1]):
        nxt = path[k + 1]
        node = _descend_create(node, seg, nxt, path, k, factory)
    return _assign(node, path[-1], value, path, factory)


def _descend_create(node: Any, seg: Segment, nxt: Segment, path: KeyPath, k: int, factory: Any) -> Any:
    text = format(path[: k + 1])
    if isinstance(seg, str):
        if not isinstance(node, dict):
            raise UsageError(f"cannot set key {seg!r}: {format(path[:k]) or 'the configuration'} is not a mapping")
        if node.get(seg) is None:
            node[seg] = _container_for(nxt, factory)
        return node[seg]
    if not isinstance(node, list):
        raise UsageError(f"cannot index {text}: {format(path[:k]) or 'the configuration'} is not a list")
    if isinstance(seg, int):
        if -len(node) <= seg < len(node):
            return node[seg]
        if seg == len(node):
            node.append(_container_for(nxt, factory))
            return node[-1]
        raise UsageError(f"index {seg} is out of range at {text} (list has {len(node)} items)")
    for item in node:
        if seg.matches(item):
            return item
    item = factory["dict"]()
    item[seg.field] = _scalar(seg.value)
    node.append(item)
    return item


def _scalar(text: str) -> Any:
    from .yamlio import parse_value

    v = parse_value(text, "selector value")
    return v if isinstance(v, (str, int, float, bool)) else text


def _assign(node: Any, seg: Segment, value: Any, path: KeyPath, factory: Any) -> Any:
    text = format(path)
    if isinstance(seg, str):
        if not isinstance(node, dict):
            raise UsageError(f"cannot set {text}: parent is not a mapping")
        old = node.get(seg)
        node[seg] = value
        return old
    if not isinstance(node, list):
        raise UsageError(f"cannot set {text}: parent is not a list")
    if isinstance(seg, int):
        if -len(node) <= seg < len(node):
            old = node[seg]
            node[seg] = value
            return old
        if seg == len(node):
            node.append(value)
            return None
        raise UsageError(f"index {seg} is out of range at {text} (list has {len(node)} items)")
    for i, item in enumerate(node):
        if seg.matches(item):
            node[i] = value
            return item
    node.append(value)
    return None


def delete(data: Any, path: KeyPath) -> Any:
    """Remove the value at ``path``; ``PathNotFound`` if there is none."""
    if not path:
        raise UsageError("cannot delete the whole configuration")
    parent, concrete = resolve(data, path[:-1])
    _, last = _step(parent, path[-1], format(path))
    return parent.pop(last)


def append(data: Any, path: KeyPath, value: Any, factory: dict[str, Any] | None = None) -> None:
    """Append ``value`` to the list at ``path``, creating the list if absent."""
    factory = factory or _PLAIN
    try:
        target = get(data, path)
    except PathNotFound:
        set_value(data, path, factory["list"](), factory)
        target = get(data, path)
    if not isinstance(target, list):
        raise UsageError(f"cannot append to {format(path)}: it is not a list")
    target.append(value)


# -- globs over key paths (review rules' ``keys``) ---------------------------------------------

@dataclasses.dataclass(frozen=True)
class KeyGlob:
    """A glob over key paths: ``resources.**``, ``image``, ``env[name=LOG_*].value``, ``*.image``.

    Segments as in key paths (``.``-separated names, quoted names, ``[...]``
    items as written in key paths: ``[name=LOG_LEVEL]``, ``[0]``); ``*`` is
    one segment (a name or an item) or, inside a segment, any characters;
    ``**`` (a whole segment) any number of segments, none included, so
    ``resources.**`` matches ``resources.cpu`` and ``resources``. A quoted
    name is literal.
    """

    text: str
    parts: tuple[Any, ...]  # "**", or a compiled pattern of one segment

    @classmethod
    def parse(cls, text: str) -> "KeyGlob":
        return cls(text, tuple(_glob_parts(text)))

    def matches(self, path: "str | KeyPath") -> bool:
        segs = _segment_texts(parse(path) if isinstance(path, str) else path)
        return _glob_match(self.parts, 0, segs, 0)

    def __str__(self) -> str:
        return self.text


def _segment_texts(path: KeyPath | tuple[Any, ...]) -> tuple[str, ...]:
    out = []
    for seg in path:
        if isinstance(seg, int) and not isinstance(seg, bool):
            out.append(f"[{seg}]")
        elif isinstance(seg, Select):
            out.append(f"[{seg.field}={seg.value}]")
        else:
            out.append(str(seg))
    return tuple(out)


def _glob_parts(text: str) -> list[Any]:
    """The segments of a key glob, each ``"**"`` or a compiled regular expression."""
    def fail(msg: str) -> UsageError:
        return UsageError(f"bad key glob {text!r}: {msg}")

    if not text or text != text.strip():
        raise fail("empty, or spaces around it")
    out: list[Any] = []
    i, n = 0, len(text)
    need_name = True  # at the start and after a dot a segment must follow
    while i < n:
        c = text[i]
        if c == ".":
            if need_name:
                raise fail(f"an empty segment at character {i + 1}")
            need_name = True
            i += 1
        elif c == "[":
            j = text.find("]", i + 1)
            if j < 0:
                raise fail(f"'[' at character {i + 1} is never closed")
            inner = text[i + 1:j]
            if not inner or "[" in inner:
                raise fail(f"a bad item at character {i + 1} (write [field=value] or [N])")
            if need_name and out:
                raise fail(f"an empty segment before character {i + 1}")
            out.append(_segment_pattern("[" + inner + "]"))
            need_name = False
            i = j + 1
        elif c == "]":
            raise fail(f"']' at character {i + 1} closes nothing")
        elif c in "\"'":
            if not need_name:
                raise fail(f"a quoted name at character {i + 1} must follow a dot")
            name, end = _read_quoted(text, i)
            if end is None:
                raise fail(f"the quote at character {i + 1} is never closed")
            j = end - 1
            out.append(re.compile(re.escape(name) + r"\Z"))
            need_name = False
            i = j + 1
        else:
            if not need_name:
                raise fail(f"a name at character {i + 1} must follow a dot")
            j = i
            while j < n and text[j] not in ".[]\"'":
                j += 1
            name = text[i:j]
            if any(ch.isspace() for ch in name):
                raise fail("a space in a name (quote the name)")
            if name == "**":
                out.append("**")
            elif "**" in name:
                raise fail("'**' must be a whole segment")
            else:
                out.append(_segment_pattern(name))
            need_name = False
            i = j
    if need_name:
        raise fail("it ends with a dot")
    return out


def _segment_pattern(seg: str) -> Any:
    """One segment with ``*`` for any characters (a lone ``*``: any one segment, items too)."""
    return re.compile(".*".join(re.escape(p) for p in seg.split("*")) + r"\Z", re.S)


def _glob_match(parts: tuple[Any, ...], i: int, segs: tuple[str, ...], j: int) -> bool:
    while i < len(parts):
        p = parts[i]
        if p == "**":
            return any(_glob_match(parts, i + 1, segs, k) for k in range(j, len(segs) + 1))
        if j >= len(segs) or not p.match(segs[j]):
            return False
        i, j = i + 1, j + 1
    return j == len(segs)
