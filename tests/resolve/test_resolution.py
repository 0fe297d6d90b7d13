from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from konfigctl import yamlio
from konfigctl.errors import UsageError
from konfigctl.repo.model import MergeSpec
from konfigctl.repo.repository import Repository
from konfigctl.resolve.merge import SHARED_MERGES, Tracker, merge, parse_override, resolve


def y(text: str) -> Any:
    return yamlio.load(text, "t").data


def keyed(field: str = "name", at: str = "env") -> MergeSpec:
    root = MergeSpec()
    lst = MergeSpec()
    lst.key = field
    root.props[at] = lst
    return root


# -- the rules of DESIGN.md "Merging" ---------------------------------------------

def test_mappings_merge_key_by_key_and_scalars_replace():
    assert merge(y("a: {x: 1, y: 2}\nb: 1"), y("a: {y: 3, z: 4}\nb: 2")) == {
        "a": {"x": 1, "y": 3, "z": 4}, "b": 2}


def test_null_deletes():
    assert merge(y("a: {x: 1, y: 2}\nb: 1"), y("a: {y: null}\nb: ~")) == {"a": {"x": 1}}


def test_lists_replace_by_default():
    assert merge(y("l: [1, 2]"), y("l: [3]")) == {"l": [3]}


def test_replace_tag_on_mapping():
    assert merge(y("a: {x: 1, y: 2}"), y("a: !replace {z: 3}")) == {"a": {"z": 3}}


def test_append_tag_on_list():
    out = merge(y("l: [1, 2]"), y("l: !append [3]"))
    assert out == {"l": [1, 2, 3]} and type(out["l"]) is list


