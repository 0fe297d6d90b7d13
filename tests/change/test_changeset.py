"""The one ChangeSet: merge-base, changed paths (renames at both), revisions made once."""
from __future__ import annotations

import shutil

import pytest
from konfigctl.change.changeset import ChangeSet
from konfigctl.errors import UsageError
from konfigctl.repo.repository import Repository

from tests.conftest import commit_all, copy_fixture, git_init

WEB = "konfig/appops/acme/web"


def _branch_with_changes(root, g):
    g.git.checkout("-b", "change")
    (root / f"{WEB}/dev/stack.yaml").write_text("env: dev\nconfig:\n  replicas: 2\n  disk: 10Gi\n")
    g.git.mv(f"{WEB}/prod", f"{WEB}/live")
    return commit_all(g, "change")


def test_changes_from_the_merge_base_name_renames_at_both_paths(mini_git):
    root, g = mini_git
    head = _branch_with_changes(root, g)
    g.git.checkout("main")  # base moves on after the branch point: not part of the change
    (root / "konfig/appops/acme/api/dev/stack.yaml").write_text("env: dev\n")
    main_tip = commit_all(g, "main moves on")
    cs = ChangeSet.open(str(root), "main", "change")
    assert cs.head_commit == head and cs.base_commit == main_tip
    assert cs.merge_base == g.git.merge_base("main", "change")
    touched = dict(cs.touched())
    assert touched[f"{WEB}/dev/stack.yaml"] == "changed"
    assert touched[f"{WEB}/prod/stack.yaml"] == f"renamed to {WEB}/live/stack.yaml"
    assert touched[f"{WEB}/live/stack.yaml"] == f"renamed from {WEB}/prod/stack.yaml"
    assert "konfig/appops/acme/api/dev/stack.yaml" not in touched
    files = {f[0]: f[1:] for f in cs.files()}
    assert files[f"{WEB}/prod/stack.yaml"] == ("R", None, f"{WEB}/live/stack.yaml")
    assert files[f"{WEB}/live/stack.yaml"] == ("R", f"{WEB}/prod/stack.yaml", None)
    # the revisions: made once, base apart from the merge-base once base moved on
    assert cs.merge_base_repo is cs.revision(cs.merge_base)
    assert cs.base_repo is not cs.merge_base_repo
    assert cs.head_repo.stack_at(f"{WEB}/live") is not None
    assert cs.merge_base_repo.stack_at(f"{WEB}/live") is None
    assert cs.to_json()["changed_files"][0].keys() == {"status", "path", "old_path"}


def test_uncommitted_counts_staged_unstaged_and_untracked_files(mini_git):
    root, g = mini_git
    (root / f"{WEB}/dev/stack.yaml").write_text("env: dev\nconfig: {replicas: 3}\n")
    shutil.copytree(root / f"{WEB}/dev", root / f"{WEB}/qa")
    wt = Repository(str(root))
    cs = ChangeSet.open(str(root), "main", uncommitted=True, work_tree=wt)
    assert cs.head == "work tree" and cs.uncommitted
    assert {c.path: c.status for c in cs.changes} == {
        f"{WEB}/dev/stack.yaml": "M", f"{WEB}/qa/golden.yaml": "A", f"{WEB}/qa/stack.yaml": "A"}
    assert cs.head_repo is wt and cs.committed_head_repo is wt


def test_uncommitted_cannot_go_with_another_head(mini_git):
    root, g = mini_git
    _branch_with_changes(root, g)
    g.git.checkout("main")
    with pytest.raises(UsageError, match="cannot be combined with --head"):
        ChangeSet.open(str(root), "main", "change", uncommitted=True)


def test_a_konfig_in_a_subdirectory_sees_its_own_files_from_its_root(tmp_path):
    top = tmp_path / "mono"
    top.mkdir()
    root = copy_fixture("mini", top / "config")
    (top / "README.md").write_text("the monorepo\n")
    g = git_init(top)
    g.git.checkout("-b", "change")
    (top / "README.md").write_text("changed outside the Konfig\n")
    (root / f"{WEB}/dev/stack.yaml").write_text("env: dev\n")
    commit_all(g, "both")
    cs = ChangeSet.open(str(root), "main", "change")
    assert cs.prefix == "config"
    assert [c.path for c in cs.changes] == [f"{WEB}/dev/stack.yaml"]
    assert cs.merge_base_bytes(f"{WEB}/dev/stack.yaml").startswith(b"# the web dev stack")
    assert cs.merge_base_bytes(f"{WEB}/new/stack.yaml") is None


def test_a_clean_head_is_read_from_the_work_tree_until_settle_finds_it_dirty(mini_git):
    root, g = mini_git
    _branch_with_changes(root, g)
    wt = Repository(str(root))
    cs = ChangeSet.open(str(root), "main", work_tree=wt)
    assert cs.head_repo is wt and cs.settle() is False
    (root / "konfig.yaml").write_text((root / "konfig.yaml").read_text() + "# dirty\n")
    cs = ChangeSet.open(str(root), "main", work_tree=Repository(str(root)))
    assert cs.settle() is True and cs.not_included == ["konfig.yaml"]
    assert cs.head_repo is cs.revision(cs.head_commit)
