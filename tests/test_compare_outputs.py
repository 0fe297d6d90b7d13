"""benchmarks/compare_outputs.py: the same input for two runs, and every difference found."""
from __future__ import annotations

import json
import shutil

import pytest

from benchmarks import compare_outputs as co
from benchmarks import generate as gen_mod

from tests.conftest import FIXTURES, git_init


@pytest.mark.slow  # ten konfig processes
def test_prepare_runs_and_diffs(tmp_path, capsys):
    src = tmp_path / "src"
    shutil.copytree(FIXTURES / "mini", src)
    git_init(src)
    dest = tmp_path / "k"
    manifest = co.prepare(src, dest)
    assert manifest["stack"] == "konfig/appops/acme/api/dev"
    assert manifest["branches"] == [f"change/{n}" for n in co.CHANGES]
    # each change is one commit on its branch, made from main
    for b in manifest["branches"]:
        assert co.git(dest, "rev-list", "--count", f"main..{b}").strip() == "1"
    assert co.git(dest.with_name("k.wt"), "status", "--porcelain").strip()  # the uncommitted edit

    konfig = gen_mod.KONFIG[0]  # the console script next to this Python, as users run it
    only = r"^(version|list-stacks|resolve-unknown-stack|affected-change-stack-renamed-json|test-all-json)$"
    for out in ("a", "b"):
        co.run(konfig, dest, tmp_path / out, only=only)
    rec = json.loads((tmp_path / "a" / "affected-change-stack-renamed-json.json").read_text())
    assert rec["exit"] == 0 and json.loads(rec["stdout"])["deleted"]
    assert json.loads((tmp_path / "a" / "resolve-unknown-stack.json").read_text())["exit"] == 2
    assert (tmp_path / "a" / "test-all-json.files" / "junit.xml").exists()  # written outside, kept
    assert co.diff(tmp_path / "a", tmp_path / "b") == 0  # durations differ, nothing else
    assert "0 differ" in capsys.readouterr().out

    rec = json.loads((tmp_path / "b" / "list-stacks.json").read_text())
    rec["exit"], rec["stdout"] = 1, rec["stdout"].replace("acme", "acne", 1)
    (tmp_path / "b" / "list-stacks.json").write_text(json.dumps(rec))
    assert co.diff(tmp_path / "a", tmp_path / "b") == 1
    shown = capsys.readouterr().out
    assert "list-stacks.json (list stacks --format json):" in shown and "exit 0 -> 1" in shown
    assert "acne" in shown and "1 differ" in shown
