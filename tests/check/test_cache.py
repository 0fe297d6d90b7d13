"""The results cache: content-addressed, atomic, off with ``directory=None``, never wrong."""
from __future__ import annotations

import os

from konfigctl.check.cache import Cache, Digests, hash_parts
from konfigctl.check.stack_test import run
from konfigctl.errors import KonfigError
from konfigctl.repo.repository import Repository


def test_put_then_get_round_trips_and_counts_hits_and_misses(tmp_path):
    c = Cache(str(tmp_path / "cache"), "test")
    assert c.get("ab" * 32) is None
    c.put("ab" * 32, {"ok": True, "checks": [1, 2]})
    assert c.get("ab" * 32) == {"ok": True, "checks": [1, 2]}
    assert (c.hits, c.misses) == (1, 1)
    # the directory marks itself as a cache git never tracks
    assert (tmp_path / "cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_disabled_cache_stores_nothing(tmp_path):
    c = Cache(None, "test")
    assert not c.enabled
    c.put("ab" * 32, 1)
    assert c.get("ab" * 32) is None and list(tmp_path.iterdir()) == []


def test_a_broken_entry_is_a_miss_not_an_error(tmp_path):
    c = Cache(str(tmp_path), "test")
    key = "cd" * 32
    c.put(key, [1])
    (tmp_path / "test" / key[:2] / f"{key}.json").write_text("{not json")
    assert c.get(key) is None and c.misses == 1


def test_hash_parts_separates_its_parts():
    # without the length prefix "ab"+"c" and "a"+"bc" would collide
    assert hash_parts(["ab", "c"]) != hash_parts(["a", "bc"])
    assert hash_parts(["x", b"y"]) == hash_parts([b"x", "y"])


def test_digests_read_each_file_once_and_name_the_files():
    reads: list[str] = []
    files = {"a.yaml": b"1", "b.yaml": b"1"}

    def read(rel: str) -> bytes:
        reads.append(rel)
        if rel not in files:
            raise KonfigError(f"{rel}: no such file")
        return files[rel]

    d = Digests(read)
    assert d.file("a.yaml") == d.file("b.yaml")  # same content, same digest
    assert d.file("gone.yaml") == "-"
    assert d.files(["a.yaml"]) != d.files(["b.yaml"])  # a rename is a change
    assert d.files(["a.yaml", "b.yaml"]) == d.files(["b.yaml", "a.yaml", "a.yaml"])
    d.file("a.yaml")
    assert reads == ["a.yaml", "b.yaml", "gone.yaml"]


def test_a_second_test_run_reuses_results_until_an_input_changes(mini, write):
    results, _ = run(Repository(str(mini)), Repository(str(mini)).stacks(), jobs=1)
    assert results and not any(r.cached for r in results)
    repo = Repository(str(mini))
    again, _ = run(repo, repo.stacks(), jobs=1)
    assert all(r.cached for r in again)
    assert [r.to_json(with_resources=False) | {"cached": None} for r in again] == \
        [r.to_json(with_resources=False) | {"cached": None} for r in results]
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig:\n  replicas: 3\n")
    repo = Repository(str(mini))
    third, _ = run(repo, repo.stacks(), jobs=1)
    fresh = {r.stack for r in third if not r.cached}
    assert fresh == {"konfig/appops/acme/web/dev"}
    assert os.path.isdir(mini / ".konfig-cache" / "test")
