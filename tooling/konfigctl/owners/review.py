"""The review verdict of a change: who must approve it, and whether they have.

Everything that decides the verdict -- ``konfig.yaml`` rules and ownership,
``project.yaml`` owners and review settings, ``stack.yaml`` owners,
``teams.yaml`` -- is read from the **base** revision (the tip of the target
branch) straight from git objects. A change therefore cannot loosen its own
rules, make its author an owner, or add someone to a team to get itself
approved: those edits take effect for the *next* change.

The changed files are those of the ``change.changeset.ChangeSet`` (``git diff``
from the merge-base of base and head to head), renames at both paths. For
``when:`` selectors a file belongs to the stacks it configures (the stack holding it; for a ``defaults.yaml`` inside a
project, the stacks below it; for any other project file, all the project's
stacks), and a rule applies if it selects one of them **in the base or in the
head** revision: a prod stack edited to say ``env: dev`` is still judged as
prod, and a new prod stack is judged as prod. Files outside projects (models,
env profiles, policies) are governed by ``paths`` rules.

Rules on what a change does (DESIGN.md "Semantic change"): a rule with
``keys`` applies to a stack's files only when one of the stack's changed key
paths (as ``change.semantic`` finds them; a stack that fails on a side counts
as matching) matches one of its globs, and never to files outside stacks; a
rule with ``authors`` only to changes by them. ``review.exemptions`` waive the
owner approvals (the ``owners`` rule and a project's ``review.approvals``) of a
change by one of their ``authors`` whose every file is a stack layer and whose
every really changed stack is selected by ``when`` with every changed key
matching ``keys``; every other rule still applies. Both are read from the base
revision, so a change that adds its own exemption is not exempt. The change
is compared only when some rule has ``keys`` or an exemption exists.

Requirements:

* ``owners`` (always): each file needs one approval from one of its owners;
* each rule that applies adds ``approvals`` approvals from the file's owners
  (``from: owners``) or from the listed teams/users;
* ``project.yaml`` ``review.approvals: N`` asks N owner approvals for the
  project's files, ``review.rules`` are rules limited to the project (their
  ``paths`` relative to the project directory).

An approval counts for a requirement when the approver is one of the people
behind it (team members, transitively). The author's approval never counts.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import KonfigError
from ..files import paths
from ..keypath import KeyGlob
from ..output import plural
from ..repo.selector import Selector
from ..repo.teams import as_user
from .ownership import Ownership, OwnershipMap, covers, unique

if TYPE_CHECKING:
    from ..change.changeset import ChangeSet
    from ..repo.project import Project
    from ..repo.repository import Repository
    from ..repo.stack import Stack

OWNERS_RULE = "owners"
EXACT_BUDGET = 200_000  # search nodes for the exact smallest reviewer set; greedy beyond


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    approvals: int = 1
    sources: tuple[str, ...] | None = None  # teams/@users; None: the owners of each file
    paths: tuple[str, ...] = ()  # globs, relative to ``project`` for a project's rules (its name is literal)
    when: Selector | None = None
    project: str | None = None  # only files of this project
    description: str = ""
    origin: str = ""  # "konfig.yaml:40", "konfig/appops/x/project.yaml:7"
    keys: tuple[KeyGlob, ...] = ()  # globs over a stack's changed key paths
    authors: tuple[str, ...] = ()  # teams/@users: only changes by them
    owner_approval: bool = False  # the owners rule, a project's approvals: what an exemption waives

    @property
    def from_owners(self) -> bool:
        return self.sources is None

    def applies(self, path: str, project: str | None, stacks: list["Stack"],
                changed_keys: "Callable[[Stack], list[str] | None] | None" = None) -> bool:
        """Whether the rule covers the changed file ``path`` configuring ``stacks``.

        ``changed_keys(stack)``: the stack's changed key paths (None: it failed on
        a side, so any key may have changed); needed only for a rule with ``keys``.
        """
        if self.project is not None and project != self.project:
            return False
        if self.paths and not any(covers(g, path, self.project or "") for g in self.paths):
            return False
        selected = stacks if self.when is None else [s for s in stacks if _selects(self.when, s)]
        if self.when is not None and not selected:
            return False
        if self.keys:
            if changed_keys is None:
                return False
            return any(self.matches(changed_keys(s)) for s in selected)
        return True

    def matches(self, keys: list[str] | None) -> bool:
        """Whether one of ``keys`` matches one of the rule's globs (None: unknown, so it may)."""
        return keys is None or any(g.matches(k) for k in keys for g in self.keys)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "origin": self.origin,
            "approvals": self.approvals,
            "from": "owners" if self.sources is None else list(self.sources),
            "paths": [paths.join(self.project, g) for g in self.paths] if self.project else list(self.paths),
            "when": self.when.describe() if self.when is not None else None,
            "project": self.project,
            "keys": [str(g) for g in self.keys],
            "authors": list(self.authors),
        }


