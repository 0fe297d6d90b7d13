"""OpenAPI schemas (CRD structural schemas, OpenAPI v2/v3 definitions) as konfig's JSON Schema.

OpenAPI's schema dialect is JSON Schema with differences that change meaning,
so each keyword is carried over on purpose, never copied blindly:

* kept: types, required fields, enums, bounds, lengths, patterns, defaults,
  descriptions, ``format``; ``exclusiveMinimum: true`` (v2/v3.0) becomes the
  2020-12 number form, ``nullable``/``x-nullable`` a ``null`` type,
  ``example`` an ``examples`` list;
* ``$ref`` (``#/definitions/X``, ``#/components/schemas/X``, any pointer into
  the document) becomes ``#/$defs/X`` of the written schema -- recursion
  included; a reference that leads nowhere (or out of the document) is bad
  input, exit 2;
* ``x-kubernetes-int-or-string`` (and ``format: int-or-string``, as
  Kubernetes' own swagger.json writes IntOrString) is ``anyOf: [integer, string]``;
  ``x-kubernetes-preserve-unknown-fields`` leaves the object open;
  ``x-kubernetes-embedded-resource`` requires ``apiVersion`` and ``kind``;
  ``x-kubernetes-list-type: map`` with one ``x-kubernetes-list-map-keys`` key
  (and ``x-kubernetes-patch-merge-key`` of a merge strategy) is konfig's
  ``x-merge-key`` (layers merge the list item by item); ``list-type: set`` is
  ``uniqueItems``;
* anything else that means something (CEL ``x-kubernetes-validations``, a
  ``map-type: atomic``, a map list with several keys, ``discriminator``, a
  pattern that is not ECMA-262 even after its ``(?i)`` is spelled out) is a
  warning naming its JSON pointer in the input; other vendor ``x-`` keys are
  left out.

Objects are closed (unknown fields refused: the API server prunes them, and
``kubectl apply --validate=strict`` refuses them), except where the schema
keeps unknown fields. A closed object whose fields come through ``$ref`` or
``allOf`` is closed with ``unevaluatedProperties`` at the place it is used,
never inside the definition, so composition keeps working.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..errors import KonfigError
from ..schema import ecma
from .source import pointer

if TYPE_CHECKING:
    from .source import Imported

COPIED = (
    "title", "description", "type", "format", "default", "enum", "const", "multipleOf",
    "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
    "minProperties", "maxProperties", "required", "deprecated", "readOnly", "writeOnly", "examples",
)
SCHEMAS = ("items", "additionalProperties", "not", "if", "then", "else", "contains",
           "propertyNames", "unevaluatedProperties", "unevaluatedItems")
LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
DROPPED = ("xml", "externalDocs", "id", "$id", "$schema", "collectionFormat", "$comment")
MEANINGLESS = {  # x-kubernetes-* that change nothing konfig checks
    "x-kubernetes-group-version-kind", "x-kubernetes-patch-strategy", "x-kubernetes-list-map-keys",
}
FOLDABLE = {"type", "properties", "required", "description", "title"}  # keys of an allOf branch it can fold
# positions of a subschema: "value" is checked against a value on its own; "branch" is one part
# of a composition (closing it would refuse what a sibling allows); "def" is a definition root
VALUE, BRANCH, DEF = "value", "branch", "def"


class Converter:
    """Converts the schemas of one input; the ``$defs`` and warnings are shared by every call."""

    def __init__(self, imported: "Imported") -> None:
        self.imported = imported
        self.document = imported.document
        self.defs: dict[str, Any] = {}
        self._names: dict[tuple[Any, ...], str] = {}
        self.warnings: list[tuple[tuple[Any, ...], str]] = list(imported.notes)
        self._open: set[int] = set()  # ids of converted objects that keep unknown fields
        self._uses: list[dict[str, Any]] = []  # nodes checked against values of their own: closed later
        self._composed: list[dict[str, Any]] = []  # nodes with allOf: flattened where they can be
        # CRDs prune the fields an object does not list, so `type: object` alone holds nothing;
        # in an OpenAPI document it is a free-form object
        self.empty_is_closed = imported.command == "crd"

    # -- the walk ------------------------------------------------------------------------

    def convert(self, node: Any, path: tuple[Any, ...], position: str = VALUE) -> Any:
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            raise self.fail("a schema must be a mapping", path)
        out: dict[str, Any] = {}
        if "$ref" in node:
            out["$ref"] = "#/$defs/" + self.ref(node["$ref"], path + ("$ref",))
        for key, value in node.items():
            at = path + (key,)
            if key == "$ref":
                continue
            if key == "pattern" and isinstance(value, str):
                kept = self._pattern(value, at)
                if kept is not None:
                    out[key] = kept
            elif key in COPIED:
                out[key] = value
            elif key in ("exclusiveMinimum", "exclusiveMaximum"):
                if not isinstance(value, bool):
                    out[key] = value
            elif key == "example":
                out.setdefault("examples", [value])
            elif key in ("nullable", "x-nullable"):
                pass  # below, once the type is known
            elif key in SCHEMAS:
                if isinstance(value, bool):
                    out[key] = value
                elif key == "items" and isinstance(value, list):  # draft-4 tuple form
                    out["prefixItems"] = [self.convert(v, at + (i,)) for i, v in enumerate(value)]
                else:
                    out[key] = self.convert(value, at, BRANCH if key in ("not", "if", "then", "else") else VALUE)
            elif key in LISTS:
                if not isinstance(value, list):
                    raise self.fail(f"{key} must be a list of schemas", at)
                pos = VALUE if key == "prefixItems" else BRANCH
                out[key] = [self.convert(v, at + (i,), pos) for i, v in enumerate(value)]
            elif key in MAPS:
                if not isinstance(value, dict):
                    raise self.fail(f"{key} must be a mapping of schemas", at)
                if key in ("$defs", "definitions"):
                    continue  # definitions are converted when something refers to them
                out[key] = {str(k): self.convert(v, at + (k,)) for k, v in value.items()}
            elif key.startswith("x-kubernetes-"):
                self._kubernetes(out, node, key, value, at)
            elif key.startswith("x-") or key in DROPPED:
                pass
            elif key == "discriminator":
                self.warn(at, "discriminator is not supported: the variants are checked by their schemas alone")
            elif key == "type" and value == "file":
                self.warn(at, "type file (a v2 upload) has no configuration meaning: any value is accepted")
            else:
                self.warn(at, f"{key} is not a schema keyword konfig knows: left out")
        for key, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if node.get(key) is True and bound in out:  # OpenAPI v2 / v3.0: a flag on the bound
                out[key] = out.pop(bound)
        if out.get("type") == "file":
            del out["type"]
        if out.get("format") == "int-or-string":  # Kubernetes' swagger.json: IntOrString
            out.pop("type", None)
            out.pop("format")
            out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
        if node.get("nullable") is True or node.get("x-nullable") is True:
            _allow_null(out)
        if node.get("x-kubernetes-embedded-resource") is True:  # the API server checks these of it
            props = out.setdefault("properties", {})
            for k in ("apiVersion", "kind"):
                props.setdefault(k, {"type": "string", "minLength": 1})
            props.setdefault("metadata", {"type": "object"})
            out["required"] = list(dict.fromkeys(list(out.get("required") or []) + ["apiVersion", "kind"]))
        if node.get("x-kubernetes-preserve-unknown-fields") is True:
            self._open.add(id(out))
        if "allOf" in out:
            self._composed.append(out)
        if position == VALUE:
            self._uses.append(out)
        return out

    def _pattern(self, pattern: str, at: tuple[Any, ...]) -> str | None:
        """CRD patterns are Go (RE2) regular expressions; konfig's are ECMA-262."""
        text = pattern
        m = re.match(r"^(\^?)\(\?i\)", text)  # Go's case-insensitive flag, at the start
        if m:
            text = m.group(1) + case_folded(text[m.end():])
        why = ecma.error(text)
        if why is None:
            return text
        self.warn(at, f"pattern {pattern!r} is not an ECMA-262 regular expression ({why}): left out")
        return None

    def _kubernetes(self, out: dict[str, Any], node: dict[str, Any], key: str, value: Any,
                    at: tuple[Any, ...]) -> None:
        if key == "x-kubernetes-int-or-string":
            if value is True and not any(k in node for k in ("anyOf", "oneOf")):
                out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
                out.pop("type", None)
        elif key in ("x-kubernetes-embedded-resource", "x-kubernetes-preserve-unknown-fields"):
            pass  # in convert(), once the node is complete
        elif key == "x-kubernetes-list-type":
            if value == "map":
                keys = node.get("x-kubernetes-list-map-keys")
                if isinstance(keys, list) and len(keys) == 1 and isinstance(keys[0], str):
                    out["x-merge-key"] = keys[0]
                else:
                    self.warn(at, f"a map list keyed by {keys!r}: konfig merges lists by one key, so "
                                  "layers replace this list as a whole")
            elif value == "set":
                out["uniqueItems"] = True
        elif key == "x-kubernetes-patch-merge-key":
            strategy = str(node.get("x-kubernetes-patch-strategy", ""))
            if "merge" in strategy.split(",") and isinstance(value, str):
                out.setdefault("x-merge-key", value)
        elif key == "x-kubernetes-map-type":
            if value == "atomic":
                self.warn(at, "map-type atomic is not supported: layers merge this mapping key by key")
        elif key == "x-kubernetes-validations":
            n = len(value) if isinstance(value, list) else 1
            self.warn(at, f"{n} CEL validation rule{'s' if n != 1 else ''} not checked by konfig "
                          "(the API server checks them when the resource is applied)")
        elif key in MEANINGLESS:
            pass
        else:
            self.warn(at, f"{key} is not supported: left out")

    def use(self, node: dict[str, Any]) -> dict[str, Any]:
        """``node`` (a copy of a definition's root, say) is checked against a value of its own."""
        self._uses.append(node)
        return node

    # -- references ------------------------------------------------------------------------

    def ref(self, ref: Any, at: tuple[Any, ...]) -> str:
        """The ``$defs`` name of what ``ref`` points at, converting it the first time."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise self.fail(f"unresolvable $ref {ref!r}: only references into this document are imported", at)
        target_path = tuple(_unescape(p) for p in ref[1:].split("/")[1:]) if ref != "#" else ()
        target = self.document
        resolved: list[Any] = []
        for p in target_path:
            if isinstance(target, list) and p.isdigit() and int(p) < len(target):
                target = target[int(p)]
                resolved.append(int(p))
            elif isinstance(target, dict) and p in target:
                target = target[p]
                resolved.append(p)
            else:
                raise self.fail(f"unresolvable $ref {ref!r}: nothing at {ref[1:] or '/'}", at)
        key = tuple(resolved)
        name = self._names.get(key)
        if name is None:
            name = self._name_for(key)
            self._names[key] = name
            self.defs[name] = None  # a placeholder: a recursive definition refers to itself
            self.defs[name] = self.convert(target, key, DEF)
        return name

    def _name_for(self, path: tuple[Any, ...]) -> str:
        base = re.sub(r"[^A-Za-z0-9._-]", "_", str(path[-1]) if path else "root") or "def"
        name, n = base, 2
        while name in self.defs:
            name, n = f"{base}_{n}", n + 1
        return name

    # -- closing objects ---------------------------------------------------------------------

    def finish(self) -> None:
        """Flatten ``allOf`` of objects; close every object that lists its fields and does not
        keep unknown ones."""
        for node in self._composed:
            self._flatten(node, set())
        for node in self._uses:
            if id(node) in self._open or "additionalProperties" in node or "unevaluatedProperties" in node:
                continue
            own = "properties" in node
            composed = "$ref" in node or any(k in node for k in ("allOf", "anyOf", "oneOf"))
            if own and not composed:
                node["additionalProperties"] = False
            elif composed and self._shape(node, set()) == "fixed":
                node["unevaluatedProperties"] = False
            elif not own and not composed and self.empty_is_closed and node.get("type") == "object":
                node["additionalProperties"] = False

    def _flatten(self, node: dict[str, Any], seen: set[int]) -> None:
        """Fold ``allOf: [A, B]`` of plain objects (``$ref``s to them included) into ``node``.

        A closed object whose fields come from failing ``allOf`` branches would
        call every field of a failing branch unknown (a failing subschema
        evaluates nothing): one object with all the fields reports only the
        real problem.
        """
        if id(node) in seen or "allOf" not in node:
            return
        seen = seen | {id(node)}
        parts = []
        for branch in node["allOf"]:
            target = branch
            if isinstance(branch, dict) and set(branch) <= {"$ref", "description"} and "$ref" in branch:
                target = self.defs.get(str(branch["$ref"]).rsplit("/", 1)[-1])
            if not isinstance(target, dict):
                return
            self._flatten(target, seen)
            if not set(target) <= FOLDABLE or target.get("type", "object") != "object" or id(target) in self._open:
                return
            parts.append(target)
        props = dict(node.get("properties") or {})
        required = list(node.get("required") or [])
        for part in parts:
            for k, v in (part.get("properties") or {}).items():
                if k in props and props[k] is not v:
                    return  # the branches constrain one field twice: kept as they are
                props[k] = v
            required.extend(r for r in part.get("required") or [] if r not in required)
        del node["allOf"]
        node.setdefault("type", "object")
        if props:
            node["properties"] = props
        if required:
            node["required"] = required
        for part in parts:
            if "description" not in node and part.get("description"):
                node["description"] = part["description"]

    def _shape(self, node: Any, seen: set[str]) -> str:
        """``open`` (keeps unknown fields, or a map), ``fixed`` (lists its fields) or ``none``."""
        if not isinstance(node, dict):
            return "open" if node is True else "none"
        if id(node) in self._open:
            return "open"
        ap = node.get("additionalProperties")
        if ap is not None and ap is not False:
            return "open"
        found = "fixed" if "properties" in node or ap is False else "none"
        parts = []
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref[len("#/$defs/"):]
            if name not in seen:
                parts.append(self.defs.get(name))
                seen = seen | {name}
        for k in ("allOf", "anyOf", "oneOf"):
            parts.extend(node.get(k) or [])
        for part in parts:
            s = self._shape(part, seen)
            if s == "open":
                return "open"
            if s == "fixed":
                found = "fixed"
        return found

    def used_defs(self, *roots: Any) -> dict[str, Any]:
        """The definitions ``roots`` reach, in the order they were converted."""
        wanted: set[str] = set()
        todo = list(roots)
        while todo:
            node = todo.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    name = ref[len("#/$defs/"):]
                    if name not in wanted:
                        wanted.add(name)
                        todo.append(self.defs.get(name))
                todo.extend(node.values())
            elif isinstance(node, list):
                todo.extend(node)
        return {k: v for k, v in self.defs.items() if k in wanted}

    # -- messages ----------------------------------------------------------------------------

    def warn(self, path: tuple[Any, ...], message: str) -> None:
        if (path, message) not in self.warnings:
            self.warnings.append((path, message))

    def fail(self, message: str, path: tuple[Any, ...]) -> KonfigError:
        return self.imported.source.fail(message, path, self.imported.doc)

    def warning_lines(self) -> list[str]:
        """``file:line:col: /json/pointer: message`` per warning."""
        from ..errors import location

        src = self.imported.source
        out = []
        for path, message in self.warnings:
            line, col = src.where(path, self.imported.doc)
            out.append(f"{location(src.shown(self.imported.doc), line, col)}: {pointer(path)}: {message}")
        return out


def _unescape(part: str) -> str:
    from urllib.parse import unquote

    return unquote(part).replace("~1", "/").replace("~0", "~")


def _allow_null(out: dict[str, Any]) -> None:
    t = out.get("type")
    if isinstance(t, str):
        out["type"] = [t, "null"]
    elif isinstance(t, list) and "null" not in t:
        out["type"] = t + ["null"]
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = out["enum"] + [None]


def case_folded(pattern: str) -> str:
    """``pattern`` matching letters of either case (what Go's ``(?i)`` prefix means), in ECMA-262.

    Letters outside a class become ``[aA]``; inside a class, each letter and
    letter range gets its other case added. Escapes are kept as they are.
    """
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            out.append(pattern[i:i + 2])
            i += 2
        elif c == "[":
            j = i + 1
            body: list[str] = []
            if j < n and pattern[j] == "^":
                body.append("^")
                j += 1
            extra: list[str] = []
            while j < n and pattern[j] != "]":
                if pattern[j] == "\\" and j + 1 < n:
                    body.append(pattern[j:j + 2])
                    j += 2
                    continue
                if j + 2 < n and pattern[j + 1] == "-" and pattern[j + 2] != "]":
                    lo, hi = pattern[j], pattern[j + 2]
                    body.append(f"{lo}-{hi}")
                    if lo.isalpha() and hi.isalpha() and lo.swapcase() != lo:
                        extra.append(f"{lo.swapcase()}-{hi.swapcase()}")
                    j += 3
                    continue
                ch = pattern[j]
                body.append(ch)
                if ch.isalpha() and ch.swapcase() != ch:
                    extra.append(ch.swapcase())
                j += 1
            out.append("[" + "".join(body) + "".join(extra) + "]")
            i = j + 1
        elif c.isalpha() and c.swapcase() != c and not (out and out[-1].endswith("\\")):
            out.append(f"[{c.lower()}{c.upper()}]")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)
