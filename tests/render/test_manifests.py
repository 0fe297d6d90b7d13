"""The rendered-manifests tree: written only when changed, pruned only where konfig wrote."""
from __future__ import annotations

import types

import pytest
from konfigctl.errors import UsageError
from konfigctl.render.manifests import MARKER, file_name, write_tree


def _res(kind, name, ns=None, **spec):
    meta = {"name": name} | ({"namespace": ns} if ns else {})
    return {"apiVersion": "v1", "kind": kind, "metadata": meta, "spec": spec}


def _stack(path):
    return types.SimpleNamespace(path=path)


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_file_names_are_kind_and_name_with_the_namespace_on_a_clash():
    assert file_name(_res("Deployment", "web"), clash=False) == "deployment-web.yaml"
    assert file_name(_res("Service", "web", ns="shop"), clash=True) == "shop.service-web.yaml"
    assert file_name(_res("ConfigMap", "a/b"), clash=False) == "configmap-a_b.yaml"


def test_second_write_of_the_same_resources_changes_nothing(tmp_path):
    out = tmp_path / "out"
    good = [(_stack("k/a/dev"), [_res("Service", "a"), _res("Service", "a", ns="x"),
                                 _res("Service", "a", ns="y")])]
    first = write_tree(str(out), good, set(), prune=False, whole_repo=True)
    assert first.written == ["k/a/dev/service-a.yaml", "k/a/dev/x.service-a.yaml", "k/a/dev/y.service-a.yaml"]
    assert _files(out) == [MARKER] + first.written
    before = (out / "k/a/dev/service-a.yaml").stat().st_mtime_ns
    again = write_tree(str(out), good, set(), prune=False, whole_repo=True)
    assert (again.written, again.unchanged, again.removed) == ([], 3, [])
    assert (out / "k/a/dev/service-a.yaml").stat().st_mtime_ns == before


def test_prune_keeps_failed_stacks_and_on_a_partial_run_the_other_stacks(tmp_path):
    out = tmp_path / "out"
    a, b, c = _stack("k/a"), _stack("k/b"), _stack("k/c")
    write_tree(str(out), [(a, [_res("Service", "old"), _res("Service", "s")]), (b, [_res("Service", "s")]),
                          (c, [_res("Service", "s")])], set(), prune=False, whole_repo=True)
    # a partial run (only k/a rendered, k/b failed): k/a loses "old", k/b and k/c stay
    done = write_tree(str(out), [(a, [_res("Service", "s")])], {"k/b"}, prune=True, whole_repo=False)
    assert done.removed == ["k/a/service-old.yaml"]
    assert _files(out) == [MARKER, "k/a/service-s.yaml", "k/b/service-s.yaml", "k/c/service-s.yaml"]
    # a whole run without k/c: its directory goes
    done = write_tree(str(out), [(a, [_res("Service", "s")])], {"k/b"}, prune=True, whole_repo=True)
    assert done.removed == ["k/c/service-s.yaml"] and not (out / "k/c").exists()


def test_prune_refuses_a_directory_konfig_did_not_write(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(UsageError, match="refusing to prune"):
        write_tree(str(tmp_path), [], set(), prune=True, whole_repo=True)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_out_must_be_a_directory(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError, match="is not a directory"):
        write_tree(str(tmp_path / "f"), [], set(), prune=False, whole_repo=True)