@dataclasses.dataclass(frozen=True)
class Exemption:
    """``review.exemptions`` item: changes that need no owner approval (DESIGN.md)."""

    name: str
    authors: tuple[str, ...]
    when: Selector | None = None
    keys: tuple[KeyGlob, ...] = ()
    description: str = ""
    origin: str = ""


@dataclasses.dataclass
class ExemptionVerdict:
    exemption: Exemption
    applied: bool
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.exemption.name, "description": self.exemption.description,
                "origin": self.exemption.origin, "applied": self.applied, "reason": self.reason}


def _selects(sel: Selector, stack: "Stack") -> bool:
    try:
        return sel.matches(stack)
    except KonfigError:
        return False  # a broken head stack.yaml: the base side still judges the file


@dataclasses.dataclass
class Requirement:
    """One rule over a group of files that share who may approve them."""

    rule: Rule
    owners: tuple[str, ...]  # the teams/@users who may approve
    users: frozenset[str]  # the people behind them, author excluded
    files: list[str]
    approved_by: list[str] = dataclasses.field(default_factory=list)

    @property
    def needed(self) -> int:
        return self.rule.approvals

    @property
    def missing(self) -> int:
        return max(0, self.needed - len(self.approved_by))

    @property
    def satisfied(self) -> bool:
        return self.missing == 0

    @property
    def possible(self) -> bool:
        return len(self.users) >= self.needed

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule.name,
            "description": self.rule.description,
            "origin": self.rule.origin,
            "satisfied": self.satisfied,
            "approvals": self.needed,
            "approved_by": list(self.approved_by),
            "missing": self.missing,
            "from": list(self.owners),
            "from_owners": self.rule.from_owners,
            "eligible": sorted(self.users),
            "possible": self.possible,
            "files": list(self.files),
        }


@dataclasses.dataclass(frozen=True)
class ChangedFile:
    path: str
    status: str  # A M D R C T; both paths of a rename carry R
    ownership: Ownership
    renamed_from: str | None = None
    renamed_to: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "status": self.status,
            "owners": list(self.ownership.owners),
            "sources": [s.format() for s in self.ownership.sources],
        }
        if self.renamed_from:
            out["renamed_from"] = self.renamed_from
        if self.renamed_to:
            out["renamed_to"] = self.renamed_to
        return out


