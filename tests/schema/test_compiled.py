"""The compiled validity check (jsonschema-rs) agrees with jsonschema, and is only used where it can.

jsonschema -- with konfig's keywords and ECMA-262 patterns, ``schema.validator_class`` --
is the reference: every verdict of ``CheckedValidator.check`` must be its verdict, on
every model and policy schema of this repository and of a generated benchmark Konfig,
on the Kubernetes schemas and on the meta-schema.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from konfigctl import yamlio
from konfigctl.repo.repository import Repository
from konfigctl.resolve.merge import resolve
from konfigctl.schema import validator as schema
from konfigctl.yamlio import iter_paths

from tests.conftest import REPO_ROOT


def both(s: dict[str, Any], instance: Any, preload: dict[str, Any] | None = None) -> tuple[bool, bool]:
    v = schema.build(s, "file:///konfig/base/s.yaml", preload=preload)
    assert isinstance(v, schema.CheckedValidator), "expected the compiled check to be used"
    return v.check(instance), not list(v.jsonschema.iter_errors(instance))


CASES = [
    # (schema, instances)
    ({"type": "integer"}, [1, 2.0, 2.5, True, "1", None]),
    ({"type": ["string", "number"]}, ["a", 1, 1.5, False, None, []]),
    ({"enum": [1, "a", None, [1, 2], {"k": 1}]}, [1, 1.0, True, "a", None, [1, 2], [2, 1], {"k": 1}, {"k": True}]),
    ({"enum": [True, 0]}, [True, 1, 0, False, 0.0]),
    ({"const": False}, [False, 0, None]),
    ({"minimum": 2, "exclusiveMaximum": 5}, [2, 1.99, 5, 4.9, "9", True]),
    ({"multipleOf": 0.1}, [0.3, 0.35, 10, "x"]),
    ({"multipleOf": 3}, [9, 10, 9.0]),
    ({"minLength": 2, "maxLength": 3, "pattern": "^a"}, ["ab", "a", "abcd", "ba", 5]),
    ({"properties": {"a": {"type": "string"}}, "required": ["b"], "additionalProperties": False},
     [{"b": 1}, {"a": 1, "b": 1}, {"b": 1, "c": 2}, {}, []]),
    ({"patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": {"type": "string"}},
     [{"x-a": 1, "b": "s"}, {"x-a": "s"}, {"b": 2}]),
    ({"propertyNames": {"pattern": "^[a-z]+$"}, "minProperties": 1, "maxProperties": 2},
     [{"a": 1}, {"A": 1}, {}, {"a": 1, "b": 2, "c": 3}]),
    ({"prefixItems": [{"type": "string"}], "items": False}, [["a"], ["a", "b"], [1], []]),
    ({"prefixItems": [{"type": "string"}], "items": {"type": "integer"}}, [["a", 1, 2], ["a", "b"]]),
    ({"contains": {"type": "integer"}, "minContains": 2, "maxContains": 3}, [[1, 2], [1], [1, 2, 3, 4], ["a"]]),
    ({"uniqueItems": True, "minItems": 1, "maxItems": 3}, [[1, True], [1, 1.0], [[1], [1]], [], [1, 2, 3, 4]]),
    ({"anyOf": [{"type": "string"}, {"minimum": 3}]}, ["a", 4, 2]),
    ({"oneOf": [{"type": "integer"}, {"minimum": 3}]}, [1, 4, 3.5, "a"]),
    ({"not": {"pattern": ":latest$"}}, ["a:1", "a:latest", 3]),
    ({"if": {"properties": {"t": {"const": "x"}}}, "then": {"required": ["y"]}, "else": {"required": ["z"]}},
     [{"t": "x"}, {"t": "x", "y": 1}, {"z": 1}, {}]),
    ({"dependentRequired": {"a": ["b"]}, "dependentSchemas": {"c": {"required": ["d"]}}},
     [{"a": 1}, {"a": 1, "b": 2}, {"c": 1}, {"c": 1, "d": 1}]),
    ({"$defs": {"n": {"type": "integer"}}, "properties": {"a": {"$ref": "#/$defs/n"}}}, [{"a": 1}, {"a": "x"}]),
    ({"x-quantity": "memory", "x-minimum": "4Mi", "x-maximum": "64Gi"},
     ["512Mi", "1Mi", "65Gi", 5000000, "-1", "abc", True, None, 1.5]),
    ({"format": "email", "title": "t", "x-merge-key": "name", "unknown": 1}, ["not an email"]),
    # unevaluatedProperties through $ref, allOf, if/then and properties of an invalid branch
    ({"$defs": {"m": {"properties": {"labels": {"type": "object"}}}},
      "$ref": "#/$defs/m", "properties": {"a": {"type": "integer"}},
      "allOf": [{"properties": {"b": True}}, {"properties": {"c": {"type": "string"}}, "required": ["zz"]}],
      "if": {"properties": {"a": {"const": 1}}}, "then": {"properties": {"d": True}},
      "unevaluatedProperties": False},
     [{"a": 1, "d": 1}, {"a": 2, "d": 1}, {"labels": {}, "b": 1}, {"c": "s"}, {"a": "x"}, {"e": 1}]),
    ({"additionalProperties": {"type": "integer"}, "unevaluatedProperties": False}, [{"a": 1}, {"a": "x"}]),
    ({"unevaluatedProperties": {"type": "integer"}, "properties": {"a": {"type": "string"}}},
     [{"a": "s", "b": 1}, {"a": "s", "b": "t"}, {"a": 1}]),
    (True, [1, None]),
    # what the hand-written check left to jsonschema, jsonschema-rs takes
    ({"$dynamicAnchor": "n", "properties": {"v": {"type": "integer"}, "kids": {"items": {"$dynamicRef": "#n"}}}},
     [{"v": 1, "kids": [{"v": 2}]}, {"kids": [{"v": "x"}]}, {"kids": [{"kids": [{"v": 1.5}]}]}]),
    ({"prefixItems": [{"type": "string"}], "unevaluatedItems": False}, [["a"], ["a", 1], []]),
    ({"properties": {"a": {"$id": "http://konfig.example/a", "$defs": {"s": {"type": "string"}},
                           "$ref": "#/$defs/s"}}}, [{"a": "s"}, {"a": 1}]),
    # $ref chains inside a document, through $anchor, with siblings (2020-12 applies both)
    ({"$defs": {"a": {"$ref": "#/$defs/b", "minimum": 0}, "b": {"$ref": "#c"},
                "c": {"$anchor": "c", "type": "integer", "maximum": 9}},
      "properties": {"n": {"$ref": "#/$defs/a"}}},
     [{"n": 3}, {"n": -1}, {"n": 10}, {"n": 2.0}, {"n": "3"}, {}]),
    ({"$defs": {"ti/lde~": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/ti~1lde~0"}}},
     [{"a": "s"}, {"a": 1}]),
    # the x- keywords: each alone, together, and at the edge of their bounds
    ({"x-quantity": "cpu"}, ["500m", "0", 0, 2, 2.5, "1e3", "-1", "1Ki", "abc", True, None, [], {}, "  2 "]),
    ({"x-minimum": "1Gi"}, ["1Gi", "1073741823", 1073741824, "999Mi", "abc", True, None]),
    ({"x-maximum": 16, "type": ["string", "number"]}, ["16", "16001m", 16.0, 16.5, "17", "x"]),
    ({"x-quantity": "storage", "x-minimum": "1Gi", "x-maximum": "1Ti"},
     ["1Gi", "1Ti", "1025Gi", "1023Mi", "1000G", 2**40, 2**40 + 1, "x", False]),
    ({"x-minimum": "not a quantity"}, ["1", "x"]),
    ({"items": {"type": "object"}, "x-merge-key": "name"},
     [[{"name": "a"}, {"name": "b"}], [{"name": "a"}, {"name": "a"}], [{"name": 1}, {"name": True}],
      [{"name": 1}, {"name": 1.0}], [{"x": 1}, {"x": 1}], "not a list"]),
]


@pytest.mark.parametrize("s,instances", CASES)
def test_agrees_with_jsonschema_on_every_keyword(s, instances):
    if s is True:
        v = schema.build({"allOf": [True]})
        assert v.is_valid(1)
        return
    for inst in instances:
        fast, slow = both(s, inst)
        assert fast == slow, (s, inst)


def test_ref_chains_across_files_are_compiled():
    """stack schema -> common.yaml -> quantity.yaml (relative to each other), and back."""
    pre = {
        "file:///konfig/base/schemas/common.yaml": {
            "$defs": {"res": {"properties": {"cpu": {"$ref": "units/quantity.yaml#/$defs/cpu"},
                                             "next": {"$ref": "../s.yaml#/$defs/leaf"}}}}},
        "file:///konfig/base/schemas/units/quantity.yaml": {
            "$defs": {"cpu": {"$ref": "#/$defs/q", "x-maximum": 16}, "q": {"x-quantity": "cpu"}}},
    }
    s = {"$defs": {"leaf": {"type": "integer"}},
         "properties": {"resources": {"$ref": "schemas/common.yaml#/$defs/res"}}}
    for inst, valid in [({"resources": {"cpu": "500m", "next": 1}}, True), ({"resources": {"cpu": "17"}}, False),
                        ({"resources": {"cpu": "x"}}, False), ({"resources": {"next": "1"}}, False)]:
        assert both(s, inst, pre) == (valid, valid), inst


def test_refs_across_files_are_compiled():
    common = {"$defs": {"q": {"type": "string", "x-quantity": "cpu", "x-maximum": 16}}}
    s = {"properties": {"cpu": {"$ref": "common.yaml#/$defs/q"}}}
    pre = {"file:///konfig/base/common.yaml": common}
    assert both(s, {"cpu": "500m"}, pre) == (True, True)
    assert both(s, {"cpu": "17"}, pre) == (False, False)


@pytest.mark.parametrize("s", [
    {"properties": {"a": {"pattern": "^[^]$"}}},  # ECMA-262, but not for jsonschema-rs's engine
    {"$ref": "missing.yaml"},
    {"type": "color"},
])
def test_falls_back_to_jsonschema_when_jsonschema_rs_cannot_take_it(s):
    v = schema.build(s, "file:///konfig/base/s.yaml")
    assert not isinstance(v, schema.CheckedValidator)
    assert schema.compiled(s) is None


def test_jsonschema_rs_never_fetches_a_reference():
    assert schema.compiled({"$ref": "https://json-schema.example/x.json"}) is None
    fetched = []
    assert schema.compiled({"$ref": "https://json-schema.example/x.json"},
                           retrieve=lambda uri: fetched.append(uri) or {"type": "string"}) is not None
    assert fetched == ["https://json-schema.example/x.json"]


def test_values_that_are_not_json_are_left_to_jsonschema():
    v = schema.build({"type": "object", "additionalProperties": {"type": "integer"}})
    assert v.check({1: 2}) is False  # jsonschema-rs reads no integer keys
    assert v.is_valid({1: 2}) and not list(v.iter_errors({1: 2}))
    assert not v.is_valid({1: "x"})


def test_invalid_instances_still_get_jsonschema_errors():
    v = schema.build({"properties": {"a": {"maximum": 3}}})
    errors = list(v.iter_errors({"a": 5}))
    assert [e.validator for e in errors] == ["maximum"]
    assert list(v.iter_errors({"a": 1})) == []


# -- every model and policy, on mutated real configs ------------------------------------

POOL = [None, True, False, 0, 1, -1, 2, 2.0, 3, 5, 2.5, 10**6, "", "x", "ABC", "500m", "2", "8Gi", "200Gi",
        "-1", "1Ti", "5Gi", "latest", "img:latest", "registry.acme.io/a/b:1.0", "LoadBalancer", "ClusterIP",
        "http", "tcp", "prod", "inherited", "enforced", "SetStorageClass", "Delete", "postgres", "sun",
        "25%", "@daily", "* * * *", [], {}, ["a"], [1, 1], {"name": "X", "value": "v"},
        {"name": "x", "port": 80}, {"enabled": True}]


def _synthetic(tmp: Path) -> Repository:
    from benchmarks.generate import generate

    gen = generate(tmp / "k", projects=12, stacks=40, seed=7, goldens=False, commit=False)
    return Repository(str(gen.root))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[tuple[Any, Any]]:
    """(validator, resolved config) for every stack of this repo and a small synthetic Konfig."""
    out = []
    for repo in (Repository(str(REPO_ROOT)), _synthetic(tmp_path_factory.mktemp("synthetic"))):
        for stack in repo.stacks():
            if stack.is_kcl:  # compiled by KCL, no model schema
                continue
            config = resolve(repo, stack).config
            out.append((stack.model.validator, config))
            for policy in repo.policies:
                if policy.validator is not None:  # None: a policy that only `requires` a stack
                    out.append((policy.validator, config))
    assert all(isinstance(v, schema.CheckedValidator) for v, _ in out)
    assert len({id(v) for v, _ in out}) >= 8  # four models, five policies
    return out


def _mutate(config: Any, data: Any) -> Any:
    config = copy.deepcopy(config)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p, _ in iter_paths(config) if p]
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = config
        for seg in path[:-1]:
            parent = parent[seg]
        op = data.draw(st.sampled_from(["set", "delete", "add"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "add" and isinstance(parent[path[-1]], dict):
            # a copy: later mutations must not change POOL (hypothesis replays draws)
            parent[path[-1]][data.draw(st.sampled_from(["name", "extra", "type", "min_replicas"]))] = \
                copy.deepcopy(data.draw(st.sampled_from(POOL)))
        else:
            parent[path[-1]] = copy.deepcopy(data.draw(_near(parent[path[-1]])))
    return config


def _near_values(value: Any) -> list[Any]:
    """Values a stack might hold instead of ``value``: across its bounds, or of another type."""
    if isinstance(value, bool):
        return [not value, int(value), str(value).lower()]
    if isinstance(value, int):
        return [0, -1, value + 1, value * 1000, float(value), value + 0.5, str(value)]
    if isinstance(value, str):
        return ["", value + "x", value.upper(), value[:1], "1" + value, value + "Gi", value.replace("i", "")]
    if isinstance(value, list):
        return [[], value + value[:1], value[:1] * 2]
    if isinstance(value, dict):
        return [{}, {**value, "unknown": 1}]
    return [1]


def _near(value: Any) -> Any:
    return st.sampled_from(_near_values(value)) | st.sampled_from(POOL)


_DELETE = object()


def test_agrees_with_jsonschema_on_every_single_change(corpus):
    """Each value of the richest stack of each model replaced (or deleted) in turn."""
    richest: dict[int, tuple[Any, Any]] = {}
    for validator, config in corpus:
        best = richest.get(id(validator))
        if best is None or len(list(iter_paths(config))) > len(list(iter_paths(best[1]))):
            richest[id(validator)] = (validator, config)
    checked = 0
    for validator, config in richest.values():
        for path, value in list(iter_paths(config)):
            if not path:
                continue
            for new in [_DELETE, None] + _near_values(value):
                mutated = copy.deepcopy(config)
                parent = mutated
                for seg in path[:-1]:
                    parent = parent[seg]
                if new is _DELETE:
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = new
                fast = validator.check(mutated)
                assert fast == (not list(validator.jsonschema.iter_errors(mutated))), (path, new)
                checked += 1
    assert checked > 1000


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_agrees_with_jsonschema_on_mutated_stacks(corpus, data):
    validator, config = data.draw(st.sampled_from(corpus))
    mutated = _mutate(config, data)
    assert validator.check(mutated) == (not list(validator.jsonschema.iter_errors(mutated))), mutated


_TEXT = st.sampled_from([v for v in POOL if isinstance(v, str)] + ["dev\n", "é", "\u0661", "1e3", "0.5", "16001m",
                                                                "a" * 70, "x:latest\n", " 2", "null"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.integers(-3, 70),
                     st.floats(allow_nan=False, allow_infinity=False), _TEXT, st.text(max_size=6))


def _keys(corpus: list[tuple[Any, Any]]) -> list[str]:
    return sorted({p[-1] for _, c in corpus for p, _ in iter_paths(c) if p and isinstance(p[-1], str)})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_agrees_with_jsonschema_on_generated_values(corpus, data):
    """A subtree of a real stack (or the whole config) replaced by a value hypothesis builds
    from scalars, lists and mappings whose keys the stacks use."""
    keys = st.sampled_from(_keys(corpus)) | st.text(max_size=4)
    values = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(keys, inner, max_size=4), max_leaves=12)
    validator, config = data.draw(st.sampled_from(corpus))
    paths = [p for p, _ in iter_paths(config)]
    path = data.draw(st.sampled_from(paths))
    new = data.draw(values)
    if not path:
        mutated = new
    else:
        mutated = copy.deepcopy(config)
        parent = mutated
        for seg in path[:-1]:
            parent = parent[seg]
        parent[path[-1]] = new
    assert validator.check(mutated) == validator.jsonschema.is_valid(mutated), (path, new)


def test_unmutated_stacks_agree(corpus):
    for validator, config in corpus:
        assert validator.check(config) == (not list(validator.jsonschema.iter_errors(config)))


# -- the meta-schema check (schema.check_schema) ----------------------------------------

def _repo_schemas() -> list[Any]:
    from konfigctl import formats

    repo = Repository(str(REPO_ROOT))
    out = [repo.model(n).schema for n in repo.model_names()]
    out += [p.meta["schema"] for p in repo.policies if "schema" in p.meta]
    out += [repo.schema_document(f"{repo.base}/crds/{p.name}") for p in (REPO_ROOT / repo.base / "crds").glob("*.yaml")]
    out += [formats.format_schema(n) for n in formats.FORMATS]
    return out


def test_meta_schema_check_agrees_with_jsonschema_on_changed_schemas():
    import random

    from jsonschema import Draft202012Validator

    meta = schema._meta_valid
    slow = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    rng = random.Random(0)
    checked = failing = 0
    for s in _repo_schemas():
        assert meta(s) and not list(slow.iter_errors(s))
        if len(str(s)) > 3500:
            continue  # the big ones (CRDs, webapp) as they are: jsonschema takes ~50 ms each
        changes = [(p, new) for p, v in iter_paths(s) if p
                   for new in [None, 3, "x", [], {}, -1, True] + _near_values(v)[:3]]
        for path, new in rng.sample(changes, min(25, len(changes))):
            mutated = copy.deepcopy(s)
            target = mutated
            for seg in path[:-1]:
                target = target[seg]
            target[path[-1]] = new
            fast = meta(mutated)
            # another dialect named in $schema is jsonschema's to judge (check_schema asks it)
            assert fast == slow.is_valid(mutated) or (not fast and path == ("$schema",)), (path, new)
            checked += 1
            failing += not fast
    assert checked > 250 and failing > 80


def test_kubernetes_schemas_agree_with_jsonschema_on_changed_resources():
    import random

    from konfigctl.render import kubernetes as kube

    repo = Repository(str(REPO_ROOT))
    checker = kube.Checker(repo)
    by_kind: dict[tuple[str, str], Any] = {}
    for golden in sorted(REPO_ROOT.glob("konfig/**/golden.yaml")):
        for res in yamlio.load_all(golden.read_bytes(), str(golden)):
            by_kind.setdefault((res["apiVersion"], res["kind"]), res)
    assert len(by_kind) >= 8
    rng = random.Random(1)
    checked = failing = 0
    for (api, kind), res in sorted(by_kind.items()):
        v = checker.validator(api, kind)
        assert isinstance(v, schema.CheckedValidator), kind
        assert v.check(res) and not list(v.jsonschema.iter_errors(res))
        changes = [(p, new) for p, val in iter_paths(res) if p for new in [None, {}] + _near_values(val)[:4]]
        for path, new in rng.sample(changes, min(30, len(changes))):
            mutated = copy.deepcopy(res)
            target = mutated
            for seg in path[:-1]:
                target = target[seg]
            target[path[-1]] = new
            fast = v.check(mutated)
            assert fast == v.jsonschema.is_valid(mutated), (kind, path, new)
            checked += 1
            failing += not fast
    assert checked > 200 and failing > 50
