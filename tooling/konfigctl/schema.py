"""JSON Schema (2020-12) with the Konfig extensions, and errors people can read.

Extensions (all ``x-`` keywords, so editors ignore them):

* ``x-quantity: cpu|memory|storage|any`` -- the value is a Kubernetes quantity;
* ``x-minimum`` / ``x-maximum`` -- bounds written in units (``100Gi``);
* ``x-merge-key: <field>`` on an array of objects -- layers merge items by that
  field (read by ``resolution``); two items with one key are an error at the
  second one's key (``env[name=X]`` must name one item).

Validators are built once per schema and reused for every stack: building one
costs far more than running it.
"""
from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterator
from typing import Any

from . import quantity

Retrieve = Callable[[str], Any]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _shown(value: Any) -> str:
    """A value as it reads in a message: quantities and strings bare, others as JSON-ish."""
    if isinstance(value, str):
        return value if value and value.strip() == value else repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        import json

        text = json.dumps(value, sort_keys=False, default=str)
        return text if len(text) <= 60 else text[:57] + "..."
    return str(value)


def quantity_ok(instance: Any) -> bool:
    """Whether ``x-quantity`` accepts ``instance`` (the compiled check and the keyword agree)."""
    if isinstance(instance, bool) or not isinstance(instance, (str, int, float)):
        return False
    try:
        return quantity.parse(instance) >= 0
    except quantity.QuantityError:
        return False


def bound_ok(kind: str, bound: Any, instance: Any) -> bool:
    """Whether ``x-minimum`` (``kind`` "min") or ``x-maximum`` ("max") accepts ``instance``."""
    return bound_check(kind, bound)(instance)


def bound_check(kind: str, bound: Any) -> Callable[[Any], bool]:
    """``bound_ok`` for one bound, parsed once (the compiled check calls it per value)."""
    try:
        b = quantity.parse(bound)
    except quantity.QuantityError:
        return lambda instance: True  # a bad bound is the schema's problem, not the value's

    def check(instance: Any) -> bool:
        try:
            q = quantity.parse(instance)
        except quantity.QuantityError:
            return True  # x-quantity reports the format
        return not (q > b if kind == "max" else q < b)

    return check


