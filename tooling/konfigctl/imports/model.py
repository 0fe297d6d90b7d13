"""The model an import writes, checked in memory, then written as one transaction.

For ``--model NAME`` (``<base>`` is ``konfig/base``):

* ``<base>/models/NAME/schema.yaml``: the resource's ``spec`` (or, for an
  OpenAPI definition that is not a Kubernetes resource, the definition) as the
  config, plus ``labels`` and ``annotations`` -- the metadata keys every model
  takes (env profiles set them) -- rendered into the resource's metadata. A
  spec field of one of those names is the config key ``spec_<name>``.
  ``defaults.yaml``: the defaults of the config's top-level fields.
  ``render.py``: one resource per stack, named after the project, in the
  project's namespace (a namespaced kind), self-contained (no
  ``konfiglib``): it works in any Konfig.
* ``<base>/crds/<group>_<kind>_<version>.yaml``: the resource's strict schema,
  naming its kind in ``x-kubernetes-group-version-kind``, so ``konfig test``
  checks what the model renders (unless the built-in Kubernetes schemas
  already cover the kind). Another file covering the same kind is refused.
* ``<base>/templates/NAME/``: ``konfig new project PATH --model NAME``, a stack
  whose config holds a value for every required field (enums, bounds, patterns
  and formats respected), checked to validate.
* ``docs/models/NAME.md`` and the index, as ``konfig docs`` writes them.

An existing model or template is refused unless ``force``; then the files
above are replaced and the model's other files (env profiles) are kept.
"""
from __future__ import annotations

import copy
import dataclasses
import os
import re
from typing import TYPE_CHECKING, Any

from ..errors import KonfigError, UsageError, quote
from ..files import paths
from ..yamlio import dump
from .convert import Converter
from .source import RESOURCE_KEYS, Imported

if TYPE_CHECKING:
    from ..repo.repository import Repository