@dataclasses.dataclass
class Verdict:
    base: str
    base_commit: str
    head: str
    head_commit: str
    merge_base: str
    author: str
    files: list[ChangedFile]
    requirements: list[Requirement]
    approvals: list[str]  # counted approvers
    ignored: list[tuple[str, str]]  # (approver, why)
    suggestion: list[str]
    suggestion_minimal: bool
    warnings: list[str]
    exemptions: list[ExemptionVerdict] = dataclasses.field(default_factory=list)

    @property
    def exempted_by(self) -> ExemptionVerdict | None:
        return next((e for e in self.exemptions if e.applied), None)

    @property
    def satisfied(self) -> bool:
        return all(r.satisfied for r in self.requirements)

    @property
    def unmet(self) -> list[Requirement]:
        return [r for r in self.requirements if not r.satisfied]

    def to_json(self) -> dict[str, Any]:
        return {
            "satisfied": self.satisfied,
            "base": self.base,
            "base_commit": self.base_commit,
            "head": self.head,
            "head_commit": self.head_commit,
            "merge_base": self.merge_base,
            "author": self.author,
            "approved_by": list(self.approvals),
            "ignored_approvals": [{"user": u, "reason": why} for u, why in self.ignored],
            "files": [f.to_json() for f in self.files],
            "requirements": [r.to_json() for r in self.requirements],
            "unmet": [r.to_json() for r in self.unmet],
            "suggested_reviewers": list(self.suggestion),
            "suggestion_minimal": self.suggestion_minimal,
            "warnings": list(self.warnings),
            "exemptions": [e.to_json() for e in self.exemptions],
        }


# -- rules ------------------------------------------------------------------------


def repository_rules(repo: "Repository") -> list[Rule]:
    """The implicit owners rule and ``konfig.yaml`` ``review.rules`` (a bad ``keys`` glob or an
    unknown team in ``authors`` is bad input at its line)."""
    out = [Rule(OWNERS_RULE, 1, None, description="every changed file needs an approval from one "
                "of its owners", origin="ownership", owner_approval=True)]
    for i, r in enumerate((repo.settings.get("review") or {}).get("rules") or []):
        line, _ = repo.position(formats.KONFIG_FILE, ("review", "rules", i))
        out.append(_rule(r, f"{formats.KONFIG_FILE}:{line}" if line else formats.KONFIG_FILE,
                         where=(repo, formats.KONFIG_FILE, ("review", "rules", i))))
    return out


def exemptions(repo: "Repository") -> list[Exemption]:
    """``konfig.yaml`` ``review.exemptions`` (globs and authors checked like rules')."""
    out = []
    for i, e in enumerate((repo.settings.get("review") or {}).get("exemptions") or []):
        at = (repo, formats.KONFIG_FILE, ("review", "exemptions", i))
        line, _ = repo.position(formats.KONFIG_FILE, at[2])
        out.append(Exemption(
            name=str(e["name"]), authors=_authors(e.get("authors"), at), keys=_globs(e.get("keys"), at),
            when=Selector.from_mapping(e["when"]) if e.get("when") else None,
            description=str(e.get("description", "")),
            origin=f"{formats.KONFIG_FILE}:{line}" if line else formats.KONFIG_FILE))
    return out


Where = tuple["Repository", str, tuple[Any, ...]]  # (revision, file, key path of the item in it)


def _globs(values: Any, where: Where | None) -> tuple[KeyGlob, ...]:
    out = []
    for j, g in enumerate(values or []):
        try:
            out.append(KeyGlob.parse(str(g)))
        except KonfigError as e:
            raise _at(where, ("keys", j), e.message) from None
    return tuple(out)


def _authors(values: Any, where: Where | None) -> tuple[str, ...]:
    """Users (``@name``) and teams; a team ``teams.yaml`` does not know is bad input."""
    out = tuple(str(a) for a in values or [])
    if where is not None:
        teams = None
        for j, a in enumerate(out):
            if a.startswith("@"):
                continue
            if teams is None:
                teams = OwnershipMap(where[0]).teams
            if not teams.is_team(a):
                raise _at(where, ("authors", j), f"unknown team {a!r} in authors (not in {teams.file}; "
                                                 "write a user as @name)")
    return out


def _at(where: Where | None, sub: tuple[Any, ...], message: str) -> KonfigError:
    if where is None:
        return KonfigError(message)
    repo, file, path = where
    line, col = repo.position(file, path + sub)
    from ..keypath import format as kp_format

    return KonfigError(message, file=file, line=line, col=col, keypath=kp_format(path + sub))


