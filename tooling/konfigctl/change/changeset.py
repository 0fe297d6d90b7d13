"""One change: what ``head`` adds to the merge-base of ``base`` and ``head``, and its revisions.

This is what a pull request shows, computed once for everything that asks
about it -- ``affected`` (which stacks), ``diff`` (how they change),
``review`` (who must approve) -- and it is the input precise change detection
needs: the two revisions to resolve and render each affected stack on.

* ``changes``: ``git diff --name-status -M`` from the merge-base to head,
  only the Konfig's files when it sits in a subdirectory of its git work tree
  (``git.prefix_of``), named from its root; with ``uncommitted``, the work
  tree's staged, unstaged and untracked files instead of a head commit.
  ``touched()`` lists every path a change touches (both paths of a rename),
  ``files()`` each path once, as the review verdict lists them.
* The revisions, each a ``Repository`` over git objects (no checkout), made
  on first use and shared: ``merge_base_repo`` (where the change starts: what
  ``affected`` and ``diff`` compare head with), ``base_repo`` (the target
  branch's tip: where ``review`` reads its rules; the same object when base
  has not moved on) and ``head_repo``.
* ``head_repo`` is the work tree when that is HEAD and clean: a walk is
  cheaper than ``git ls-tree`` plus blob reads. ``git status``, which walks
  the tree too, runs in the background meanwhile; ``settle()`` asks for its
  answer, and if the tree was dirty after all the head is read from git
  objects and ``not_included`` names the files left out (the caller redoes
  what it computed on the work tree). ``committed_head_repo`` is always the
  commit (``diff`` renders it, ``review`` judges it).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..errors import KonfigError, UsageError
from ..files import git, paths
from .graph import ADDED, CHANGED, DELETED

if TYPE_CHECKING:
    from ..repo.repository import Repository

UNCOMMITTED = "work tree"


@dataclasses.dataclass
class ChangeSet:
    root: str  # the Konfig's root
    base: str  # as given
    head: str  # as given ("HEAD" by default), or "work tree" with uncommitted files
    base_commit: str
    head_commit: str  # sha (HEAD's when the work tree is compared)
    merge_base: str  # sha
    uncommitted: bool
    changes: list[git.Change]
    git_repo: Any
    prefix: str  # where the Konfig sits in its git work tree ("" at the top)
    work_tree: "Repository | None" = None  # the opened work tree, standing in for a clean HEAD
    not_included: list[str] = dataclasses.field(default_factory=list)  # dirty files left out
    _dirty_later: Callable[[], list[str]] | None = None
    _revisions: dict[str, "Repository"] = dataclasses.field(default_factory=dict)

    @classmethod
    def open(cls, root: str, base: str, head: str | None = None, *, uncommitted: bool = False,
             work_tree: "Repository | None" = None) -> "ChangeSet":
        """The change from merge-base(``base``, ``head``) to ``head`` (HEAD by default).

        ``uncommitted`` compares the work tree instead (staged, unstaged and
        untracked files), which cannot go with another head. ``work_tree`` is the
        opened work tree: it is the head revision when that is HEAD (uncommitted,
        or clean: see ``settle``).
        """
        from ..files.source import WorkTree

        g = git.open_repo(root)
        prefix = git.prefix_of(g, root)
        head_ref = "HEAD" if head is None else head  # an empty --head is refused, not read as HEAD
        base_commit = git.resolve_commit(g, base)
        head_commit = git.resolve_commit(g, head_ref)
        mb = git.merge_base(g, base_commit, head_commit, (base, head_ref))
        at_head = head is None or head_commit == _head_sha(g)
        if uncommitted and not at_head:
            raise UsageError("--uncommitted compares the work tree with the base; "
                             "it cannot be combined with --head (other than HEAD)")
        # the work tree's state, asked now and answered by settle() (git status is the slow part)
        dirty_later = git.uncommitted_later(g, prefix) if work_tree is not None and at_head \
            and not uncommitted else None
        if uncommitted:
            changes = git.diff_names(g, mb, None, prefix)
            known = {c.path for c in changes}
            changes += [git.Change("A", p) for p in git.untracked(g, prefix) if p not in known]
        else:
            changes = git.diff_names(g, mb, head_commit, prefix)
        stand_in = work_tree if work_tree is not None and (
            uncommitted or (at_head and isinstance(work_tree.source, WorkTree))) else None
        return cls(root, base, UNCOMMITTED if uncommitted else (head or "HEAD"), base_commit, head_commit,
                   mb, uncommitted, changes, g, prefix, stand_in, _dirty_later=dirty_later)

    # -- the revisions --------------------------------------------------------------------

    def revision(self, commit: str) -> "Repository":
        """The repository as it is in ``commit`` (git objects, no checkout), one per commit."""
        found = self._revisions.get(commit)
        if found is None:
            from ..repo.repository import Repository

            found = self._revisions[commit] = Repository.at_revision(self.root, commit, self.git_repo)
        return found

    @property
    def merge_base_repo(self) -> "Repository":
        """Where the change starts: the revision ``affected`` and ``diff`` compare head with."""
        return self.revision(self.merge_base)

    @property
    def base_repo(self) -> "Repository":
        """The base as given (the target branch's tip): where ``review`` reads its rules."""
        return self.revision(self.base_commit)

    @property
    def head_repo(self) -> "Repository":
        """The head revision: the work tree when it stands in for HEAD, else the head commit."""
        return self.work_tree if self.work_tree is not None else self.revision(self.head_commit)

    @cached_property
    def committed_head_repo(self) -> "Repository":
        """The head as committed, read from git objects (the work tree when ``uncommitted``)."""
        if self.uncommitted and self.work_tree is not None:
            return self.work_tree
        return self.revision(self.head_commit)

    def settle(self) -> bool:
        """Wait for the work tree's ``git status``; True if the head had to be read from git
        objects after all (it was dirty), so what was computed on the work tree is stale."""
        dirty = self._dirty_later() if self._dirty_later is not None else []
        self._dirty_later = None
        if not dirty:
            return False
        self.not_included = dirty
        if self.work_tree is None or self.uncommitted:
            return False
        self.work_tree = None  # the work tree was not HEAD after all: read HEAD from git
        return True

    def merge_base_bytes(self, path: str) -> bytes | None:
        """``path`` as it was at the merge-base, one blob read (None: it did not exist)."""
        return git.read_at(self.git_repo, self.merge_base, paths.join(self.prefix, path))

    # -- the changed paths ----------------------------------------------------------------

    def touched(self) -> list[tuple[str, str]]:
        """(path, how it changed) for every path the change touches: renames count at both."""
        return [pc for c in self.changes for pc in describe(c)]

    def files(self) -> list[tuple[str, str, str | None, str | None]]:
        """(path, status, renamed_from, renamed_to) for each changed path once: a rename's old
        path has status ``R`` and says where it went, its new path where it came from."""
        out: list[tuple[str, str, str | None, str | None]] = []
        seen: set[str] = set()
        for ch in self.changes:
            if ch.old_path and ch.old_path not in seen and ch.status == "R":
                seen.add(ch.old_path)
                out.append((ch.old_path, "R", None, ch.path))
            if ch.path not in seen:
                seen.add(ch.path)
                out.append((ch.path, ch.status, ch.old_path if ch.status in "RC" else None, None))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "merge_base": self.merge_base,
            "head_commit": self.head_commit,
            "uncommitted": self.uncommitted,
            "changed_files": [{"status": c.status, "path": c.path, "old_path": c.old_path}
                              for c in self.changes],
        }


def describe(change: git.Change) -> list[tuple[str, str]]:
    """(path, how it changed) for each path a change touches: renames count at both."""
    if change.status == "R" and change.old_path:
        return [(change.old_path, f"renamed to {change.path}"),
                (change.path, f"renamed from {change.old_path}")]
    if change.status == "C" and change.old_path:
        return [(change.path, f"copied from {change.old_path}")]
    word = {"A": ADDED, "D": DELETED}.get(change.status, CHANGED)
    return [(change.path, word)]


def _head_sha(g: Any) -> str | None:
    try:
        return git.resolve_commit(g, "HEAD")
    except KonfigError:
        return None