def test_merge_key_arrays_merge_by_item():
    lower = y("env: [{name: A, value: '1'}, {name: B, value: '2'}]")
    upper = y("env: [{name: B, value: '3'}, {name: C, value: '4'}]")
    assert merge(lower, upper, keyed()) == {"env": [
        {"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}]}
    # !replace opts out of keyed merging
    assert merge(lower, y("env: !replace [{name: Z, value: '0'}]"), keyed()) == {
        "env": [{"name": "Z", "value": "0"}]}


def test_merge_does_not_mutate_inputs():
    lower = y("a: {x: 1}\nenv: [{name: A, value: '1'}]")
    upper = y("a: {x: 2}\nenv: [{name: A, value: '2'}]")
    before = (repr(lower), repr(upper))
    merge(lower, upper, keyed())
    assert (repr(lower), repr(upper)) == before


# -- laws (property-based) --------------------------------------------------------

_scalars = st.one_of(st.integers(-3, 3), st.sampled_from(["a", "b", ""]), st.booleans())
_keys = st.sampled_from(["a", "b", "c", "d"])
_trees = st.recursive(
    _scalars | st.lists(_scalars, max_size=3),
    lambda children: st.dictionaries(_keys, children, max_size=4),
    max_leaves=12,
)
_maps = st.dictionaries(_keys, _trees, max_size=4)


@given(_maps)
def test_empty_layer_is_identity(x):
    assert merge(x, {}) == x
    assert merge({}, x) == x


@given(_maps)
def test_merge_is_idempotent(x):
    assert merge(x, x) == x


# Associativity needs each path to keep one kind (a mapping replacing a scalar and
# then being merged into is order-dependent by design): keys say what they hold.
_typed = st.recursive(
    st.fixed_dictionaries({}, optional={"s1": _scalars, "s2": _scalars, "l1": st.lists(_scalars, max_size=2)}),
    lambda children: st.fixed_dictionaries({}, optional={"s1": _scalars, "m1": children, "m2": children}),
    max_leaves=10,
)


@given(_typed, _typed, _typed)
def test_merge_is_associative_when_kinds_agree(a, b, c):
    assert merge(merge(a, b), c) == merge(a, merge(b, c))


def _leaf_paths(tree: Any, prefix: tuple = ()) -> dict[tuple, Any]:
    if isinstance(tree, dict) and tree:
        out: dict[tuple, Any] = {}
        for k, v in tree.items():
            out.update(_leaf_paths(v, prefix + (k,)))
        return out
    return {prefix: tree}


def _has_path(tree: Any, path: tuple) -> bool:
    for seg in path:
        if not isinstance(tree, dict) or seg not in tree:
            return False
        tree = tree[seg]
    return True


@settings(max_examples=150)
@given(st.lists(_maps, min_size=1, max_size=4))
def test_provenance_names_the_highest_layer_that_set_a_value(layers):
    t = Tracker(history=False)
    out: Any = {}
    for i, layer in enumerate(layers):
        t.layer = i
        out = merge(out, layer, None, t)
    for path, value in _leaf_paths(out).items():
        if not path:
            continue
        layer_index, upath = t.origins[path]
        assert upath == path
        assert _leaf_paths(layers[layer_index]).get(path, object()) == value
        # no higher layer touched this path
        assert not any(_has_path(layers[j], path) for j in range(layer_index + 1, len(layers)))


# -- resolution of real stacks ----------------------------------------------------

def test_layers_in_order_and_overrides(mini):
    repo = Repository(str(mini))
    stack = repo.find_stack("acme/api/prod/us")
    res = resolve(repo, stack, ["replicas=8", "env[name=NEW].value=x"], track=True, history=True)
    assert [layer.file for layer in res.layers] == [
        "konfig/base/models/app/defaults.yaml",
        "konfig/base/envs/prod.yaml",
        "konfig/base/models/app/envs/prod.yaml",
        "konfig/appops/acme/defaults.yaml",
        "konfig/appops/acme/api/defaults.yaml",
        "konfig/appops/acme/api/prod/defaults.yaml",
        "konfig/appops/acme/api/prod/us/stack.yaml",
        "<command line>",
    ]
    assert res.config["replicas"] == 8
    assert res.config["memory"] == "1Gi"
    assert res.config["labels"] == {"team": "unknown", "tier": "prod", "org": "acme"}
    assert res.config["env"][-1] == {"name": "NEW", "value": "x"}
    assert res.locate(("memory",), repo) == ("konfig/appops/acme/api/prod/defaults.yaml", 1, 1)
    assert res.locate(("args", 1), repo) == ("konfig/appops/acme/api/prod/us/stack.yaml", 5, 20)
    assert res.locate(("replicas",), repo)[0] == "<command line>"
    # history: lowest first
    assert [v for v, _o in res.history[("replicas",)]] == [1, 2]
    assert [v for v, _o in res.history[("memory",)]] == ["256Mi"]


def test_untracked_and_tracked_resolution_agree(mini):
    repo = Repository(str(mini))
    for stack in repo.stacks():
        assert resolve(repo, stack).config == resolve(repo, stack, track=True).config


def test_shared_layers_are_merged_once_and_never_mutated(mini):
    repo = Repository(str(mini))
    eu = resolve(repo, repo.find_stack("acme/api/prod/eu")).config
    us = resolve(repo, repo.find_stack("acme/api/prod/us")).config
    assert eu["args"] == ["--region", "eu"] and us["args"] == ["--region", "us"]
    chains = repo.memo.of(SHARED_MERGES)
    assert len(chains) == 1  # one shared chain for both regions
    again = resolve(repo, repo.find_stack("acme/api/prod/eu")).config
    assert again == eu


@pytest.mark.parametrize("bad", ["noequals", "a..b=1", "a[=1"])
def test_bad_overrides(bad):
    with pytest.raises(UsageError):
        parse_override(bad)


def test_override_value_parsing():
    assert parse_override("env[name=A].value=x=y")[1] == "x=y"
    assert parse_override("a.b=[1, 2]")[1] == [1, 2]
    assert parse_override("a=null")[1] is None