MODEL_NAME = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$")
METADATA_KEYS = ("labels", "annotations")
SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
OBJECT_META = {
    "description": "The metadata konfig renders (the API server fills in the rest).",
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "maxLength": 253, "pattern": "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"},
        "namespace": {"type": "string", "maxLength": 63, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
LABELS = {
    "description": "Extra labels of the rendered resource (env profiles set some for every model).",
    "type": "object",
    "propertyNames": {"pattern": "^([a-z0-9.-]+/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$"},
    "additionalProperties": {"type": "string", "maxLength": 63},
}
ANNOTATIONS = {
    "description": "Extra annotations of the rendered resource.",
    "type": "object",
    "additionalProperties": {"type": "string"},
}
KEY_ORDER = ("$schema", "title", "description", "x-kubernetes-group-version-kind", "type", "required",
             "properties", "additionalProperties", "unevaluatedProperties")


@dataclasses.dataclass
class Plan:
    """What an import writes (repo-relative path -> text) and what it says about it."""

    model: str
    imported: Imported
    files: dict[str, str]
    warnings: list[str]
    crd_file: str | None
    replaced: list[str] = dataclasses.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        i = self.imported
        return {"model": self.model, "from": i.origin, "apiVersion": i.api_version, "kind": i.kind,
                "files": sorted(self.files), "replaced": self.replaced, "crd": self.crd_file,
                "warnings": self.warnings}


def model_dir(repo: "Repository", model: str) -> str:
    return paths.join(repo.base, "models", model)


def plan_schema(repo: "Repository", imported: Imported, *, force: bool = False, command: str = "") -> Plan:
    """Only the resource's strict schema (``--schema-only``): for a kind other models render
    (the slo model's PrometheusRule), checked as if written."""
    conv = Converter(imported)
    resource, _config, _spec = _split(conv, imported)
    conv.finish()
    crd_file = _crd_file(repo, imported, force)
    if crd_file is None:
        raise UsageError(f"{imported.kind} {imported.api_version} is a built-in kind: "
                         "konfig checks it with the Kubernetes schemas already")
    files = {crd_file: _crd_text(imported, resource, conv, command)}
    out = Plan(model="", imported=imported, files=files, warnings=conv.warning_lines(), crd_file=crd_file)
    from ..authoring.fmt import format_text
    from ..repo.model import check_usable

    files[crd_file] = format_text(files[crd_file], crd_file)
    future = repo.with_changes({crd_file: files[crd_file].encode("utf-8")})
    strict = future.schema_document(crd_file)
    check_usable(future, crd_file, strict)
    future.build_validator(strict, crd_file)
    out.replaced = [crd_file] if repo.exists(crd_file) else []
    return out


def _crd_text(imported: Imported, resource: dict[str, Any], conv: Converter, command: str) -> str:
    return (f"# {imported.kind} ({imported.api_version}), strict: imported by `konfig import "
            f"{command or imported.command}` from {imported.origin}.\n" + _yaml(_strict(imported, resource, conv)))


def plan(repo: "Repository", imported: Imported, model: str, *, force: bool = False,
         command: str = "") -> Plan:
    """Every file of the new model, checked as if written; ``KonfigError`` for what cannot be."""
    from ..authoring.templates import template_dir

    if not MODEL_NAME.match(model):
        raise UsageError(f"--model {quote(model)}: a model name is lowercase letters, digits, '-' and '_'")
    mdir, tdir = model_dir(repo, model), template_dir(repo, model)
    existing = [d for d in (mdir, tdir) if repo.source.isdir(d) or repo.exists(d)]
    if existing and not force:
        raise KonfigError(f"model {model} exists already ({existing[0]}/): nothing was written "
                          "(--force replaces it)", file=existing[0])
    conv = Converter(imported)
    resource, config, spec_key = _split(conv, imported)
    conv.finish()
    config, renamed = _with_metadata(config)
    config_root = _ordered({"$schema": SCHEMA_URI, "title": model, **config,
                            "description": _description(imported, resource, config)})
    defs = conv.used_defs(config_root)
    if defs:
        config_root["$defs"] = defs
    files: dict[str, str] = {}
    header = (f"# Imported by `konfig import {command or imported.command}` from {imported.origin}\n"
              f"# ({imported.kind} {imported.api_version}): re-import with --force when it changes.\n")
    files[paths.join(mdir, "schema.yaml")] = header + _yaml(config_root)
    defaults = {k: copy.deepcopy(v["default"]) for k, v in (config.get("properties") or {}).items()
                if isinstance(v, dict) and "default" in v}
    files[paths.join(mdir, "defaults.yaml")] = (
        "# Defaults of every stack of this model: the defaults of the resource's top-level fields.\n"
        + (_yaml(defaults) if defaults else "{}\n"))
    files[paths.join(mdir, "render.py")] = _renderer(model, imported, spec_key, renamed, command)
    crd_file = _crd_file(repo, imported, force)
    if crd_file:
        files[crd_file] = _crd_text(imported, resource, conv, command)
    files.update(_template(repo, model, imported))
    out = Plan(model=model, imported=imported, files=files, warnings=conv.warning_lines(), crd_file=crd_file)
    _check(repo, out)
    out.replaced = sorted(rel for rel in out.files if repo.exists(rel))
    return out


def commit(repo: "Repository", plan: Plan) -> None:
    """Write every file of the plan, or none of them."""
    from ..files.transaction import write_files

    write_files(repo, dict(plan.files))


# -- the schemas -----------------------------------------------------------------------------

def _split(conv: Converter, imported: Imported) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """(the resource's converted schema, the config's, where the config goes in the resource)."""
    if not imported.resource:
        config = conv.convert(imported.schema, imported.path)
        if not isinstance(config, dict) or _kind_of(config, conv) not in ("object", None):
            raise conv.fail("the definition is not an object schema: it cannot be a resource's spec",
                            imported.path)
        resource = {"type": "object", "required": ["spec"], "properties": {"spec": config}}
        return resource, config, "spec"
    resource = conv.convert(imported.schema, imported.path)
    if not isinstance(resource, dict):
        raise conv.fail("the resource's schema is not a mapping", imported.path)
    if "$ref" in resource:  # an OpenAPI definition that is only a reference
        resource = conv.use({**conv.defs[resource["$ref"].rsplit("/", 1)[1]],
                             **{k: v for k, v in resource.items() if k != "$ref"}})
    props = resource.get("properties") or {}
    if "spec" in props:
        spec = props["spec"]
        if isinstance(spec, dict) and "$ref" in spec and set(spec) <= {"$ref", "description"}:
            # the spec's own definition, inlined: the model's fields at the top of its schema
            inlined = {**conv.defs[spec["$ref"].rsplit("/", 1)[1]]}
            if spec.get("description"):
                inlined.setdefault("description", spec["description"])
            props["spec"] = spec = conv.use(inlined)
        return resource, spec, "spec"
    top = {k: v for k, v in props.items() if k not in RESOURCE_KEYS + ("status",)}
    config = {"type": "object", "properties": top,
              "required": [r for r in resource.get("required") or [] if r in top]}
    if not config["required"]:
        del config["required"]
    if resource.get("additionalProperties") is False:
        config["additionalProperties"] = False
    return resource, config, None


def _kind_of(node: dict[str, Any], conv: Converter) -> str | None:
    t = node.get("type")
    if t is None and "$ref" in node:
        target = conv.defs.get(node["$ref"].rsplit("/", 1)[1])
        return _kind_of(target, conv) if isinstance(target, dict) else None
    if t is None and "properties" in node:
        return "object"
    return t if isinstance(t, str) else None


def _with_metadata(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The config with ``labels``/``annotations`` (spec fields of those names renamed)."""
    config = copy.deepcopy(config)
    config.setdefault("type", "object")
    props = config.setdefault("properties", {})
    renamed = {}
    for key, schema in ((("labels", LABELS)), ("annotations", ANNOTATIONS)):
        if key in props:
            new = f"spec_{key}"
            props = {(new if k == key else k): v for k, v in props.items()}
            renamed[new] = key
            config["required"] = [new if r == key else r for r in config.get("required") or []] or None
            if config["required"] is None:
                del config["required"]
        props[key] = copy.deepcopy(schema)
    config["properties"] = props
    return config, renamed


def _description(imported: Imported, resource: dict[str, Any], config: dict[str, Any]) -> str:
    for d in (resource.get("description"), config.get("description")):
        if isinstance(d, str) and d.strip():
            return " ".join(d.split())
    return f"A {imported.kind} ({imported.api_version}), imported from {imported.origin}."


def _strict(imported: Imported, resource: dict[str, Any], conv: Converter) -> dict[str, Any]:
    strict = copy.deepcopy(resource)
    props = strict.setdefault("properties", {})
    defs = conv.used_defs(strict)
    meta = "ObjectMeta"
    while meta in defs:
        meta += "_"
    props["apiVersion"] = {"const": imported.api_version}
    props["kind"] = {"const": imported.kind}
    props["metadata"] = {"$ref": f"#/$defs/{meta}"}
    ordered = {k: props[k] for k in RESOURCE_KEYS}
    ordered.update((k, v) for k, v in props.items() if k not in RESOURCE_KEYS)
    strict["properties"] = ordered
    strict["required"] = list(dict.fromkeys(list(RESOURCE_KEYS) + list(strict.get("required") or [])))
    if "additionalProperties" not in strict and "unevaluatedProperties" not in strict:
        strict["additionalProperties"] = False
    strict.pop("description", None)
    root = _ordered({"$schema": SCHEMA_URI, "title": imported.kind,
                     "x-kubernetes-group-version-kind": [
                         {"group": imported.group, "version": imported.version, "kind": imported.kind}],
                     **strict})
    root["$defs"] = {**defs, meta: copy.deepcopy(OBJECT_META)}
    return root


def _crd_file(repo: "Repository", imported: Imported, force: bool) -> str | None:
    """Where the resource's strict schema goes, or None when the built-in schemas cover the kind."""
    from ..render.kubernetes import checker, is_builtin_group

    check = checker(repo)
    if is_builtin_group(imported.api_version):
        try:
            check.validator(imported.api_version, imported.kind)
            return None
        except KonfigError:
            pass
    group = imported.group or "core"
    rel = paths.join(check.crd_dir, f"{group}_{imported.kind.lower()}_{imported.version}.yaml")
    other = check.crds.get((imported.api_version, imported.kind))
    if other is not None and other != rel:
        raise KonfigError(f"{imported.kind} {imported.api_version} has a schema already: nothing was written "
                          f"(remove it to import this one)", file=other)
    if other == rel and not force:
        raise KonfigError(f"{imported.kind} {imported.api_version} has a schema already: nothing was written "
                          "(--force replaces it)", file=rel)
    return rel


def _ordered(node: dict[str, Any]) -> dict[str, Any]:
    out = {k: node[k] for k in KEY_ORDER if k in node}
    out.update((k, v) for k, v in node.items() if k not in out)
    return out


def _yaml(data: Any) -> str:
    import json

    # one copy of every node: the schemas share converted subschemas, which a YAML writer
    # could turn into anchors and aliases
    return dump(json.loads(json.dumps(data)))


# -- the renderer ------------------------------------------------------------------------------

RENDERER = '''"""The {model} model's renderer: one {kind} ({api_version}) per stack.

Written by `konfig import {command}` from {origin}; re-import with --force
when it changes. Pure: konfig calls it with copies of the resolved config and
the stack's info. The config is the resource's {where}; `labels` and
`annotations` go to its metadata, as in every model.
"""
API_VERSION = {api_version!r}
KIND = {kind!r}
NAMESPACED = {namespaced!r}
SPEC = {spec!r}  # where the config goes in the resource (None: at its top level)
METADATA = ("labels", "annotations")  # config keys that are the resource's metadata
RENAMED = {renamed!r}  # config key -> the resource's field (spec fields named like metadata keys)


def render(config, stack):
    labels = {{
        "app.kubernetes.io/name": stack.project,
        "app.kubernetes.io/instance": f"{{stack.project}}-{{stack.name}}",
        "app.kubernetes.io/managed-by": "konfig",
    }}
    if stack.env:
        labels["env"] = stack.env
    labels.update(config.get("labels") or {{}})
    metadata = {{"name": stack.project}}
    if NAMESPACED:
        metadata["namespace"] = stack.namespace
    metadata["labels"] = labels
    if config.get("annotations"):
        metadata["annotations"] = dict(config["annotations"])
    body = {{RENAMED.get(k, k): v for k, v in config.items() if k not in METADATA}}
    resource = {{"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata}}
    if SPEC:
        resource[SPEC] = body
    else:
        resource.update(body)
    return [resource]
'''


def _renderer(model: str, imported: Imported, spec_key: str | None, renamed: dict[str, str],
              command: str) -> str:
    return RENDERER.format(model=model, kind=imported.kind, api_version=imported.api_version,
                           command=command or imported.command, origin=imported.origin,
                           where=f"`{spec_key}`" if spec_key else "top level (beside its metadata)",
                           namespaced=imported.namespaced, spec=spec_key, renamed=renamed)


# -- the template ------------------------------------------------------------------------------

def _template(repo: "Repository", model: str, imported: Imported) -> dict[str, str]:
    from ..authoring.templates import META_FILE, STACK_DIR, SUFFIX, template_dir

    tdir = template_dir(repo, model)
    meta = (f"# `konfig new project PATH --model {model} --owner TEAM`: a project of {imported.kind}s,\n"
            f"# one stack per env (konfig.yaml envs); written by `konfig import`.\n"
            + dump({"description": f"A {imported.kind} ({imported.api_version}) per stack."}))
    project = ("name: ${project}\ndescription: ${description}\n"
               f"model: {model}\nowners: ${{owners}}\n")
    return {
        paths.join(tdir, META_FILE): meta,
        paths.join(tdir, f"project.yaml{SUFFIX}"): project,
        paths.join(tdir, STACK_DIR, f"stack.yaml{SUFFIX}"): "env: ${env}\n" + _PLACEHOLDER,
    }


_PLACEHOLDER = "config: {}\n"  # replaced by the example once the model can be loaded


def _stack_template(config: dict[str, Any]) -> str:
    body = dump({"config": config}) if config else "config: {}\n"
    return ("env: ${env}\n# This stack's values: every required field of the model has one; edit them.\n"
            + body.replace("$", "$$"))


# -- the check -----------------------------------------------------------------------------

def _check(repo: "Repository", plan: Plan) -> None:
    """Load the new model as konfig will (schema usable, docs page), fill in the template's
    example and the docs; a model that cannot load is a ``KonfigError`` and nothing is written."""
    from ..authoring import docs
    from ..authoring.fmt import format_text
    from ..authoring.templates import STACK_DIR, SUFFIX, template_dir
    from ..repo.model import check_usable

    for rel, text in list(plan.files.items()):
        if rel.endswith(".yaml"):
            plan.files[rel] = format_text(text, rel)
    future = repo.with_changes({rel: text.encode("utf-8") for rel, text in plan.files.items()})
    model = future.model(plan.model)
    check_usable(future, model.schema_file, model.schema)
    model.validator  # noqa: B018 - builds it: a schema that cannot compile fails here
    if plan.crd_file:
        strict = future.schema_document(plan.crd_file)
        check_usable(future, plan.crd_file, strict)
        future.build_validator(strict, plan.crd_file)
    defaults = future.document(model.defaults_file).data or {}
    example = sample_config(model, defaults)
    errors = sorted(model.validator.iter_errors(_merged(defaults, example, model)),
                    key=lambda e: [str(p) for p in e.absolute_path])  # paths mix indexes and keys
    rel = paths.join(template_dir(repo, plan.model), STACK_DIR, f"stack.yaml{SUFFIX}")
    if errors:
        from ..keypath import format as kp_format

        for e in errors[:5]:  # konfig new project would refuse these: say which values to fill in
            plan.warnings.append(f"{rel}: {kp_format(tuple(e.absolute_path)) or 'config'}: the example does "
                                 f"not validate ({e.message}): fill it in before `konfig new project`")
    plan.files[rel] = format_text(_stack_template(example), rel)
    future = repo.with_changes({rel: text.encode("utf-8") for rel, text in plan.files.items()})
    generated = docs.generate(future)
    root = repo.root + os.sep
    page_dir = os.path.join(repo.root, *docs.MODELS_DIR.split("/"))
    for path in (os.path.join(page_dir, f"{plan.model}.md"), os.path.join(page_dir, docs.INDEX)):
        if path in generated and path.startswith(root):
            plan.files[os.path.relpath(path, repo.root).replace(os.sep, "/")] = generated[path]


def _merged(defaults: Any, config: dict[str, Any], model: Any) -> Any:
    from ..resolve.merge import merge

    return merge(copy.deepcopy(defaults) if isinstance(defaults, dict) else {}, config, model.merge_spec)


# -- an example that validates ------------------------------------------------------------

FORMATS = {
    "date-time": "2025-01-01T00:00:00Z", "date": "2025-01-01", "time": "00:00:00Z",
    "email": "ops@example.com", "uri": "https://example.com", "url": "https://example.com",
    "hostname": "example.com", "ipv4": "10.0.0.1", "ipv6": "fd00::1",
    "uuid": "00000000-0000-4000-8000-000000000000", "duration": "1h", "byte": "ZXhhbXBsZQ==",
}


def sample_config(model: Any, defaults: Any) -> dict[str, Any]:
    """Values for the required fields the defaults leave out, each valid on its own."""
    schema = model.schema
    defs = schema.get("$defs") or {}
    out = {}
    have = defaults if isinstance(defaults, dict) else {}
    node = _resolved(schema, defs)
    props = node.get("properties") or {}
    for key in node.get("required") or []:
        if key not in have and key in props:
            out[key] = sample(props[key], defs, key)
    return out


def _resolved(node: Any, defs: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """``node`` with its ``$ref`` and ``allOf`` folded in (properties and required united)."""
    if not isinstance(node, dict) or depth > 16:
        return {}
    out: dict[str, Any] = {}
    parts = [node]
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        parts.append(_resolved(defs.get(ref[len("#/$defs/"):]), defs, depth + 1))
    parts.extend(_resolved(p, defs, depth + 1) for p in node.get("allOf") or [])
    for part in parts:
        for k, v in part.items():
            if k == "properties":
                out.setdefault("properties", {}).update({pk: pv for pk, pv in v.items()
                                                         if pk not in out.get("properties", {})})
            elif k == "required":
                out["required"] = list(dict.fromkeys(list(out.get("required") or []) + list(v)))
            elif k not in ("$ref", "allOf"):
                out.setdefault(k, v)
    return out


def sample(node: Any, defs: dict[str, Any], name: str = "", depth: int = 0) -> Any:
    node = _resolved(node, defs)
    if depth > 12:
        return None
    for key in ("const", "default"):
        if key in node:
            return copy.deepcopy(node[key])
    if isinstance(node.get("examples"), list) and node["examples"]:
        return copy.deepcopy(node["examples"][0])
    if isinstance(node.get("enum"), list):
        choices = [v for v in node["enum"] if v is not None]
        if choices:
            return copy.deepcopy(choices[0])
    for key in ("anyOf", "oneOf"):
        if isinstance(node.get(key), list) and node[key]:
            branch = {**{k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}, **_resolved(node[key][0], defs)}
            return sample(branch, defs, name, depth + 1)
    t = node.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    if t is None:
        t = "object" if "properties" in node else "string"
    if t == "string":
        return _string(node, name)
    if t in ("integer", "number"):
        return _number(node, t)
    if t == "boolean":
        return False
    if t == "array":
        n = int(node.get("minItems") or 0)
        item = sample(node.get("items") or {}, defs, name, depth + 1)
        if n > 1 and node.get("uniqueItems") and isinstance(item, str):
            return [f"{item}{i}" if i else item for i in range(n)]
        return [copy.deepcopy(item) for _ in range(n)]
    if t == "object":
        props = node.get("properties") or {}
        return {k: sample(props[k], defs, k, depth + 1) for k in node.get("required") or [] if k in props}
    return None


def _number(node: dict[str, Any], t: str) -> Any:
    lo = node.get("minimum")
    if "exclusiveMinimum" in node:
        lo = node["exclusiveMinimum"] + 1 if t == "integer" else node["exclusiveMinimum"] + 0.5
    hi = node.get("maximum", node.get("exclusiveMaximum"))
    value = lo if lo is not None else (1 if hi is None or hi > 1 else (hi - 1 if "exclusiveMaximum" in node else hi))
    step = node.get("multipleOf")
    if step and value % step:
        value = (value // step + 1) * step
    return int(value) if t == "integer" else value


def _string(node: dict[str, Any], name: str) -> str:
    lo, hi = int(node.get("minLength") or 0), node.get("maxLength")

    def fits(s: str) -> bool:
        if len(s) < lo or (hi is not None and len(s) > hi):
            return False
        if isinstance(node.get("pattern"), str):
            from ..schema import ecma

            return ecma.search(node["pattern"])(s)
        return True

    plain = FORMATS.get(str(node.get("format")), f"example-{name}".rstrip("-") if name else "example")
    candidates = [plain, "example", "a" * max(lo, 1)]
    for c in candidates:
        if fits(c):
            return c
    if isinstance(node.get("pattern"), str):
        try:
            import exrex

            for i, c in enumerate(exrex.generate(node["pattern"], limit=max(lo, 3) + 2)):
                if fits(c):
                    return c
                if i > 500:
                    break
        except Exception:  # a pattern exrex cannot read (ECMA-only syntax): the placeholder stays
            pass
    return plain
