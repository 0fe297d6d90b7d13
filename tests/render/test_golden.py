from __future__ import annotations

from konfigctl.render import golden


def test_same_is_semantic():
    assert golden.same({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1})
    assert not golden.same([1, 2], [2, 1])
    assert not golden.same({"a": True}, {"a": 1})
    assert not golden.same({"a": "1"}, {"a": 1})
    assert not golden.same({"a": 1}, {"a": 1, "b": None})


def test_diff_aligns_key_order_so_only_changes_show():
    expected = [{"kind": "X", "spec": {"b": 2, "a": 1}}]
    actual = [{"kind": "X", "spec": {"a": 1, "b": 3}}]
    d = golden.diff(expected, actual, "g.yaml")
    changed = [ln for ln in d.splitlines() if ln[:1] in "+-" and not ln.startswith(("---", "+++"))]
    assert changed == ["-  b: 2", "+  b: 3"]
