"""Hover and go to definition: where a value comes from, for the key under the cursor.

A key of a layer (``stack.yaml``'s ``config``, a ``defaults.yaml``, an env
profile, model defaults) is a key path of the stacks the layer is part of.
Hover shows, per stack, ``konfig explain``'s chain (``commands.explain.
explanation``: the resolved value, the layer file:line that set it, what it
overrode), and the schema's word on the key (description, type, enum,
bounds); for a shared layer, the distinct values the stacks below it end up
with and how many hold each, and the chains of the first few. Definition
goes to the layer location that sets the final value (one per distinct
location across the stacks below a shared layer); on ``model:`` to the
model's schema, on ``$ref`` to its target, on ``env:`` to the env profiles,
on a ``depends_on`` item to that stack.

Locations are (file, line, column), 1-based as konfig prints them. Below a
layer that thousands of stacks share (an env profile), hover and definition
read the stacks for at most ``SCAN_SECONDS`` and say how many they read.
"""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin

from .. import keypath as kp
from ..check.validation import display_path
from ..errors import KonfigError, clip
from ..repo.model import rel_of, schemas_at, uri_of
from ..resolve.merge import resolve
from .text import path_at
from .workspace import Workspace, format_schemas_at

if TYPE_CHECKING:
    from ..repo.stack import Stack

Location = tuple[str, int, int]

SHOWN_STACKS = 3  # stacks whose chain a shared layer's hover details
SCAN_SECONDS = 0.25  # reading the stacks below a shared layer stops past this (the hover says so)
SHOWN_VALUES = 5
MAX_LOCATIONS = 20
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "x-minimum", "x-maximum",
           "minLength", "maxLength", "minItems", "maxItems", "pattern", "x-quantity", "x-merge-key")


def _code(value: Any) -> str:
    text = clip(json.dumps(value, ensure_ascii=False, sort_keys=True), 200)
    return "`" + text.replace("`", "'") + "`"


class Target:
    """The key under the cursor, as a key path of the stacks the file is part of."""

    def __init__(self, ws: Workspace, rel: str, path: tuple[Any, ...]) -> None:
        self.ws = ws
        self.rel = rel
        self.path = path
        self.prefix = ws.layer_prefix(rel)
        self.config_path: tuple[Any, ...] | None = None
        if self.prefix is not None and path[: len(self.prefix)] == self.prefix and len(path) > len(self.prefix):
            self.config_path = path[len(self.prefix):]
        own = ws.stack_file_of(rel)
        self.stacks: list["Stack"] = [own] if own is not None else (
            ws.stacks_of(rel) if self.config_path is not None else [])
        self.key = self._display_key()

    def _display_key(self) -> str | None:
        if self.config_path is None:
            return None
        view = self.ws.view()
        spec = None
        try:
            node: Any = view.document(self.rel).data
            for seg in self.prefix or ():
                node = node.get(seg) if isinstance(node, dict) else None
            if self.stacks:
                spec = self.stacks[0].model.merge_spec
        except KonfigError:
            node = None
        return display_path(node, self.config_path, spec)


def _target(ws: Workspace, rel: str, line: int, char: int) -> Target | None:
    path = path_at(ws.text(rel), rel, line, char)
    return Target(ws, rel, path) if path else None


# -- hover ---------------------------------------------------------------------------------


def hover(ws: Workspace, rel: str, line: int, char: int) -> str | None:
    """Markdown for the key under the cursor, or None."""
    t = _target(ws, rel, line, char)
    if t is None:
        return None
    if t.config_path is None:
        return _file_key_hover(ws, t)
    out = [f"**{t.key}**"]
    schema = _schema_notes(ws, t)
    if schema:
        out.append(schema)
    if not t.stacks:
        out.append("_No stack uses this layer._")
        return "\n\n".join(out)
    if len(t.stacks) == 1:
        out.append(_chain(ws, t.stacks[0], t.key or ""))
        return "\n\n".join(out)
    out.append(_distinct(ws, t))
    for stack in t.stacks[:SHOWN_STACKS]:
        out.append(_chain(ws, stack, t.key or "", title=True))
    if len(t.stacks) > SHOWN_STACKS:
        more = len(t.stacks) - SHOWN_STACKS
        out.append(f"_... and {more} more stack{'s' if more > 1 else ''}._")
    return "\n\n".join(out)


