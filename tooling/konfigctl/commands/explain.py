"""``konfig explain STACK [KEYPATH]``: each value, the file:line that set it, and what it overrode."""
from __future__ import annotations

import json
from typing import Any

from .. import keypath as kp
from ..check.validation import display_path
from ..errors import EXIT_OK, UsageError
from ..output import Output
from ..repo.repository import Repository
from ..resolve import layers as layers_mod
from ..resolve.merge import OVERRIDE_FILE, Origin, Resolution, resolve


def _leaves(value: Any, path: tuple[Any, ...], origins: dict[Any, Any]) -> list[tuple[tuple[Any, ...], Any]]:
    """Values people set: scalars, lists of scalars and empty containers.

    A list of scalars is one value, unless its items came from different
    layers (``!append``): then each item is shown with its own origin.
    """
    if isinstance(value, dict) and value:
        out = []
        for k, v in value.items():
            out.extend(_leaves(v, path + (k,), origins))
        return out
    if isinstance(value, list) and (
        any(isinstance(v, (dict, list)) for v in value)
        or len({(origins.get(path + (i,)) or (None,))[0] for i in range(len(value))}) > 1
    ):
        out = []
        for i, v in enumerate(value):
            out.extend(_leaves(v, path + (i,), origins))
        return out
    return [(path, value)]


def _overrode(res: Resolution, path: tuple[Any, ...]) -> list[tuple[Any, Origin | None]]:
    """Values ``path`` had in lower layers, lowest first."""
    assert res.history is not None
    return sorted(res.history.get(path, []), key=lambda e: -1 if e[1] is None else e[1][0])


def _is_merge_key(config: Any, path: tuple[Any, ...], spec: Any) -> bool:
    if len(path) < 2 or not isinstance(path[-2], int):
        return False
    for seg in path[:-2]:
        if spec is None:
            return False
        spec = spec.items if isinstance(seg, int) else spec.child(seg)
    return spec is not None and spec.key == path[-1]


def _where(res: Resolution, repo: Repository, origin: Origin | None) -> dict[str, Any]:
    if origin is None:
        return {"file": None, "line": None, "column": None, "layer": None}
    layer = res.layers[origin[0]]
    if layer.kind == layers_mod.OVERRIDE:
        return {"file": OVERRIDE_FILE, "line": None, "column": None, "layer": layer.kind}
    line, col = repo.position(layer.file, layer.prefix + origin[1])
    return {"file": layer.file, "line": line, "column": col, "layer": layer.kind}


def explanation(repo: Repository, name: str, key: str | None, overrides: list[str],
                cwd: str | None = None) -> dict[str, Any]:
    """The data behind ``explain`` (also what ``--format json`` prints)."""
    stack = repo.find_stack(name, cwd)
    from .. import engine

    why = engine.of(stack).unexplained
    if why:
        raise UsageError(why)
    res = resolve(repo, stack, overrides, history=True)
    assert res.origins is not None and res.history is not None
    spec = stack.model.merge_spec
    deleted = []
    if key:
        path = kp.parse(key)
        try:
            value, concrete = kp.resolve(res.config, path)
        except kp.PathNotFound:
            # deleted by a `null` in some layer (the key itself or a parent)?
            gone = next((path[:n] for n in range(len(path), 0, -1)
                         if res.deleted and path[:n] in res.deleted), None)
            if gone is None:
                raise
            concrete, value = path, None
            deleted.append({
                "keypath": kp.format(path),
                "value": None,
                "deleted_by": _where(res, repo, res.deleted[gone]),
                "overrode": [{"value": old, **_where(res, repo, o)} for old, o in _overrode(res, path)],
            })
    else:
        value, concrete = res.config, ()
    values = []
    for p, v in ([] if deleted else _leaves(value, concrete, res.origins)):
        if _is_merge_key(res.config, p, spec):
            continue  # it names its item (env[name=X]); not a value anyone sets alone
        origin = res.origins.get(p)
        if origin is None:  # set as part of a larger value: find the nearest ancestor
            found = res.origin(p)
            origin = (res.layers.index(found[0]), found[1]) if found else None
        overrode = [{"value": old, **_where(res, repo, o)} for old, o in _overrode(res, p)]
        values.append({
            "keypath": display_path(res.config, p, spec),
            "value": v,
            "set_by": _where(res, repo, origin),
            "overrode": overrode,
        })
    return {
        "stack": stack.path,
        "model": stack.model_name,
        "env": stack.env,
        "layers": [{"kind": layer.kind, "file": layer.file} for layer in res.layers],
        "values": values,
        "deleted": deleted,
    }


def _show(v: Any) -> str:
    """Strings bare unless YAML would read them as something else ("1", "true", "")."""
    if isinstance(v, str):
        from ..errors import KonfigError
        from ..yamlio import parse_value

        try:
            plain = parse_value(v) == v and v.strip() == v and "\n" not in v and "#" not in v
        except KonfigError:
            plain = False
        return v if plain else json.dumps(v)
    return json.dumps(v)


def _loc(w: dict[str, Any]) -> str:
    if not w["file"]:
        return "?"
    if w["line"]:
        return f"{w['file']}:{w['line']}:{w['column']}"
    return str(w["file"])


def explain(repo: Repository, name: str, key: str | None, overrides: list[str], fmt: str,
            out: Output, cwd: str | None = None) -> int:
    data = explanation(repo, name, key, overrides, cwd)
    if fmt == "json":
        out.json(data)
        return EXIT_OK
    if fmt == "yaml":
        out.yaml(data)
        return EXIT_OK
    if fmt != "text":
        raise UsageError(f"--format {fmt} is not available for explain (use text, json or yaml)")
    if not key:
        out.echo(out.style(f"{data['stack']}", "bold") + f"  (model {data['model']}, env {data['env'] or '-'})")
        out.echo("layers, lowest first:")
        for i, layer in enumerate(data["layers"], 1):
            out.echo(f"  {i}. {layer['kind']:<18} {layer['file']}")
        out.echo()
    for d in data["deleted"]:
        out.echo(out.style(d["keypath"], "bold") + " is not set")
        out.echo(f"    deleted by  {_loc(d['deleted_by'])}" + out.style(f"  ({d['deleted_by']['layer']})", "dim"))
        for i, o in enumerate(d["overrode"]):
            label = "overrode" if i == 0 else ""
            out.echo(f"    {label:<11} {_show(o['value'])}  from {_loc(o)}" + out.style(f"  ({o['layer']})", "dim"))
    for v in data["values"]:
        out.echo(out.style(v["keypath"] or "(config)", "bold") + " = " + _show(v["value"]))
        out.echo(f"    set by    {_loc(v['set_by'])}" + out.style(f"  ({v['set_by']['layer']})", "dim"))
        for i, o in enumerate(v["overrode"]):
            label = "overrode" if i == 0 else ""
            out.echo(f"    {label:<9} {_show(o['value'])}  from {_loc(o)}" + out.style(f"  ({o['layer']})", "dim"))
    return EXIT_OK
