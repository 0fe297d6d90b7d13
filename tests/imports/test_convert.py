"""The OpenAPI -> konfig JSON Schema conversion, keyword by keyword, on documents written here."""
from __future__ import annotations

import pytest

from konfigctl.errors import KonfigError
from konfigctl.imports import source
from konfigctl.imports.convert import Converter, case_folded
from konfigctl.schema import ecma


def crd(spec_schema: dict, *, versions: list | None = None) -> source.Imported:
    doc = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "things.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Thing", "plural": "things"},
                    "versions": versions or [{"name": "v1", "served": True, "storage": True, "schema": {
                        "openAPIV3Schema": {"type": "object", "properties": {"spec": spec_schema}}}}]}}
    return source.crd(source.Input("things.yaml", [doc], None))


def converted(spec_schema: dict) -> tuple[dict, Converter]:
    imported = crd(spec_schema)
    conv = Converter(imported)
    out = conv.convert(imported.schema, imported.path)
    conv.finish()
    return out["properties"]["spec"], conv


def test_int_or_string_preserve_unknown_and_embedded_resources():
    spec, conv = converted({"type": "object", "properties": {
        "port": {"x-kubernetes-int-or-string": True},
        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                     "x-kubernetes-preserve-unknown-fields": True},
        "empty": {"type": "object"},
        "surge": {"type": "string", "format": "int-or-string"},  # how Kubernetes' swagger.json says it
    }})
    props = spec["properties"]
    assert props["port"] == {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert props["surge"] == props["port"]
    assert "additionalProperties" not in props["extra"]  # unknown fields kept
    assert props["template"]["required"] == ["apiVersion", "kind"]
    assert "additionalProperties" not in props["template"]
    assert props["empty"]["additionalProperties"] is False  # a CRD prunes what it does not list
    assert spec["additionalProperties"] is False
    assert conv.warnings == []


def test_lists_map_to_merge_keys_and_sets_and_the_rest_is_named_by_pointer():
    spec, conv = converted({"type": "object", "properties": {
        "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                  "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "routes": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["a", "b"],
                   "items": {"type": "object"}},
        "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
        "sel": {"type": "object", "x-kubernetes-map-type": "atomic", "additionalProperties": {"type": "string"}},
        "odd": {"type": "string", "x-kubernetes-something-new": 1},
    }, "x-kubernetes-validations": [{"rule": "true"}]})
    assert spec["properties"]["ports"]["x-merge-key"] == "name"
    assert spec["properties"]["ports"]["items"]["additionalProperties"] is False
    assert "x-merge-key" not in spec["properties"]["routes"]
    assert spec["properties"]["tags"]["uniqueItems"] is True
    base = "/spec/versions/0/schema/openAPIV3Schema/properties/spec"
    lines = conv.warning_lines()
    assert [line.split(": ")[1] for line in lines] == [
        f"{base}/properties/routes/x-kubernetes-list-type",
        f"{base}/properties/sel/x-kubernetes-map-type",
        f"{base}/properties/odd/x-kubernetes-something-new",
        f"{base}/x-kubernetes-validations",
    ]
    assert all(line.startswith("things.yaml: /spec/") for line in lines)


def test_openapi_3_0_keywords_become_2020_12():
    spec, _ = converted({"type": "object", "properties": {
        "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1, "exclusiveMaximum": False},
        "note": {"type": "string", "nullable": True, "enum": ["a", "b"]},
        "cron": {"type": "string", "example": "0 3 * * *"},
    }})
    p = spec["properties"]
    assert p["ratio"] == {"type": "number", "exclusiveMinimum": 0, "maximum": 1}
    assert p["note"] == {"type": ["string", "null"], "enum": ["a", "b", None]}
    assert p["cron"]["examples"] == ["0 3 * * *"]


def test_go_case_insensitive_patterns_are_spelled_out_and_unusable_ones_dropped_with_a_warning():
    spec, conv = converted({"type": "object", "properties": {
        "mode": {"type": "string", "pattern": "^(?i)(abort|warn)?$"},
        "bad": {"type": "string", "pattern": "^(?P<x>a)$"},
    }})
    mode = spec["properties"]["mode"]["pattern"]
    assert all(ecma.search(mode)(s) for s in ("abort", "ABORT", "Warn", ""))
    assert not ecma.search(mode)("abor")
    assert "pattern" not in spec["properties"]["bad"]
    assert [w[0][-1] for w in conv.warnings] == ["pattern"]


def test_case_folding_keeps_escapes_and_extends_classes():
    assert case_folded(r"a\d[b-c_]") == r"[aA]\d[b-c_B-C]"


def openapi(defs: dict) -> source.Imported:
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
           "components": {"schemas": defs}}
    return source.openapi(source.Input("api.yaml", [doc], None), "Root", "example.com/v1", "Root")


def test_ref_chains_become_defs_and_are_closed_where_they_are_used():
    imported = openapi({
        "Root": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}},
        "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
        "B": {"type": "object", "properties": {"tree": {"$ref": "#/components/schemas/Tree"}}},
        "Tree": {"type": "object", "properties": {"kids": {"type": "array",
                                                           "items": {"$ref": "#/components/schemas/Tree"}}}},
    })
    conv = Converter(imported)
    root = conv.convert(imported.schema, imported.path)
    conv.finish()
    assert root["properties"]["a"] == {"$ref": "#/$defs/A", "unevaluatedProperties": False}
    assert list(conv.used_defs(root)) == ["A", "B", "Tree"]
    assert "additionalProperties" not in conv.defs["A"]  # closed at the use, so allOf can compose it
    assert conv.defs["Tree"]["properties"]["kids"]["items"]["$ref"] == "#/$defs/Tree"


def test_allof_of_objects_is_folded_into_one_closed_object():
    imported = openapi({
        "Root": {"allOf": [{"$ref": "#/components/schemas/Named"},
                           {"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}}}]},
        "Named": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
    })
    conv = Converter(imported)
    root = conv.convert(imported.schema, imported.path)
    conv.finish()
    assert "allOf" not in root
    assert root["required"] == ["name", "url"]
    assert list(root["properties"]) == ["name", "url"] and root["additionalProperties"] is False


@pytest.mark.parametrize("ref, why", [
    ("#/components/schemas/Missing", "unresolvable $ref '#/components/schemas/Missing': nothing at "
                                     "/components/schemas/Missing"),
    ("other.yaml#/A", "unresolvable $ref 'other.yaml#/A': only references into this document are imported"),
])
def test_an_unresolvable_ref_is_bad_input_at_its_pointer(ref, why):
    imported = openapi({"Root": {"type": "object", "properties": {"x": {"$ref": ref}}}})
    with pytest.raises(KonfigError) as e:
        Converter(imported).convert(imported.schema, imported.path)
    assert str(e.value) == f"api.yaml: /components/schemas/Root/properties/x/$ref: {why}"
