"""``konfig get STACK KEYPATH``: one resolved value (and, with ``--explain``, where it comes from)."""
from __future__ import annotations

import json
from typing import Any

from .. import keypath as kp
from ..errors import EXIT_OK, UsageError
from ..output import Output
from ..repo.repository import Repository
from ..resolve.merge import resolve

FORMATS = ("text", "json", "yaml")


def value_text(value: Any) -> str:
    """A value as a shell script wants it: strings bare, scalars as YAML, collections as YAML blocks."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    from ..yamlio import dump

    return dump(value).rstrip("\n")


def get(repo: Repository, name: str, key: str, overrides: list[str], fmt: str, out: Output,
        explain: bool = False, cwd: str | None = None) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt} is not available for get (use {', '.join(FORMATS)})")
    stack = repo.find_stack(name, cwd)
    if stack.is_kcl:
        return _get_kcl(repo, stack, key, fmt, out, explain)
    path = kp.parse(key)
    if not explain:
        value = kp.get(resolve(repo, stack, overrides).config, path)
        if fmt == "json":
            out.json(value)
        elif fmt == "yaml":
            out.yaml(value)
        else:
            out.echo(value_text(value))
        return EXIT_OK
    from .explain import _loc, _show, explanation

    data = explanation(repo, stack.path, key, overrides, cwd)
    value = kp.get(resolve(repo, stack, overrides).config, path)
    if fmt == "json":
        out.json({"stack": data["stack"], "keypath": key, "value": value, "values": data["values"]})
        return EXIT_OK
    if fmt == "yaml":
        out.yaml({"stack": data["stack"], "keypath": key, "value": value, "values": data["values"]})
        return EXIT_OK
    out.echo(value_text(value))
    single = len(data["values"]) == 1 and not isinstance(value, (dict, list))
    for v in data["values"]:
        indent = "  "
        if not single:
            out.echo(out.style(v["keypath"], "bold") + " = " + _show(v["value"]))
            indent = "    "
        out.echo(f"{indent}set by    {_loc(v['set_by'])}" + out.style(f"  ({v['set_by']['layer']})", "dim"))
        for i, o in enumerate(v["overrode"]):
            label = "overrode" if i == 0 else ""
            out.echo(f"{indent}{label:<9} {_show(o['value'])}  from {_loc(o)}"
                     + out.style(f"  ({o['layer']})", "dim"))
    return EXIT_OK


def _get_kcl(repo: Repository, stack: Any, key: str, fmt: str, out: Output, explain: bool) -> int:
    """A KCL stack: the KCL source its main.k sets at the override path ``key``."""
    from ..engine import kcl

    if explain:
        raise UsageError("--explain is for YAML stacks: a KCL stack's value is what its main.k says")
    value = kcl.get_value(repo, stack, key)
    if fmt == "json":
        out.json({"stack": stack.path, "file": kcl.main_file(stack), "keypath": key, "kcl": value})
    elif fmt == "yaml":
        out.yaml({"stack": stack.path, "file": kcl.main_file(stack), "keypath": key, "kcl": value})
    else:
        out.echo(value)
    return EXIT_OK
