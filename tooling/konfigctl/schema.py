"""JSON Schema (2020-12) with the Konfig extensions, and errors people can read.

Extensions (all ``x-`` keywords, so editors ignore them):

* ``x-quantity: cpu|memory|storage|any`` -- the value is a Kubernetes quantity;
* ``x-minimum`` / ``x-maximum`` -- bounds written in units (``100Gi``);
* ``x-merge-key: <field>`` on an array of objects -- layers merge items by that
  field (read by ``resolution``, a no-op for validation).

Validators are built once per schema and reused for every stack: building one
costs far more than running it.
"""
from __future__ import annotations

import difflib
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


def _x_quantity(validator: Any, kind: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if isinstance(instance, bool) or not isinstance(instance, (str, int, float)):
        yield ValidationError(f"expected a quantity (e.g. 500m, 2, 8Gi), got {_shown(instance)}")
        return
    try:
        q = quantity.parse(instance)
    except quantity.QuantityError as e:
        yield ValidationError(str(e))
        return
    if q < 0:
        yield ValidationError(f"{_shown(instance)} is negative")


def _bound(kind: str) -> Callable[..., Iterator[Any]]:
    def check(validator: Any, bound: Any, instance: Any, schema: Any) -> Iterator[Any]:
        from jsonschema import ValidationError

        try:
            q = quantity.parse(instance)
            b = quantity.parse(bound)
        except quantity.QuantityError:
            return  # x-quantity reports the format
        if kind == "max" and q > b:
            yield ValidationError(f"{_shown(instance)} is above the maximum {_shown(bound)}")
        elif kind == "min" and q < b:
            yield ValidationError(f"{_shown(instance)} is below the minimum {_shown(bound)}")

    return check


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
            },
        )
    return _VALIDATOR_CLS


def build(schema: dict[str, Any], base_uri: str = "", retrieve: Retrieve | None = None,
          preload: dict[str, Any] | None = None) -> Any:
    """A reusable validator for ``schema``; ``$ref`` resolved through ``retrieve``.

    ``preload`` (URI -> document) puts the files ``schema`` refers to in the
    registry up front: a validator retrieves a file anew on every validation
    otherwise, which made validation 3x slower (measured, docs/performance.md).
    """
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    def _retrieve(uri: str) -> Any:
        if retrieve is None:
            from referencing.exceptions import NoSuchResource

            raise NoSuchResource(ref=uri)
        return Resource.from_contents(retrieve(uri), default_specification=DRAFT202012)

    registry: Any = Registry(retrieve=_retrieve)  # type: ignore[call-arg]
    if preload:
        registry = registry.with_resources(
            (uri, Resource.from_contents(doc, default_specification=DRAFT202012))
            for uri, doc in preload.items()
        ).crawl()
    if base_uri and isinstance(schema, dict) and "$id" not in schema:
        # relative $refs ("../../schemas/x.yaml#/$defs/y") resolve against the file
        schema = {**schema, "$id": base_uri}
    cls = validator_class()
    return cls(schema, registry=registry)


def check_schema(schema: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Problems of a schema itself against the 2020-12 meta-schema (path, message)."""
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
