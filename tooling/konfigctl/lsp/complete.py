"""Completion: the keys a schema allows at the cursor, and the values it names.

Where the cursor is comes from the lines (``text.context_at``: a buffer being
typed rarely parses). What may go there comes from the schema of the place:
in a layer's config, the model's (``repo.model.schemas_at``, which follows
``$ref``, ``allOf``/``anyOf``/``oneOf`` and ``if``/``then``); elsewhere in
``stack.yaml``, ``project.yaml``, ``konfig.yaml`` or a policy, konfig's own
format schema (``formats.format_schema``: ``name``, ``env``, ``labels``,
``depends_on``, ``config``...). Keys come with their descriptions, required
ones first, those already written left out. Values: the schema's ``enum``
and ``const``, ``true``/``false`` for a boolean, ``!replace`` on a mapping
and ``!replace``/``!append`` on a list in a layer (the merge tags), the envs
of ``konfig.yaml`` for ``env:``, the models for ``model:``, the stacks of
the project (then of its org) in a ``depends_on`` item.
"""
from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from typing import Any

from ..errors import KonfigError
from ..repo.model import schemas_at, uri_of
from ..yamlio import APPEND_TAG, REPLACE_TAG
from .text import context_at
from .workspace import Workspace, format_schemas_at


@dataclasses.dataclass
class Item:
    label: str
    kind: str  # "key" | "value" | "tag"
    detail: str = ""
    documentation: str = ""
    insert: str | None = None
    sort: str = ""


def _types(nodes: list[tuple[dict[str, Any], str]]) -> list[str]:
    out: list[str] = []
    for n, _ in nodes:
        t = n.get("type")
        for x in [t] if isinstance(t, str) else (t or []):
            if isinstance(x, str) and x not in out:
                out.append(x)
    return out


def _description(nodes: list[tuple[dict[str, Any], str]]) -> str:
    return next((n["description"] for n, _ in nodes if isinstance(n.get("description"), str)), "")


Lookup = Callable[..., list[tuple[dict[str, Any], str]]]  # (place, conditional=True) -> schemas


def complete(ws: Workspace, rel: str, line: int, char: int) -> list[Item]:
    """What may be written at the cursor, best first."""
    ctx = context_at(ws.text(rel), line, char)
    if ctx is None:
        return []
    prefix = ws.layer_prefix(rel)
    path = ctx.path
    if prefix is not None and len(path) >= len(prefix) and path[: len(prefix)] == prefix:
        lookup = _model_lookup(ws, rel)
        place = path[len(prefix):]
        layer = True
    else:
        fmt = ws.format_of(rel)
        if fmt is None:
            return []
        lookup = functools.partial(_format_lookup, fmt)
        place = path
        layer = False
    if ctx.key is None:
        if not layer and place == ("depends_on", 0) and ws.format_of(rel) == "stack":
            return _stacks(ws, rel)
        return _keys(lookup, place, ctx.siblings)
    return _values(ws, lookup(place + (ctx.key,)), ctx.key, layer)


def _stacks(ws: Workspace, rel: str) -> list[Item]:
    """For a ``depends_on`` item: the project's other stacks, named below their root (a suffix
    ``depends_on`` accepts), then the org's."""
    view = ws.view()
    own = ws.stack_file_of(rel)
    if own is None:
        return []
    out = []
    org = own.project.path.rsplit("/", 1)[0]
    for stack in view.stacks():
        if stack.path == own.path or not stack.path.startswith(org + "/"):
            continue
        root = next((r for r in view.roots if stack.path.startswith(r + "/")), "")
        name = stack.path[len(root) + 1:] if root else stack.path
        mine = stack.project is own.project
        out.append(Item(label=name, kind="value", detail="stack of this project" if mine else "stack",
                        insert=name, sort=("0" if mine else "1") + name))
    return sorted(out, key=lambda i: i.sort)


def _model_lookup(ws: Workspace, rel: str) -> Lookup:
    view = ws.view()
    own = ws.stack_file_of(rel)
    stacks = [own] if own is not None else ws.stacks_of(rel)[:50]
    models = []
    for name in ws.models_for(rel, stacks):
        try:
            models.append(view.model(name))
            models[-1].schema  # noqa: B018 - loads (and checks) it now
        except KonfigError:
            models.pop()

    def lookup(place: tuple[Any, ...], conditional: bool = True) -> list[tuple[dict[str, Any], str]]:
        out: list[tuple[dict[str, Any], str]] = []
        for model in models:
            out.extend(schemas_at(view, model.schema, uri_of(model.schema_file), place, conditional=conditional))
        return out

    return lookup


def _format_lookup(fmt: str, place: tuple[Any, ...], conditional: bool = True) -> list[tuple[dict[str, Any], str]]:
    return format_schemas_at(fmt, place)  # konfig's own formats require nothing conditionally


def _keys(lookup: Lookup, place: tuple[Any, ...], siblings: set[str]) -> list[Item]:
    # required whatever the values: a `then: {required: [...]}` is a guess about the values
    required = {r for node, _uri in lookup(place, conditional=False)
                for r in node.get("required") or [] if isinstance(r, str)}
    names: list[str] = []
    for node, _uri in lookup(place):
        for k, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict) and k not in names:
                names.append(k)
    out = []
    for k in names:
        if k in siblings:
            continue
        nodes = lookup(place + (k,))
        types = _types(nodes)
        req = k in required
        out.append(Item(
            label=k, kind="key",
            detail=" | ".join(types) + (" (required)" if req else ""),
            documentation=_description(nodes),
            insert=f"{k}: ",
            sort=("0" if req else "1") + k,
        ))
    return sorted(out, key=lambda i: i.sort)


def _values(ws: Workspace, nodes: list[tuple[dict[str, Any], str]], key: str, layer: bool) -> list[Item]:
    view = ws.view()
    out: list[Item] = []
    seen: set[str] = set()

    def add(label: str, kind: str, detail: str = "", sort: str = "1") -> None:
        if label not in seen:
            seen.add(label)
            out.append(Item(label=label, kind=kind, detail=detail, insert=label, sort=sort + label))

    for node, _ in nodes:
        for v in node.get("enum") or []:
            add(v if isinstance(v, str) else json.dumps(v), "value", "enum", "0")
        if "const" in node:
            c = node["const"]
            add(c if isinstance(c, str) else json.dumps(c), "value", "const", "0")
    types = _types(nodes)
    if "boolean" in types:
        add("true", "value")
        add("false", "value")
    if not layer and key == "env":
        try:
            for env in view.settings.get("envs") or []:
                add(str(env), "value", "env from konfig.yaml", "0")
        except KonfigError:
            pass
    if not layer and key == "model":
        for name in view.model_names():
            add(name, "value", "model", "0")
    if layer:
        if "object" in types:
            add(REPLACE_TAG, "tag", "replace the lower layers' mapping instead of merging", "2")
        if "array" in types:
            add(REPLACE_TAG, "tag", "replace the lower layers' list instead of merging it", "2")
            add(APPEND_TAG, "tag", "append to the lower layers' list", "2")
    return out
