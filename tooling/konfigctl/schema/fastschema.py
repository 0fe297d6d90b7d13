"""A JSON Schema compiled to plain Python closures that answer one question: valid or not.

jsonschema spends most of its time building validator objects and error
context for every subschema it descends into (measured: ~3 ms per resolved
stack, 70% of ``validate --all``). Almost every stack is valid, so the
validators ``schema.build`` returns ask this compiled check first and only run
jsonschema -- for its messages -- when the answer is "invalid".

The check mirrors what jsonschema's Draft 2020-12 validator (with konfig's
``x-quantity`` / ``x-minimum`` / ``x-maximum`` / ``x-merge-key`` and ECMA-262 patterns, see
``schema.validator_class``) accepts, keyword by keyword,
including its quirks (``integer`` accepts 2.0, ``true`` is not ``1``, formats
are annotations, unknown keywords are ignored, which keys count as evaluated
for ``unevaluatedProperties``). Anything it does not cover (``$dynamicRef``,
``unevaluatedItems``, nested ``$id``, unresolvable ``$ref``...) raises
``Unsupported`` at compile time and the caller keeps plain jsonschema: never a
different verdict, at worst the old speed. ``tests/schema/test_fastschema.py`` checks
the two agree on generated instances of every schema in the repository.
"""
from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any
from urllib.parse import urldefrag, urljoin

from . import ecma

Check = Callable[[Any], bool]
Evaluated = Callable[[dict[str, Any]], set[str]]


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


# Keywords jsonschema's 2020-12 validator acts on that this module does not.
_UNSUPPORTED = ("$dynamicRef", "unevaluatedItems", "$recursiveRef")
_MISSING = object()


class Unsupported(Exception):
    """The schema uses something the compiled check does not mirror: use jsonschema alone."""


def _true(_x: Any) -> bool:
    return True


def _false(_x: Any) -> bool:
    return False


def _is_number(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, (int, float)) or isinstance(x, numbers.Number)


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


_TYPES: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": _is_number,
    "integer": _is_integer,
}


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _true
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda x: a(x) and b(x)
    seq = tuple(checks)

    def check(x: Any) -> bool:
        for c in seq:
            if not c(x):
                return False
        return True

    return check


def _scalar_key(v: Any) -> tuple[str, Any] | None:
    """A hashable key under which jsonschema's ``equal`` holds exactly for scalars."""
    if v is None:
        return ("z", None)
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, (int, float)) and not (isinstance(v, float) and v != v):
        return ("n", v)
    if isinstance(v, str):
        return ("s", v)
    return None


_TRUE, _FALSE = object(), object()


def _unbool(v: Any) -> Any:
    return _TRUE if v is True else _FALSE if v is False else v


