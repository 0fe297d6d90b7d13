"""Reading YAML: safe and fast, every value locatable.

Reads go through ruamel's C parser (``ruamel.yaml.clib``) to a node graph that is
turned into plain Python data here, so that the rules for untrusted input live
in one place:

* only the core tags, plus ``!replace`` (mappings, lists) and ``!append`` (lists);
* duplicate keys are errors (at the second key);
* what a file may cost is bounded, and each limit is named when it is hit:
  its size (``MAX_BYTES``), the values a document builds (``MAX_NODES``, aliases
  counted at every use, so an alias bomb is an error, not an OOM) and its
  nesting (``MAX_DEPTH``, checked before ruamel's C composer, which recurses on
  the C stack and would crash the process on a deeply nested document);
* every value can be located (``positions``: key path -> line, column), which is
  how a schema error in a resolved stack points at the layer file that set it.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import YamlError

Path_ = tuple[Any, ...]  # a key path: str keys and int indices
Positions = dict[Path_, tuple[int, int]]

MAX_BYTES = 16 * 1024 * 1024  # per file: larger is not configuration, and costs seconds and memory
MAX_NODES = 200_000  # values built per document, aliases counted at every use
MAX_DEPTH = 256  # nesting levels per document
# ruamel's C composer recurses once per level on the C stack: 20,000 levels
# were fine, 50,000 crashed the process (8 MiB stack). A document that could
# nest deeper than this is measured with the parser's events before composing.
_COMPOSE_SAFE_DEPTH = 2_000
_SAFE_LEAD = 500  # a line starting deeper than this (indentation and block indicators) is measured
_DEEP_LINE = re.compile(r"^[ \t?:-]{%d}" % _SAFE_LEAD, re.M)

_T = "tag:yaml.org,2002:"
_MAP, _SEQ, _STR, _NULL, _BOOL, _INT, _FLOAT, _TS, _MERGE = (
    _T + n for n in ("map", "seq", "str", "null", "bool", "int", "float", "timestamp", "merge")
)
REPLACE_TAG = "!replace"
APPEND_TAG = "!append"


class ReplaceDict(dict):  # type: ignore[type-arg]
    """A mapping tagged ``!replace``: replaces the lower layer instead of merging."""


class ReplaceList(list):  # type: ignore[type-arg]
    """A list tagged ``!replace``: replaces a keyed (``x-merge-key``) list."""


class AppendList(list):  # type: ignore[type-arg]
    """A list tagged ``!append``: appended to the lower layer's list."""


class Document:
    """Plain data of one YAML document, and where each value is."""

    __slots__ = ("data", "positions", "filename")

    def __init__(self, data: Any, positions: Positions | None, filename: str) -> None:
        self.data = data
        self.positions = positions
        self.filename = filename

    def position(self, path: Path_) -> tuple[int, int] | None:
        """Line and column (1-based) of the value at ``path``, or of its nearest ancestor."""
        if self.positions is None:
            return None
        path = tuple(path)
        while True:
            pos = self.positions.get(path)
            if pos is not None or not path:
                return pos
            path = path[:-1]


_loader_cls: Any = None
_TAG_TEXT: dict[int, str] = {}  # id of a shared resolver tag -> its text (read per node)


_IMPLICIT: dict[str, Any] = {}  # the loader's implicit-resolver table (for writers: what reads as a str)


def reads_as_str(value: str) -> bool:
    """Whether konfig's reader takes ``value``, written as a plain scalar, for a string."""
    if not _IMPLICIT:
        _loader("")
    for tag, regexp in _IMPLICIT["table"].get(value[:1], _IMPLICIT["anywhere"]):
        if regexp.match(value):
            return tag is _IMPLICIT["str"]
    return True


def _loader(stream: str) -> Any:
    global _loader_cls
    if _loader_cls is None:  # built on first use: the C parser is a heavy import
        _loader_cls = _make_loader()
    return _loader_cls(stream)


