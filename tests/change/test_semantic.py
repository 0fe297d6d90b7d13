"""``konfig affected --precise`` and ``change.semantic``: what a change really does, on real git repos.

Each test commits a change on the ``change`` branch of the two-model Konfig
(``tests/konfig_repos.py``; ``main`` is the base) and asks for the status of
every file-affected stack, through the CLI as CI calls it and through the
domain function ``diff`` and ``review`` share.
"""
from __future__ import annotations

import json

import pytest

from konfigctl.change import semantic
from konfigctl.repo.repository import Repository
from tests import konfig_repos as k
from tests.conftest import commit_all

WEB_DEV, WEB_PROD = k.WEB


def precise(cli, root, *args):
    res = cli("affected", "--base", "main", "--precise", "--format", "json", *args, repo=root)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def statuses(data):
    return {s["path"]: s["status"] for part in ("affected", "unchanged", "deleted") for s in data[part]}


def test_a_comment_changes_nothing(cli, kgit):
    root, g = kgit
    p = root / "konfig/appops/acme/web/defaults.yaml"
    p.write_text("# a comment only\n" + p.read_text() + "# and one more\n")
    commit_all(g, "comment")
    data = precise(cli, root)
    assert statuses(data) == {WEB_DEV: "unchanged", WEB_PROD: "unchanged"}
    assert data["affected"] == [] and data["counts"]["unchanged"] == 2
    assert data["unchanged"][0]["keys"] == [] and data["unchanged"][0]["resources"] == []
    assert data["unchanged"][0]["reasons"][0]["file"] == "konfig/appops/acme/web/defaults.yaml"


def test_a_reordered_mapping_changes_nothing(cli, kgit):
    root, g = kgit
    (root / "konfig/appops/acme/web/prod/stack.yaml").write_text(
        "config:\n  env:\n    - value: \"1\"\n      name: EXTRA\n  disk: 50Gi\n  replicas: 4\nenv: prod\n")
    commit_all(g, "reorder")
    assert statuses(precise(cli, root)) == {WEB_PROD: "unchanged"}


def test_a_model_default_every_stack_overrides_changes_nothing(cli, kgit):
    root, g = kgit
    # job's retries: 1 in its defaults, 0 from its dev profile, 3 in batch/prod
    (root / "konfig/base/models/job/defaults.yaml").write_text("retries: 5\nschedule: '0 * * * *'\n")
    commit_all(g, "a default nobody sees")
    data = precise(cli, root)
    assert statuses(data) == {s: "unchanged" for s in k.BATCH}
    res = cli("affected", "--base", "main", "--precise", "--format", "github-matrix", repo=root)
    assert json.loads(res.stdout) == {"include": []}


def test_an_image_bump_is_the_image_key_and_its_deployment(cli, kgit):
    root, g = kgit
    (root / "konfig/appops/acme/web/dev/stack.yaml").write_text(
        "env: dev\nconfig:\n  replicas: 1\n  disk: 10Gi\n  image: example/web:1.0.1\n")
    commit_all(g, "bump")
    data = precise(cli, root)
    (s,) = data["affected"]
    assert (s["path"], s["status"], s["keys"]) == (WEB_DEV, "changed", ["image"])
    assert s["resources"] == ["Deployment/web/web"]
    res = cli("affected", "--base", "main", "--precise", repo=root)
    assert res.stdout.splitlines()[:3] == [f"{WEB_DEV} (changed)", "    keys: image",
                                           "    resources: Deployment/web/web"]
    assert "1 stack affected by files: 1 changed" in res.stderr


def test_keyed_list_items_are_named_by_their_merge_key(cli, kgit):
    root, g = kgit
    (root / "konfig/appops/acme/web/defaults.yaml").write_text(
        "image: example/web:1.0.0\nenv:\n  - name: LOG_LEVEL\n    value: debug\n  - name: NEW\n    value: x\n")
    commit_all(g, "log level")
    data = precise(cli, root)
    by = {s["path"]: s for s in data["affected"]}
    assert by[WEB_DEV]["keys"] == ["env[name=LOG_LEVEL].value", "env[name=NEW].name", "env[name=NEW].value"]
    assert by[WEB_PROD]["keys"] == by[WEB_DEV]["keys"]


def test_a_list_without_merge_key_is_reported_at_its_path(kgit):
    root, g = kgit
    (root / "konfig/appops/acme/web/dev/stack.yaml").write_text(
        "env: dev\nconfig:\n  replicas: 1\n  disk: 10Gi\n  args: [--fast]\n")
    commit_all(g, "args")
    result = semantic.compute(Repository(str(root)), "main")
    (s,) = result.stacks
    assert s.keys == ["args"] and s.status == "changed"


