"""The Overlay source: a repository as it would be with pending edits."""
from __future__ import annotations

import pytest

from konfigctl.errors import KonfigError
from konfigctl.repository import Repository
from konfigctl.source import Overlay, WorkTree


def test_overlay_reads_pending_content_and_falls_back(mini):
    base = WorkTree(str(mini))
    ov = Overlay(base, {"konfig/appops/acme/web/defaults.yaml": b"image: x\n", "konfig.yaml": None})
    assert ov.read("konfig/appops/acme/web/defaults.yaml") == b"image: x\n"
    assert ov.read("konfig/appops/acme/api/defaults.yaml") == base.read("konfig/appops/acme/api/defaults.yaml")
    assert not ov.exists("konfig.yaml")
    with pytest.raises(KonfigError):
        ov.read("konfig.yaml")
    # the file on disk is untouched
    assert b"image: example/web" in (mini / "konfig/appops/acme/web/defaults.yaml").read_bytes()


def test_overlay_walk_adds_new_directories_in_order(mini):
    ov = Overlay(WorkTree(str(mini)), {
        "konfig/appops/acme/beta/project.yaml": b"model: app\nowners: [web]\n",
        "konfig/appops/acme/beta/dev/stack.yaml": b"env: dev\n",
        "konfig/appops/acme/web/dev/stack.yaml": None,
    })
    walked = {rel: (dirs, files) for rel, dirs, files in ov.walk("konfig/appops")}
    assert walked["konfig/appops/acme"][0] == ["api", "beta", "web"]
    assert walked["konfig/appops/acme/beta"] == (["dev"], ["project.yaml"])
    assert "stack.yaml" not in walked["konfig/appops/acme/web/dev"][1]
    order = [rel for rel, _d, _f in ov.walk("konfig/appops")]
    assert order.index("konfig/appops/acme/api") < order.index("konfig/appops/acme/beta") < order.index(
        "konfig/appops/acme/web")
    assert ov.isdir("konfig/appops/acme/beta/dev") and ov.exists("konfig/appops/acme/beta")
    assert "konfig/appops/acme/beta/dev/stack.yaml" in ov.files()
    assert "konfig/appops/acme/web/dev/stack.yaml" not in ov.files()


def test_repository_with_changes_discovers_and_resolves_pending_files(mini):
    repo = Repository(str(mini))
    before = [s.path for s in repo.stacks()]
    changed = repo.with_changes({
        "konfig/appops/acme/web/prod/defaults.yaml": b"replicas: 8\n",
        "konfig/appops/acme/beta/project.yaml": b"model: app\nowners: [web]\n",
        "konfig/appops/acme/beta/dev/stack.yaml": b"env: dev\nconfig: {image: b:1}\n",
    })
    from konfigctl.resolution import resolve

    stack = changed.find_stack("acme/web/prod")
    assert resolve(changed, stack).config["replicas"] == 4  # the stack's own value still wins
    assert changed.has_defaults("konfig/appops/acme/web/prod/defaults.yaml")
    assert "konfig/appops/acme/beta/dev" in [s.path for s in changed.stacks()]
    assert [s.path for s in repo.stacks()] == before  # the original is not affected
    assert not (mini / "konfig/appops/acme/beta").exists()


def test_with_changes_reuses_discovery_when_no_file_appears(mini, monkeypatch):
    repo = Repository(str(mini))
    stacks = [s.path for s in repo.stacks()]
    walks = []
    real = Overlay.walk
    monkeypatch.setattr(Overlay, "walk", lambda self, *a, **k: walks.append(a) or real(self, *a, **k))
    changed = repo.with_changes({"konfig/appops/acme/web/dev/stack.yaml": b"env: dev\nconfig: {replicas: 2}\n"})
    assert [s.path for s in changed.stacks()] == stacks
    assert all(s.repo is changed and s.project.repo is changed for s in changed.stacks())
    assert changed.find_stack("acme/web/dev").project.stacks[0].repo is changed
    from konfigctl.resolution import resolve

    assert resolve(changed, changed.find_stack("acme/web/dev")).config["replicas"] == 2
    assert walks == []
    added = repo.with_changes({"konfig/appops/acme/web/qa/stack.yaml": b"env: dev\n"})
    assert "konfig/appops/acme/web/qa" in [s.path for s in added.stacks()]
    assert walks
