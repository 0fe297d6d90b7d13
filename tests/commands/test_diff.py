from __future__ import annotations

import json

import pytest

from tests import konfig_repos as k
from tests.conftest import commit_all


@pytest.fixture
def kgit(kgit):
    """conftest's ``kgit`` plus a commit on ``change``: the dev stack at two replicas."""
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig:\n  replicas: 2\n  disk: 10Gi\n")
    commit_all(g, "two replicas")
    return root, g


def test_text_shows_each_stack_why_and_the_diff(cli, kgit):
    root, _ = kgit
    res = cli("diff", "--base", "main", repo=root)
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("konfig/appops/acme/web/dev  config: 1 changed;")
    assert "    why: stack: konfig/appops/acme/web/dev/stack.yaml changed\n" in res.stdout
    assert "    -replicas: 1\n    +replicas: 2\n" in res.stdout
    assert "1 stack affected, 1 with a difference" in res.stderr


def test_markdown_for_a_pr_comment(cli, kgit):
    root, _ = kgit
    res = cli("diff", "--base", "main", "-f", "markdown", repo=root)
    assert res.exit_code == 0
    assert res.stdout.startswith("### konfig diff\n")
    assert "<details>" in res.stdout and "-replicas: 1\n+replicas: 2\n" in res.stdout


def test_json(cli, kgit):
    root, _ = kgit
    data = json.loads(cli("diff", "--base", "main", "-f", "json", "--no-render", repo=root).stdout)
    (s,) = data["stacks"]
    assert s["path"] == "konfig/appops/acme/web/dev" and s["status"] == "changed"
    assert s["config"]["changes"] == [{"path": "replicas", "kind": "changed", "old": 1, "new": 2}]
    assert s["resources"] is None
    assert data["notes"] == ["rendered resources not compared (--no-render)"]


def test_uncommitted(cli, kgit):
    root, _ = kgit
    k.edit(root, "konfig/appops/acme/web/prod/stack.yaml", "env: prod\nconfig: {replicas: 8}\n")
    res = cli("diff", "--base", "main", "-f", "json", repo=root)
    assert [s["path"] for s in json.loads(res.stdout)["stacks"]] == ["konfig/appops/acme/web/dev"]
    assert "add --uncommitted" in res.stderr
    res = cli("diff", "--base", "main", "-f", "json", "--uncommitted", repo=root)
    assert [s["path"] for s in json.loads(res.stdout)["stacks"]] == [
        "konfig/appops/acme/web/dev", "konfig/appops/acme/web/prod"]


@pytest.mark.parametrize("args, message", [
    (["--base", "nope"], "unknown git revision 'nope'"),
    (["--base", "main", "-f", "yaml"], "--format yaml is not available for diff"),
])
def test_bad_input(cli, kgit, args, message):
    root, _ = kgit
    res = cli("diff", *args, repo=root)
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.output
