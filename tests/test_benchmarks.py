"""The scale benchmark stays runnable: generator, KCL twin and runner, at a tiny size.

Timings are not asserted (they belong to benchmarks/run.py --size full and
docs/performance.md); what is asserted is that every measurement is there,
sane, and that konfig and KCL check the same stacks with the same rules.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from konfigctl import yamlio
from konfigctl.check.validation import validate
from konfigctl.repo.repository import Repository

from benchmarks import generate as gen_mod
from benchmarks import run as run_mod

MEASUREMENTS = ("start_help", "start_list", "start_list_no_listings", "validate_all", "validate_all_j1", "kcl_compile",
                "test_cold", "test_warm", "affected_stack", "affected_defaults", "affected_model")


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and ".git" not in p.parts:
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_generator_is_reproducible_realistic_and_valid_yaml(tmp_path):
    a = gen_mod.generate(tmp_path / "a", projects=12, stacks=40, seed=3, goldens=False)
    b = gen_mod.generate(tmp_path / "b", projects=12, stacks=40, seed=3, goldens=False, commit=False)
    assert _tree_digest(a.root) == _tree_digest(b.root)
    assert _tree_digest(a.root) != _tree_digest(
        gen_mod.generate(tmp_path / "c", projects=12, stacks=40, seed=4, goldens=False, commit=False).root)
    repo = Repository(str(a.root))
    assert len(repo.projects()) == 12 and len(repo.stacks()) == 40
    assert {p.model_name for p in repo.projects()} == {"webapp", "cronjob", "database", "bucket"}
    # every layer the generator wrote reads back as the data it meant
    for rel in [f for s in a.stacks for f in s.layers if not f.startswith("konfig/base")]:
        yamlio.load((a.root / rel).read_bytes(), rel)
    assert any("prod/" in s.path for s in a.stacks)  # regions under a shared prod/defaults.yaml
    import git

    assert not git.Repo(a.root).is_dirty(untracked_files=True)  # committed, goldens included


def test_planted_problems_fail_exactly_their_stacks(tmp_path):
    g = gen_mod.generate(tmp_path / "k", projects=15, stacks=50, seed=11, goldens=False, commit=False,
                         violation_rate=0.4)
    repo = Repository(str(g.root))
    failed = {p.stack for p in validate(repo, repo.stacks(), jobs=1) if p.is_error}
    assert failed == {s.path for s in g.stacks if s.broken}
    assert len({s.broken for s in g.stacks if s.broken}) >= 6  # many kinds of problems


def test_kcl_twin_fails_the_same_stacks(tmp_path):
    pytest.importorskip("kcl_lib")
    from benchmarks.kcl import compile as kcl_compile

    g = gen_mod.generate(tmp_path / "k", projects=15, stacks=50, seed=11, goldens=False, commit=False,
                         violation_rate=0.4, kcl=True)
    res = kcl_compile.compile_all(g.kcl_dir)
    assert res["stacks"] == 50 and not res["gaps"]
    assert set(res["failed"]) == {s.path for s in g.stacks if s.broken}, res["failed"]


def test_runner_measures_everything_at_a_tiny_size(tmp_path):
    pytest.importorskip("kcl_lib")
    results = run_mod.run(8, 20, seed=5, workdir=tmp_path, write=False)
    json.dumps(results)  # what --size writes
    m = results["measurements"]
    for key in MEASUREMENTS:
        assert key in m, key
        v = m[key]
        if v.get("available") is False:
            assert "not available yet" in v["reason"]
            continue
        assert v["exit_code"] in (0, 1), v
        assert 0 < v["seconds"] < 120
        assert 0 < v["peak_rss_mb"] < 2048
    assert m["validate_all"]["stacks"] == 20
    assert m["kcl_compile"]["stacks"] == 20
    assert m["agreement"]["same_failing_stacks"], m["agreement"]
    assert m["validate_all_j1"]["jobs"] == 1
    assert results["ratios"]["validate_vs_kcl"] > 0
    assert [t["figure"] for t in results["targets"]] == [t[0] for t in run_mod.TARGETS]
    assert "konfig benchmark: 8 projects, 20 stacks" in run_mod.table(results)


def test_runner_command_line(tmp_path):
    proc = subprocess.run([sys.executable, str(run_mod.REPO_ROOT / "benchmarks" / "run.py"), "--help"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "--size" in proc.stdout
    proc = subprocess.run([sys.executable, str(run_mod.REPO_ROOT / "benchmarks" / "generate.py"),
                           "--projects", "3", "--stacks", "6", "--out", str(tmp_path / "g"), "--no-goldens"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stacks"] == 6
