"""Reading and writing YAML: safe and fast for reads, comment-preserving for edits.

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

Edits use ruamel's round-trip mode, which keeps comments, key order and quoting;
writes are atomic (``atomic_write``; files of a work tree through ``transaction``).
"""
from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .errors import YamlError

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


# -- output -------------------------------------------------------------------

# Plain scalars that konfig (YAML 1.2) reads as strings but a YAML 1.1 reader
# retypes: PyYAML and yamllint, go-yaml v2 (behind kubectl, Helm, Argo CD and
# Flux). `value: on` would reach the cluster as `true`, `mode: 0755` as 493,
# `time: 1:30` as 90. Taken from the YAML 1.1 type repository (bool, null, int
# with base 2/8/16/60 and `_`, float with base 60, .inf/.nan, timestamp, merge
# `<<`, value `=`) and from what go-yaml v2 accepts beyond it (`1e3`, `0o17`,
# `2001-1-2`); words in any letter case. Quoting a few strings no reader would
# retype costs nothing; missing one changes a value.
_YAML11_FIRST = frozenset("0123456789+-.~=<yYnNtTfFoO")
_YAML11_WORDS = frozenset(("y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", "", "<<", "="))
_YAML11_NUMBER = re.compile(r"""[-+]?(?:
      0b[01_]+ | 0o?[0-7_]+ | 0x[0-9a-f_]+                      # base 2, 8, 16 (0o: go-yaml)
    | [0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?              # base 60: 1:30, 1:30:00.5
    | [0-9][0-9_]* (?:\.[0-9_]*)? (?:e[-+]?[0-9]+)?            # 1_000, 1., 1.5, 1e3
    | \.[0-9][0-9_]* (?:e[-+]?[0-9]+)?                          # .5
    | \.inf | \.nan
    )""", re.X | re.I)
_YAML11_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?)?")


def yaml11_retyped(data: str) -> bool:
    """Whether a YAML 1.1 reader would read ``data``, written as a plain scalar, as something
    other than this string (so konfig writes it quoted)."""
    if len(data) > 64 or (data and data[0] not in _YAML11_FIRST):
        return False  # no such value is this long or starts so (most strings: one set lookup)
    return (data.lower() in _YAML11_WORDS or _YAML11_NUMBER.fullmatch(data) is not None
            or _YAML11_TIMESTAMP.fullmatch(data) is not None)


def needs_quotes(data: str) -> bool:
    """Whether ``data`` must be quoted to read back as this string, in konfig and in YAML 1.1."""
    return yaml11_retyped(data) or not reads_as_str(data)


def quote_retyped(text: str, filename: str = "<output>") -> str:
    """``text`` (YAML) with every plain scalar that konfig reads as a string but a YAML 1.1
    reader would retype written in single quotes; nothing else in it changes.

    For files konfig writes from text (templates) or reformats (``fmt``): the
    parser's marks say where each plain scalar is, so layout and comments stay.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.events import ScalarEvent

    spans = []
    try:
        for event in YAML(typ="safe", pure=True).parse(text):
            if (isinstance(event, ScalarEvent) and event.style is None and event.tag is None
                    and yaml11_retyped(event.value) and reads_as_str(event.value)):
                spans.append((event.start_mark.index, event.end_mark.index, event.value))
    except Exception:  # noqa: BLE001 - not YAML: the caller's own check reports it
        return text
    for start, end, value in reversed(spans):
        if text[start:end] == value:  # a one-line plain scalar, as read
            text = text[:start] + "'" + value.replace("'", "''") + "'" + text[end:]
    return text


# Characters a YAML 1.1 reader refuses or reads as line breaks in a plain or block
# scalar (PyYAML: "special characters are not allowed"; NEL, LS, PS are breaks):
# written double-quoted, where they are escapes.
UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def block_ok(data: str) -> bool:
    """Whether a multi-line string reads back exactly from a literal block (``|``): no
    characters that need escapes, no tabs or leading spaces the block's indentation would
    swallow, no trailing spaces on a line."""
    return (not UNPRINTABLE.search(data) and "\t" not in data and not data.startswith(" ")
            and " \n" not in data and not data.endswith(" "))


def _str_representer(dumper: Any, data: str) -> Any:
    if "\n" in data and block_ok(data):
        style: str | None = "|"
    elif UNPRINTABLE.search(data) or "\n" in data:
        style = '"'
    elif needs_quotes(data):
        style = "'"
    else:
        style = None
    return dumper.represent_scalar(_STR, data, style=style)


def _yaml_out() -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    y.sort_base_mapping_type_on_output = False  # keep the order renderers chose
    y.width = 4096
    y.allow_unicode = True
    y.representer.add_representer(str, _str_representer)
    for cls in (ReplaceDict,):
        y.representer.add_representer(cls, y.representer.represent_dict)
    for cls in (ReplaceList, AppendList):
        y.representer.add_representer(cls, y.representer.represent_list)
    y.representer.ignore_aliases = lambda _data: True
    return y


def dump(data: Any) -> str:
    """Block-style YAML of plain data, key order kept, no aliases."""
    buf = io.StringIO()
    _yaml_out().dump(data, buf)
    return buf.getvalue()


def dump_all(docs: list[Any]) -> str:
    """A multi-document stream, each document starting with ``---``."""
    if not docs:
        return ""
    buf = io.StringIO()
    y = _yaml_out()
    y.explicit_start = True
    y.dump_all(docs, buf)
    return buf.getvalue()


# -- round trip (edits) ----------------------------------------------------------

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
    import re

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


# -- atomic writes ---------------------------------------------------------------

def atomic_write(path: str, text: str | bytes, durable: bool = True) -> None:
    """Replace ``path`` with ``text`` all at once: readers see the old or the new file.

    A file of a work tree konfig has opened (``Repository.discover``) goes
    through ``transaction.Transaction``: staged in the cache directory, a
    symlink inside the repository written through, errors as one
    ``KonfigError``. Other files (the cache's own, ``--junit`` reports outside
    the repository) get a temporary file beside them.

    ``durable=False`` skips the fsync, for files that may be lost in a crash
    but never seen half-written (cache entries: a missing one is a miss; one
    fsync costs ~2 ms here, 10 s over 5,000 stacks).
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    from .files.transaction import Transaction, work_tree_of

    inside = work_tree_of(path)
    if inside is not None:  # a repository's file: staged in its cache directory, never beside it
        root, cache_dir, rel = inside
        txn = Transaction(root, cache_dir)
        txn.add(rel, data)
        txn.commit()
        return
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".konfig-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        try:
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def iter_paths(data: Any, prefix: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) of a data tree, containers included, parents first."""
    yield prefix, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from iter_paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from iter_paths(v, prefix + (i,))