def _equal(one: Any, two: Any) -> bool:
    """Equality as jsonschema's ``enum``/``const``/``uniqueItems`` see it: ``True`` is not ``1``."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(k in two and _equal(v, two[k]) for k, v in one.items())
    return bool(_unbool(one) == _unbool(two))


def _uniq(items: list[Any]) -> bool:
    seen: list[Any] = []
    for item in items:
        if any(_equal(item, s) for s in seen):
            return False
        seen.append(item)
    return True


class Compiler:
    """Compiles the schemas of one registry; shares compiled subschemas between them."""

    def __init__(self, registry: Any, quantity_ok: Check,
                 bound_check: Callable[[str, Any], Check]) -> None:
        self.registry = registry
        self.equal = _equal
        self.uniq = _uniq
        self.quantity_ok = quantity_ok
        self.bound_check = bound_check
        self.checks: dict[tuple[int, str], Check | None] = {}
        self.evaluated: dict[tuple[int, str], Evaluated | None] = {}
        self._keep: list[Any] = []  # nodes compiled, kept alive so their ids stay unique

    # -- references --------------------------------------------------------------

    def _lookup(self, ref: str, base: str) -> tuple[Any, str]:
        if self.registry is None:  # a self-contained schema: JSON pointers into the root only
            return _pointer(self._root, ref), base
        from referencing.exceptions import Unresolvable

        try:
            resolved = self.registry.resolver(base).lookup(ref)
        except Unresolvable as e:
            raise Unsupported(f"unresolvable $ref {ref!r}") from e
        target = resolved.contents
        doc = urldefrag(urljoin(base, ref))[0] or base
        if isinstance(target, dict) and "$id" in target and target is not self._root:
            # a document's own root naming itself is fine; an embedded resource is not
            if urljoin(doc, target["$id"]) != doc or urldefrag(urljoin(base, ref))[1]:
                raise Unsupported("$id below the root")
        return target, doc

    # -- validity ----------------------------------------------------------------

    def compile(self, node: Any, base: str, root: bool = False) -> Check:
        if root:
            self._root = node
        if node is True:
            return _true
        if node is False:
            return _false
        if not isinstance(node, dict):
            raise Unsupported(f"schema of type {type(node).__name__}")
        key = (id(node), base)
        if key in self.checks:
            done = self.checks[key]
            if done is not None:
                return done
            return lambda x: self.checks[key](x)  # type: ignore[misc]  # a cycle: bound later
        self.checks[key] = None
        self._keep.append(node)
        fn = self._build(node, base, root)
        self.checks[key] = fn
        return fn

    def _build(self, s: dict[str, Any], base: str, root: bool) -> Check:
        for kw in _UNSUPPORTED:
            if kw in s:
                raise Unsupported(kw)
        if "$id" in s and not root and urljoin(base, s["$id"]) != base:
            raise Unsupported("$id below the root")  # an embedded resource: a new base URI
        checks: list[Check] = []
        # Cheap, common keywords first: a failing stack stops early, a valid one runs them all.
        if "type" in s:
            checks.append(self._type(s["type"]))
        if "enum" in s:
            checks.append(self._enum(s["enum"]))
        if "const" in s:
            const, equal = s["const"], self.equal
            checks.append(lambda x: equal(x, const))
        checks.extend(self._numeric(s))
        checks.extend(self._string(s))
        checks.extend(self._object(s, base))
        checks.extend(self._array(s, base))
        if "$ref" in s:
            target, doc = self._lookup(s["$ref"], base)
            checks.append(self.compile(target, doc))
        for kw in ("allOf", "anyOf", "oneOf"):
            if kw in s:
                subs = [self.compile(sub, base) for sub in s[kw]]
                if kw == "allOf":
                    checks.append(_all(subs))
                elif kw == "anyOf":
                    checks.append(lambda x, subs=subs: any(c(x) for c in subs))
                else:
                    checks.append(lambda x, subs=subs: sum(1 for c in subs if c(x)) == 1)
        if "not" in s:
            neg = self.compile(s["not"], base)
            checks.append(lambda x: not neg(x))
        if "if" in s:
            cond = self.compile(s["if"], base)
            then = self.compile(s["then"], base) if "then" in s else _true
            else_ = self.compile(s["else"], base) if "else" in s else _true
            checks.append(lambda x: then(x) if cond(x) else else_(x))
        if "x-quantity" in s:
            checks.append(self.quantity_ok)
        for kw, kind in (("x-minimum", "min"), ("x-maximum", "max")):
            if kw in s:
                checks.append(self.bound_check(kind, s[kw]))
        if "x-merge-key" in s:
            field = s["x-merge-key"]
            checks.append(lambda x: duplicate_key(field, x) is None)
        if "unevaluatedProperties" in s:
            checks.append(self._unevaluated(s, base))
        return _all(checks)

    def _type(self, types: Any) -> Check:
        names = [types] if isinstance(types, str) else list(types)
        try:
            preds = [_TYPES[t] for t in names]
        except (KeyError, TypeError):
            raise Unsupported(f"type {types!r}") from None
        if len(preds) == 1:
            return preds[0]
        return lambda x: any(p(x) for p in preds)

    def _enum(self, values: Any) -> Check:
        equal = self.equal
        values = list(values)
        keys = [_scalar_key(v) for v in values]
        if all(k is not None for k in keys):
            allowed = set(keys)

            def check(x: Any) -> bool:
                k = _scalar_key(x)
                if k is None:
                    return any(equal(v, x) for v in values)  # a container, or NaN
                return k in allowed

            return check
        return lambda x: any(equal(v, x) for v in values)

    def _numeric(self, s: dict[str, Any]) -> list[Check]:
        out: list[Check] = []
        if "minimum" in s and "maximum" in s:
            lo, hi = s["minimum"], s["maximum"]
            out.append(lambda x: not _is_number(x) or not (x < lo or x > hi))  # NaN passes, as there
        elif "minimum" in s:
            lo = s["minimum"]
            out.append(lambda x: not _is_number(x) or not x < lo)
        elif "maximum" in s:
            hi = s["maximum"]
            out.append(lambda x: not _is_number(x) or not x > hi)
        if "exclusiveMinimum" in s:
            elo = s["exclusiveMinimum"]
            out.append(lambda x: not _is_number(x) or not x <= elo)
        if "exclusiveMaximum" in s:
            ehi = s["exclusiveMaximum"]
            out.append(lambda x: not _is_number(x) or not x >= ehi)
        if "multipleOf" in s:
            db = s["multipleOf"]

            def multiple(x: Any) -> bool:
                if not _is_number(x):
                    return True
                if isinstance(db, float):
                    q = x / db
                    try:
                        failed = int(q) != q
                    except OverflowError:
                        failed = (Fraction(x) / Fraction(db)).denominator != 1
                else:
                    failed = x % db
                return not failed

            out.append(multiple)
        return out

    def _string(self, s: dict[str, Any]) -> list[Check]:
        out: list[Check] = []
        if "minLength" in s:
            mn = s["minLength"]
            out.append(lambda x: not isinstance(x, str) or not len(x) < mn)
        if "maxLength" in s:
            mx = s["maxLength"]
            out.append(lambda x: not isinstance(x, str) or not len(x) > mx)
        if "pattern" in s:
            search = _search(s["pattern"])
            out.append(lambda x: not isinstance(x, str) or search(x))
        return out

    def _object(self, s: dict[str, Any], base: str) -> list[Check]:
        out: list[Check] = []
        if "required" in s:
            try:
                req = frozenset(s["required"])
            except TypeError:
                raise Unsupported("required holds unhashable items") from None
            out.append(lambda x: not isinstance(x, dict) or req <= x.keys())
        ap = s.get("additionalProperties", True)
        if "patternProperties" not in s and (ap is True or ap is False or isinstance(ap, dict)):
            # properties and additionalProperties in one pass over the instance's keys
            if "properties" in s or ap is not True:
                out.append(self._keys(s, ap, base))
        else:
            out.extend(self._properties(s, base))
        if "propertyNames" in s:
            names = self.compile(s["propertyNames"], base)
            out.append(lambda x: not isinstance(x, dict) or all(names(k) for k in x))
        if "minProperties" in s:
            mnp = s["minProperties"]
            out.append(lambda x: not isinstance(x, dict) or not len(x) < mnp)
        if "maxProperties" in s:
            mxp = s["maxProperties"]
            out.append(lambda x: not isinstance(x, dict) or not len(x) > mxp)
        if "dependentRequired" in s:
            deps = [(k, tuple(v)) for k, v in s["dependentRequired"].items()]
            out.append(lambda x: not isinstance(x, dict) or all(
                all(d in x for d in need) for k, need in deps if k in x))
        if "dependentSchemas" in s:
            dsch = [(k, self.compile(sub, base)) for k, sub in s["dependentSchemas"].items()]
            out.append(lambda x: not isinstance(x, dict) or all(c(x) for k, c in dsch if k in x))
        return out

    def _keys(self, s: dict[str, Any], ap: Any, base: str) -> Check:
        """``properties`` and a boolean or schema ``additionalProperties``, without patterns."""
        props = {name: self.compile(sub, base) for name, sub in s.get("properties", {}).items()}
        get = props.get
        if ap is True:
            def known(x: Any) -> bool:
                if not isinstance(x, dict):
                    return True
                for k, v in x.items():
                    c = get(k)
                    if c is not None and not c(v):
                        return False
                return True

            return known
        if ap is False:
            def closed(x: Any) -> bool:
                if not isinstance(x, dict):
                    return True
                for k, v in x.items():
                    c = get(k)
                    if c is None or not c(v):
                        return False
                return True

            return closed
        rest = self.compile(ap, base)

        def typed(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            for k, v in x.items():
                if not get(k, rest)(v):
                    return False
            return True

        return typed

    def _properties(self, s: dict[str, Any], base: str) -> list[Check]:
        """The general case: properties, patternProperties and additionalProperties apart."""
        out: list[Check] = []
        if "properties" in s:
            props = [(name, self.compile(sub, base)) for name, sub in s["properties"].items()]

            def properties(x: Any) -> bool:
                if not isinstance(x, dict):
                    return True
                for name, c in props:
                    v = x.get(name, _MISSING)
                    if v is not _MISSING and not c(v):
                        return False
                return True

            out.append(properties)
        if "patternProperties" in s:
            pats = [(_search(p), self.compile(sub, base))
                    for p, sub in s["patternProperties"].items()]

            def pattern_properties(x: Any) -> bool:
                if not isinstance(x, dict):
                    return True
                for search, c in pats:
                    for k, v in x.items():
                        if search(k) and not c(v):
                            return False
                return True

            out.append(pattern_properties)
        if "additionalProperties" in s:
            out.append(self._additional(s, base))
        return out

    def _additional(self, s: dict[str, Any], base: str) -> Check:
        ap = s["additionalProperties"]
        known = set(s.get("properties", {}))
        searches = [_search(p) for p in s.get("patternProperties", {})]

        def extras(x: dict[str, Any]) -> list[str]:
            return [k for k in x if k not in known and not any(f(k) for f in searches)]

        if ap is True:
            return _true
        if ap is False:
            return lambda x: not isinstance(x, dict) or not extras(x)
        if not isinstance(ap, dict):
            raise Unsupported(f"additionalProperties {ap!r}")
        sub = self.compile(ap, base)
        return lambda x: not isinstance(x, dict) or all(sub(x[k]) for k in extras(x))

    def _array(self, s: dict[str, Any], base: str) -> list[Check]:
        out: list[Check] = []
        if "minItems" in s:
            mni = s["minItems"]
            out.append(lambda x: not isinstance(x, list) or not len(x) < mni)
        if "maxItems" in s:
            mxi = s["maxItems"]
            out.append(lambda x: not isinstance(x, list) or not len(x) > mxi)
        if s.get("uniqueItems"):
            uniq = self.uniq
            out.append(lambda x: not isinstance(x, list) or uniq(x))
        if "prefixItems" in s:
            pre = [self.compile(sub, base) for sub in s["prefixItems"]]
            out.append(lambda x: not isinstance(x, list) or all(c(v) for c, v in zip(pre, x)))
        if "items" in s:
            n = len(s.get("prefixItems", []))
            items = s["items"]
            if items is False:
                out.append(lambda x: not isinstance(x, list) or len(x) <= n)
            else:
                each = self.compile(items, base)

                def every(x: Any) -> bool:
                    if not isinstance(x, list):
                        return True
                    for v in (x[n:] if n else x):
                        if not each(v):
                            return False
                    return True

                out.append(every)
        if "contains" in s:
            has = self.compile(s["contains"], base)
            lo = s.get("minContains", 1)
            hi = s.get("maxContains")

            def contains(x: Any) -> bool:
                if not isinstance(x, list):
                    return True
                top = len(x) if hi is None else hi
                n = 0
                for v in x:
                    if has(v):
                        n += 1
                        if n > top:
                            return False
                return n >= lo

            out.append(contains)
        return out

    # -- unevaluatedProperties -------------------------------------------------------

    def _unevaluated(self, s: dict[str, Any], base: str) -> Check:
        evaluated = self.evaluated_keys(s, base)
        sub = self.compile(s["unevaluatedProperties"], base)

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            seen = evaluated(x)
            return all(sub(v) for k, v in x.items() if k not in seen)

        return check

    def evaluated_keys(self, node: Any, base: str) -> Evaluated:
        """The keys of an object ``node`` evaluates, as jsonschema's unevaluatedProperties counts them."""
        if isinstance(node, bool):
            return lambda x: set()
        if not isinstance(node, dict):
            raise Unsupported("schema is not an object")
        key = (id(node), base)
        if key in self.evaluated:
            done = self.evaluated[key]
            if done is not None:
                return done
            return lambda x: self.evaluated[key](x)  # type: ignore[misc]
        self.evaluated[key] = None
        self._keep.append(node)
        parts: list[Evaluated] = []
        s = node
        if "$ref" in s:
            target, doc = self._lookup(s["$ref"], base)
            parts.append(self.evaluated_keys(target, doc))
        props = s.get("properties")
        if isinstance(props, dict):
            names = set(props)
            parts.append(lambda x: names & x.keys())
        for kw in ("additionalProperties", "unevaluatedProperties"):
            if s.get(kw) is not None:
                sub = self.compile(s[kw], base)
                parts.append(lambda x, sub=sub: {k for k, v in x.items() if sub(v)})
        if "patternProperties" in s:
            searches = [_search(p) for p in s["patternProperties"]]
            parts.append(lambda x: {k for k in x if any(f(k) for f in searches)})
        if "dependentSchemas" in s:
            deps = [(k, self.evaluated_keys(sub, base)) for k, sub in s["dependentSchemas"].items()]
            parts.append(lambda x: set().union(*(ev(x) for k, ev in deps if k in x)))
        for kw in ("allOf", "oneOf", "anyOf"):
            for sub in s.get(kw, []):
                valid, ev = self.compile(sub, base), self.evaluated_keys(sub, base)
                parts.append(lambda x, valid=valid, ev=ev: ev(x) if valid(x) else set())
        if "if" in s:
            cond, ev_if = self.compile(s["if"], base), self.evaluated_keys(s["if"], base)
            ev_then = self.evaluated_keys(s["then"], base) if "then" in s else None
            ev_else = self.evaluated_keys(s["else"], base) if "else" in s else None

            def conditional(x: dict[str, Any]) -> set[str]:
                if cond(x):
                    return ev_if(x) | (ev_then(x) if ev_then else set())
                return ev_else(x) if ev_else else set()

            parts.append(conditional)

        def evaluated(x: dict[str, Any]) -> set[str]:
            out: set[str] = set()
            for p in parts:
                out |= p(x)
            return out

        self.evaluated[key] = evaluated
        return evaluated


