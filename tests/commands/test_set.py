from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from konfigctl.yamlio import load

DEV = "konfig/appops/acme/web/dev/stack.yaml"


def snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), os.stat(path).st_mtime_ns


def tree(root: Path) -> dict[str, bytes]:
    """Every file of the work tree but the cache (locks, listings)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".konfig-cache" not in p.parts}


def test_set_writes_keeps_comments_and_says_which_file(cli, mini):
    res = cli("set", "acme/web/dev", "replicas=2", "image=example/web:1.1.0", repo=mini)
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [f"updated {DEV}", "updated konfig/appops/acme/web/dev/golden.yaml"]
    assert (mini / DEV).read_text() == ("# the web dev stack\nenv: dev\nconfig:\n"
                                        "  replicas: 2  # one is enough\n  disk: 10Gi\n"
                                        "  image: example/web:1.1.0\n")
    assert cli("get", "acme/web/dev", "image", repo=mini).stdout == "example/web:1.1.0\n"


def test_invalid_change_is_refused_with_the_file_untouched(cli, mini):
    before = snapshot(mini / DEV)
    res = cli("set", "acme/web/dev", "replicas=3", repo=mini)
    assert res.exit_code == 1
    assert res.stdout.splitlines() == [f"{DEV}:4:3: replicas: 3 is not one of 1, 2, 4, 8 (model app)"]
    assert "refused" in res.stderr and "untouched" in res.stderr
    assert snapshot(mini / DEV) == before


def test_policy_violation_is_refused_too(cli, mini):
    prod = mini / "konfig/appops/acme/web/prod/stack.yaml"
    before = snapshot(prod)
    res = cli("set", "acme/web/prod", "replicas=1", repo=mini)
    assert res.exit_code == 1
    assert "(policy prod-replicas)" in res.stdout
    assert snapshot(prod) == before


def test_force_writes_an_invalid_change(cli, mini):
    res = cli("set", "acme/web/dev", "replicas=3", "--force", repo=mini)
    assert res.exit_code == 0
    assert "replicas: 3  # one is enough" in (mini / DEV).read_text()
    assert cli("validate", "acme/web/dev", repo=mini).exit_code == 1


def test_dry_run_prints_the_diff_and_writes_nothing(cli, mini):
    before = snapshot(mini / DEV)
    res = cli("set", "acme/web/dev", "disk=20Gi", "--dry-run", repo=mini)
    assert res.exit_code == 0
    assert res.stdout == (f"--- a/{DEV}\n+++ b/{DEV}\n@@ -2,4 +2,4 @@\n env: dev\n config:\n"
                          "   replicas: 1  # one is enough\n-  disk: 10Gi\n+  disk: 20Gi\n")
    assert snapshot(mini / DEV) == before
    res = cli("set", "acme/web/dev", "replicas=3", "-n", repo=mini)
    assert res.exit_code == 1 and "+  replicas: 3" in res.stdout
    assert snapshot(mini / DEV) == before


def test_delete_and_append(cli, mini):
    eu = mini / "konfig/appops/acme/api/prod/eu/stack.yaml"
    assert cli("set", "acme/api/prod/eu", "args+=--verbose", repo=mini).exit_code == 0
    assert "args: [--region, eu, --verbose]" in eu.read_text()
    assert cli("set", "acme/api/prod/eu", "args-", repo=mini).exit_code == 0
    assert load(eu.read_text()).data == {"env": "prod", "labels": {"region": "eu"}, "config": {}}
    # deleting what is not there anywhere is a typo, not a silent success
    before = eu.read_bytes()
    res = cli("set", "acme/api/prod/eu", "args-", repo=mini)
    assert res.exit_code == 2 and res.stdout == ""
    assert res.stderr.splitlines() == [
        "konfig: error: konfig/appops/acme/api/prod/eu/stack.yaml: args: cannot delete args: it is not set "
        "in konfig/appops/acme/api/prod/eu/stack.yaml nor in any layer of the stack"]
    assert eu.read_bytes() == before


def test_keyed_list_item_is_created_by_selector(cli, mini):
    res = cli("set", "acme/web/prod", "env[name=DEBUG].value=1", repo=mini)
    assert res.exit_code == 0, res.output
    env = json.loads(cli("get", "acme/web/prod", "env", "-f", "json", repo=mini).stdout)
    assert {"name": "DEBUG", "value": "1"} in env and {"name": "EXTRA", "value": "1"} in env


def test_layer_project_creates_the_project_defaults_and_checks_every_stack(cli, mini):
    # acme/api has a defaults.yaml; acme/web's project dir has one too: use a project without
    target = mini / "konfig/infra/data/db/defaults.yaml"
    assert not target.exists()
    res = cli("set", "data/db/prod", "--layer", "project", "memory=1Gi", repo=mini)
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == "created konfig/infra/data/db/defaults.yaml"
    assert load(target.read_text()).data == {"memory": "1Gi"}
    assert target.read_text().startswith("# Defaults of every stack of konfig/infra/data/db")


def test_shared_layer_refused_when_a_sibling_stack_breaks(cli, mini):
    shared = mini / "konfig/appops/acme/api/defaults.yaml"
    before = snapshot(shared)
    res = cli("set", "acme/api/prod/eu", "--layer", "project", "memory=8Gi", repo=mini)
    assert res.exit_code == 1
    assert "[stack konfig/appops/acme/api/dev]" in res.stdout
    assert snapshot(shared) == before


def test_layer_file_must_be_one_of_the_stacks_layers(cli, mini):
    res = cli("set", "acme/web/dev", "--layer", "konfig/base/models/app/defaults.yaml", "replicas=2",
              repo=mini)
    assert res.exit_code == 0, res.output
    assert "replicas: 2" in (mini / "konfig/base/models/app/defaults.yaml").read_text()
    res = cli("set", "acme/web/dev", "--layer", "konfig/appops/acme/api/defaults.yaml", "x=1", repo=mini)
    assert res.exit_code == 2
    assert "not a layer of konfig/appops/acme/web/dev" in res.stderr


def test_bad_input_is_one_line_exit_2(cli, mini):
    for args in (["acme/web/dev", "replicas"], ["acme/web/dev", "a..b=1"], ["acme/web/dev", "x=[1"],
                 ["nope/stack", "a=1"], ["acme/web/dev", "labels.team-"]):
        res = cli("set", *args, repo=mini)
        assert res.exit_code == 2, (args, res.output)
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.output


def test_json_output(cli, mini):
    res = cli("set", "acme/web/dev", "replicas=3", "-f", "json", "--dry-run", repo=mini)
    data = json.loads(res.stdout)
    assert res.exit_code == 1
    assert data["refused"] is True and data["written"] is False and data["file"] == DEV
    assert data["problems"][0]["keypath"] == "replicas" and "+  replicas: 3" in data["diff"]


def _setter(root: str, prefix: str, n: int) -> None:
    from konfigctl import api

    for i in range(n):
        api.set("acme/web/dev", [f"labels.{prefix}{i}=v{i}"], repo=root)


def test_concurrent_sets_on_one_file_never_lose_an_update(mini):
    ctx = multiprocessing.get_context("fork")
    n = 15
    procs = [ctx.Process(target=_setter, args=(str(mini), p, n)) for p in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    labels = load((mini / DEV).read_text()).data["config"]["labels"]
    assert labels == {f"{p}{i}": f"v{i}" for p in ("a", "b") for i in range(n)}
    assert (mini / DEV).read_text().startswith("# the web dev stack\n")


def test_a_value_a_higher_layer_overrides_is_written_with_a_warning(cli, mini):
    res = cli("set", "acme/web/dev", "--layer", "project", "replicas=2", repo=mini)
    assert res.exit_code == 0
    assert "replicas has no effect on konfig/appops/acme/web/dev: " \
           "konfig/appops/acme/web/dev/stack.yaml:4:3 sets it in a higher layer" in res.stderr
    assert "replicas: 2" in (mini / "konfig/appops/acme/web/defaults.yaml").read_text()


def test_set_renders_the_golden_files_so_test_passes(cli, mini):
    golden = mini / "konfig/appops/acme/api/prod/eu/golden.yaml"
    assert cli("test", "--all", repo=mini).exit_code == 0
    res = cli("set", "acme/api/prod/eu", "--layer", "project", "image=example/api:2.1.0", repo=mini)
    assert res.exit_code == 0, res.output
    assert "example/api:2.1.0" in golden.read_text()
    assert sorted(ln for ln in res.stdout.splitlines() if ln.endswith("golden.yaml")) == [
        f"updated konfig/appops/acme/api/{s}/golden.yaml" for s in ("dev", "prod/eu", "prod/us")]
    assert cli("test", "--all", repo=mini).exit_code == 0
    # --no-golden leaves them: the test then shows the drift
    res = cli("set", "acme/api/prod/eu", "image=example/api:2.2.0", "--no-golden", repo=mini)
    assert res.exit_code == 0 and "golden" not in res.stdout
    assert cli("test", "acme/api/prod/eu", repo=mini).exit_code == 1


def test_deleting_a_list_item_set_below_names_the_layer_that_sets_it(cli, mini):
    before = snapshot(mini / DEV)
    res = cli("set", "acme/web/dev", "env[name=LOG_LEVEL]-", repo=mini)
    assert res.exit_code == 2
    assert (f"cannot delete env[name=LOG_LEVEL]: it is not set in {DEV} but in "
            "konfig/appops/acme/web/defaults.yaml:3:") in res.output
    assert snapshot(mini / DEV) == before


@pytest.mark.parametrize("spec, line", [
    ("replicas+=3", f"{DEV}: replicas: `+=` appends to a list, but replicas is an integer (1)"),
    ("image+=x", f"{DEV}: image: `+=` appends to a list, but image is a string ('example/web:1.0.0') "
                 "(set in konfig/appops/acme/web/defaults.yaml:1:1)"),
    ("labels+=x", f"{DEV}: labels: `+=` appends to a list, but labels is a mapping "
                  "(set in konfig/appops/acme/defaults.yaml:1:1)"),
    ("port+=8080", f"{DEV}: port: `+=` appends to a list, but the model's schema says port is an integer"),
    ("env[name=LOG_LEVEL].value+=x",
     f"{DEV}: env[name=LOG_LEVEL].value: `+=` appends to a list, but env[name=LOG_LEVEL].value is a string"),
])
def test_appending_to_what_is_not_a_list_is_a_usage_error(cli, mini, spec, line):
    """Wherever the value is (this layer, a lower one, only the schema), `+=` on it is exit 2, one line."""
    before = tree(mini)
    res = cli("set", "acme/web/dev", spec, repo=mini)
    assert res.exit_code == 2 and res.stdout == ""
    assert len(res.stderr.splitlines()) == 1 and res.stderr.startswith(f"konfig: error: {line}"), res.stderr
    assert tree(mini) == before


def test_appending_to_a_list_set_nowhere_yet_creates_it(cli, mini):
    res = cli("set", "acme/web/dev", "args+=--verbose", repo=mini)
    assert res.exit_code == 0, res.output
    assert "  args:\n    - --verbose\n" in (mini / DEV).read_text()


def test_deleting_a_key_set_nowhere_is_a_typo(cli, mini):
    before = tree(mini)
    res = cli("set", "acme/web/dev", "replcas-", repo=mini)
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [
        f"konfig: error: {DEV}: replcas: cannot delete replcas: it is not set in {DEV} nor in any layer of "
        "the stack (did you mean replicas?)"]
    # set only in a lower layer: said where, and how to remove it for this stack
    res = cli("set", "acme/web/dev", "image-", repo=mini)
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [
        f"konfig: error: {DEV}: image: cannot delete image: it is not set in {DEV} but in "
        "konfig/appops/acme/web/defaults.yaml:1:1 (to remove it from this stack, set it to null: image=null)"]
    assert tree(mini) == before


def test_override_file_deleting_a_missing_key_raises(mini):
    from konfigctl import api
    from konfigctl.errors import UsageError

    path = mini / "konfig/appops/acme/web/project.yaml"
    before = path.read_bytes()
    with pytest.raises(UsageError, match="cannot delete ownr: it is not set in"):
        api.override_file(path, ["ownr-"])
    assert path.read_bytes() == before
