"""The typed memo: one per revision, a slot per concern, made on first use."""
from __future__ import annotations

import pytest
from konfigctl.repo.memo import Memo, Slot
from konfigctl.repo.repository import Repository


def test_slots_are_their_own_keys():
    a: Slot[int] = Slot("count")
    b: Slot[int] = Slot("count")  # the same name, another owner: no collision
    m = Memo()
    assert m.get(a) is None and a not in m
    assert m.put(a, 1) == 1
    assert (m.get(a), m.get(b)) == (1, None) and a in m and b not in m


def test_of_makes_a_container_once_and_needs_a_make():
    made: Slot[dict[str, int]] = Slot("made", dict)
    m = Memo()
    m.of(made)["x"] = 1
    assert m.of(made) == {"x": 1}
    with pytest.raises(TypeError, match="has no make"):
        m.of(Slot("plain"))


def test_each_revision_has_its_own_memo(mini):
    repo = Repository(str(mini))
    web = repo.find_stack("acme/web/dev")
    from konfigctl.resolve.merge import resolve

    assert resolve(repo, web).config["replicas"] == 1
    edited = repo.with_changes({web.file: b"env: dev\nconfig:\n  replicas: 5\n  disk: 10Gi\n"})
    assert edited.memo is not repo.memo
    assert resolve(edited, edited.find_stack("acme/web/dev")).config["replicas"] == 5
    assert resolve(repo, web).config["replicas"] == 1