def _search(pattern: Any) -> ecma.Search:
    """The ECMA-262 test of a pattern; one that is not valid is jsonschema's to report."""
    try:
        return ecma.search(pattern)
    except ecma.RegexError:
        raise Unsupported(f"pattern {pattern!r}") from None


def _pointer(root: Any, ref: str) -> Any:
    """The node a ``#/json/pointer`` reference names in ``root`` (nothing else is local)."""
    if not ref.startswith("#"):
        raise Unsupported(f"$ref {ref!r} leaves the schema")
    from urllib.parse import unquote

    fragment = unquote(ref[1:])
    if fragment and not fragment.startswith("/"):
        raise Unsupported(f"$ref {ref!r} names an anchor")
    node = root
    for part in fragment.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise Unsupported(f"unresolvable $ref {ref!r}")
    if isinstance(node, dict) and ("$id" in node or "$anchor" in node) and node is not root:
        raise Unsupported("$id below the root")
    return node


def compile_local(schema: Any, quantity_ok: Check, bound_check: Callable[[str, Any], Check]) -> Check:
    """The validity check of a self-contained schema, without the ``referencing`` library.

    Only ``$ref``s that are JSON pointers into ``schema`` itself are followed
    (how konfig's file formats are written), so commands that only check
    metadata files never import jsonschema unless a file is invalid.
    """
    if _has_ids(schema, top=True):
        raise Unsupported("$id or $anchor below the root")
    return Compiler(None, quantity_ok, bound_check).compile(schema, "", root=True)


def _has_ids(node: Any, top: bool = False) -> bool:
    if isinstance(node, dict):
        if not top and ("$id" in node or "$anchor" in node or "$dynamicAnchor" in node):
            return True
        return any(_has_ids(v) for k, v in node.items() if k not in ("enum", "const"))
    if isinstance(node, list):
        return any(_has_ids(v) for v in node)
    return False


def compile_schema(schema: Any, base_uri: str, registry: Any, quantity_ok: Check,
                   bound_check: Callable[[str, Any], Check]) -> Check:
    """The validity check of ``schema`` (raises ``Unsupported`` when it cannot mirror jsonschema)."""
    from referencing import Resource
    from referencing.jsonschema import DRAFT202012

    # the root is in the registry under its URI, as jsonschema's resolver_with_root puts it
    root = Resource.from_contents(schema, default_specification=DRAFT202012)
    registry = registry.with_resource(base_uri, root).crawl()
    return Compiler(registry, quantity_ok, bound_check).compile(schema, base_uri, root=True)
