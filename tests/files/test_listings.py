"""Directory listings kept between runs: trusted only while the directory is unchanged."""
from __future__ import annotations

import os
import time

from konfigctl.files.listings import Listings
from konfigctl.repo.repository import Repository


def _old(path, seconds=10):
    """Back-date ``path`` so that its listing is old enough to keep."""
    t = time.time() - seconds
    os.utime(path, (t, t))
    return os.stat(path)


def test_a_kept_listing_is_reused_until_the_directory_changes(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    st = _old(d)
    cache = tmp_path / "cache" / "listings.json"
    ls = Listings(str(cache), str(tmp_path))
    ls.put("d", st, ["sub"], ["a.yaml"], time.time_ns())
    ls.finish("", {"d"})
    again = Listings(str(cache), str(tmp_path))
    assert again.get("d", os.stat(d)) == (["sub"], ["a.yaml"])
    (d / "new.yaml").write_text("")  # a new entry changes the directory's mtime
    assert again.get("d", os.stat(d)) is None


def test_a_directory_changed_just_now_is_not_kept(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    ls = Listings(str(tmp_path / "listings.json"), str(tmp_path))
    ls.put("d", os.stat(d), [], ["a"], time.time_ns())
    assert ls.get("d", os.stat(d)) is None and not ls.dirty


def test_another_root_or_a_broken_file_is_a_miss(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    st = _old(d)
    path = tmp_path / "listings.json"
    ls = Listings(str(path), str(tmp_path))
    ls.put("d", st, [], ["a"], time.time_ns())
    ls.finish("", {"d"})
    assert Listings(str(path), "/elsewhere").get("d", st) is None
    path.write_text("{broken")
    assert Listings(str(path), str(tmp_path)).entries == {}


def test_finish_forgets_directories_that_are_gone(tmp_path):
    st = _old(tmp_path)
    path = tmp_path / "c" / "listings.json"
    ls = Listings(str(path), str(tmp_path))
    for rel in ("top", "top/a", "top/b", "other"):
        ls.put(rel, st, [], [], time.time_ns())
    ls.finish("top", {"top", "top/a"})
    assert sorted(Listings(str(path), str(tmp_path)).entries) == ["other", "top", "top/a"]


def test_discovery_with_kept_listings_sees_a_new_stack(mini, write):
    for p in sorted(mini.rglob("*"), reverse=True):  # old enough to be kept
        if p.is_dir():
            _old(p)
    _old(mini)
    before = [s.path for s in Repository(str(mini)).stacks()]
    assert (mini / ".konfig-cache" / "listings.json").exists()
    write(mini, "konfig/appops/acme/web/qa/stack.yaml", "env: dev\n")
    after = [s.path for s in Repository(str(mini)).stacks()]
    assert sorted(set(after) - set(before)) == ["konfig/appops/acme/web/qa"]