def _make_loader() -> Any:
    """ruamel's C parser with a resolver fixed to YAML 1.2 and built once.

    ruamel's ``VersionedResolver`` rebuilds its implicit-resolver table for
    every loader and re-derives the YAML version for every scalar (measured:
    half of each load). konfig always reads YAML 1.2 (the parser ignores
    ``%YAML`` directives here), so the 1.2 table is computed once from
    ruamel's own list, and resolution returns shared tag objects.
    """
    try:
        from _ruamel_yaml import CParser
    except ImportError:  # pragma: no cover - clib is a declared dependency
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined,no-redef]
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
    from ruamel.yaml.resolver import implicit_resolvers
    from ruamel.yaml.tag import Tag

    tags: dict[str, Any] = {}

    def shared(name: str) -> Any:
        t = tags.get(name)
        if t is None:
            t = tags[name] = Tag(suffix=name)
            _TAG_TEXT[id(t)] = str(t)
        return t

    by_first: dict[str | None, list[tuple[Any, Any]]] = {}
    for versions, tag, regexp, first in implicit_resolvers:
        if (1, 2) in versions:
            for ch in first or [None]:
                by_first.setdefault(ch, []).append((shared(tag), regexp))
    anywhere = by_first.pop(None, [])
    table = {ch: rs + anywhere for ch, rs in by_first.items()}
    str_tag = shared(_STR)
    _IMPLICIT.update(table=table, anywhere=anywhere, str=str_tag)
    defaults = {ScalarNode: str_tag, SequenceNode: shared(_SEQ), MappingNode: shared(_MAP)}

    class _Loader(CParser):  # type: ignore[misc,valid-type]
        def __init__(self, s: str) -> None:
            CParser.__init__(self, s)
            self._parser = self._composer = self

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is ScalarNode:
                if implicit[0]:
                    for tag, regexp in table.get(value[:1], anywhere):
                        if regexp.match(value):
                            return tag
                return str_tag
            return defaults[kind]

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            pass  # no path resolvers

        def ascend_resolver(self) -> None:
            pass

    return _Loader


def _int(value: str) -> int:
    """A YAML 1.2 int, as ruamel's safe constructor reads it (0b, 0o, 0x, underscores)."""
    v = value.replace("_", "")
    sign = -1 if v[0] == "-" else 1
    if v[0] in "+-":
        v = v[1:]
    if v == "0":
        return 0
    if v.startswith("0b"):
        return sign * int(v[2:], 2)
    if v.startswith("0x"):
        return sign * int(v[2:], 16)
    if v.startswith("0o"):
        return sign * int(v[2:], 8)
    return sign * int(v)


def _float(value: str) -> float:
    """A YAML 1.2 float, as ruamel's safe constructor reads it (.inf, .nan, underscores)."""
    v = value.replace("_", "").lower()
    sign = -1 if v[0] == "-" else 1
    if v[0] in "+-":
        v = v[1:]
    if v == ".inf":
        return sign * float("inf")
    if v == ".nan":
        return float("nan")
    return sign * float(v)


def _mark_error(exc: Exception, filename: str) -> YamlError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    msg = f"invalid YAML: {problem}"
    if context:
        msg += f" ({context})"
    if mark is not None:
        return YamlError(msg, file=filename, line=mark.line + 1, col=mark.column + 1)
    return YamlError(msg, file=filename)