def project_rules(project: "Project") -> list[Rule]:
    """``project.yaml`` ``review``: an approval count for the project and its own rules."""
    review = project.review
    out = []
    origin = project.file
    approvals = int(review.get("approvals") or 1)
    if approvals > 1:  # one owner approval is the owners rule already
        line, _ = project.repo.position(project.file, ("review", "approvals"))
        out.append(Rule(f"{project.name}: approvals", approvals, None, project=project.path,
                        description=f"project {project.name} asks {approvals} owner approvals",
                        origin=f"{origin}:{line}" if line else origin, owner_approval=True))
    for i, r in enumerate(review.get("rules") or []):
        line, _ = project.repo.position(project.file, ("review", "rules", i))
        rule = _rule(r, f"{origin}:{line}" if line else origin, project,
                     where=(project.repo, project.file, ("review", "rules", i)))
        out.append(rule)
    return out


def _rule(r: dict[str, Any], origin: str, project: "Project | None" = None,
          where: Where | None = None) -> Rule:
    frm = r.get("from", "owners")
    globs = [str(g) for g in r.get("paths") or []]
    name = str(r["name"])
    if project is not None:
        globs = [g.lstrip("/") for g in globs]
        name = f"{project.name}: {name}"
    return Rule(
        name=name,
        approvals=int(r.get("approvals", 1)),
        sources=None if frm == "owners" else tuple(str(x) for x in frm),
        paths=tuple(globs),
        when=Selector.from_mapping(r["when"]) if r.get("when") else None,
        project=project.path if project is not None else None,
        description=str(r.get("description", "")),
        origin=origin,
        keys=_globs(r.get("keys"), where),
        authors=_authors(r.get("authors"), where),
    )


# -- stacks a file configures -------------------------------------------------------


def configured_stacks(repo: "Repository", path: str) -> list["Stack"]:
    """The stacks a file inside a project configures in ``repo`` (none for files outside projects).

    A path inside a stack directory configures that stack. Any other project
    file configures stacks only in a revision where it exists: the old side of
    a moved stack is not a project file of the new revision.
    """
    project = repo.project_of(path)
    if project is None:
        return []
    stack = repo.stack_of(path)
    if stack is not None:
        return [stack]
    if not repo.exists(path):
        return []
    if path.rsplit("/", 1)[-1] == formats.DEFAULTS_FILE:
        d = paths.parent(path)
        return [s for s in project.stacks if paths.is_within(s.path, d)]
    return list(project.stacks)


# -- approvals --------------------------------------------------------------------


def parse_approvers(values: list[str] | tuple[str, ...] | None) -> list[str]:
    """``--approved-by a,b --approved-by @c`` -> ``["a", "b", "@c"]`` (order kept, duplicates dropped)."""
    out: list[str] = []
    for v in values or ():
        for part in v.split(","):
            p = part.strip()
            if p and p not in out:
                out.append(p)
    return out


# -- the smallest set of reviewers ---------------------------------------------------


def suggest_reviewers(needs: list[tuple[frozenset[str], int]],
                      budget: int = EXACT_BUDGET) -> tuple[list[str], bool]:
    """A smallest set of people that gives every need its missing approvals.

    ``needs``: (who may approve, how many more approvals). This is set
    multicover; it is solved exactly by iterative deepening with branch and
    bound while the search stays under ``budget`` nodes, else greedily. Ties
    break deterministically (more needs helped, then name). Needs that cannot
    be fully met count as met by all their people. Returns (reviewers, minimal).
    """
    reqs = [(u, min(d, len(u))) for u, d in needs if d > 0 and u]
    if not reqs:
        return [], True
    greedy = _greedy(reqs)
    lower = max(d for _, d in reqs)
    for k in range(lower, len(greedy)):
        found = _search(reqs, k, budget)
        if found is _BUDGET:
            return greedy, False
        if found is not None:
            return sorted(found), True  # type: ignore[arg-type]
    return sorted(greedy), True


