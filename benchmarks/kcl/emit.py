"""The generated stacks written as KCL, for the comparison with KCL's engine.

Every YAML layer of a stack becomes a KCL file declaring the same variable,
``config: Config {...}``; KCL unifies them in the order given, lowest first,
which is konfig's layering:

* a mapping merges key by key (``key: {...}``, KCL's union);
* a scalar or a list replaces (``key = value``, KCL's override);
* ``!append`` appends (``key += [...]``) and ``!replace`` replaces (``=``);
* keyed lists (``x-merge-key: name``) are dicts keyed by that name in KCL, so
  items unify by key exactly as konfig merges them.

``Config`` is a type alias that each model file (``models/<model>.k``) points at
its schema, so layer files shared by several models (env profiles, org
defaults) are written once. The model schemas and policies are hand-written
KCL equivalents of ``konfig/base`` (``benchmarks/kcl/models``, ``policies``);
which stacks a policy applies to is decided here, from its ``when:``.

``stacks.json`` lists, per stack, the files to compile together.
"""
from __future__ import annotations

import fnmatch
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.yamltext import AppendList, ReplaceDict, ReplaceList, load

if TYPE_CHECKING:
    from benchmarks.generate import StackSpec

HERE = Path(__file__).resolve().parent

# Lists merged by key in the models (x-merge-key), and the key.
KEYED = {"env": "name", "ports": "name", "flags": "name", "users": "name", "lifecycle": "name"}
# Free-form mappings (string keys, not schema attributes).
MAPS = {"labels", "annotations", "config_files"}
KEYWORDS = {"type", "protocol", "schema", "mixin", "check", "rule", "import", "as", "all", "any",
            "map", "filter", "lambda", "assert", "for", "in", "is", "not", "and", "or", "if", "elif",
            "else", "True", "False", "None", "Undefined"}
LIB = ["lib/quantity.k", "lib/common.k"]


class KclUnsupported(ValueError):
    """A layer uses something this translation does not express (null deletes...)."""


def _ident(key: str) -> str:
    return f"${key}" if key in KEYWORDS else key


def _literal(v: Any) -> str:
    if v is True:
        return "True"
    if v is False:
        return "False"
    if v is None:
        return "None"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        if "$" in v:
            raise KclUnsupported(f"'$' in a string would be KCL interpolation: {v!r}")
        return json.dumps(v)
    raise KclUnsupported(f"cannot write {type(v).__name__} as a KCL literal")


def _entries(d: dict[str, Any], ind: int, schema_ctx: bool) -> list[str]:
    pad = " " * ind
    out = []
    for k, v in d.items():
        key = _ident(k) if schema_ctx else json.dumps(k)
        if v is None:
            raise KclUnsupported(f"null (delete) at {k!r}")
        if schema_ctx and k in KEYED and isinstance(v, list):
            if isinstance(v, AppendList):
                raise KclUnsupported(f"!append on keyed list {k!r}")
            op = " =" if isinstance(v, ReplaceList) else ":"
            items = {item[KEYED[k]]: item for item in v}
            out.append(f"{pad}{key}{op} {{")
            for ik, item in items.items():
                out.append(f"{pad}    {json.dumps(ik)}: {{")
                out.extend(_entries(item, ind + 8, True))
                out.append(f"{pad}    }}")
            out.append(f"{pad}}}")
        elif isinstance(v, dict):
            op = " =" if isinstance(v, ReplaceDict) else ":"
            out.append(f"{pad}{key}{op} {{")
            out.extend(_entries(v, ind + 4, schema_ctx and k not in MAPS))
            out.append(f"{pad}}}")
        elif isinstance(v, list):
            op = " +=" if isinstance(v, AppendList) else " ="
            items = []
            for item in v:
                if isinstance(item, dict):
                    items.append("{" + ", ".join(e.strip() for e in _entries(item, 0, True)) + "}")
                else:
                    items.append(_literal(item))
            out.append(f"{pad}{key}{op} [{', '.join(items)}]")
        else:
            out.append(f"{pad}{key} = {_literal(v)}")
    return out


def layer_text(data: dict[str, Any] | None, source: str) -> str:
    """One layer as a KCL file (an empty layer still declares the variable)."""
    lines = [f"# {source} as KCL (generated)", "config: Config {"]
    lines.extend(_entries(data or {}, 4, True))
    lines.append("}")
    return "\n".join(lines) + "\n"


def kcl_path(rel: str) -> str:
    return rel.rsplit(".", 1)[0] + ".k"


def _selects(when: dict[str, Any] | None, s: StackSpec) -> bool:
    """Whether a policy's ``when:`` selects the stack (konfig's selector rules: every term must
    match, a term matches if any of its values does, globs as fnmatch). Only the terms this
    translation needs; a policy using another is refused rather than guessed."""
    def values(v: Any) -> list[str]:
        return [] if v is None else [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]

    def any_fn(patterns: list[str], value: str | None) -> bool:
        return value is not None and any(fnmatch.fnmatchcase(value, p) for p in patterns)

    org = s.project.split("/")[2] if s.project.count("/") >= 3 else None
    facts = {"model": s.model, "env": s.env, "name": s.path.rsplit("/", 1)[-1], "org": org}
    for key, v in (when or {}).items():
        if key in facts:
            if values(v) and not any_fn(values(v), facts[key]):
                return False
        elif key == "labels":
            for lk, lv in (v or {}).items():
                if lk not in s.labels:
                    return False
                have = s.labels[lk]
                have = ("true" if have else "false") if isinstance(have, bool) else str(have)
                if values(lv) and "*" not in values(lv) and not any_fn(values(lv), have):
                    return False
        else:
            raise KclUnsupported(f"policy selector term {key!r} (only model, env, name, org, labels)")
    return True


def write(root: Path, stacks: list[StackSpec], data: dict[str, Any]) -> Path:
    """Write ``root/kcl``: the library, models, policies, every layer, and ``stacks.json``."""
    out = root / "kcl"
    for sub in ("lib", "models", "policies"):
        shutil.copytree(HERE / sub, out / sub)
    # Layers from the copied konfig/base (model defaults, env profiles), then the generated ones.
    layer_files = {f for s in stacks for f in s.layers}
    written: set[str] = set()
    for rel in sorted(layer_files):
        if rel in data:
            cfg = data[rel]
        else:
            cfg = load((root / rel).read_bytes())
        dest = out / kcl_path(rel)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(layer_text(cfg, rel))
        written.add(rel)
    policies = []
    gaps = []
    pdir = root / "konfig" / "base" / "policies"
    for p in sorted(pdir.glob("*.y*ml")):
        meta = load(p.read_bytes()) or {}
        name = meta.get("name") or p.stem
        kfile = f"policies/{name}.k"
        if not (out / kfile).is_file():
            gaps.append(f"policy {name}: no KCL equivalent in benchmarks/kcl/policies")
            continue
        policies.append((meta.get("when"), kfile, meta.get("severity", "error")))
    manifest = {
        "stacks": [
            {
                "stack": s.path,
                "model": s.model,
                "files": LIB + [f"models/{s.model}.k"] + [kcl_path(f) for f in s.layers]
                + [k for when, k, _sev in policies if _selects(when, s)],
            }
            for s in stacks
        ],
        "gaps": gaps,
    }
    (out / "stacks.json").write_text(json.dumps(manifest, indent=1))
    return out
