from __future__ import annotations

import json
import subprocess

import pytest

from tests import konfig_repos as k
from tests.conftest import commit_all



def test_text_lists_affected_stacks_and_why(cli, kgit):
    root, g = kgit
    k.edit(root, "konfig/base/models/job/schema.yaml")
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml")
    commit_all(g, "x")
    res = cli("affected", "--base", "main", repo=root)
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == k.BATCH + ["konfig/appops/acme/web/dev"]
    assert "3 stacks affected; 2 files changed" in res.stderr
    res = cli("affected", "--base", "main", "--why", repo=root)
    assert ("konfig/appops/acme/batch/dev\n"
            "    model job: konfig/base/models/job/schema.yaml changed\n") in res.stdout


def test_deleted_stacks_are_listed_as_deleted(cli, kgit):
    root, g = kgit
    g.git.rm("-r", "-q", "konfig/appops/acme/web/dev")
    commit_all(g, "x")
    res = cli("affected", "--base", "main", "--why", repo=root)
    assert res.exit_code == 0
    assert res.stdout.startswith("konfig/appops/acme/web/dev (deleted)\n"
                                 "    stack: konfig/appops/acme/web/dev/stack.yaml deleted\n")
    assert "    stack: konfig/appops/acme/web/dev/golden.yaml deleted\n" in res.stdout
    assert "0 stacks affected, 1 deleted" in res.stderr


def test_json_is_stable_for_scripts(cli, kgit):
    root, g = kgit
    g.git.mv("konfig/appops/acme/web/dev", "konfig/appops/acme/web/development")
    commit_all(g, "x")
    data = json.loads(cli("affected", "--base", "main", "-f", "json", repo=root).stdout)
    assert set(data) == {"base", "head", "merge_base", "head_commit", "uncommitted", "changed_files",
                         "affected", "deleted"}
    assert data["base"] == "main" and data["head"] == "HEAD" and len(data["merge_base"]) == 40
    assert [(a["path"], a["status"]) for a in data["affected"]] == [
        ("konfig/appops/acme/web/development", "added")]
    assert [(a["path"], a["status"]) for a in data["deleted"]] == [("konfig/appops/acme/web/dev", "deleted")]
    reason = data["affected"][0]["reasons"][0]
    assert reason["rule"] == "stack" and reason["change"].startswith("renamed from ")
    assert {"status": "R", "path": "konfig/appops/acme/web/development/stack.yaml",
            "old_path": "konfig/appops/acme/web/dev/stack.yaml"} in data["changed_files"]


def test_github_matrix_shards_are_balanced(cli, kgit):
    root, g = kgit
    k.edit(root, "konfig.yaml")  # every stack: 8
    commit_all(g, "x")
    res = cli("affected", "--base", "main", "-f", "github-matrix", "--shard-size", "3", repo=root)
    assert res.exit_code == 0
    line = res.stdout.strip()
    assert "\n" not in line  # one line, ready for $GITHUB_OUTPUT
    inc = json.loads(line)["include"]
    assert [(e["shard"], e["index"], e["total"], len(e["stacks"])) for e in inc] == [
        ("1/3", 1, 3, 3), ("2/3", 2, 3, 3), ("3/3", 3, 3, 2)]
    assert sorted(s for e in inc for s in e["stacks"]) == k.ALL
    inc = json.loads(cli("affected", "--base", "main", "-f", "github-matrix", "--shard-size", "1",
                         "--max-shards", "2", repo=root).stdout)["include"]
    assert [len(e["stacks"]) for e in inc] == [4, 4] == [e["count"] for e in inc]


def test_github_matrix_drops_names_past_the_output_limit(cli, kgit, monkeypatch):
    from konfigctl.commands import affected as cmd

    root, g = kgit
    k.edit(root, "konfig.yaml")
    commit_all(g, "x")
    monkeypatch.setattr(cmd, "MATRIX_NAMES_LIMIT", 100)
    inc = json.loads(cli("affected", "--base", "main", "-f", "github-matrix", "--shard-size", "3",
                         repo=root).stdout)["include"]
    assert [e["count"] for e in inc] == [3, 3, 2] and all("stacks" not in e for e in inc)


def test_github_matrix_is_empty_when_nothing_is_affected(cli, kgit):
    root, g = kgit
    k.edit(root, "docs/index.md")
    commit_all(g, "x")
    res = cli("affected", "--base", "main", "-f", "github-matrix", repo=root)
    assert json.loads(res.stdout) == {"include": []}


def test_shards_of_the_matrix_are_what_validate_shard_selects(cli, kgit):
    root, g = kgit
    k.edit(root, "konfig/base/envs/prod.yaml")
    commit_all(g, "x")
    inc = json.loads(cli("affected", "--base", "main", "-f", "github-matrix", "--shard-size", "2",
                         repo=root).stdout)["include"]
    assert len(inc) == 3
    for e in inc:
        res = cli("validate", "--affected", "main", "--shard", e["shard"], "-f", "json", repo=root)
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["stacks"] == len(e["stacks"])