_BUDGET = object()


def _order(cands: set[str], reqs: list[tuple[frozenset[str], int]], left: list[int]) -> list[str]:
    def helped(c: str) -> int:
        return sum(1 for (u, _), d in zip(reqs, left) if d > 0 and c in u)

    return sorted(cands, key=lambda c: (-helped(c), c))


def _greedy(reqs: list[tuple[frozenset[str], int]]) -> list[str]:
    left = [d for _, d in reqs]
    chosen: list[str] = []
    while any(d > 0 for d in left):
        cands = {c for (u, _), d in zip(reqs, left) if d > 0 for c in u} - set(chosen)
        if not cands:
            break
        best = _order(cands, reqs, left)[0]
        chosen.append(best)
        left = [d - 1 if d > 0 and best in u else d for (u, _), d in zip(reqs, left)]
    return chosen


def _search(reqs: list[tuple[frozenset[str], int]], k: int, budget: int) -> Any:
    """A set of at most ``k`` people meeting every need, None if there is none, _BUDGET if too big."""
    nodes = 0

    def dfs(chosen: list[str], excluded: set[str], left: list[int], room: int) -> Any:
        nonlocal nodes
        nodes += 1
        if nodes > budget:
            return _BUDGET
        open_ = [i for i, d in enumerate(left) if d > 0]
        if not open_:
            return list(chosen)
        if max(left[i] for i in open_) > room:
            return None
        taken = set(chosen)
        avail = {i: reqs[i][0] - taken - excluded for i in open_}
        if any(len(avail[i]) < left[i] for i in open_):
            return None
        i = min(open_, key=lambda j: (len(avail[j]) - left[j], len(avail[j]), j))
        tried: list[str] = []
        for c in _order(avail[i], reqs, left):
            chosen.append(c)
            res = dfs(chosen, excluded | set(tried),
                      [d - 1 if d > 0 and c in u else d for (u, _), d in zip(reqs, left)], room - 1)
            chosen.pop()
            if res is not None:
                return res
            tried.append(c)
        return None

    return dfs([], set(), [d for _, d in reqs], k)


# -- the verdict ------------------------------------------------------------------


def evaluate(root: str, base: str, head: str | None, author: str,
             approvers: list[str] | tuple[str, ...] | None) -> Verdict:
    """The verdict for the change ``merge-base(base, head)..head`` by ``author``."""
    from ..change.changeset import ChangeSet

    if not author or not author.strip():
        raise KonfigError("--author is required: the author's approval never counts")
    return judge(ChangeSet.open(root, base, head), author, approvers)


