"""YAML for the benchmark: read and write Konfig files without konfig's internals.

The benchmark drives konfig through its command line only (its package layout
may change under it), so the generator, the KCL emitter and the named changes
read and write YAML here, with ruamel.yaml (YAML 1.2, as konfig reads):

* ``!replace`` on a mapping or a list and ``!append`` on a list come back as
  ``ReplaceDict``, ``ReplaceList`` and ``AppendList`` (plain ``dict``/``list``
  subclasses), as konfig's merge markers;
* ``to_yaml`` writes block-style YAML as people write it, quoting a string only
  where a YAML 1.2 reader would not read it back as that string.
"""
from __future__ import annotations

import json
import re
from typing import Any


class ReplaceDict(dict):  # type: ignore[type-arg]
    """A mapping tagged ``!replace``: replaces the lower layer instead of merging."""


class ReplaceList(list):  # type: ignore[type-arg]
    """A list tagged ``!replace``: replaces a keyed list."""


class AppendList(list):  # type: ignore[type-arg]
    """A list tagged ``!append``: appended to the lower layer's list."""


# -- reading ------------------------------------------------------------------------

_YAML: Any = None


def _yaml() -> Any:
    global _YAML
    if _YAML is None:
        from ruamel.yaml import YAML
        from ruamel.yaml.constructor import SafeConstructor
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        class Constructor(SafeConstructor):  # a subclass: ruamel's constructor table is per class
            pass

        def replace(c: Any, node: Any) -> Any:
            if isinstance(node, MappingNode):
                return ReplaceDict(c.construct_mapping(node, deep=True))
            if isinstance(node, SequenceNode):
                return ReplaceList(c.construct_sequence(node, deep=True))
            raise ValueError("!replace on a scalar")

        def append(c: Any, node: Any) -> Any:
            if isinstance(node, SequenceNode):
                return AppendList(c.construct_sequence(node, deep=True))
            raise ValueError("!append on something other than a list")

        Constructor.add_constructor("!replace", replace)
        Constructor.add_constructor("!append", append)
        y = YAML(typ="safe")
        y.Constructor = Constructor
        _YAML = y
    return _YAML


def load(text: str | bytes) -> Any:
    """The data of one YAML document (YAML 1.2), merge markers kept as marker types."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return _yaml().load(text)


# -- writing ------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./@:+ -]*$")
_plain_ok: dict[str, bool] = {}
_RESOLVERS: dict[str, list[Any]] | None = None


def _resolvers() -> dict[str, list[Any]]:
    """YAML 1.2's implicit resolvers (ruamel's own table), by the first character they match."""
    global _RESOLVERS
    if _RESOLVERS is None:
        from ruamel.yaml.resolver import implicit_resolvers

        by_first: dict[str, list[Any]] = {}
        anywhere: list[Any] = []
        for versions, _tag, regexp, first in implicit_resolvers:
            if (1, 2) in versions:
                for ch in first or [None]:
                    (anywhere if ch is None else by_first.setdefault(ch, [])).append(regexp)
        _RESOLVERS = {ch: rs + anywhere for ch, rs in by_first.items()}
        _RESOLVERS[""] = anywhere
    return _RESOLVERS


def plain_ok(s: str) -> bool:
    """Whether ``s`` reads back as the same string when written unquoted (YAML 1.2)."""
    ok = _plain_ok.get(s)
    if ok is None:
        ok = bool(_PLAIN.match(s)) and ": " not in s and not s.endswith((" ", ":")) and " #" not in s
        if ok:
            table = _resolvers()
            ok = not any(r.match(s) for r in table.get(s[:1], table[""]))
        _plain_ok[s] = ok
    return ok


def scalar(v: Any) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return str(v)
    return v if plain_ok(v) else json.dumps(v)


def _tag(v: Any) -> str:
    if isinstance(v, (ReplaceDict, ReplaceList)):
        return "!replace"
    if isinstance(v, AppendList):
        return "!append"
    return ""


def to_yaml(data: dict[str, Any], comment: str | None = None) -> str:
    """Block-style YAML as people write it (flow style for short scalar lists)."""
    lines = [f"# {c}" for c in (comment or "").splitlines()]
    _emit_map(data, 0, lines)
    return "\n".join(lines) + "\n"


def _emit_map(d: dict[str, Any], ind: int, lines: list[str]) -> None:
    pad = " " * ind
    for k, v in d.items():
        key = scalar(k)
        tag = _tag(v)
        if isinstance(v, dict) and v:
            lines.append(f"{pad}{key}:{' ' + tag if tag else ''}")
            _emit_map(v, ind + 2, lines)
        elif isinstance(v, list) and v and not all(isinstance(x, (str, int, bool)) for x in v):
            lines.append(f"{pad}{key}:{' ' + tag if tag else ''}")
            _emit_list(v, ind + 2, lines)
        elif isinstance(v, list):
            flow = "[" + ", ".join(scalar(x) for x in v) + "]"
            lines.append(f"{pad}{key}: {tag + ' ' if tag else ''}{flow}")
        elif isinstance(v, dict):
            lines.append(f"{pad}{key}: {tag + ' ' if tag else ''}{{}}")
        elif isinstance(v, str) and "\n" in v:
            lines.append(f"{pad}{key}: |")
            lines.extend(f"{pad}  {ln}" if ln else "" for ln in v.rstrip("\n").split("\n"))
        else:
            lines.append(f"{pad}{key}: {scalar(v)}")


def _emit_list(items: list[Any], ind: int, lines: list[str]) -> None:
    pad = " " * ind
    for item in items:
        if isinstance(item, dict):
            sub: list[str] = []
            _emit_map(item, ind + 2, sub)
            sub[0] = pad + "- " + sub[0][ind + 2:]
            lines.extend(sub)
        else:
            lines.append(f"{pad}- {scalar(item)}")
