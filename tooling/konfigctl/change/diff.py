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
import difflib
from typing import TYPE_CHECKING, Any

from ..errors import KonfigError
from .graph import CHANGED, Reason

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.stack import Stack
    from .affected import AffectedStack
    from .changeset import ChangeSet

CONTEXT = 3
UNRENDERABLE = "rendered resources not compared: this konfig cannot render"


class RenderUnavailable(Exception):
    """This konfig cannot render (``konfigctl.render.renderer`` is not installed)."""


@dataclasses.dataclass
class Side:
    """One stack at one revision: its resolved config and rendered resources, or why not."""

    config: dict[str, Any] | None = None
    error: str | None = None
    resources: list[dict[str, Any]] | None = None
    render_error: str | None = None


@dataclasses.dataclass
class ValueChange:
    path: str
    kind: str  # added | removed | changed
    old: Any = None
    new: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "old": self.old, "new": self.new}


@dataclasses.dataclass
class ResourceChange:
    key: str  # Kind/namespace/name
    kind: str  # added | removed | changed
    diff: str

    def to_json(self) -> dict[str, Any]:
        return {"resource": self.key, "kind": self.kind, "diff": self.diff}


def _counts(kinds: Any) -> str:
    """``2 changed, 1 added`` from a sequence of change kinds."""
    seen = list(kinds)
    return ", ".join(f"{seen.count(k)} {k}" for k in ("changed", "added", "removed") if k in seen)


@dataclasses.dataclass
class StackDiff:
    path: str
    status: str  # added | changed | deleted
    reasons: list[Reason]
    values: list[ValueChange]
    config_diff: str
    resources: list[ResourceChange] | None  # None: not rendered (see notes)
    errors: list[str]
    notes: list[str]
    compared: bool = True  # False: a side does not resolve, so nothing was compared

    @property
    def changed(self) -> bool:
        return bool(self.values or self.resources or self.errors or self.status != CHANGED)

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
            "reasons": [r.to_json() for r in self.reasons],
            "config": {"changes": [v.to_json() for v in self.values], "diff": self.config_diff},
            "resources": None if self.resources is None else [r.to_json() for r in self.resources],
            "errors": self.errors,
            "notes": self.notes,
            "compared": self.compared,
        }


@dataclasses.dataclass
class Diff:
    change: "ChangeSet"
    stacks: list[StackDiff]
    notes: list[str] = dataclasses.field(default_factory=list)  # about every stack

    def to_json(self) -> dict[str, Any]:
        a = self.change
        return {"base": a.base, "head": a.head, "merge_base": a.merge_base, "head_commit": a.head_commit,
                "uncommitted": a.uncommitted, "notes": self.notes,
                "stacks": [s.to_json() for s in self.stacks]}


def compute(repo: "Repository", base: str, head: str | None = None, *, uncommitted: bool = False,
            render: bool = True) -> Diff:
    """Compare every affected stack between the merge-base and head."""
    from .affected import affected_by
    from .changeset import ChangeSet

    change = ChangeSet.open(repo.root, base, head, uncommitted=uncommitted, work_tree=repo)
    result = affected_by(change)
    # affected may read a clean work tree for speed; the diff reads the commit itself
    head_repo = change.committed_head_repo
    base_repo = change.merge_base_repo
    out = [_stack_diff(a, base_repo, head_repo, render) for a in result.stacks + result.deleted]
    notes = []
    if not render:
        notes.append("rendered resources not compared (--no-render)")
    elif out and all(s.resources is None and UNRENDERABLE in s.notes for s in out):
        notes.append(UNRENDERABLE)
    if notes:  # said once, not on every stack
        for s in out:
            s.notes = [n for n in s.notes if n not in notes]
    return Diff(change, out, notes)