def test_test_shards_cover_the_matrix_exactly(cli, mini_git):
    root, g = mini_git
    g.git.checkout("-b", "change")
    k.edit(root, "konfig/base/envs/prod.yaml")  # the 4 prod stacks of the mini fixture
    commit_all(g, "x")
    inc = json.loads(cli("affected", "--base", "main", "-f", "github-matrix", "--shard-size", "3",
                         repo=root).stdout)["include"]
    seen = []
    for e in inc:
        res = cli("test", "--affected", "main", "--shard", e["shard"], "-f", "json", repo=root)
        assert res.exit_code == 0, res.output
        got = [r["stack"] for r in json.loads(res.stdout)["results"]]
        assert got == e["stacks"]
        seen += got
    assert sorted(seen) == ["konfig/appops/acme/api/prod/eu", "konfig/appops/acme/api/prod/us",
                            "konfig/appops/acme/web/prod", "konfig/infra/data/db/prod"]


def test_validate_affected_checks_only_affected_stacks(cli, kgit):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig:\n  replicas: 3\n")
    commit_all(g, "bad replicas")
    res = cli("validate", "--affected", "main", "-f", "json", repo=root)
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["stacks"] == 1 and data["problems"][0]["stack"] == "konfig/appops/acme/web/dev"


def test_validate_affected_counts_the_work_tree(cli, kgit):
    root, _ = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig:\n  replicas: 3\n")
    res = cli("validate", "--affected", "main", repo=root)
    assert res.exit_code == 1 and "web/dev/stack.yaml:3:3: replicas" in res.stdout


def test_bad_shard_is_usage_error(cli, kgit):
    root, _ = kgit
    res = cli("validate", "--all", "--shard", "3/2", repo=root)
    assert res.exit_code == 2 and "bad shard '3/2'" in res.stderr


def test_dirty_tree_gets_a_note_not_an_error(cli, kgit):
    root, _ = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml")
    res = cli("affected", "--base", "main", repo=root)
    assert res.exit_code == 0 and res.stdout == ""
    assert "note: 1 uncommitted file in the work tree not included; add --uncommitted" in res.stderr
    res = cli("affected", "--base", "main", "--uncommitted", repo=root)
    assert res.stdout == "konfig/appops/acme/web/dev\n"
    assert "note:" not in res.stderr


@pytest.mark.parametrize("args, message", [
    (["--base", "nope"], "unknown git revision 'nope'"),
    (["--base", "main", "--head", "nope"], "unknown git revision 'nope'"),
    (["--base", "--oops"], None),
    (["--base", "main", "-f", "yaml"], "--format yaml is not available for affected"),
])
def test_bad_input_is_one_line_and_exit_2(cli, kgit, args, message):
    root, _ = kgit
    res = cli("affected", *args, repo=root)
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    if message:
        assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_shallow_clone_without_base_is_explained(cli, kgit, tmp_path):
    root, g = kgit
    old = g.head.commit.hexsha
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml")
    commit_all(g, "x")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "change", f"file://{root}",
                    str(clone)], check=True)
    res = cli("affected", "--base", old, repo=clone)
    assert res.exit_code == 2
    assert f"unknown git revision '{old}'" in res.stderr and "shallow clone" in res.stderr
    res = cli("affected", "--base", "origin/main", repo=clone)
    assert res.exit_code == 2 and "shallow clone" in res.stderr


def test_not_a_git_repository(cli, mini):
    res = cli("affected", "--base", "main", repo=mini)
    assert res.exit_code == 2 and "not inside a git repository" in res.stderr


def test_depends_on_cycle_is_a_clear_error(cli, kgit):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\ndepends_on: [acme/web/prod]\n")
    k.edit(root, "konfig/appops/acme/web/prod/stack.yaml",
           "env: prod\ndepends_on: [acme/web/dev]\nconfig: {replicas: 2}\n")
    commit_all(g, "cycle")
    res = cli("affected", "--base", "main", repo=root)
    assert res.exit_code == 2
    assert res.stderr.strip() == (
        "konfig: error: konfig/appops/acme/web/dev/stack.yaml:2:14: depends_on[0]: depends_on cycle: "
        "konfig/appops/acme/web/dev -> konfig/appops/acme/web/prod -> konfig/appops/acme/web/dev")


def test_stack_paths_with_shell_syntax_are_just_data(cli, kgit):
    root, g = kgit
    evil = "konfig/appops/acme/web/$(touch pwned)"
    k.edit(root, f"{evil}/stack.yaml", "env: dev\nconfig: {}\n")
    commit_all(g, "x")
    res = cli("affected", "--base", "main", "-f", "github-matrix", repo=root)
    inc = json.loads(res.stdout)["include"]
    assert inc[0]["stacks"] == [evil]
    assert not (root / "pwned").exists()