def judge(change: "ChangeSet", author: str, approvers: list[str] | tuple[str, ...] | None) -> Verdict:
    """The verdict for ``change`` by ``author``: rules, owners and teams from its base revision."""
    base_repo = change.base_repo
    omap = OwnershipMap(base_repo)
    teams = omap.teams
    warnings: list[str] = []
    # The head is read for one thing only: the attributes of the stacks a file
    # configures there (never its rules, owners or teams).
    head_repo: Repository | None = None
    try:
        head_repo = change.committed_head_repo
    except KonfigError as e:
        warnings.append(f"head revision unreadable ({e}); stacks judged by the base only")

    rules = repository_rules(base_repo)
    files: list[ChangedFile] = []
    stacks_of: dict[str, list[Stack]] = {}
    file_project: dict[str, str | None] = {}
    projects_seen: dict[str, Project] = {}
    for path, status, old, new in change.files():
        own = omap.of(path)
        files.append(ChangedFile(path, status, own, old, new))
        file_project[path] = own.project
        if own.project is not None:
            projects_seen.setdefault(own.project, base_repo.project_at(own.project))  # type: ignore[arg-type]
        stacks = configured_stacks(base_repo, path)
        if head_repo is not None:
            try:
                stacks = stacks + configured_stacks(head_repo, path)
            except KonfigError as e:
                warnings.append(f"{path}: head stack unreadable ({e}); judged by the base only")
        stacks_of[path] = stacks
    for ppath in sorted(projects_seen):
        rules += project_rules(projects_seen[ppath])

    author_user = teams.find_user(author) or as_user(author)
    exempts = exemptions(base_repo)
    sem: Any = None
    if exempts or any(r.keys for r in rules):
        sem = _compare(change, warnings)
    changed_keys = _changed_keys(sem)
    verdicts = [_exemption(e, change, sem, author_user, teams, base_repo) for e in exempts]
    exempt = any(v.applied for v in verdicts)
    requirements: list[Requirement] = []
    for rule in rules:
        if exempt and rule.owner_approval:
            continue
        if rule.authors and author_user not in teams.expand_all(rule.authors):
            continue
        if rule.sources is not None:
            for src in rule.sources:
                if not src.startswith("@") and not teams.is_team(src):
                    warnings.append(f"rule {rule.name} ({rule.origin}): unknown team {src!r}")
        groups: dict[tuple[str, ...], list[str]] = {}
        for f in files:
            if not rule.applies(f.path, file_project[f.path], stacks_of[f.path], changed_keys):
                continue
            who = f.ownership.owners if rule.sources is None else unique(rule.sources)
            groups.setdefault(who, []).append(f.path)
        for who, fs in groups.items():
            users = teams.expand_all(who) - {author_user}
            requirements.append(Requirement(rule, who, users, fs))

    eligible = set().union(*(r.users for r in requirements)) if requirements else set()
    counted: list[str] = []
    ignored: list[tuple[str, str]] = []
    for a in parse_approvers(approvers):
        user = teams.find_user(a, eligible | {author_user})
        if user is None:
            ignored.append((a, "unknown user: not in teams.yaml and not an owner of these files"))
            warnings.append(f"ignoring approval by {a}: not a known user "
                            f"(not in {teams.file} nor an owner of the changed files)")
        elif user == author_user:
            ignored.append((a, "the author's approval never counts"))
        elif user not in counted:
            counted.append(user)
    for r in requirements:
        r.approved_by = sorted(u for u in counted if u in r.users)
        if not r.owners:
            warnings.append(f"nobody owns {', '.join(r.files)} in {change.base}: no one can approve "
                            "(add an ownership rule; see `konfig owners check`)")
        elif not r.possible:
            warnings.append(f"rule {r.rule.name} cannot be met: it needs {plural(r.needed, 'approval')}"
                            f" from {', '.join(r.owners)}, who are "
                            f"{plural(len(r.users), 'eligible reviewer')} besides the author")

    needs = [(r.users - set(counted), r.missing) for r in requirements if not r.satisfied]
    suggestion, minimal = suggest_reviewers(needs)
    return Verdict(change.base, change.base_commit, change.head, change.head_commit, change.merge_base,
                   author_user, files, requirements, counted, ignored, suggestion, minimal, warnings,
                   verdicts)


# -- what the change really does: rules with keys, exemptions ---------------------------

def _compare(change: "ChangeSet", warnings: list[str]) -> Any:
    """``change.semantic``'s answer for the change (None, with a warning, if it cannot be had)."""
    from ..change.affected import affected_by
    from ..change.semantic import compare

    try:
        return compare(affected_by(change))
    except KonfigError as e:
        warnings.append(f"the change could not be compared stack by stack ({e}): rules with keys "
                        "apply to every stack they select, and no exemption applies")
        return None


