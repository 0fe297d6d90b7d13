"""konfigctl.api: the same operations as the CLI, for scripts and bots."""
from __future__ import annotations

import os

import pytest

from konfigctl import api
from konfigctl.errors import KonfigError
from konfigctl.yamlio import load

DEV = "konfig/appops/acme/web/dev/stack.yaml"


def test_resolve_get_validate(mini):
    assert api.resolve("acme/web/dev", repo=mini)["replicas"] == 1
    assert api.get("acme/web/dev", "env[name=MODE].value", repo=mini) == "default"
    assert api.get("acme/web/dev", "replicas", overrides=["replicas=4"], repo=mini) == 4
    assert api.validate(repo=mini) == []
    assert api.validate(["acme/web/dev"], repo=mini) == []
    with pytest.raises(KonfigError):
        api.get("acme/web/dev", "nope", repo=mini)


def test_set_and_refusal(mini):
    result = api.set("acme/web/dev", ["image=example/web:2.0.0"], repo=mini)
    assert result.written and result.file == DEV
    assert api.get("acme/web/dev", "image", repo=mini) == "example/web:2.0.0"
    before = (mini / DEV).read_bytes()
    with pytest.raises(api.EditRefused) as e:
        api.set("acme/web/dev", ["replicas=3"], repo=mini)
    assert [p.keypath for p in e.value.problems] == ["replicas"]
    assert (mini / DEV).read_bytes() == before
    dry = api.set("acme/web/dev", ["disk=20Gi"], dry_run=True, repo=mini)
    assert dry.changed and not dry.written and "+  disk: 20Gi" in dry.diff()


def test_override_file_on_a_stack_edits_its_config(mini):
    result = api.override_file(mini / DEV, ["replicas=2", "env[name=LOG_LEVEL].value=debug"])
    assert result.changed and result.written
    data = load((mini / DEV).read_text()).data
    assert data["config"]["replicas"] == 2
    assert "# one is enough" in (mini / DEV).read_text()
    again = api.override_file(mini / DEV, ["replicas=2"])
    assert not again.changed and not again.written


def test_override_file_on_a_shared_layer_validates_its_stacks(mini):
    path = mini / "konfig/appops/acme/api/defaults.yaml"
    before = path.read_bytes()
    with pytest.raises(api.EditRefused):
        api.override_file(path, ["mode=batch"])
    assert path.read_bytes() == before
    assert api.override_file(path, ["image=example/api:2.1.0"]).written


def test_override_file_relative_path_and_metadata_files(mini):
    old = os.getcwd()
    os.chdir(mini)
    try:
        api.override_file("konfig/appops/acme/web/project.yaml", ["labels.tier=backend"])
    finally:
        os.chdir(old)
    assert load((mini / "konfig/appops/acme/web/project.yaml").read_text()).data["labels"] == {"tier": "backend"}


def test_override_file_outside_a_konfig(tmp_path):
    path = tmp_path / "values.yaml"
    path.write_text("# values\nimage:\n  tag: 1.0  # bump me\n")
    result = api.override_file(path, ["image.tag=1.1"])
    assert result.written
    assert path.read_text() == "# values\nimage:\n  tag: 1.1  # bump me\n"