def _stack_diff(a: "AffectedStack", base_repo: "Repository", head_repo: "Repository",
                render: bool) -> StackDiff:
    before = _side(base_repo, base_repo.stack_at(a.path), render)
    after = _side(head_repo, head_repo.stack_at(a.path), render)
    errors = [f"{label}: {s.error}" for label, s in (("base", before), ("head", after)) if s.error]
    notes: list[str] = []
    broken = [label for label, s in (("base", before), ("head", after)) if s.error]
    if broken:  # compared with nothing, every value would read as removed (or added)
        notes.append(f"not compared: the stack does not resolve at {' and '.join(broken)}")
        return StackDiff(a.path, a.status, a.reasons, [], "", None, errors, notes, compared=False)
    old_cfg = before.config or {}
    new_cfg = after.config or {}
    values = value_changes(old_cfg, new_cfg)
    config_diff = ""  # serialising costs more than comparing: only when something differs
    if values or before.config != after.config:
        config_diff = unified(_yaml(before.config), _yaml(after.config), a.path, "resolved config")
    resources: list[ResourceChange] | None
    if not render:
        resources = None
        notes.append("rendered resources not compared (--no-render)")
    elif before.render_error == after.render_error == "unavailable":
        resources = None
        notes.append(UNRENDERABLE)
    else:
        for label, s in (("base", before), ("head", after)):
            if s.render_error and s.render_error != "unavailable" and s.config is not None:
                errors.append(f"{label}: render: {s.render_error}")
        same_failure = before.render_error is not None and before.render_error == after.render_error
        if same_failure and before.config is not None:
            resources = None  # the same failure on both sides: nothing to compare
        else:
            resources = resource_changes(before.resources or [], after.resources or [])
    return StackDiff(a.path, a.status, a.reasons, values, config_diff, resources, errors, notes)


def _side(repo: "Repository", stack: "Stack | None", render: bool) -> Side:
    if stack is None:
        return Side()
    from .. import engine

    side = Side()
    try:
        side.config = engine.of(stack).resolve(repo, stack)
    except KonfigError as e:
        side.error = str(e)
        return side
    if render:
        try:
            side.resources = render_resources(repo, stack, side.config)
        except RenderUnavailable:
            side.render_error = "unavailable"
        except KonfigError as e:
            side.render_error = str(e)
        except Exception as e:  # noqa: BLE001 - a renderer is user code: its failure is data here
            side.render_error = f"{type(e).__name__}: {e}"
    return side


def render_resources(repo: "Repository", stack: "Stack",
                     config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The stack's rendered resources (``konfigctl.render.renderer.render_stack``), from ``config``
    when it is already resolved."""
    from .. import engine

    try:
        eng = engine.of(stack)
        got = eng.render(repo, stack, config)
    except ImportError:  # no renderer module: the config diff still works
        raise RenderUnavailable() from None
    if eng.name != "yaml":  # a KCL stack's Kubernetes manifests (its resources: the kusion form)
        got = eng.manifests(got)
    got = getattr(got, "resources", got)
    return [r for r in (got or []) if isinstance(r, dict)]


# -- comparing -------------------------------------------------------------------------------

def value_changes(old: Any, new: Any, prefix: tuple[Any, ...] = ()) -> list[ValueChange]:
    """Leaf-level changes between two configs (mappings compared key by key)."""
    from .. import keypath as kp

    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new:
                out.append(ValueChange(kp.format(prefix + (key,)), "removed", old[key], None))
            elif key not in old:
                out.append(ValueChange(kp.format(prefix + (key,)), "added", None, new[key]))
            else:
                out.extend(value_changes(old[key], new[key], prefix + (key,)))
        return out
    if old == new and type(old) is type(new):
        return []
    return [ValueChange(kp.format(prefix), "changed", old, new)]


def _yaml(data: Any) -> str:
    if data is None:
        return ""
    from ..yamlio import dump

    return dump(data) if data != {} else "{}\n"


def unified(old: str, new: str, path: str, what: str) -> str:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 f"a/{path} ({what})", f"b/{path} ({what})", n=CONTEXT)
    return "".join(ln if ln.endswith("\n") else ln + "\n" for ln in lines)


def resource_key(r: dict[str, Any]) -> str:
    meta = r.get("metadata") if isinstance(r.get("metadata"), dict) else {}
    parts = [str(r.get("kind", "?"))]
    if meta.get("namespace"):
        parts.append(str(meta["namespace"]))
    parts.append(str(meta.get("name", "?")))
    return "/".join(parts)


def resource_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[ResourceChange]:
    def index(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for r in items:
            key = resource_key(r)
            n, k = 2, key
            while k in out:  # same kind and name twice: keep both
                k, n = f"{key}#{n}", n + 1
            out[k] = r
        return out

    a, b = index(old), index(new)
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        before, after = a.get(key), b.get(key)
        if before == after:
            continue
        kind = "added" if before is None else "removed" if after is None else "changed"
        out.append(ResourceChange(key, kind, unified(_yaml(before), _yaml(after), key, "rendered")))
    return out
