"""``konfig init --adopt DIR``: an existing Kusion-era repository becomes a Konfig, nothing else changes."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, git_init

ORG = REPO_ROOT / "konfig/appops/kusion"
WORKFLOW = "name: their-ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: [{run: make test}]\n"


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for f in filenames:
            p = Path(dirpath) / f
            out[str(p.relative_to(root))] = (p.read_bytes(), p.stat().st_mode)
    return out


@pytest.fixture
def kusion(tmp_path: Path) -> Path:
    """A repository in the Kusion layout: kcl.mod and base/pkg at the top, projects in appops/,
    its own workflow and CODEOWNERS."""
    repo = tmp_path / "konfig"
    shutil.copytree(ORG, repo)
    (repo / "appops").mkdir()
    for p in ("guestbook", "ledger"):
        shutil.move(str(repo / p), str(repo / "appops" / p))
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/ci.yml").write_text(WORKFLOW)
    (repo / ".github/CODEOWNERS").write_text("* @their-org/admins\n")
    (repo / "README.md").write_text("# their konfig\n")
    git_init(repo)
    return repo


def test_adopt_writes_only_new_files_and_every_existing_one_is_untouched(cli, kusion):
    before = snapshot(kusion)
    res = cli("init", "--adopt", str(kusion), "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    after = snapshot(kusion)
    for rel, content in before.items():
        assert after[rel] == content, rel  # byte for byte, and its mode
    new = set(after) - set(before)
    assert new == set(data["files"])
    assert "konfig.yaml" in new and ".github/CODEOWNERS" not in new
    assert all(f == "konfig.yaml" or f.startswith((".github/workflows/konfig", "pipelines/")) for f in new), new
    assert any("CODEOWNERS exists: left as it is" in n for n in data["notes"])


def test_the_adopted_repository_is_governed_as_it_is(cli, kusion):
    from importlib import metadata

    assert cli("init", "--adopt", str(kusion)).exit_code == 0
    from konfigctl.yamlio import load

    settings = load((kusion / "konfig.yaml").read_text()).data
    assert settings["roots"] == ["appops"] and settings["base"] == "base"
    assert settings["kcl"]["version"] == metadata.version("kcl-lib")
    res = cli("list", "stacks", "--format", "json", repo=kusion)
    assert {r["path"] for r in json.loads(res.stdout)} == {
        f"appops/{p}/{s}" for p in ("guestbook", "ledger") for s in ("dev", "prod")} | {"appops/ledger/backup"}
    res = cli("test", "--all", repo=kusion)
    assert res.exit_code == 0, res.output


def test_adopt_refuses_a_konfig_and_a_directory_without_projects(cli, kusion, tmp_path):
    assert cli("init", "--adopt", str(kusion)).exit_code == 0
    again = cli("init", "--adopt", str(kusion))
    assert again.exit_code == 2 and "konfig.yaml already" in again.output
    empty = tmp_path / "empty"
    empty.mkdir()
    res = cli("init", "--adopt", str(empty))
    assert res.exit_code == 2 and "no project.yaml" in res.output
    assert os.listdir(empty) == []
