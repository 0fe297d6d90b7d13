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

import dataclasses
import difflib
import functools
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

from .. import quantity
from ..errors import quote, shown
from . import ecma

Retrieve = Callable[[str], Any]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _shown(value: Any) -> str:
    return shown(value)


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


# -- ECMA-262 patterns in jsonschema ------------------------------------------------
# jsonschema calls Python's `re` for `pattern`, `patternProperties` and the keys
# `additionalProperties` / `unevaluatedProperties` leave to them; these are its
# keywords with `ecma.search` instead (the messages and the fallback path must
# agree with the compiled check, which uses it too).


def _pattern(validator: Any, patrn: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not ecma.search(patrn)(instance):
        yield ValidationError(f"{quote(instance)} does not match {quote(patrn)}")


def _pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        search = ecma.search(pattern)
        for k, v in instance.items():
            if search(k):
                yield from validator.descend(v, subschema, path=k, schema_path=pattern)


def _matched_by_patterns(schema: Any, key: str) -> bool:
    return any(ecma.search(p)(key) for p in schema.get("patternProperties", {}))


def _additional_properties(validator: Any, ap: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError
    from jsonschema._utils import extras_msg

    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    extras = {k for k in instance if k not in properties and not _matched_by_patterns(schema, k)}
    if validator.is_type(ap, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], ap, path=extra)
    elif not ap and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            yield ValidationError("Additional properties are not allowed (%s %s unexpected)"
                                  % extras_msg(sorted(extras, key=str)))


def _evaluated_keys(validator: Any, instance: Any, schema: Any) -> set[str]:
    """jsonschema's ``find_evaluated_property_keys_by_schema`` with ECMA-262 patterns."""
    if validator.is_type(schema, "boolean"):
        return set()
    out: set[str] = set()
    for kw in ("$ref", "$dynamicRef"):
        ref = schema.get(kw)
        if ref is not None:
            resolved = validator._resolver.lookup(ref)
            out |= _evaluated_keys(validator.evolve(schema=resolved.contents, _resolver=resolved.resolver),
                                   instance, resolved.contents)
    properties = schema.get("properties")
    if validator.is_type(properties, "object"):
        out |= properties.keys() & instance.keys()
    for kw in ("additionalProperties", "unevaluatedProperties"):
        sub = schema.get(kw)
        if sub is not None:
            out |= {k for k, v in instance.items() if _no_errors(validator.descend(v, sub))}
    if "patternProperties" in schema:
        out |= {k for k in instance if _matched_by_patterns(schema, k)}
    for k, sub in schema.get("dependentSchemas", {}).items():
        if k in instance:
            out |= _evaluated_keys(validator, instance, sub)
    for kw in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(kw, []):
            if _no_errors(validator.descend(instance, sub)):
                out |= _evaluated_keys(validator, instance, sub)
    if "if" in schema:
        if validator.evolve(schema=schema["if"]).is_valid(instance):
            out |= _evaluated_keys(validator, instance, schema["if"])
            if "then" in schema:
                out |= _evaluated_keys(validator, instance, schema["then"])
        elif "else" in schema:
            out |= _evaluated_keys(validator, instance, schema["else"])
    return out


def _no_errors(errors: Iterator[Any]) -> bool:
    return next(errors, None) is None


def _unevaluated_properties(validator: Any, uP: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError
    from jsonschema._utils import extras_msg

    if not validator.is_type(instance, "object"):
        return
    evaluated = _evaluated_keys(validator, instance, schema)
    unevaluated = [k for k in instance if k not in evaluated
                   and not _no_errors(validator.descend(instance[k], uP, path=k, schema_path=k))]
    if unevaluated:
        if uP is False:
            yield ValidationError("Unevaluated properties are not allowed (%s %s unexpected)"
                                  % extras_msg(sorted(unevaluated, key=str)))
        else:
            yield ValidationError("Unevaluated properties are not valid under the given schema "
                                  "(%s %s unevaluated and invalid)" % extras_msg(unevaluated))

def duplicate_key(field: Any, instance: Any) -> int | None:
    """The index of the first item of ``instance`` whose ``field`` an earlier item has (x-merge-key)."""
    if not isinstance(instance, list) or not isinstance(field, str):
        return None
    seen = set()
    for i, item in enumerate(instance):
        if isinstance(item, dict):
            k = item.get(field)
            if isinstance(k, (str, int, float, bool)):
                if k in seen:  # as the merge's index finds them
                    return i
                seen.add(k)
    return None


def _x_merge_key(validator: Any, field: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    i = duplicate_key(field, instance)
    if i is not None:
        yield ValidationError(f"{_shown(instance[i][field])} is the {field} of an earlier item too "
                              f"(items merge by {field}: each needs its own)", path=[i, field])


_VALIDATOR_CLS: Any = None


def validator_class() -> Any:
    """jsonschema's Draft 2020-12 validator with konfig's keywords and ECMA-262 patterns.

    The reference: every verdict of the compiled check (``compiled``) must be
    this class's, and every message comes from it.
    """
    global _VALIDATOR_CLS
    if _VALIDATOR_CLS is None:
        from jsonschema import Draft202012Validator, validators

        _VALIDATOR_CLS = validators.extend(
            Draft202012Validator,
            {
                "x-quantity": _x_quantity,
                "x-minimum": _bound("min"),
                "x-maximum": _bound("max"),
                "pattern": _pattern,
                "patternProperties": _pattern_properties,
                "additionalProperties": _additional_properties,
                "unevaluatedProperties": _unevaluated_properties,
                "x-merge-key": _x_merge_key,
            },
        )
    return _VALIDATOR_CLS


# -- the compiled check: jsonschema-rs ------------------------------------------------
# jsonschema-rs (Rust) answers "valid or not" 10-100x faster than jsonschema; konfig's
# keywords are Python classes it calls back. Whatever it cannot take (a pattern its
# engine refuses, a value that is not JSON: an integer key) leaves the answer to
# jsonschema, which is also asked for the messages whenever the answer is "invalid":
# so a verdict can only differ where jsonschema-rs says "valid" and jsonschema would
# not, which tests/schema/test_compiled.py looks for.

class _Invalid(Exception):
    """Raised by konfig's keywords inside jsonschema-rs (the message is jsonschema's to give)."""


class _XQuantity:
    """``x-quantity``, with the parent's ``x-minimum`` / ``x-maximum`` in the same callback:
    one crossing from Rust and one parse per value, the verdicts remembered per value
    (stacks repeat the same few spellings)."""

    def __init__(self, parent: Any, value: Any, path: Any) -> None:
        lo, hi = parent.get("x-minimum", _NONE), parent.get("x-maximum", _NONE)
        lo_ok = bound_check("min", lo) if lo is not _NONE else None
        hi_ok = bound_check("max", hi) if hi is not _NONE else None
        self.known: dict[tuple[type, Any], bool] = {}

        def ok(instance: Any) -> bool:
            return quantity_ok(instance) and (lo_ok is None or lo_ok(instance)) \
                and (hi_ok is None or hi_ok(instance))

        self.ok = ok

    def validate(self, instance: Any) -> None:
        try:
            key = (instance.__class__, instance)
            verdict = self.known.get(key)
        except TypeError:  # a list or mapping: not a quantity
            raise _Invalid() from None
        if verdict is None:
            verdict = self.known[key] = self.ok(instance)
        if not verdict:
            raise _Invalid()


_NONE = object()


class _XBound:
    """``x-minimum`` / ``x-maximum`` without ``x-quantity`` beside it (with it, ``_XQuantity``
    checks the bound)."""

    kind = ""

    def __init__(self, parent: Any, value: Any, path: Any) -> None:
        self.ok = None if "x-quantity" in parent else bound_check(self.kind, value)

    def validate(self, instance: Any) -> None:
        if self.ok is not None and not self.ok(instance):
            raise _Invalid()


class _XMinimum(_XBound):
    kind = "min"


class _XMaximum(_XBound):
    kind = "max"


class _XMergeKey:
    def __init__(self, parent: Any, value: Any, path: Any) -> None:
        self.field = value

    def validate(self, instance: Any) -> None:
        if isinstance(instance, list) and duplicate_key(self.field, instance) is not None:
            raise _Invalid()


class _MultipleOf:
    """jsonschema's ``multipleOf``, which jsonschema-rs computes differently for fractions
    (it finds 0.3 a multiple of 0.1; jsonschema, dividing floats, does not): the reference's
    verdict, not the better one. No schema here uses it, so no stack pays the callback."""

    def __init__(self, parent: Any, value: Any, path: Any) -> None:
        self.by = value

    def validate(self, instance: Any) -> None:
        if isinstance(instance, bool) or not isinstance(instance, (int, float)):
            return
        dB = self.by
        try:
            if isinstance(dB, float):
                quotient = instance / dB
                try:
                    failed = int(quotient) != quotient
                except OverflowError:
                    failed = (Fraction(instance) / Fraction(dB)).denominator != 1
            else:
                failed = bool(instance % dB)
        except (ArithmeticError, ValueError, TypeError):
            failed = True  # jsonschema's to report
        if failed:
            raise _Invalid()


KEYWORDS_RS = {"x-quantity": _XQuantity, "x-minimum": _XMinimum, "x-maximum": _XMaximum,
               "x-merge-key": _XMergeKey, "multipleOf": _MultipleOf}


def _no_retrieval(uri: str) -> Any:
    raise LookupError(f"{uri} is not a known schema")  # jsonschema-rs would fetch it over HTTP


class Documents:
    """Schema documents by URI that many validators resolve ``$ref`` s in (the Kubernetes
    definitions): each library's registry built once, when first needed."""

    def __init__(self, docs: dict[str, Any]) -> None:
        self.docs = docs

    @functools.cached_property
    def rs(self) -> Any:
        import jsonschema_rs

        return jsonschema_rs.Registry(list(self.docs.items()), draft=jsonschema_rs.Draft202012,
                                      retriever=_no_retrieval)

    @functools.cached_property
    def referencing(self) -> Any:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        return Registry().with_resources(
            (uri, Resource.from_contents(doc, default_specification=DRAFT202012))
            for uri, doc in self.docs.items()).crawl()


def compiled(schema: Any, retrieve: Retrieve | None = None, preload: dict[str, Any] | None = None,
             documents: Documents | None = None) -> Callable[[Any], bool] | None:
    """The validity check of ``schema`` by jsonschema-rs, or None where it cannot take the
    schema (then jsonschema alone decides). A value it cannot read (not JSON) is "invalid":
    jsonschema decides those too."""
    import jsonschema_rs

    def fetch(uri: str) -> Any:
        if retrieve is None:
            _no_retrieval(uri)
        return retrieve(uri)

    if documents is not None:
        registry = documents.rs
    elif preload:
        docs = dict(preload)
        if isinstance(schema, dict) and isinstance(schema.get("$id"), str):
            docs[schema["$id"]] = schema  # other documents may refer back to it, as in jsonschema
        registry = jsonschema_rs.Registry(list(docs.items()), draft=jsonschema_rs.Draft202012,
                                          retriever=fetch)
    else:
        registry = None
    try:
        valid = jsonschema_rs.Draft202012Validator(
            schema, registry=registry, retriever=fetch, keywords=KEYWORDS_RS, validate_formats=False,
        ).is_valid
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError, TypeError):
        return None  # a pattern its engine refuses, an unresolvable $ref: jsonschema's to say

    def check(instance: Any) -> bool:
        try:
            return valid(instance)
        except (ValueError, TypeError, OverflowError):  # not JSON (a non-string key): ask jsonschema
            return False

    return check


def build(schema: dict[str, Any], base_uri: str = "", retrieve: Retrieve | None = None,
          preload: dict[str, Any] | None = None, documents: Documents | None = None) -> Any:
    """A reusable validator for ``schema``; ``$ref`` resolved through ``retrieve``.

    ``preload`` (URI -> document) puts the documents ``schema`` refers to in the
    registries up front. Documents only found through ``retrieve`` are not kept
    between validations, so each ``iter_errors`` would fetch and crawl them
    again (measured: half of ``validate --all``'s time).

    The validator asks jsonschema-rs (``compiled``) whether an instance is
    valid and builds konfig's jsonschema validator -- for the messages -- only
    when the first answer is "invalid". ``documents`` replaces retrieve and
    preload, for callers that share documents across schemas (the Kubernetes
    definitions). Never fetches anything over the network.
    """
    if base_uri and isinstance(schema, dict) and "$id" not in schema:
        # relative $refs ("../../schemas/x.yaml#/$defs/y") resolve against the file
        schema = {**schema, "$id": base_uri}

    def make() -> Any:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        if documents is not None:
            return validator_class()(schema, registry=documents.referencing)

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
        return validator_class()(schema, registry=own)

    check = compiled(schema, retrieve, preload, documents)
    if check is None:
        return make()
    return CheckedValidator(make, check)


class CheckedValidator:
    """konfig's jsonschema validator with jsonschema-rs's validity check in front.

    ``iter_errors`` of a valid instance -- nearly every stack -- costs only the
    compiled check; an invalid one gets jsonschema's errors as before (and
    jsonschema's verdict: none means valid). Anything else is jsonschema's
    validator itself, built on first use.
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
        return self.check(instance) or self.jsonschema.is_valid(instance)

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


def _meta_valid(schema: Any) -> bool:
    """Whether jsonschema-rs finds ``schema`` valid against the 2020-12 meta-schema (its
    ``$dynamicRef`` s resolved as the specification says; jsonschema needs ~40 ms a model
    schema for the same, serial work at the start of every validate and test)."""
    import jsonschema_rs

    if isinstance(schema, dict) and schema.get("$schema", META_SCHEMA) != META_SCHEMA:
        return False  # another dialect: jsonschema's check decides, as before
    try:
        return bool(jsonschema_rs.meta.is_valid(schema))
    except (ValueError, TypeError, jsonschema_rs.ReferencingError):
        return False


def check_schema(schema: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Problems of a schema itself against the 2020-12 meta-schema (path, message)."""
    if _meta_valid(schema):
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
    return [k for k in inst if k not in allowed and not _matched_by_patterns(err.schema, k)]


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
    return path, _requoted(err.message, inst) + why


def _requoted(message: str, instance: Any) -> str:
    """jsonschema's own message with the value in it quoted as konfig quotes values (clipped)."""
    if isinstance(instance, (str, list, dict)) and len(instance) > 20:
        whole = repr(instance)
        if len(whole) > 200 and whole in message:
            return message.replace(whole, quote(instance))
    return message


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


# -- schemas that cannot work --------------------------------------------------------
# Found when a schema is loaded, each at its file and key path, never when some
# value first reaches it: a pattern that is not ECMA-262 (error), a `$ref` cycle
# that never reaches a value (error: evaluating it recurses forever), a keyword
# JSON Schema does not define (warning: the meta-schema allows it, so a typo
# such as `minimun` is silently no constraint at all).

# Where 2020-12 (and the earlier drafts jsonschema still reads) keeps subschemas.
_ONE = ("additionalProperties", "unevaluatedProperties", "items", "contains", "propertyNames",
        "not", "if", "then", "else", "unevaluatedItems", "contentSchema", "additionalItems")
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies")
# ... and those applied to the very instance the schema is (a cycle through them never ends)
_IN_PLACE_ONE = ("not", "if", "then", "else")
_IN_PLACE_LIST = ("allOf", "anyOf", "oneOf")
_IN_PLACE_MAP = ("dependentSchemas", "dependencies")

KEYWORDS = frozenset((
    # core
    "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$comment",
    "$defs", "definitions", "$recursiveRef", "$recursiveAnchor",
    # applicators
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "dependencies",
    "prefixItems", "items", "additionalItems", "contains", "properties", "patternProperties",
    "additionalProperties", "propertyNames", "unevaluatedItems", "unevaluatedProperties",
    # validation
    "type", "const", "enum", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains",
    "minContains", "maxProperties", "minProperties", "required", "dependentRequired",
    # format, content, meta-data
    "format", "contentEncoding", "contentMediaType", "contentSchema", "title", "description",
    "default", "deprecated", "readOnly", "writeOnly", "examples",
    # annotations OpenAPI adds, read by editors and doc tools (no constraint is lost without them)
    "example", "externalDocs", "xml", "discriminator",
))

Load = Callable[[str], "tuple[Any, tuple[Any, ...]] | None"]


@dataclasses.dataclass(frozen=True)
class Finding:
    """Something wrong with a schema itself: in document ``uri`` at key ``path``."""

    uri: str
    path: tuple[Any, ...]
    message: str
    severity: str = "error"  # error | warning


def lint(root: Any, uri: str, load: Load, prefix: tuple[Any, ...] = ()) -> list[Finding]:
    """What keeps the schema ``root`` (at ``prefix`` in document ``uri``) from working.

    Walks every subschema that can be evaluated: ``root``'s own and those its
    ``$ref`` s reach, across documents (``load(uri)`` gives a document's root
    schema and its path in the file, or None when it cannot be read: unreadable
    references are reported by whoever resolves them). Each place is looked at
    once, so a recursive schema (a tree of nodes) is walked once.
    """
    findings: list[Finding] = []
    nodes: dict[tuple[str, tuple[Any, ...]], Any] = {}
    edges: dict[tuple[str, tuple[Any, ...]], list[tuple[tuple[str, tuple[Any, ...]], str | None]]] = {}
    docs: dict[str, Any] = {uri: (root, prefix)}

    def document(doc: str) -> Any:
        if doc not in docs:
            docs[doc] = load(doc)
        return docs[doc]

    def target(ref: str, base: str) -> tuple[str, tuple[Any, ...]] | None:
        from urllib.parse import unquote, urldefrag, urljoin

        doc, fragment = urldefrag(urljoin(base, ref))
        doc = doc or base
        loaded = document(doc)
        if loaded is None:
            return None
        node, path = loaded
        fragment = unquote(fragment)
        if fragment and not fragment.startswith("/"):
            return None  # an anchor: jsonschema resolves it
        for part in fragment.split("/")[1:] if fragment else ():
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                part = int(part)  # type: ignore[assignment]
                node = node[int(part)]
            else:
                return None  # unresolvable: reported where references are resolved
            path = path + (part,)
        key = (doc, path)
        nodes.setdefault(key, node)
        return key

    from collections import deque

    todo = deque([(uri, prefix)])  # breadth first: found in the order the document reads
    nodes[(uri, prefix)] = root
    while todo:
        key = todo.popleft()
        if key in edges:
            continue
        doc, path = key
        node = nodes[key]
        out = edges[key] = []
        if not isinstance(node, dict):
            continue

        def sub(child: Any, cpath: tuple[Any, ...], in_place: bool) -> None:
            ckey = (doc, cpath)
            nodes.setdefault(ckey, child)
            if in_place:
                out.append((ckey, None))
            if isinstance(child, dict) and ckey not in edges:
                todo.append(ckey)

        for kw, value in node.items():
            if kw == "pattern" and isinstance(value, str):
                why = ecma.error(value)
                if why:
                    findings.append(Finding(doc, path + (kw,), f"pattern {quote(value)} is not an ECMA-262 "
                                                                f"regular expression (JSON Schema's dialect): {why}"))
            elif kw == "patternProperties" and isinstance(value, dict):
                for p in value:
                    why = ecma.error(p)
                    if why:
                        findings.append(Finding(doc, path + (kw, p), f"patternProperties key {quote(p)} is not an "
                                                                     f"ECMA-262 regular expression (JSON Schema's dialect): {why}"))
            if kw not in KEYWORDS and not kw.startswith("x-"):
                close = difflib.get_close_matches(kw, KEYWORDS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                findings.append(Finding(doc, path + (kw,), f"unknown keyword {quote(kw)}{hint}: JSON Schema "
                                                           "ignores it, so it checks nothing", "warning"))
            if kw in _ONE and isinstance(value, (dict, bool)):
                sub(value, path + (kw,), kw in _IN_PLACE_ONE)
            if kw in _LIST and isinstance(value, list):
                for i, item in enumerate(value):
                    sub(item, path + (kw, i), kw in _IN_PLACE_LIST)
            if kw in _MAP and isinstance(value, dict):
                for name, item in value.items():
                    if isinstance(item, (dict, bool)):
                        sub(item, path + (kw, name), kw in _IN_PLACE_MAP)
        ref = node.get("$ref")
        if isinstance(ref, str):
            tkey = target(ref, doc)
            if tkey is not None:
                out.append((tkey, ref))
                if tkey not in edges:
                    todo.append(tkey)
    cycle = _in_place_cycle(edges, (uri, prefix))
    if cycle is not None:
        findings.append(cycle_finding(cycle, uri, prefix))
    return findings


def _in_place_cycle(edges: dict[Any, list[Any]], start: Any) -> list[tuple[Any, str | None]] | None:
    """A loop of schemas that apply to the same instance, as [(node, the $ref it follows on
    or None)], or None. Depth first, without recursion (schemas nest deeply)."""
    state: dict[Any, int] = {}  # 1 on the current path, 2 done
    for first in [start] + [k for k in edges if k != start]:
        if first in state:
            continue
        state[first] = 1
        stack: list[tuple[Any, Iterator[Any]]] = [(first, iter(edges.get(first, ())))]
        leads: list[str | None] = []  # leads[j]: how stack[j] reaches stack[j + 1]
        while stack:
            node, it = stack[-1]
            step = next(it, None)
            if step is None:
                state[node] = 2
                stack.pop()
                if leads:
                    leads.pop()
                continue
            nxt, ref = step
            if state.get(nxt) == 1:
                i = [n for n, _ in stack].index(nxt)
                return [(n, r) for (n, _), r in zip(stack[i:], leads[i:] + [ref])]
            if nxt not in state:
                state[nxt] = 1
                leads.append(ref)
                stack.append((nxt, iter(edges.get(nxt, ()))))
    return None


def cycle_finding(cycle: list[tuple[tuple[str, tuple[Any, ...]], str | None]], uri: str,
                  prefix: tuple[Any, ...] = ()) -> Finding:
    """The error for a loop: at the first ``$ref`` on it, naming every schema it goes through
    as a ``$ref`` would (``#/$defs/a``, ``units.yaml#/$defs/b``)."""
    def name(key: tuple[str, tuple[Any, ...]]) -> str:
        doc, path = key
        if doc == uri and path[:len(prefix)] == prefix:
            path = path[len(prefix):]
        pointer = "#" + "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
        where = doc.rsplit("/", 1)[-1] if doc != uri else ""
        return where + pointer

    at = next(i for i, (_, ref) in enumerate(cycle) if ref is not None)
    loop = cycle[at:] + cycle[:at]
    (doc, path), ref = loop[0]
    chain = " -> ".join(name(k) for k, _ in loop) + " -> " + name(loop[0][0])
    return Finding(doc, path + ("$ref",), f"$ref {quote(ref)} is a cycle that never reaches a value "
                                          f"({chain}): every schema on it applies to the same value")
