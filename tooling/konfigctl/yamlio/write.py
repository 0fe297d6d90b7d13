"""Writing YAML: block-style output that means the same to every reader.

``dump``/``dump_all`` write plain data (key order kept, no aliases); strings
that a YAML 1.1 reader (PyYAML, go-yaml v2: kubectl, Helm, Argo CD, Flux)
would read as something else are quoted (``yaml11_retyped``, ``needs_quotes``),
and ``quote_retyped`` does the same to YAML text konfig writes from templates.
Writing the result to a file is ``files.transaction.atomic_write``.
"""
from __future__ import annotations

import io
import re
from typing import Any

from .read import _STR, AppendList, ReplaceDict, ReplaceList, reads_as_str

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


def _yaml_out(pure: bool = True) -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=pure)
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


def dump(data: Any, *, fast: bool = False, indent: int | None = None) -> str:
    """Block-style YAML of plain data, key order kept, no aliases.

    ``fast``: through ruamel's C emitter (``ruamel.yaml.clib``), about 3x
    faster, for text only people read (``diff``'s unified diffs of thousands of
    stacks); it folds long strings differently, so files konfig writes and
    compares (golden files) keep the pure emitter. ``indent``: spaces per
    nested mapping level, as another tool wrote a file konfig rewrites (default 2).
    """
    buf = io.StringIO()
    if fast and indent is None:
        global _FAST
        if _FAST is None:
            _FAST = _yaml_out(pure=False)
        _FAST.dump(data, buf)
    else:
        y = _yaml_out()
        if indent is not None:
            y.indent(mapping=indent, sequence=indent, offset=indent - 2)
        y.dump(data, buf)
    return buf.getvalue()


_FAST: Any = None


def dump_all(docs: list[Any]) -> str:
    """A multi-document stream, each document starting with ``---``."""
    if not docs:
        return ""
    buf = io.StringIO()
    y = _yaml_out()
    y.explicit_start = True
    y.dump_all(docs, buf)
    return buf.getvalue()
