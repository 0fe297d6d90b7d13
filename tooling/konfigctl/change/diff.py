"""How a change alters each affected stack: resolved config and rendered resources (``konfig diff``).

Both sides are read from git objects -- the merge-base and the head commit
(or the work tree with ``--uncommitted``) -- so nothing is checked out and the
work tree is never touched. A side that cannot be resolved or rendered is
shown with its error; the other stacks are still compared.

This module computes the difference (``Diff``: one ``StackDiff`` per affected
stack); ``report`` writes it for people (text), for a pull request
(markdown) and for scripts (JSON), like check-jsonschema's result and
reporter modules.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from . import semantic as _sem
from .graph import CHANGED, Reason

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from .changeset import ChangeSet

# The comparison lives in ``semantic``; these names stay importable from here.
CONTEXT = _sem.CONTEXT
UNRENDERABLE = _sem.RENDER_UNAVAILABLE
RenderUnavailable = _sem.RenderUnavailable
Side = _sem.Side
ValueChange = _sem.ValueChange
ResourceChange = _sem.ResourceChange
value_changes = _sem.value_changes
resource_changes = _sem.resource_changes
resource_key = _sem.resource_key
unified = _sem.unified
render_resources = _sem.render_resources


def _counts(kinds: Any) -> str:
    """``2 changed, 1 added`` from a sequence of change kinds."""
    seen = list(kinds)
    return ", ".join(f"{seen.count(k)} {k}" for k in ("changed", "added", "removed") if k in seen)


@dataclasses.dataclass
class StackDiff:
    path: str
    status: str  # added | changed | deleted (as ``affected`` says)
    reasons: list[Reason]
    values: list[ValueChange]
    config_diff: str
    resources: list[ResourceChange] | None  # None: not rendered (see notes)
    errors: list[str]
    notes: list[str]
    compared: bool = True  # False: a side does not resolve, so nothing was compared
    precise: str = CHANGED  # what ``affected --precise`` says: changed | unchanged | added | deleted | error
    rules: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # review rules its keys trigger
    fill: Any = dataclasses.field(default=None, repr=False, compare=False)  # computes the texts on demand

    def texts(self) -> None:
        """Make sure ``config_diff`` and each resource's ``diff`` are there (``compute(texts=False)``
        leaves them to the stacks a report really shows)."""
        if self.fill is not None:
            fill, self.fill = self.fill, None
            fill(self)

    @classmethod
    def of(cls, s: _sem.StackChange) -> "StackDiff":
        return cls(s.path, s.file_status, s.reasons, s.values, s.config_diff, s.resources, list(s.errors),
                   list(s.notes), s.compared, s.status)

    @property
    def changed(self) -> bool:
        return bool(self.values or self.resources or self.errors or self.status != CHANGED)

    @property
    def keys(self) -> list[str]:
        return [v.path for v in self.values]

    def summary(self) -> tuple[str, str]:
        """(config, resources) in a few words, for tables and headings."""
        if not self.compared:
            return "not compared", "not compared"
        if self.values:
            config = _counts(v.kind for v in self.values)
        else:
            config = "no change"
        if self.resources is None:
            res = "not rendered"
        elif self.resources:
            res = _counts(r.kind for r in self.resources)
        else:
            res = "no change"
        return config, res

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "precise": self.precise,
            "reasons": [r.to_json() for r in self.reasons],
            "keys": self.keys,
            "config": {"changes": [v.to_json() for v in self.values], "diff": self.config_diff},
            "resources": None if self.resources is None else [r.to_json() for r in self.resources],
            "errors": self.errors,
            "notes": self.notes,
            "compared": self.compared,
            "rules": self.rules,
        }


@dataclasses.dataclass
class Diff:
    change: "ChangeSet"
    stacks: list[StackDiff]
    notes: list[str] = dataclasses.field(default_factory=list)  # about every stack
    semantic: "_sem.Semantic | None" = None  # what it was computed from (review rules read its keys)

    def to_json(self) -> dict[str, Any]:
        a = self.change
        return {"base": a.base, "head": a.head, "merge_base": a.merge_base, "head_commit": a.head_commit,
                "uncommitted": a.uncommitted, "notes": self.notes,
                "stacks": [s.to_json() for s in self.stacks]}


def compute(repo: "Repository", base: str, head: str | None = None, *, uncommitted: bool = False,
            render: bool = True, jobs: int | None = None, progress: Any = None, texts: bool = True) -> Diff:
    """Compare every affected stack between the merge-base and head (``semantic.compute``).

    ``texts``: the unified diffs of every stack, made in the workers; False makes
    each stack's on demand (``StackDiff.texts``), for a report that shows a few.
    """
    return of(_sem.compute(repo, base, head, uncommitted=uncommitted, render=render, texts=texts,
                           jobs=jobs, progress=progress), texts)


def of(result: _sem.Semantic, texts: bool = True) -> Diff:
    """The diff of a change already compared (``texts``: with its unified diffs)."""
    out = [StackDiff.of(s) for s in result.stacks]
    if not texts:
        for sd, sc in zip(out, result.stacks):
            sd.fill = lambda d, sc=sc: _fill(result, sc, d)
    notes = []
    if not result.rendered:
        notes.append("rendered resources not compared (--no-render)")
    elif out and all(s.resources is None and UNRENDERABLE in s.notes for s in out):
        notes.append(UNRENDERABLE)
    if notes:  # said once, not on every stack
        for s in out:
            s.notes = [n for n in s.notes if n not in notes]
    return Diff(result.change, out, notes, result)


def _fill(result: _sem.Semantic, sc: _sem.StackChange, d: StackDiff) -> None:
    _sem.fill_texts(result, sc)
    d.config_diff = sc.config_diff