def _x_quantity(validator: Any, kind: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if quantity_ok(instance):
        return
    if isinstance(instance, bool) or not isinstance(instance, (str, int, float)):
        yield ValidationError(f"expected a quantity (e.g. 500m, 2, 8Gi), got {_shown(instance)}")
        return
    try:
        quantity.parse(instance)
    except quantity.QuantityError as e:
        yield ValidationError(str(e))
        return
    yield ValidationError(f"{_shown(instance)} is negative")


def _bound(kind: str) -> Callable[..., Iterator[Any]]:
    def check(validator: Any, bound: Any, instance: Any, schema: Any) -> Iterator[Any]:
        from jsonschema import ValidationError

        if bound_ok(kind, bound, instance):
            return
        if kind == "max":
            yield ValidationError(f"{_shown(instance)} is above the maximum {_shown(bound)}")
        else:
            yield ValidationError(f"{_shown(instance)} is below the minimum {_shown(bound)}")

    return check


def _x_merge_key(validator: Any, field: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    from .fastschema import duplicate_key

    i = duplicate_key(field, instance)
    if i is not None:
        yield ValidationError(f"{_shown(instance[i][field])} is the {field} of an earlier item too "
                              f"(items merge by {field}: each needs its own)", path=[i, field])


_VALIDATOR_CLS: Any = None


def validator_class() -> Any:
    global _VALIDATOR_CLS
    if _VALIDATOR_CLS is None:
        from jsonschema import Draft202012Validator, validators

        _VALIDATOR_CLS = validators.extend(
            Draft202012Validator,
            {
                "x-quantity": _x_quantity,
                "x-minimum": _bound("min"),
                "x-maximum": _bound("max"),
                "x-merge-key": _x_merge_key,
            },
        )
    return _VALIDATOR_CLS


def build(schema: dict[str, Any], base_uri: str = "", retrieve: Retrieve | None = None,
          preload: dict[str, Any] | None = None, registry: Any = None) -> Any:
    """A reusable validator for ``schema``; ``$ref`` resolved through ``retrieve``.

    ``preload`` (URI -> document) puts the documents ``schema`` refers to in the
    registry up front, crawled once. Documents only found through ``retrieve``
    are not kept between validations, so each ``iter_errors`` would fetch and
    crawl them again (measured: half of ``validate --all``'s time).

    The validator checks validity with ``fastschema`` first and runs
    jsonschema only for the errors of invalid instances. A self-contained
    schema (konfig's file formats) is compiled without importing jsonschema at
    all; it is built when the first invalid instance needs its messages.
    ``registry`` (a ``referencing.Registry``) replaces retrieve and preload,
    for callers that share one across schemas (the Kubernetes definitions).
    """
    from . import fastschema

    if base_uri and isinstance(schema, dict) and "$id" not in schema:
        # relative $refs ("../../schemas/x.yaml#/$defs/y") resolve against the file
        schema = {**schema, "$id": base_uri}

    def make() -> Any:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        if registry is not None:
            return validator_class()(schema, registry=registry), registry

        def _retrieve(uri: str) -> Any:
            if retrieve is None:
                from referencing.exceptions import NoSuchResource

                raise NoSuchResource(ref=uri)
            return Resource.from_contents(retrieve(uri), default_specification=DRAFT202012)

        own: Any = Registry(retrieve=_retrieve)  # type: ignore[call-arg]
        if preload:
            own = own.with_resources(
                (uri, Resource.from_contents(doc, default_specification=DRAFT202012))
                for uri, doc in preload.items()
            ).crawl()
        return validator_class()(schema, registry=own), own

    if not preload and retrieve is None and registry is None:
        try:
            return CheckedValidator(lambda: make()[0], fastschema.compile_local(schema, quantity_ok, bound_check))
        except fastschema.Unsupported:
            pass
    validator, reg = make()
    root_uri = schema.get("$id", base_uri) if isinstance(schema, dict) else base_uri
    try:
        check = fastschema.compile_schema(schema, root_uri, reg, quantity_ok, bound_check)
    except fastschema.Unsupported:
        return validator
    return CheckedValidator(validator, check)


class CheckedValidator:
    """A jsonschema validator with a compiled validity check in front (``fastschema``).

    ``iter_errors`` of a valid instance -- nearly every stack -- costs only the
    compiled check; an invalid one gets jsonschema's errors as before. Anything
    else is jsonschema's validator itself.
    """

    def __init__(self, validator: Any, check: Callable[[Any], bool]) -> None:
        self._jsonschema = validator  # the validator, or a function that builds it
        self.check = check

    @property
    def jsonschema(self) -> Any:
        if callable(self._jsonschema) and not hasattr(self._jsonschema, "iter_errors"):
            self._jsonschema = self._jsonschema()
        return self._jsonschema

    def is_valid(self, instance: Any) -> bool:
        return self.check(instance)

    def iter_errors(self, instance: Any) -> Iterator[Any]:
        if self.check(instance):
            return iter(())
        return self.jsonschema.iter_errors(instance)  # type: ignore[no-any-return]

    def validate(self, instance: Any) -> None:
        if not self.check(instance):
            self.jsonschema.validate(instance)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_jsonschema":
            raise AttributeError(name)
        return getattr(self.jsonschema, name)


META_SCHEMA = "https://json-schema.org/draft/2020-12/schema"


@functools.lru_cache(maxsize=1)
def _meta_check() -> Callable[[Any], bool] | None:
    """The 2020-12 meta-schema as a compiled check (``fastschema``), or None.

    jsonschema spends ~40 ms checking one model schema against the meta-schema,
    mostly resolving its ``$dynamicRef: "#meta"`` through the dynamic scope --
    serial work at the start of every validate and test. Checking plain 2020-12
    schemas, the outermost ``$dynamicAnchor: meta`` in scope is always the
    meta-schema's root, so each ``$dynamicRef`` is a ``$ref`` to that root: the
    documents are compiled with that substitution.
    """
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    from . import fastschema

    try:
        from jsonschema_specifications import REGISTRY
    except ImportError:  # pragma: no cover - a dependency of jsonschema
        return None

    def static(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("$dynamicRef") == "#meta":
                node = {**{k: v for k, v in node.items() if k != "$dynamicRef"}, "$ref": META_SCHEMA}
            return {k: static(v) for k, v in node.items()}
        if isinstance(node, list):
            return [static(v) for v in node]
        return node

    prefix = META_SCHEMA.rsplit("/", 1)[0] + "/"
    docs = {uri: static(REGISTRY.contents(uri)) for uri in REGISTRY if uri.startswith(prefix)}
    registry = Registry().with_resources(
        (uri, Resource.from_contents(doc, default_specification=DRAFT202012)) for uri, doc in docs.items()
    ).crawl()
    try:
        return fastschema.compile_schema(docs[META_SCHEMA], META_SCHEMA, registry, quantity_ok, bound_check)
    except (fastschema.Unsupported, KeyError):
        return None


def check_schema(schema: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Problems of a schema itself against the 2020-12 meta-schema (path, message)."""
    meta = _meta_check()
    if meta is not None and meta(schema):
        return []
    from jsonschema import Draft202012Validator

    out = []
    for err in Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema):
        out.append((tuple(err.absolute_path), f"invalid schema: {err.message}"))
    return out


def explain_all(err: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Every finding in one jsonschema error: each unknown or missing key on its own."""
    first = explain_error(err)
    out = [first]
    inst = err.instance
    if err.validator in ("additionalProperties", "unevaluatedProperties", "required") and isinstance(inst, dict):
        keys = _unexpected(err) if err.validator != "required" else [
            k for k in err.validator_value if k not in inst]
        for k in keys[1:]:
            out.append(explain_error(err, k))
    return out


def _unexpected(err: Any) -> list[str]:
    import re

    inst = err.instance
    if err.validator == "unevaluatedProperties":
        # jsonschema only names the keys in its message: ('a', 'b' were unexpected)
        m = re.search(r"\((.*) (?:was|were) unexpected\)", err.message)
        names = re.findall(r"'((?:[^'\\]|\\.)*)'", m.group(1)) if m else []
        return [k for k in names if k in inst]
    allowed = err.schema.get("properties", {})
    patterns = err.schema.get("patternProperties", {})
    return [k for k in inst if k not in allowed and not any(re.search(p, k) for p in patterns)]


def explain_error(err: Any, key: str | None = None) -> tuple[tuple[Any, ...], str]:
    """(path of the offending value, a one-line message) for a jsonschema error.

    ``key`` picks which unknown/missing key to describe when there are several.
    """
    path = tuple(err.absolute_path)
    v = err.validator
    inst = err.instance
    val = err.validator_value
    why = err.schema.get("description") if isinstance(err.schema, dict) else None
    why = f" ({why.rstrip('.')})" if why else ""
    if v == "required":
        missing = [k for k in val if isinstance(inst, dict) and k not in inst]
        if missing:
            return path + (key or missing[0],), "is required but not set" + why
    if v in ("additionalProperties", "unevaluatedProperties") and isinstance(inst, dict):
        extra = _unexpected(err)
        if extra:
            k = key or extra[0]
            allowed = list(err.schema.get("properties", {})) if isinstance(err.schema, dict) else []
            msg = "unknown key"
            close = difflib.get_close_matches(k, allowed, n=1)
            if close:
                msg += f" (did you mean {close[0]!r}?)"
            elif allowed and v == "additionalProperties":
                msg += f" (allowed: {', '.join(allowed)})"
            return path + (k,), msg
    if v == "type":
        want = val if isinstance(val, str) else " or ".join(val)
        return path, f"expected {want}, got {_type_name(inst)} {_shown(inst)}"
    if v == "enum":
        return path, f"{_shown(inst)} is not one of {', '.join(_shown(x) for x in val)}"
    if v == "const":
        return path, f"must be {_shown(val)}, got {_shown(inst)}" + why
    if v == "maximum":
        return path, f"{_shown(inst)} is above the maximum {_shown(val)}"
    if v == "minimum":
        return path, f"{_shown(inst)} is below the minimum {_shown(val)}"
    if v == "exclusiveMaximum":
        return path, f"{_shown(inst)} must be below {_shown(val)}"
    if v == "exclusiveMinimum":
        return path, f"{_shown(inst)} must be above {_shown(val)}"
    if v == "pattern":
        return path, f"{_shown(inst)} does not match the pattern {val}"
    if v == "minItems":
        return path, f"needs at least {val} item{'s' if val != 1 else ''}, has {len(inst)}"
    if v == "maxItems":
        return path, f"allows at most {val} item{'s' if val != 1 else ''}, has {len(inst)}"
    if v == "uniqueItems":
        return path, "items must be unique"
    if v == "minLength":
        return path, f"{_shown(inst)} is shorter than {val} characters"
    if v == "maxLength":
        return path, f"{_shown(inst)} is longer than {val} characters"
    if v in ("oneOf", "anyOf") and err.context:
        best = min(err.context, key=lambda e: (len(e.absolute_path) * -1, e.relative_schema_path))
        bpath, bmsg = explain_error(best)
        return bpath, bmsg
    if v == "not":
        if isinstance(val, dict) and "pattern" in val:
            return path, f"{_shown(inst)} must not match the pattern {val['pattern']}" + why
        if isinstance(val, dict) and "const" in val:
            return path, f"must not be {_shown(val['const'])}" + why
        if isinstance(val, dict) and "enum" in val:
            return path, f"{_shown(inst)} must not be one of {', '.join(map(_shown, val['enum']))}" + why
        return path, f"{_shown(inst)} is not allowed here" + why
    if v == "dependentRequired":
        for k, needed in val.items():
            if isinstance(inst, dict) and k in inst:
                missing = [n for n in needed if n not in inst]
                if missing:
                    return path + (missing[0],), f"is required when {k!r} is set"
    if v == "false" or err.schema is False:
        return path, "is not allowed here"
    if isinstance(v, str) and v.startswith("x-"):
        return path, err.message  # our own messages say it all
    return path, err.message + why


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def iter_refs(schema: Any) -> Iterator[str]:
    """Every ``$ref`` string in a schema document."""
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k in ("$ref", "$dynamicRef") and isinstance(v, str):
                yield v
            else:
                yield from iter_refs(v)
    elif isinstance(schema, list):
        for v in schema:
            yield from iter_refs(v)