def _changed_keys(sem: Any) -> "Callable[[Stack], list[str] | None]":
    """A stack's changed key paths; None (any key) when it fails on a side or was not compared."""
    from ..change.semantic import ERROR

    def keys(stack: "Stack") -> list[str] | None:
        if sem is None:
            return None
        found = sem.of(stack.path)
        if found is None:
            return []
        return None if found.status == ERROR else found.keys

    return keys


def is_layer(repo: "Repository", path: str) -> bool:
    """A ``stack.yaml`` or ``defaults.yaml`` of the stack roots: a file that only configures stacks
    (not a model's defaults, an env profile, a policy or a setting), or a stack's ``golden.yaml``
    (its rendered output, which ``konfig set`` rewrites with the layer and ``konfig test``
    checks against the renderer: derived, not an input)."""
    name = path.rsplit("/", 1)[-1]
    if name not in (formats.STACK_FILE, formats.DEFAULTS_FILE, formats.GOLDEN_FILE) \
            or paths.is_within(path, repo.base):
        return False
    if name == formats.GOLDEN_FILE and repo.stack_at(paths.parent(path)) is None:
        return False
    return any(paths.is_within(path, root) for root in repo.roots)


def _exemption(e: Exemption, change: "ChangeSet", sem: Any, author: str, teams: Any,
               base_repo: "Repository") -> ExemptionVerdict:
    """Whether ``e`` waives the owner approvals of ``change``, and why (not)."""
    from ..change.semantic import ADDED, DELETED, ERROR

    def no(reason: str) -> ExemptionVerdict:
        return ExemptionVerdict(e, False, reason)

    if author not in teams.expand_all(e.authors):
        return no(f"the author {author} is not one of its authors ({', '.join(e.authors)})")
    if not change.changes:
        return no("the change has no files")
    for path, _status, _old, _new in change.files():
        if not is_layer(base_repo, path):
            return no(f"{path} is not a stack layer (only stack.yaml, defaults.yaml and a stack's "
                      "golden.yaml can be exempt)")
    for path, status, _old, _new in change.files():
        if path.rsplit("/", 1)[-1] == formats.STACK_FILE and status == "M":
            what = _stack_settings_changed(change, path)
            if what:
                return no(f"{path} changes more than config ({what})")
    if sem is None:
        return no("the change could not be compared stack by stack")
    for s in sem.really_changed():
        if s.status in (ADDED, DELETED, ERROR):
            return no(f"stack {s.path} is {s.status}" + (f" ({s.errors[0]})" if s.errors else ""))
        if e.when is not None:
            for side in (change.merge_base_repo, change.committed_head_repo):
                stack = side.stack_at(s.path)
                if stack is not None and not _selects(e.when, stack):
                    return no(f"stack {s.path} is not selected by when ({e.when.describe()})")
        if e.keys:
            outside = [k for k in s.keys if not any(g.matches(k) for g in e.keys)]
            if outside:
                return no(f"stack {s.path}: key {outside[0]} is outside keys ({', '.join(map(str, e.keys))})")
        if not s.keys:
            return no(f"stack {s.path}: its rendered resources change with no key changed")
    n = len(sem.really_changed())
    return ExemptionVerdict(e, True, f"a change by {author} of stack layers only; {plural(n, 'stack')} "
                                     "really changed, each selected by when, every changed key within keys")


def _stack_settings_changed(change: "ChangeSet", path: str) -> str:
    """What a changed ``stack.yaml`` changes besides ``config`` (its env, model, labels,
    owners...), in a few words; "" if nothing."""
    from ..files import git
    from ..yamlio import load

    def settings(raw: bytes | None) -> Any:
        if raw is None:
            return None
        data = load(raw, path).data
        return {k: v for k, v in data.items() if k != "config"} if isinstance(data, dict) else data

    try:
        before = settings(change.merge_base_bytes(path))
        after = settings(git.read_at(change.git_repo, change.head_commit, paths.join(change.prefix, path)))
    except KonfigError as e:
        return f"it does not load: {e}"
    if before == after:
        return ""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted({k for k in set(before) | set(after) if before.get(k) != after.get(k)}, key=str)
        return "its " + ", ".join(map(str, keys))
    return "its settings"