def test_a_stack_that_fails_on_one_side_is_an_error_never_unchanged(cli, kgit):
    root, g = kgit
    (root / "konfig/appops/acme/web/dev/stack.yaml").write_text("env: dev\nconfig: [not, a, mapping\n")
    (root / "konfig/appops/acme/web/defaults.yaml").write_text(  # web/prod: no image, the renderer fails
        "env:\n  - name: LOG_LEVEL\n    value: warn\n")
    commit_all(g, "broken")
    data = precise(cli, root)
    by = {s["path"]: s for s in data["affected"]}
    assert by[WEB_DEV]["status"] == "error" and by[WEB_DEV]["errors"][0].startswith("head: ")
    assert by[WEB_PROD]["status"] == "error"
    assert any("render" in e for e in by[WEB_PROD]["errors"])
    res = cli("affected", "--base", "main", "--precise", "--format", "github-matrix", repo=root)
    assert res.exit_code == 0
    assert json.loads(res.stdout)["include"][0]["stacks"] == [WEB_DEV, WEB_PROD]  # errors are tested


def test_renamed_and_deleted_stacks(cli, kgit):
    root, g = kgit
    g.git.mv("konfig/appops/acme/web/dev", "konfig/appops/acme/web/development")
    g.git.rm("-r", "-q", "konfig/appops/acme/api/dev")
    commit_all(g, "move and delete")
    data = precise(cli, root)
    st = statuses(data)
    assert st["konfig/appops/acme/web/development"] == "added"
    assert st[WEB_DEV] == "deleted" and st["konfig/appops/acme/api/dev"] == "deleted"
    added = next(s for s in data["affected"] if s["path"].endswith("development"))
    assert "image" in added["keys"] and "env[name=LOG_LEVEL].value" in added["keys"]  # every key it sets
    res = cli("affected", "--base", "main", "--precise", "--format", "github-matrix", repo=root)
    stacks = [s for e in json.loads(res.stdout)["include"] for s in e["stacks"]]
    assert "konfig/appops/acme/web/development" in stacks and WEB_DEV not in stacks  # deleted: not tested


def test_the_matrix_shards_only_what_really_changes(cli, kgit):
    root, g = kgit
    p = root / "konfig/appops/acme/api/defaults.yaml"
    p.write_text(p.read_text() + "# comment\n")
    (root / "konfig/appops/acme/web/dev/stack.yaml").write_text(
        "env: dev\nconfig:\n  replicas: 2\n  disk: 10Gi\n")
    commit_all(g, "two changes, one real")
    plain = cli("affected", "--base", "main", "--format", "github-matrix", repo=root)
    assert json.loads(plain.stdout)["include"][0]["count"] == 4
    res = cli("affected", "--base", "main", "--precise", "--format", "github-matrix", repo=root)
    assert json.loads(res.stdout)["include"] == [
        {"shard": "1/1", "index": 1, "total": 1, "count": 1, "stacks": [WEB_DEV]}]
    gl = cli("affected", "--base", "main", "--precise", "--format", "gitlab", repo=root)
    assert "1 affected stack in 1 shard" in gl.stdout and "--affected \"$KONFIG_BASE\" --precise" in gl.stdout
    # what each shard job then selects: the same stacks
    res = cli("validate", "--affected", "main", "--format", "json", repo=root)
    assert json.loads(res.stdout)["stacks"] == 4
    res = cli("validate", "--affected", "main", "--precise", "--format", "json", repo=root)
    assert json.loads(res.stdout)["stacks"] == 1
    assert cli("validate", "--precise", repo=root).exit_code == 2  # only with --affected


def test_inputs_that_hash_the_same_are_unchanged_without_resolving(kgit):
    root, g = kgit
    (root / "tooling/tool.py").write_text("# the tool, changed\n")  # a `global` file: every stack
    commit_all(g, "tool")
    result = semantic.compute(Repository(str(root)), "main")
    assert {s.status for s in result.stacks} == {"unchanged"}
    assert all(s.same_inputs for s in result.stacks)
    assert len(result.stacks) == len(k.ALL)


def test_json_is_stable(cli, kgit):
    root, g = kgit
    (root / "konfig/appops/acme/web/defaults.yaml").write_text(
        "image: example/web:2.0.0\nenv:\n  - name: LOG_LEVEL\n    value: warn\n")
    commit_all(g, "bump")
    first = cli("affected", "--base", "main", "--precise", "--format", "json", repo=root).stdout
    second = cli("affected", "--base", "main", "--precise", "--format", "json", repo=root).stdout
    assert first == second
    data = json.loads(first)
    assert set(data) >= {"base", "head", "merge_base", "changed_files", "precise", "affected", "unchanged",
                         "deleted", "counts"}
    assert set(data["affected"][0]) == {"path", "status", "reasons", "keys", "resources", "errors", "retest"}
    assert data["counts"] == {"changed": 2, "unchanged": 0, "added": 0, "deleted": 0, "error": 0}


