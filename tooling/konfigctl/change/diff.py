"""How a change alters each affected stack: resolved config and rendered resources (``konfig diff``).

Both sides are read from git objects -- the merge-base and the head commit
(or the work tree with ``--uncommitted``) -- so nothing is checked out and the
work tree is never touched. A side that cannot be resolved or rendered is
shown with its error; the other stacks are still compared.

The markdown form is a pull request comment: a summary table first, then one
folded ``<details>`` section per stack, trimmed to stay under GitHub's
65,536-character comment limit with a note naming what was cut. Every piece
of text that came from the repository (paths, refs, messages) is escaped, so
a stack path cannot inject markup or mention anyone; diffs sit in code
fences longer than any backtick run inside them.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
from typing import TYPE_CHECKING, Any

from ..errors import KonfigError
from ..escaping import md_code, md_fence, md_text, text_line
from ..output import plural
from .graph import ADDED, CHANGED, DELETED, Reason

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.stack import Stack
    from .affected import AffectedStack
    from .changeset import ChangeSet

COMMENT_LIMIT = 65_536  # GitHub's limit on a comment body
SECTION_LIMIT = 16_000  # one stack's details at most, so one huge diff cannot hide the others
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
    from ..resolve.merge import resolve

    side = Side()
    try:
        side.config = resolve(repo, stack).config
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
    try:
        from ..render.renderer import render_stack
    except ImportError:
        raise RenderUnavailable() from None
    got = render_stack(repo, stack, config)
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


# -- text ---------------------------------------------------------------------------------------

def text(diff: Diff, out: Any) -> None:
    """For people at a terminal: each stack, why, and its diffs (coloured on a TTY)."""
    for n in diff.notes:
        out.info("note: " + n)
    for s in diff.stacks:
        config, res = s.summary()
        head = text_line(s.path) + (f" ({s.status})" if s.status != CHANGED else "")
        out.echo(out.style(head, "bold") + f"  config: {config}; resources: {res}")
        for r in s.reasons:
            out.echo("    why: " + text_line(r.text()))
        for e in s.errors:
            out.echo("    " + out.style("error: " + text_line(e), "red"))
        for n in s.notes:
            out.echo("    note: " + text_line(n))
        bodies = [s.config_diff] if s.values or s.status != CHANGED else []
        bodies += [r.diff for r in s.resources or []]
        for body in bodies:
            for ln in body.splitlines():
                colour = ("green" if ln.startswith("+") and not ln.startswith("+++") else
                          "red" if ln.startswith("-") and not ln.startswith("---") else
                          "cyan" if ln.startswith("@@") else None)
                out.echo("    " + (out.style(ln, colour) if colour else ln))
        out.echo()


# -- markdown (the pull request comment) --------------------------------------------------------

# The markdown escaping is escaping.py's, shared with every other markdown writer.
esc = md_text
code = md_code


def fence(body: str, lang: str = "diff") -> str:
    return md_fence(body, lang)


def _size(s: str) -> int:
    return len(s.encode("utf-8"))  # at least the characters GitHub counts


def _trim(body: str, budget: int) -> tuple[str, int]:
    """``body`` cut at a line boundary to fit ``budget``; (text, lines cut)."""
    if _size(body) <= budget:
        return body, 0
    lines = body.splitlines(keepends=True)
    kept, used = [], 0
    for ln in lines:
        if used + _size(ln) > budget:
            break
        kept.append(ln)
        used += _size(ln)
    return "".join(kept), len(lines) - len(kept)


def markdown(diff: Diff, limit: int = COMMENT_LIMIT) -> str:
    """The PR/MR comment: summary table, then a folded section per stack, under ``limit``."""
    a = diff.change
    budget = limit - 2_000  # the closing note and some slack stay free
    changed = [s for s in diff.stacks if s.changed]
    counts = {k: sum(1 for s in diff.stacks if s.status == k) for k in (CHANGED, ADDED, DELETED)}
    head_ref = "the work tree" if a.uncommitted else a.head_commit[:12]
    parts = ["### konfig diff\n\n"]
    if not diff.stacks:
        parts.append(f"No stack is affected by the change from {code(a.merge_base[:12])} "
                     f"(merge-base with {code(a.base)}) to {code(head_ref)}.\n")
        return "".join(parts)
    parts.append(
        f"**{plural(len(diff.stacks), 'stack')}** affected by the change from "
        f"{code(a.merge_base[:12])} (merge-base with {code(a.base)}) to {code(head_ref)}: "
        + ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        + f"; {len(changed)} with a difference.\n\n"
        + "".join(f"_{esc(n)}_\n\n" for n in diff.notes))
    table = ["| Stack | Status | Config | Resources |\n", "|---|---|---|---|\n"]
    rows = []
    for s in diff.stacks:
        config, res = s.summary()
        if s.errors:
            res += " (errors)"
        rows.append(f"| {code(s.path)} | {s.status} | {config} | {res} |\n")
    used = _size("".join(parts)) + _size("".join(table))
    cut_rows = 0
    for i, row in enumerate(rows):
        if used + _size(row) > budget // 2:
            cut_rows = len(rows) - i
            break
        table.append(row)
        used += _size(row)
    if cut_rows:
        table.append(f"| … {cut_rows} more stacks | | | |\n")
    parts.extend(table)
    parts.append("\n")
    used = _size("".join(parts))

    cut_sections: list[str] = []
    trimmed: list[str] = []
    for s in changed:
        section, was_trimmed = _section(s, min(SECTION_LIMIT, max(0, budget - used)))
        if section is None or used + _size(section) > budget:
            cut_sections.append(s.path)
            continue
        if was_trimmed:
            trimmed.append(s.path)
        parts.append(section)
        used += _size(section)
    if cut_rows or cut_sections or trimmed:
        note = ["\n> **Cut to stay under the 65,536-character comment limit:**"]
        if cut_rows:
            note.append(f" {cut_rows} rows of the table;")
        if cut_sections:
            shown = ", ".join(code(p) for p in cut_sections[:10])
            more = f" and {len(cut_sections) - 10} more" if len(cut_sections) > 10 else ""
            note.append(f" the details of {plural(len(cut_sections), 'stack')} "
                        f"({shown}{more});")
        if trimmed:
            shown = ", ".join(code(p) for p in trimmed[:10])
            more = f" and {len(trimmed) - 10} more" if len(trimmed) > 10 else ""
            note.append(f" the end of the diffs of {shown}{more};")
        note.append(f" run `konfig diff --base {a.merge_base[:12]}` for everything.\n")
        parts.append("".join(note))
    return "".join(parts)


def _section(s: StackDiff, budget: int) -> tuple[str | None, bool]:
    """One stack's ``<details>`` section within ``budget`` (None if not even its frame fits)."""
    config, res = s.summary()
    frame_top = (f"<details>\n<summary>{code(s.path)} ({esc(s.status)}): config {esc(config)}; "
                 f"resources {esc(res)}</summary>\n\n")
    lines = ["Why: " + "; ".join(esc(r.text()) for r in s.reasons) + "\n\n"] if s.reasons else []
    lines += [f"**Error:** {esc(e)}\n\n" for e in s.errors]
    lines += [f"_{esc(n)}_\n\n" for n in s.notes]
    frame_bottom = "</details>\n\n"
    fixed = frame_top + "".join(lines) + frame_bottom
    room = budget - _size(fixed) - 200
    if room < 0:
        return None, False
    bodies: list[tuple[str, str]] = []
    if s.config_diff and (s.values or s.status != CHANGED):
        bodies.append(("**Resolved config**\n\n", s.config_diff))
    for r in s.resources or []:
        bodies.append((f"**{esc(r.key)}** ({r.kind})\n\n", r.diff))
    out = [frame_top] + lines
    was_trimmed = False
    for title, body in bodies:
        avail = room - _size(title) - 60  # the fence and the cut note
        if avail <= 100:
            was_trimmed = True
            break
        kept, cut = _trim(body, avail)
        if cut:
            kept += f"… {cut} more lines cut\n"
            was_trimmed = True
        block = title + fence(kept) + "\n"
        out.append(block)
        room -= _size(block)
    out.append(frame_bottom)
    return "".join(out), was_trimmed


def to_json(diff: Diff) -> str:
    return json.dumps(diff.to_json(), indent=2, default=str)