# -- which rules govern a key (``konfig owners STACK --key KEYPATH``) -----------------------

@dataclasses.dataclass
class Governing:
    """The review rules and exemptions a change of one key of one stack meets."""

    stack: str
    key: str
    file: str  # the stack's stack.yaml: what path rules are matched against
    owners: tuple[str, ...]
    rules: list[Rule]
    exemptions: list[Exemption]

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "key": self.key, "file": self.file, "owners": list(self.owners),
                "rules": [r.to_json() for r in self.rules],
                "exemptions": [{"name": e.name, "description": e.description, "origin": e.origin,
                                "authors": list(e.authors)} for e in self.exemptions]}


def governing(repo: "Repository", stack: "Stack", key: str) -> Governing:
    """The rules a change of ``key`` in ``stack``'s ``stack.yaml`` would meet (those with
    ``authors`` only for changes by them), and the exemptions that could waive its owner
    approvals (for their authors, when every other condition holds)."""
    from ..keypath import format as kp_format
    from ..keypath import parse as kp_parse

    key = kp_format(kp_parse(key))  # bad key path: a usage error
    omap = OwnershipMap(repo)
    file = stack.file
    own = omap.of(file)
    rules = repository_rules(repo) + project_rules(stack.project)
    out = [r for r in rules if r.applies(file, own.project, [stack], lambda _s: [key])]
    ex = [e for e in exemptions(repo)
          if (e.when is None or _selects(e.when, stack)) and (not e.keys or any(g.matches(key) for g in e.keys))]
    return Governing(stack.path, key, file, own.owners, out, ex)


# -- what ``konfig diff`` marks: the rules each stack's changes trigger ------------------------

def triggered(change: "ChangeSet", sem: Any) -> dict[str, list[dict[str, Any]]]:
    """Per stack that really changes, the review rules (from the base revision) its changed files
    and keys trigger, each with why: ``{"rule", "from", "approvals", "why", "authors", "origin"}``.
    The implicit owners rule is left out (every change has it)."""
    base_repo = change.base_repo
    sides = [change.merge_base_repo, change.committed_head_repo]
    omap = OwnershipMap(base_repo)
    repo_rules = [r for r in repository_rules(base_repo) if r.name != OWNERS_RULE]
    keys_of = _changed_keys(sem)
    out: dict[str, list[dict[str, Any]]] = {}
    for s in sem.stacks:
        if not s.really_changed:
            continue
        rules = list(repo_rules)
        project = base_repo.project_of(s.path)
        if project is not None:
            rules += project_rules(project)
        marks = []
        for rule in rules:
            why = _why(rule, s, sides, omap, keys_of)
            if why is not None:
                marks.append({"rule": rule.name, "from": "owners" if rule.from_owners else list(rule.sources or ()),
                              "approvals": rule.approvals, "why": why, "authors": list(rule.authors),
                              "origin": rule.origin})
        if marks:
            out[s.path] = marks
    return out


def _why(rule: Rule, s: Any, sides: list["Repository"], omap: OwnershipMap,
         keys_of: "Callable[[Stack], list[str] | None]") -> str | None:
    """Why ``rule`` covers the change of stack ``s`` (None: it does not)."""
    for f in sorted({r.file for r in s.reasons}):
        stacks = [st for repo in sides for st in configured_stacks(repo, f) if st.path == s.path]
        if not rule.applies(f, omap.of(f).project, stacks, keys_of):
            continue
        if rule.keys:
            keys = [k for k in s.keys if any(g.matches(k) for g in rule.keys)]
            return (f"{', '.join(keys[:3])}{' and more' if len(keys) > 3 else ''} changed" if keys
                    else "the stack fails on a side (any key may have changed)")
        return f"{f} changed"
    return None