def _where(w: dict[str, Any]) -> str:
    if not w.get("file"):
        return "?"
    loc = f"{w['file']}:{w['line']}" if w.get("line") else str(w["file"])
    return f"`{loc}` ({w['layer']})" if w.get("layer") else f"`{loc}`"


def _chain(ws: Workspace, stack: "Stack", key: str, title: bool = False) -> str:
    """``konfig explain STACK KEY`` as markdown lines."""
    from ..commands.explain import explanation

    head = f"stack `{stack.path}`: " if title else ""
    try:
        data = explanation(ws.view(), stack.path, key, [])
    except kp.PathNotFound:
        return head + "not set in this stack's configuration"
    except KonfigError as e:
        return head + f"does not resolve: {e.message}"
    lines = []
    for d in data["deleted"]:
        lines.append(f"{head}not set: deleted by {_where(d['deleted_by'])}")
        lines.extend(f"- overrode {_code(o['value'])} from {_where(o)}" for o in d["overrode"])
    values = data["values"]
    if len(values) == 1 and values[0]["keypath"] == key:
        v = values[0]
        lines.append(f"{head}= {_code(v['value'])} set by {_where(v['set_by'])}")
        lines.extend(f"- overrode {_code(o['value'])} from {_where(o)}" for o in v["overrode"])
    elif values:
        lines.append(f"{head}{len(values)} values:")
        for v in values[:8]:
            lines.append(f"- `{v['keypath']}` = {_code(v['value'])} set by {_where(v['set_by'])}")
        if len(values) > 8:
            lines.append(f"- ... {len(values) - 8} more (`konfig explain {stack.path} {key}`)")
    return "\n".join(lines)


def _distinct(ws: Workspace, t: Target) -> str:
    """The distinct values the stacks below a shared layer end up with, most held first."""
    view = ws.view()
    path = kp.parse(t.key or "")
    groups: dict[str, list[Any]] = {}
    unset = 0
    scanned = 0
    deadline = time.perf_counter() + SCAN_SECONDS
    for stack in t.stacks:
        if time.perf_counter() > deadline:
            break
        scanned += 1
        try:
            value = kp.get(resolve(view, stack).config, path)
        except kp.PathNotFound:
            unset += 1
            continue
        except KonfigError:
            continue
        g = groups.setdefault(json.dumps(value, sort_keys=True), [value, 0, stack.path])
        g[1] += 1
    n = len(t.stacks)
    head = f"{n} stacks below this file" + (f" (the first {scanned} read)" if scanned < n else "")
    lines = [head + f"; {len(groups)} distinct value{'s' if len(groups) != 1 else ''}:"]
    for value, count, example in sorted(groups.values(), key=lambda g: -g[1])[:SHOWN_VALUES]:
        lines.append(f"- {_code(value)} in {count} (e.g. `{example}`)")
    if len(groups) > SHOWN_VALUES:
        lines.append(f"- ... {len(groups) - SHOWN_VALUES} more")
    if unset:
        lines.append(f"- not set in {unset}")
    return "\n".join(lines)


def _schema_nodes(ws: Workspace, t: Target) -> list[tuple[dict[str, Any], str]]:
    view = ws.view()
    for name in ws.models_for(t.rel, t.stacks[:50]):
        try:
            model = view.model(name)
            nodes = schemas_at(view, model.schema, uri_of(model.schema_file), t.config_path or ())
        except KonfigError:
            continue
        if nodes:
            return nodes
    return []


def schema_notes(nodes: list[tuple[dict[str, Any], str]]) -> str:
    """Description, type, enum, default and bounds the schemas at one place say, as markdown."""
    desc = next((n["description"] for n, _ in nodes if isinstance(n.get("description"), str)), None)
    facts: list[str] = []
    types = sorted({t for n, _ in nodes for t in ([n["type"]] if isinstance(n.get("type"), str)
                                                  else n.get("type") or []) if isinstance(t, str)})
    if types:
        facts.append("type " + " | ".join(types))
    for n, _ in nodes:
        if isinstance(n.get("enum"), list):
            facts.append("one of " + ", ".join(_code(v) for v in n["enum"]))
        if "const" in n:
            facts.append("must be " + _code(n["const"]))
        for b in _BOUNDS:
            if b in n:
                facts.append(f"{b} {_code(n[b])}")
        if "default" in n:
            facts.append("default " + _code(n["default"]))
    seen: list[str] = []
    for f in facts:
        if f not in seen:
            seen.append(f)
    parts = [desc] if desc else []
    if seen:
        parts.append("; ".join(seen))
    return "\n\n".join(parts)


