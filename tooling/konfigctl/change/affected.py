"""Which stacks a git change affects, and why (``konfig affected``, ``--affected REF``).

The change is a ``changeset.ChangeSet``: what ``head`` adds to the merge-base
of ``base`` and ``head`` (what a pull request shows), optionally with the work
tree's uncommitted and untracked files. Each changed path -- both paths of a rename -- goes through
``graph.Graph.dependents``; a policy is read at both revisions, so a policy
affects the stacks it selects in base or in head. Stacks that existed at the
merge-base and are gone at head are reported as deleted, with the reason.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import KonfigError
from ..files import paths
from ..repo.order import in_order
from .changeset import ChangeSet
from .graph import ADDED, CHANGED, DELETED, GLOBAL, KCL, PLACE_RULES, REQUIRES, RULES, STACK, Graph, Reason

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.selector import Selector
    from ..repo.stack import Stack

@dataclasses.dataclass
class AffectedStack:
    """One affected stack: ``added`` or ``changed`` (it exists at head) or ``deleted``."""

    path: str
    status: str
    reasons: list[Reason]
    stack: "Stack | None" = None  # in the head revision; None when deleted

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status,
                "reasons": [r.to_json() for r in self.reasons]}


@dataclasses.dataclass
class Affected:
    """The answer of ``konfig affected``: the change, and the stacks it affects."""

    change: ChangeSet
    stacks: list[AffectedStack]  # existing at head, dependencies first
    deleted: list[AffectedStack]
    precise = False  # what CI shards: every affected stack (``semantic.Semantic`` says True)

    def paths(self) -> list[str]:
        return [a.path for a in self.stacks]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.change.to_json(),
            "affected": [a.to_json() for a in self.stacks],
            "deleted": [a.to_json() for a in self.deleted],
        }


def affected_stacks(repo: "Repository", base: str, head: str | None = None, *,
                    precise: bool = False) -> list["Stack"]:
    """The stacks of ``repo`` affected since ``base``, dependencies first (``--affected REF``).

    Without ``head`` the work tree is what gets checked, so its uncommitted
    changes count too; deleted stacks are left out (nothing to check).
    ``precise``: only the stacks whose config or rendered output really change
    (``semantic``; those that fail on a side included), what a CI job sharded by
    ``affected --precise`` tests.
    """
    from ..files.source import WorkTree

    uncommitted = head is None and isinstance(repo.source, WorkTree)
    result = compute(repo, base, head, uncommitted=uncommitted)
    keep: set[str] | None = None
    if precise:
        from .semantic import compare

        keep = set(compare(result).to_test())
    out = []
    for a in result.stacks:
        if keep is not None and a.path not in keep:
            continue
        s = repo.stack_at(a.path) if result.change.head_repo is not repo else a.stack
        if s is not None:
            out.append(s)
    return out


def compute(repo: "Repository", base: str, head: str | None = None, *,
            uncommitted: bool = False) -> Affected:
    """The stacks affected by the change from merge-base(``base``, ``head``) to ``head``.

    ``head`` defaults to HEAD; ``uncommitted`` compares the work tree instead
    (staged, unstaged and untracked files), which cannot go with another head.
    """
    return affected_by(ChangeSet.open(repo.root, base, head, uncommitted=uncommitted, work_tree=repo))


def affected_by(change: ChangeSet) -> Affected:
    """The stacks ``change`` affects (``compute`` for a change already opened)."""
    result = Affected(change, [], [])
    _fill(result)
    if change.settle():  # the work tree was not HEAD after all: redo on HEAD's git objects
        result = Affected(change, [], [])
        _fill(result)
    return result


def _fill(result: Affected) -> None:
    """Map every touched path to stacks: where the file is now (head), or where it was (base).

    A path that exists at head goes through the head graph. A deleted path
    (or a rename's old path) is placed by the base graph -- the stack,
    project or directory it was in -- and the stacks found there are affected
    if they still exist, deleted otherwise; the rules that do not go by place
    (model, env, schema, policy, global) are answered at head.
    """
    head_repo = result.change.head_repo
    graph = Graph.of(head_repo)
    touched = result.change.touched()
    policies_dir = paths.join(head_repo.base, "policies")

    found: dict[str, tuple["Stack", list[Reason]]] = {}
    gone: dict[str, list[Reason]] = {}

    def note(into: list[Reason], reason: Reason) -> None:
        if not any(r.rule == reason.rule and r.file == reason.file for r in into):
            into.append(reason)

    for path, how in touched:
        was_here = how != ADDED and not how.startswith(("renamed from", "copied from"))
        is_here = how != DELETED and not how.startswith("renamed to")
        extra: list["Selector"] = []
        if was_here and paths.is_within(path, policies_dir):
            sel = _base_selector(result, path)  # a policy affects what it selects in base OR head
            if sel is not None:
                extra.append(sel)
        rules = RULES if is_here else tuple(r for r in RULES if r not in PLACE_RULES)
        both = was_here and is_here and path.rsplit("/", 1)[-1] == formats.STACK_FILE
        if both:  # a changed stack.yaml meets requirements as it did, or not: judged below
            rules = tuple(r for r in rules if r != REQUIRES)
        for stack, reason in graph.dependents(path, how, rules=rules, extra_selectors=extra):
            note(found.setdefault(stack.path, (stack, []))[1], reason)
        if both:
            for stack, reason in _requires_changed(result, graph, path, how):
                note(found.setdefault(stack.path, (stack, []))[1], reason)
        if was_here and (path.endswith(".k") or path.rsplit("/", 1)[-1] == formats.KCL_MOD_FILE):
            # what imported it at the merge-base (a deleted or renamed module, an import dropped)
            for old, reason in _at_base(result, path, how, (KCL,)):
                now = head_repo.stack_at(old.path)
                if now is not None:
                    note(found.setdefault(now.path, (now, []))[1], reason)
                else:
                    note(gone.setdefault(old.path, []), reason)
        if not is_here:
            for old, reason in _placed_at_base(result, path, how):
                now = head_repo.stack_at(old.path)
                if now is not None:
                    note(found.setdefault(now.path, (now, []))[1], reason)
                else:
                    note(gone.setdefault(old.path, []), reason)

    base_paths = _base_stack_paths(result, touched)
    if base_paths is not None:
        head_paths = {s.path for s in head_repo.stacks()}
        for p in base_paths - head_paths:
            gone.setdefault(p, [])
    added_files = {p for p, how in touched if how == ADDED or how.startswith(("renamed from", "copied"))}
    for s in in_order(head_repo, [s for s, _ in found.values()]):
        if base_paths is not None:
            new = s.path not in base_paths
        else:
            new = paths.join(s.path, formats.STACK_FILE) in added_files
        result.stacks.append(AffectedStack(s.path, ADDED if new else CHANGED, found[s.path][1], s))
    result.deleted = _deleted(result, gone, touched)


def _at_base(result: Affected, path: str, how: str, rules: tuple[str, ...]) -> list[tuple["Stack", Reason]]:
    try:
        return Graph.of(result.change.merge_base_repo).dependents(path, how, rules=rules)
    except KonfigError:  # no readable Konfig at the base
        return []


def _placed_at_base(result: Affected, path: str, how: str) -> list[tuple["Stack", Reason]]:
    # requires goes by the stack a stack.yaml made: a removed SLO stack affects its services
    try:
        return Graph.of(result.change.merge_base_repo).dependents(path, how, rules=PLACE_RULES + (REQUIRES,))
    except KonfigError:  # no readable Konfig at the base
        return []


def _requires_changed(result: Affected, graph: Graph, path: str,
                      how: str) -> list[tuple["Stack", Reason]]:
    """For a changed ``stack.yaml``: the stacks whose ``requires`` it meets at head or met at
    the merge-base -- only if that changed (its model, env, labels: an SLO stack moved to
    staging leaves the prod services without one; a new target changes nothing for them).

    The base side is the stack judged with its base ``stack.yaml`` in the head
    repository: one file read from git, only when some policy has ``requires``.
    """
    from ..repo.stack import Stack
    from ..yamlio import load

    stack = graph.repo.stack_at(paths.parent(path))
    if stack is None or stack.file != path or not graph.requirements():
        return []
    raw = result.change.merge_base_bytes(path)
    if raw is not None and raw == graph.repo.read(path):
        return []
    before: Stack | None = None
    try:
        if raw is not None:
            before = Stack(graph.repo, stack.path, stack.project, stack.engine)
            before.__dict__["meta"] = formats.check("stack", load(raw, path))  # stack.yaml as it was
    except KonfigError:
        before = None
    if before is not None:
        views = [(_view(req, before), _view(req, stack)) for _file, req in graph.requirements()]
        if all(old is not None and old == new for old, new in views):
            return []
    out = []
    for side in (stack, before):
        if side is None:
            continue
        for file, users in graph.required_by(side):
            reason = Reason(REQUIRES, f"policy {graph.policy_name(file)}", path, how)
            out.extend((s, reason) for s in users)
    return out


def _view(req: Any, stack: "Stack") -> tuple[bool, Any] | None:
    """What a requirement sees of a stack: whether it matches, and with which ``same`` values."""
    try:
        return req.selector.matches(stack), req.key(stack)
    except KonfigError:
        return None


def _base_selector(result: Affected, path: str) -> "Selector | None":
    try:
        return Graph.of(result.change.merge_base_repo).policy_selector(path)
    except KonfigError:
        return None


def _base_stack_paths(result: Affected, touched: list[tuple[str, str]]) -> set[str] | None:
    """The merge-base's stacks, when the change could have removed one (else None: not needed).

    Only deleting or moving a ``stack.yaml`` or ``project.yaml``, adding a
    ``project.yaml`` above stacks, or changing ``konfig.yaml`` (roots) can.
    """
    need = False
    for path, how in touched:
        name = path.rsplit("/", 1)[-1]
        if path == formats.KONFIG_FILE:
            need = need or _roots_changed(result)
        elif name in (formats.STACK_FILE, formats.PROJECT_FILE) and how != CHANGED:
            need = True
    if not need:
        return None
    try:
        return {s.path for s in result.change.merge_base_repo.stacks()}
    except KonfigError:  # no Konfig at the base yet (or a broken one): nothing to delete
        return set()


def _roots_changed(result: Affected) -> bool:
    """Whether ``konfig.yaml``'s roots differ at the merge-base (only they move stacks)."""
    from ..yamlio import load

    raw = result.change.merge_base_bytes(formats.KONFIG_FILE)
    try:
        data = load(raw, formats.KONFIG_FILE).data if raw is not None else None
        before = formats.settings_with_defaults(data if isinstance(data, dict) else {})["roots"]
        return bool(raw is None or before != result.change.head_repo.roots)
    except (KonfigError, AttributeError, TypeError):
        return True


def _deleted(result: Affected, gone: dict[str, list[Reason]],
             touched: list[tuple[str, str]]) -> list[AffectedStack]:
    """Deleted stacks, each with why; one not placed by a touched file got lost by a
    settings change (``konfig.yaml`` roots), which the base graph's global rule names."""
    if not gone:
        return []
    unexplained = [p for p, rs in gone.items() if not rs]
    if unexplained:
        base_graph = Graph.of(result.change.merge_base_repo)
        for path, how in touched:
            try:
                deps = base_graph.dependents(path, how, rules=(GLOBAL,))
            except KonfigError:
                continue
            for stack, reason in deps:
                if stack.path in gone and not gone[stack.path]:
                    gone[stack.path].append(reason)
    out = []
    for p in sorted(gone):
        rs = gone[p] or [Reason(STACK, STACK, paths.join(p, formats.STACK_FILE), "no longer discovered")]
        # what made it go first: its stack.yaml, then its project.yaml, then the rest
        rs.sort(key=lambda r: (not r.file.endswith("/" + formats.STACK_FILE),
                               not r.file.endswith("/" + formats.PROJECT_FILE)))
        out.append(AffectedStack(p, DELETED, rs))
    return out
