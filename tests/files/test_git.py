"""git as konfig asks it: refs checked before git sees them, names from the Konfig's root."""
from __future__ import annotations

import pytest
from konfigctl.errors import KonfigError
from konfigctl.files import git

from tests.conftest import commit_all, git_init


@pytest.fixture
def mono(tmp_path):
    """A git work tree with a Konfig-like directory ``sub`` and files beside it."""
    top = tmp_path / "top"
    (top / "sub" / "d").mkdir(parents=True)
    (top / "sub" / "d" / "a.yaml").write_text("a: 1\n" * 20)
    (top / "sub" / "b.yaml").write_text("b: 1\n")
    (top / "outside.txt").write_text("x\n")
    g = git_init(top)
    return top, g


@pytest.mark.parametrize("ref", ["", "  ", "--output=/tmp/x", "-x", "a\nb", None])
def test_refs_that_git_would_misread_are_refused(ref):
    with pytest.raises(KonfigError):
        git.check_ref(ref)


def test_prefix_is_where_the_konfig_sits(mono):
    top, g = mono
    assert git.prefix_of(g, str(top)) == ""
    assert git.prefix_of(g, str(top / "sub" / "d")) == "sub/d"
    with pytest.raises(KonfigError, match="not inside the git work tree"):
        git.prefix_of(g, str(top.parent))


def test_diff_names_below_a_prefix_turn_renames_across_it_into_adds_and_deletes(mono):
    top, g = mono
    base = g.head.commit.hexsha
    g.git.mv("sub/d/a.yaml", "sub/d/moved.yaml")  # inside: a rename
    g.git.mv("sub/b.yaml", "b-out.yaml")  # leaves sub: a deletion
    g.git.mv("outside.txt", "sub/in.txt")  # enters sub: an addition
    head = commit_all(g, "moves")
    got = git.diff_names(g, base, head, "sub")
    assert sorted(got, key=lambda c: c.path) == [
        git.Change("D", "b.yaml"), git.Change("R", "d/moved.yaml", "d/a.yaml"), git.Change("A", "in.txt")]
    assert git.Change("R", "d/moved.yaml", "d/a.yaml").paths == ("d/a.yaml", "d/moved.yaml")
    assert git.Change("R", "sub/in.txt", "outside.txt") in git.diff_names(g, base, head)


def test_reads_at_a_commit_and_trees_below_a_prefix(mono):
    top, g = mono
    sha = g.head.commit.hexsha
    assert git.read_at(g, sha, "sub/b.yaml") == b"b: 1\n"  # the bytes as committed
    assert git.read_at(g, sha, "sub/none.yaml") is None
    tree = git.ls_tree(g, sha, "sub")
    assert sorted(tree) == ["b.yaml", "d/a.yaml"]
    assert git.read_blob(g, tree["b.yaml"][1]) == b"b: 1\n"


def test_uncommitted_and_untracked_below_the_prefix(mono):
    top, g = mono
    assert git.uncommitted(g, "sub") == [] and not git.is_dirty(g)
    (top / "sub" / "b.yaml").write_text("b: 2\n")
    (top / "sub" / "new.yaml").write_text("n: 1\n")
    (top / "outside.txt").write_text("y\n")
    assert sorted(git.uncommitted(g, "sub")) == ["b.yaml", "new.yaml"]
    assert git.untracked(g, "sub") == ["new.yaml"]
    assert git.is_dirty(g)
    assert "new.yaml" in git.work_files(g, str(top / "sub"))


def test_merge_base_of_unrelated_histories_says_so(mono):
    top, g = mono
    main = g.head.commit.hexsha
    g.git.checkout("--orphan", "other")
    (top / "other.txt").write_text("o\n")
    other = commit_all(g, "unrelated")
    with pytest.raises(KonfigError, match="no common ancestor") as e:
        git.merge_base(g, main, other, ("main", "other"))
    assert "unrelated histories" in (e.value.hint or "")
    assert git.resolve_commit(g, "main") == main
