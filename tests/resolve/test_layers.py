"""A stack's layers, lowest first: model defaults, env profiles, defaults.yaml up the tree, the stack."""
from __future__ import annotations

import pytest
from konfigctl.errors import KonfigError
from konfigctl.repo.repository import Repository
from konfigctl.resolve import layers


def test_the_layers_of_a_nested_prod_stack(mini):
    repo = Repository(str(mini))
    got = [(l.kind, l.file, l.prefix) for l in layers.for_stack(repo, repo.find_stack("acme/api/prod/eu"))]
    assert got == [
        ("model defaults", "konfig/base/models/app/defaults.yaml", ()),
        ("env profile", "konfig/base/envs/prod.yaml", ()),
        ("model env profile", "konfig/base/models/app/envs/prod.yaml", ()),
        ("defaults", "konfig/appops/acme/defaults.yaml", ()),  # the org's, above the project
        ("defaults", "konfig/appops/acme/api/defaults.yaml", ()),
        ("defaults", "konfig/appops/acme/api/prod/defaults.yaml", ()),
        ("stack", "konfig/appops/acme/api/prod/eu/stack.yaml", ("config",)),
    ]


def test_a_dev_stack_has_no_prod_profiles(mini):
    repo = Repository(str(mini))
    kinds = [l.kind for l in layers.for_stack(repo, repo.find_stack("acme/api/dev"))]
    assert kinds == ["model defaults", "defaults", "defaults", "stack"]


def test_layer_data_is_the_mapping_under_its_prefix(mini, write):
    repo = Repository(str(mini))
    stack_layer = layers.Layer(layers.STACK, "konfig/appops/acme/web/dev/stack.yaml", ("config",))
    assert layers.data(repo, stack_layer) == {"replicas": 1, "disk": "10Gi"}
    assert stack_layer.describe() == "stack konfig/appops/acme/web/dev/stack.yaml"
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig:\n  - not a mapping\n")
    with pytest.raises(KonfigError) as e:
        layers.data(Repository(str(mini)), stack_layer)
    assert (e.value.line, e.value.keypath) == (2, "config")  # at the key
    assert "expected a mapping of config values, got list" in str(e.value)