def _schema_notes(ws: Workspace, t: Target) -> str:
    return schema_notes(_schema_nodes(ws, t))


def _file_key_hover(ws: Workspace, t: Target) -> str | None:
    """A key of the file's own format (stack.yaml's ``env``, project.yaml's ``model``...)."""
    view = ws.view()
    fmt = ws.format_of(t.rel)
    out = [f"**{kp.format(t.path)}**"]
    if fmt:
        nodes = format_schemas_at(fmt, t.path)
        notes = schema_notes(nodes)
        if notes:
            out.append(notes)
    try:
        data = view.document(t.rel).data
        value = kp.get(data, t.path)
    except KonfigError:
        value = None
    if t.path == ("model",) and isinstance(value, str):
        try:
            m = view.model(value)
            out.append(f"model `{value}`: {m.description}")
        except KonfigError as e:
            out.append(e.message)
    if t.path == ("config",) and t.stacks:
        from ..resolve import layers as layers_mod

        try:
            chain = layers_mod.for_stack(view, t.stacks[0])
            out.append("layers, lowest first:\n" + "\n".join(
                f"{i}. {layer.kind}: `{layer.file}`" for i, layer in enumerate(chain, 1)))
        except KonfigError as e:
            out.append(e.message)
    return "\n\n".join(out) if len(out) > 1 else None


# -- definition ----------------------------------------------------------------------------


def definition(ws: Workspace, rel: str, line: int, char: int) -> list[Location]:
    """Where the key (or reference) under the cursor leads; empty when nowhere."""
    t = _target(ws, rel, line, char)
    if t is None:
        return []
    view = ws.view()
    if t.config_path is None:
        try:
            value = kp.get(view.document(rel).data, t.path)
        except KonfigError:
            return []
        return _reference(ws, t, value)
    out: list[Location] = []
    path = kp.parse(t.key or "")
    deadline = time.perf_counter() + SCAN_SECONDS
    for stack in t.stacks:
        if out and time.perf_counter() > deadline:
            break  # thousands of stacks below an env profile: the places found so far
        try:
            res = resolve(view, stack, track=True)
            _value, concrete = kp.resolve(res.config, path)
            file, ln, col = res.locate(concrete, view)
        except KonfigError:
            continue
        loc = (file, ln or 1, col or 1)
        if loc not in out:
            out.append(loc)
        if len(out) >= MAX_LOCATIONS:
            break
    return out


def _reference(ws: Workspace, t: Target, value: Any) -> list[Location]:
    """``model:``, ``$ref``, ``env:``, ``depends_on`` items: the files they name."""
    view = ws.view()
    if t.path[-1] == "$ref" and isinstance(value, str):
        doc_uri, fragment = urldefrag(urljoin(uri_of(t.rel), value))
        target = rel_of(doc_uri)
        if target is None or not view.exists(target):
            return []
        pointer = tuple(p.replace("~1", "/").replace("~0", "~") for p in fragment.lstrip("/").split("/") if p)
        ln, col = view.position(target, pointer)
        return [(target, ln or 1, col or 1)]
    fmt = ws.format_of(t.rel)
    if t.path == ("model",) and isinstance(value, str) and fmt in ("stack", "project"):
        try:
            return [(view.model(value).schema_file, 1, 1)]
        except KonfigError:
            return []
    if t.path == ("env",) and isinstance(value, str) and fmt == "stack":
        stack = ws.stack_file_of(t.rel)
        files = [view.env_profile(value)]
        try:
            if stack is not None:
                files.append(stack.model.env_file(value))
        except KonfigError:
            pass
        return [(f, 1, 1) for f in files if view.exists(f)]
    if len(t.path) == 2 and t.path[0] == "depends_on" and isinstance(value, str) and fmt == "stack":
        try:
            return [(view.find_stack(value, cwd=view.root).file, 1, 1)]
        except KonfigError:
            return []
    return []