class _Builder:
    """Turns a composed node graph into plain data, enforcing the input rules."""

    def __init__(self, loader: Any, filename: str, want_positions: bool, root: Any = None) -> None:
        self.loader = loader
        self.filename = filename
        self.positions: Positions | None = {} if want_positions else None
        self.budget = MAX_NODES
        self.active: set[int] = set()
        self.root = root

    def error(self, node: Any, msg: str) -> YamlError:
        m = node.start_mark
        return YamlError(msg, file=self.filename, line=m.line + 1, col=m.column + 1)

    def too_many(self, node: Any) -> YamlError:
        """Which limit a document over budget hit: its own size, or the expansion of its aliases."""
        if self.root is not None and _distinct_values(self.root, MAX_NODES) <= MAX_NODES:
            return self.error(node, f"aliases expand the document to more than {MAX_NODES:,} values, the limit "
                                    "per YAML document (each use of an alias counts its whole value)")
        return self.error(node, f"document has more than {MAX_NODES:,} values, the limit per YAML document")

    def build(self, node: Any, path: Path_, depth: int = 0) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise self.too_many(node)
        if depth > MAX_DEPTH:
            raise self.error(node, f"document is nested deeper than {MAX_DEPTH} levels, the limit per YAML document")
        ctag = node.ctag
        tag = _TAG_TEXT.get(id(ctag)) or str(ctag)  # resolved tags are shared objects
        kind = node.id
        if kind == "scalar":
            if tag == _STR:
                return node.value
            return self.scalar(node, tag)
        key = id(node)
        if key in self.active:
            raise self.error(node, "recursive alias")
        self.active.add(key)
        try:
            if kind == "mapping":
                if tag not in (_MAP, REPLACE_TAG):
                    raise self.error(node, f"unknown YAML tag {tag!r} on a mapping")
                out: dict[str, Any] = ReplaceDict() if tag == REPLACE_TAG else {}
                self.mapping(node, out, path, depth)
                return out
            if kind == "sequence":
                if tag == _SEQ:
                    lst: list[Any] = []
                elif tag == APPEND_TAG:
                    lst = AppendList()
                elif tag == REPLACE_TAG:
                    lst = ReplaceList()
                else:
                    raise self.error(node, f"unknown YAML tag {tag!r} on a list")
                positions = self.positions
                for i, item in enumerate(node.value):
                    p = path + (i,)
                    if positions is not None:
                        m = item.start_mark
                        positions[p] = (m.line + 1, m.column + 1)
                    lst.append(self.build(item, p, depth + 1))
                return lst
        finally:
            self.active.discard(key)
        raise self.error(node, f"unsupported YAML node {kind}")  # pragma: no cover

    def mapping(self, node: Any, out: dict[str, Any], path: Path_, depth: int) -> None:
        merges = []
        positions = self.positions
        for knode, vnode in node.value:
            kctag = knode.ctag
            ktag = _TAG_TEXT.get(id(kctag)) or str(kctag)
            if knode.id != "scalar":
                raise self.error(knode, "mapping keys must be plain strings")
            if ktag == _MERGE:
                merges.append(vnode)
                continue
            k = str(knode.value)
            if k in out:
                raise self.error(knode, f"duplicate key {k!r}")
            p = path + (k,)
            if positions is not None:
                m = knode.start_mark
                positions[p] = (m.line + 1, m.column + 1)
            out[k] = self.build(vnode, p, depth + 1)
        # YAML merge keys (<<): explicit keys win, earlier sources win over later ones.
        for vnode in merges:
            sources = vnode.value if vnode.id == "sequence" else [vnode]
            for src in sources:
                value = self.build(src, path, depth + 1)
                if not isinstance(value, dict):
                    raise self.error(src, "'<<' merges only mappings")
                for k, v in value.items():
                    out.setdefault(k, v)

    def scalar(self, node: Any, tag: str) -> Any:
        value = node.value
        if tag == _STR or tag == _TS:  # timestamps stay strings: data must stay JSON
            return value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return value.lower() in ("true", "yes", "on", "y")
        if tag == _INT:
            try:
                return _int(value)
            except Exception:
                raise self.error(node, f"invalid integer {value!r}") from None
        if tag == _FLOAT:
            try:
                return _float(value)
            except Exception:
                raise self.error(node, f"invalid number {value!r}") from None
        if tag in (REPLACE_TAG, APPEND_TAG):
            raise self.error(node, f"{tag} applies to a mapping or a list, not to a scalar")
        raise self.error(node, f"unknown YAML tag {tag!r}")