def test_diff_marks_the_precise_status_and_keys(cli, kgit):
    root, g = kgit
    p = root / "konfig/appops/acme/web/defaults.yaml"
    p.write_text(p.read_text() + "# comment\n")
    (root / "konfig/appops/acme/web/dev/stack.yaml").write_text(
        "env: dev\nconfig:\n  replicas: 2\n  disk: 10Gi\n")
    commit_all(g, "one real change")
    res = cli("diff", "--base", "main", "--format", "json", repo=root)
    by = {s["path"]: s for s in json.loads(res.stdout)["stacks"]}
    assert (by[WEB_DEV]["precise"], by[WEB_DEV]["keys"]) == ("changed", ["replicas"])
    assert (by[WEB_PROD]["precise"], by[WEB_PROD]["keys"]) == ("unchanged", [])


@pytest.mark.slow
def test_the_worker_pool_gives_the_answer_one_process_gives(tmp_path, monkeypatch):
    """Past ``MIN_PARALLEL`` stacks both sides render in forked workers, which read git objects
    through their own ``git cat-file``: the statuses, keys and resources are those of one process."""
    from benchmarks import changes as changes_mod
    from benchmarks import generate as gen_mod
    from konfigctl.check import parallel

    g = gen_mod.generate(tmp_path / "k", projects=30, stacks=100, seed=3, goldens=False)
    ch = changes_mod.apply_change(g.root, "model-default-partly")
    repo = Repository(str(g.root))
    pooled = semantic.compute(repo, "main", ch["branch"], jobs=2)
    assert len(pooled.stacks) >= parallel.MIN_PARALLEL
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 10 ** 9)
    alone = semantic.compute(Repository(str(g.root)), "main", ch["branch"], jobs=1)
    assert [s.to_json() for s in pooled.stacks] == [s.to_json() for s in alone.stacks]
    assert {s.path for s in pooled.really_changed()} == set(ch["changed_stacks"])
    assert any(s.status == "unchanged" for s in pooled.stacks)


def test_a_tightened_policy_changes_no_output_but_its_stacks_are_tested(cli, kgit):
    """The output stays the same, the verdict may not: CI must not skip the stacks a policy selects."""
    root, g = kgit
    (root / "konfig/base/policies/prod-replicas-5.yaml").write_text(
        "name: prod-replicas-5\ndescription: prod runs five\nseverity: error\nwhen: {env: prod}\n"
        "schema:\n  properties:\n    replicas: {minimum: 5}\n")
    commit_all(g, "a stricter policy")
    data = precise(cli, root)
    unchanged = {s["path"]: s["retest"] for s in data["unchanged"]}
    assert unchanged and all(unchanged.values()), data
    assert data["affected"] == []
    res = cli("affected", "--base", "main", "--precise", "--format", "github-matrix", repo=root)
    sharded = [p for shard in json.loads(res.stdout)["include"] for p in shard["stacks"]]
    assert sorted(sharded) == sorted(unchanged)
    res = cli("validate", "--affected", "main", "--precise", repo=root)
    assert res.exit_code == 1 and "prod-replicas-5" in res.stdout  # the failure is caught in the PR
    text = cli("affected", "--base", "main", "--precise", repo=root)
    assert "tested all the same" in text.stderr + text.stdout


def test_a_comment_in_a_layer_is_not_retested(cli, kgit):
    root, g = kgit
    p = root / "konfig/appops/acme/web/defaults.yaml"
    p.write_text(p.read_text() + "# nothing\n")
    commit_all(g, "comment")
    data = precise(cli, root)
    assert [s["retest"] for s in data["unchanged"]] == [False, False]
    res = cli("affected", "--base", "main", "--precise", "--format", "github-matrix", repo=root)
    assert json.loads(res.stdout) == {"include": []}


def test_an_edited_golden_file_is_retested(cli, kgit):
    root, g = kgit
    golden = root / WEB_PROD / "golden.yaml"
    golden.write_text(golden.read_text().replace("replicas: 4", "replicas: 40", 1))
    commit_all(g, "hand-edited golden")
    data = precise(cli, root)
    assert {s["path"]: s["retest"] for s in data["unchanged"]} == {WEB_PROD: True}
    res = cli("test", "--affected", "main", "--precise", repo=root)
    assert res.exit_code == 1
