"""The Overlay source: a repository as it would be with pending edits."""
from __future__ import annotations

import pytest
from konfigctl.errors import KonfigError
from konfigctl.files.source import Overlay, WorkTree
from konfigctl.repo.repository import Repository


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
    from konfigctl.resolve.merge import resolve

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
    from konfigctl.resolve.merge import resolve

    assert resolve(changed, changed.find_stack("acme/web/dev")).config["replicas"] == 2
    assert walks == []
    added = repo.with_changes({"konfig/appops/acme/web/qa/stack.yaml": b"env: dev\n"})
    assert "konfig/appops/acme/web/qa" in [s.path for s in added.stacks()]
    assert walks


def test_keep_parsed_carries_only_what_the_changes_leave_alone(mini):
    """What konfig lsp builds per edit: parsed files and compiled models carried, never a stale one."""
    from konfigctl.check.validation import validate_stack

    repo = Repository(str(mini))
    prod = repo.find_stack("acme/web/prod")
    assert validate_stack(repo, prod) == []
    model = repo.model("app")
    stack_file = "konfig/appops/acme/web/prod/stack.yaml"
    edited = repo.with_changes({stack_file: b"env: prod\nconfig: {replicas: 3}\n"}, keep_parsed=True)
    assert edited.model("app") is model  # its schema did not change: its validator is reused
    assert edited.document("konfig/appops/acme/web/defaults.yaml") is repo.document("konfig/appops/acme/web/defaults.yaml")
    assert edited.document(stack_file).data == {"env": "prod", "config": {"replicas": 3}}
    assert [p.message for p in validate_stack(edited, edited.find_stack("acme/web/prod"))] == [
        "3 is not one of 1, 2, 4, 8"]
    schema = "konfig/base/models/app/schema.yaml"
    text = repo.read(schema).replace(b"enum: [1, 2, 4, 8]", b"enum: [1, 2, 3, 4, 8]")
    both = repo.with_changes({stack_file: b"env: prod\nconfig: {replicas: 3}\n", schema: text}, keep_parsed=True)
    assert both.model("app") is not model  # a changed schema is compiled anew
    assert validate_stack(both, both.find_stack("acme/web/prod")) == []
    later = repo.with_changes({schema: text}, keep_parsed=True)
    later.keep_parsed_from(both, lambda rel: rel != stack_file)  # the last view, the stack file differing
    assert later.model("app") is both.model("app")
    assert later.document(stack_file).data == repo.document(stack_file).data


# -- directory listings kept between runs --------------------------------------

def _age(top, seconds=3600):
    """Date every directory under ``top`` back, as a checkout from an hour ago would be."""
    import os
    import time

    when = time.time() - seconds
    for dirpath, _dirnames, _files in os.walk(top):
        os.utime(dirpath, (when, when))


def _walk(root, top="konfig/appops", errors=None):
    import os

    from konfigctl.files.listings import Listings

    tree = WorkTree(str(root))
    listings = Listings(os.path.join(str(root), ".konfig-cache", "listings.json"), str(root))
    tree.remember_listings(listings)
    return {rel: (dirs, files) for rel, dirs, files in tree.walk(top, errors)}, listings


def test_listings_are_reused_while_a_directory_is_unchanged(mini):
    import json

    _age(mini / "konfig")
    plain = {rel: (d, f) for rel, d, f in WorkTree(str(mini)).walk("konfig/appops")}
    first, _ = _walk(mini)
    assert first == plain
    cache = mini / ".konfig-cache" / "listings.json"
    data = json.loads(cache.read_text())
    assert set(data["dirs"]) == set(plain)
    # a listing whose directory has not changed is believed without looking (proved with a lie)
    data["dirs"]["konfig/appops/acme/web/dev"][3] = ["planted.yaml"]
    cache.write_text(json.dumps(data))
    assert _walk(mini)[0]["konfig/appops/acme/web/dev"][1] == ["planted.yaml"]
    # any entry added to the directory changes its mtime: listed again
    (mini / "konfig/appops/acme/web/dev/notes.md").write_text("x\n")
    assert _walk(mini)[0]["konfig/appops/acme/web/dev"][1] == sorted(
        p.name for p in (mini / "konfig/appops/acme/web/dev").iterdir())


def test_listings_see_new_and_removed_projects(mini):
    import shutil

    _age(mini / "konfig")
    assert Repository(str(mini)).stack_at("konfig/appops/acme/web/prod") is not None  # listings kept
    (mini / "konfig/appops/acme/beta/dev").mkdir(parents=True)
    (mini / "konfig/appops/acme/beta/project.yaml").write_text("model: app\nowners: [web]\n")
    (mini / "konfig/appops/acme/beta/dev/stack.yaml").write_text("env: dev\n")
    shutil.rmtree(mini / "konfig/appops/acme/web/prod")
    repo = Repository(str(mini))
    assert repo.stack_at("konfig/appops/acme/beta/dev") is not None
    assert repo.stack_at("konfig/appops/acme/web/prod") is None
    _, listings = _walk(mini)
    assert "konfig/appops/acme/web/prod" not in listings.entries  # forgotten, not kept forever


def test_recently_changed_directories_are_not_kept(mini):
    """A change in the same timestamp tick as the listing would go unseen: keep only settled ones."""
    _age(mini / "konfig")
    (mini / "konfig/appops/acme/web/dev/new.yaml").write_text("x\n")  # mtime: now
    _, listings = _walk(mini)
    assert "konfig/appops/acme/web/dev" not in listings.entries
    assert "konfig/appops/acme/web" in listings.entries


def test_directories_with_symlinks_are_listed_every_time(mini, tmp_path):
    import os

    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, mini / "konfig/appops/acme/web/escape")
    _age(mini / "konfig")
    for _ in range(2):  # the escape is reported on every run, not only the first
        errors: list[KonfigError] = []
        walked, listings = _walk(mini, errors=errors)
        assert [e.file for e in errors] == ["konfig/appops/acme/web/escape"]
        assert "konfig/appops/acme/web" not in listings.entries


def test_a_broken_or_unwritable_listings_file_is_only_a_miss(mini):
    _age(mini / "konfig")
    plain = {rel: (d, f) for rel, d, f in WorkTree(str(mini)).walk("konfig/appops")}
    cache = mini / ".konfig-cache"
    cache.mkdir()
    (cache / "listings.json").write_text('{"version": 1, "root": "nope", "dirs": [')
    assert _walk(mini)[0] == plain
    import shutil

    shutil.rmtree(cache)
    cache.write_text("a file where the cache directory should be\n")  # unwritable, even for root
    assert _walk(mini)[0] == plain
    assert cache.read_text().startswith("a file")