def _distinct_values(root: Any, limit: int) -> int:
    """How many distinct value nodes a composed document holds (an alias is the node it names),
    counted up to ``limit + 1``: what the document would build with every alias used once."""
    seen: set[int] = set()
    todo = [root]
    while todo and len(seen) <= limit:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.id == "mapping":
            todo.extend(v for _k, v in node.value)
        elif node.id == "sequence":
            todo.extend(node.value)
    return len(seen)


def _check_size(content: str | bytes, filename: str) -> None:
    if len(content) > MAX_BYTES:  # a str has at least as many bytes as characters
        unit = "bytes" if isinstance(content, bytes) else "characters"
        raise YamlError(f"file is {len(content):,} {unit}, above the {MAX_BYTES // (1024 * 1024)} MiB "
                        "limit per YAML file", file=filename)


def _check_nesting(text: str, filename: str) -> None:
    """Refuse a document nested deeper than ``MAX_DEPTH`` before the C composer recurses into it.

    A level costs at least one character, so short files pass at once; a
    longer one is bounded by its flow brackets plus twice its deepest line
    start (a block level is indented further, or is a list directly in a
    mapping); only a file whose bound is high is measured with events.
    """
    if len(text) <= _COMPOSE_SAFE_DEPTH:
        return
    flow = text.count("[") + text.count("{")
    if flow + 2 * (_SAFE_LEAD + 1) <= _COMPOSE_SAFE_DEPTH and not _DEEP_LINE.search(text):
        return
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

    loader = _loader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH + 1:  # the builder counts the document's root as level 0
                    m = event.start_mark
                    raise YamlError(f"document is nested deeper than {MAX_DEPTH} levels, "
                                    "the limit per YAML document", file=filename,
                                    line=m.line + 1, col=m.column + 1)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    finally:
        try:
            loader.dispose()
        except Exception:  # pragma: no cover
            pass


def _decode(content: str | bytes, filename: str) -> str:
    _check_size(content, filename)
    if isinstance(content, bytes):
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise YamlError(f"not UTF-8 text (byte {e.start})", file=filename) from None
    return content


@contextmanager
def _composing(content: str | bytes, filename: str) -> Iterator[Any]:
    """A loader for ``content`` whose errors become one ``YamlError`` with file:line:col."""
    text = _decode(content, filename)
    loader = None
    try:
        _check_nesting(text, filename)
        loader = _loader(text)
        yield loader
    except YamlError:
        raise
    except Exception as e:  # ruamel's MarkedYAMLError family, and ComposerError
        raise _mark_error(e, filename) from None
    finally:
        try:
            if loader is not None:
                loader.dispose()
        except Exception:  # pragma: no cover
            pass


def load(content: str | bytes, filename: str = "<input>", *, positions: bool = False) -> Document:
    """Safely load one YAML document (an empty file gives ``None``)."""
    with _composing(content, filename) as loader:
        node = loader.get_single_node()
    if node is None:
        return Document(None, {} if positions else None, filename)
    builder = _Builder(loader, filename, positions, node)
    data = builder.build(node, ())
    if builder.positions is not None:
        m = node.start_mark
        builder.positions[()] = (m.line + 1, m.column + 1)
    return Document(data, builder.positions, filename)


def load_all(content: str | bytes, filename: str = "<input>") -> list[Any]:
    """Safely load every document of a multi-document stream (e.g. ``golden.yaml``)."""
    out = []
    with _composing(content, filename) as loader:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                out.append(_Builder(loader, filename, False, node).build(node, ()))
    return out


def parse_value(text: str, what: str = "value") -> Any:
    """A command-line value: a YAML scalar or flow collection (``a``, ``3``, ``[1, 2]``)."""
    try:
        data = load(text, f"<{what}>").data
    except YamlError as e:
        raise YamlError(f"cannot parse {what} {text!r}: {e.message}") from None
    return plain(data)


def plain(data: Any) -> Any:
    """Drop merge markers (``!replace``/``!append``), keeping the data."""
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


def iter_paths(data: Any, prefix: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) of a data tree, containers included, parents first."""
    yield prefix, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from iter_paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from iter_paths(v, prefix + (i,))
