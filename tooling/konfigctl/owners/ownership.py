"""Who owns a path, and where that comes from.

One precedence, most specific first (like Gerrit OWNERS files, and the order
GitHub's "last match wins" gives the emitted CODEOWNERS):

1. a stack's ``owners`` (``stack.yaml``) -- added to its project's, or replacing
   them with ``inherit_owners: false`` (Gerrit's ``set noparent``);
2. the project's ``owners`` (``project.yaml``) for everything in the project
   directory;
3. ``konfig.yaml`` ``ownership`` path rules for everything outside projects;
   the last rule that matches a file wins (GitHub CODEOWNERS semantics), so
   write them from general to specific.

Prow-style ``OWNERS`` files (Kusion-era Konfigs have them) add to that, as
Prow reads them: a path's approvers are those of its nearest ``OWNERS`` and of
every ``OWNERS`` above it, up to one with ``options: {no_parent_owners:
true}``; their ``reviewers`` are suggested reviewers, never approvers. A name
in them is a team of ``teams.yaml`` if there is one of that name, else a user
(Prow names GitHub users without ``@``), known by being named there.

Globs are the repository's (``paths.match``) with CODEOWNERS' directory rule:
a pattern whose last segment is a plain name (``docs``, ``konfig/base``) also
owns everything below a directory of that name; ``docs/*`` owns only the
files directly in ``docs/``; ``docs/**`` and ``docs/`` everything below.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .. import formats
from .. import keypath as kp
from ..files import paths
from ..repo.teams import Teams

if TYPE_CHECKING:
    from ..errors import Problem

if TYPE_CHECKING:
    from ..repo.project import Project
    from ..repo.repository import Repository
    from ..repo.stack import Stack

_WILD = set("*?[")


def covers(pattern: str, path: str, base: str = "") -> bool:
    """Whether an ownership or review glob applies to ``path`` (a file or directory).

    ``base``: the directory a project's review glob is relative to. Its name is
    literal -- a project may live below an org directory called ``a*b`` --
    so it is compared as a path, and only the glob is a glob.
    """
    if base:
        if not paths.is_within(path, base) or path == base:
            return False
        return covers("/" + pattern.lstrip("/"), path[len(base) + 1:])
    if paths.match(pattern, path):
        return True
    last = pattern.rstrip("/").rsplit("/", 1)[-1]
    if _WILD & set(last):
        return False
    return any(paths.match(pattern, anc) for anc in paths.ancestors(path)[1:-1])


def literal_prefix(pattern: str) -> str:
    """The directories of a glob before its first wildcard (``konfig/base/**`` -> ``konfig/base``).

    An unanchored glob (``*.md``, ``docs/``) matches at any depth: its prefix is the root.
    """
    pat = pattern.strip()
    if "/" not in pat.rstrip("/"):
        return ""
    out = []
    for seg in pat.strip("/").split("/"):
        if _WILD & set(seg):
            break
        out.append(seg)
    return "/".join(out)


def unique(items: Any) -> tuple[str, ...]:
    out: list[str] = []
    for x in items:
        if x not in out:
            out.append(x)
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class OwnerSource:
    """One place that contributes owners: a path rule, a project, a stack."""

    kind: str  # "path" | "project" | "stack"
    file: str
    line: int | None
    detail: str
    owners: tuple[str, ...]

    def format(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line else self.file
        return f"{loc}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "line": self.line, "detail": self.detail,
                "owners": list(self.owners)}


@dataclasses.dataclass(frozen=True)
class Ownership:
    """The owners of one path and the sources they come from (most specific first)."""

    path: str
    owners: tuple[str, ...]
    sources: tuple[OwnerSource, ...]
    project: str | None = None
    stack: str | None = None
    reviewers: tuple[str, ...] = ()  # suggested by OWNERS files; they do not approve

    def to_json(self, teams: Teams | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "owners": list(self.owners),
            "project": self.project,
            "stack": self.stack,
            "sources": [s.to_json() for s in self.sources],
        }
        if self.reviewers:
            out["reviewers"] = list(self.reviewers)
        if teams is not None:
            out["users"] = sorted(teams.expand_all(self.owners))
        return out


@dataclasses.dataclass(frozen=True)
class PathRule:
    """One ``konfig.yaml`` ``ownership`` entry."""

    index: int
    pattern: str
    owners: tuple[str, ...]
    description: str = ""
    line: int | None = None

    def covers(self, path: str) -> bool:
        return covers(self.pattern, path)

    def source(self) -> OwnerSource:
        return OwnerSource("path", formats.KONFIG_FILE, self.line,
                           f"ownership[{self.index}] {self.pattern}", self.owners)


@dataclasses.dataclass(frozen=True)
class Entry:
    """A line of the ownership map: a glob (directories end in ``/``), its owners, its source."""

    pattern: str
    owners: tuple[str, ...]
    source: OwnerSource
    description: str = ""

    @property
    def prefix(self) -> str:
        return self.pattern.rstrip("/") if self.source.kind != "path" else literal_prefix(self.pattern)


def _may_name_owners(repo: "Repository", file: str) -> bool:
    """Cheap pre-check before parsing thousands of stack.yaml files: no ``owners`` text, no owners.

    A backslash could spell the key with an escape, so such files are parsed.
    """
    raw = repo.read(file)
    return b"owners" in raw or b"\\" in raw


@dataclasses.dataclass(frozen=True)
class OwnersFile:
    """One Prow-style ``OWNERS`` file."""

    file: str
    approvers: tuple[str, ...]
    reviewers: tuple[str, ...]
    no_parent_owners: bool

    @property
    def directory(self) -> str:
        return paths.parent(self.file)

    def source(self) -> OwnerSource:
        stop = " (no_parent_owners: the OWNERS above do not apply)" if self.no_parent_owners else ""
        return OwnerSource("owners-file", self.file, None, f"approvers in {self.file}{stop}", self.approvers)


def read_owners_file(repo: "Repository", file: str, teams: Teams) -> OwnersFile:
    """An ``OWNERS`` file; ``KonfigError`` at its line when it is not one."""
    from ..errors import KonfigError

    data = repo.document(file).data or {}
    if not isinstance(data, dict):
        raise KonfigError("an OWNERS file is a mapping (approvers, reviewers, options)", file=file)

    def names(key: str) -> tuple[str, ...]:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            line, col = repo.position(file, (key,))
            raise KonfigError("must be a list of names", file=file, line=line, col=col, keypath=key)
        return unique(v.strip() if v.startswith("@") or teams.is_team(v.strip()) else "@" + v.strip()
                      for v in value)

    options = data.get("options") or {}
    stop = bool(options.get("no_parent_owners")) if isinstance(options, dict) else False
    return OwnersFile(file, names("approvers"), names("reviewers"), stop)


class OwnershipMap:
    """Ownership of every path of one revision of a Konfig."""

    def __init__(self, repo: "Repository") -> None:
        self.repo = repo
        self.teams = Teams.load(repo)
        rules = []
        for i, r in enumerate(repo.settings.get("ownership") or []):
            line, _ = repo.position(formats.KONFIG_FILE, ("ownership", i))
            rules.append(PathRule(i, str(r["path"]), unique(r["owners"]),
                                  str(r.get("description", "")), line))
        self.rules: list[PathRule] = rules
        self._entries: list[Entry] | None = None
        self._owners_files: dict[str, OwnersFile] | None = None
        self._owners_dirs: dict[str, OwnersFile | None] = {}

    def owners_files(self) -> dict[str, OwnersFile]:
        """Directory -> its ``OWNERS`` file, for every one in the repository (one walk)."""
        if self._owners_files is None:
            self._owners_files = {}
            for rel in self.repo.source.files():
                if rel.rsplit("/", 1)[-1] == formats.OWNERS_FILE:
                    self._owners_at(paths.parent(rel))
            self._owners_files = {d: o for d, o in self._owners_dirs.items() if o is not None}
        return self._owners_files

    def _owners_at(self, directory: str) -> OwnersFile | None:
        if directory not in self._owners_dirs:
            file = paths.join(directory, formats.OWNERS_FILE)
            self._owners_dirs[directory] = (read_owners_file(self.repo, file, self.teams)
                                            if self.repo.exists(file) and not self.repo.source.isdir(file)
                                            else None)
        return self._owners_dirs[directory]

    def owners_chain(self, path: str) -> list[OwnersFile]:
        """The ``OWNERS`` files that apply to ``path``, nearest first (Prow's rule)."""
        dirs = paths.ancestors(path) if self.repo.source.isdir(path) else paths.ancestors(path)[:-1]
        out = []
        for d in reversed(dirs):
            o = self._owners_at(d)
            if o is not None:
                out.append(o)
                if o.no_parent_owners:
                    break
        return out

    def _with_owners_files(self, own: Ownership) -> Ownership:
        chain = self.owners_chain(own.path)
        if not chain:
            return own
        approvers = [a for o in chain for a in o.approvers]
        reviewers = [r for o in chain for r in o.reviewers]
        return dataclasses.replace(own, owners=unique(list(own.owners) + approvers),
                                   sources=own.sources + tuple(o.source() for o in chain),
                                   reviewers=unique(reviewers))

    def rule_for(self, path: str) -> PathRule | None:
        """The path rule that decides ``path``: the last one that matches."""
        for rule in reversed(self.rules):
            if rule.covers(path):
                return rule
        return None

    def project_source(self, project: "Project") -> OwnerSource:
        line, _ = self.repo.position(project.file, ("owners",))
        return OwnerSource("project", project.file, line, f"owners of project {project.name}",
                           unique(project.owners))

    def stack_owners(self, stack: "Stack") -> tuple[tuple[str, ...], tuple[OwnerSource, ...]]:
        proj = self.project_source(stack.project)
        if not stack.owners and stack.inherit_owners:
            return proj.owners, (proj,)
        line, _ = self.repo.position(stack.file, ("owners",))
        if stack.inherit_owners:
            src = OwnerSource("stack", stack.file, line, f"owners of stack {stack.relative_name} "
                              "(added to the project's)", unique(stack.owners))
            return unique(stack.owners + list(proj.owners)), (src, proj)
        if not stack.owners:
            line, _ = self.repo.position(stack.file, ("inherit_owners",))
        src = OwnerSource("stack", stack.file, line, f"owners of stack {stack.relative_name} "
                          "(inherit_owners: false, the project's do not apply)", unique(stack.owners))
        return unique(stack.owners), (src,)

    def of(self, path: str) -> Ownership:
        """The owners of a file or directory (repo-relative), ``OWNERS`` approvers included."""
        return self._with_owners_files(self._own(paths.normalize(path)))

    def _own(self, path: str) -> Ownership:
        project = self.repo.project_of(path)
        if project is not None:
            stack = self.repo.stack_of(path)
            if stack is not None:
                owners, sources = self.stack_owners(stack)
                return Ownership(path, owners, sources, project.path, stack.path)
            src = self.project_source(project)
            return Ownership(path, src.owners, (src,), project.path)
        rule = self.rule_for(path)
        if rule is None:
            return Ownership(path, (), ())
        return Ownership(path, rule.owners, (rule.source(),))

    def entries(self) -> list[Entry]:
        """The whole map, general to specific (so that, read in order, the last match wins)."""
        if self._entries is None:
            self._entries = self._build_entries()
        return list(self._entries)

    def _build_entries(self) -> list[Entry]:
        entries = self._layer_entries()
        known = self.owners_files()
        if not known:
            return entries
        # An OWNERS file's approvers add to every line below its directory; its directory gets
        # a line of its own (after the path rules, which apply there too, then the path rules
        # inside it again, so that the last match still decides as ``of`` does).
        rules = [e for e in entries if e.source.kind == "path"]
        rest = [e for e in entries if e.source.kind != "path"]
        dirs = [d for d in sorted(known, key=lambda d: (d.count("/"), d))
                if self.repo.project_of(d) is None]
        out = list(rules)
        for d in dirs:
            own = self.of(d)
            out.append(Entry((d + "/") if d else "**", own.owners, known[d].source()))
            out += [e for e in rules if d and paths.is_within(e.prefix, d) and e.prefix != d]
        out += rest
        return [dataclasses.replace(e, owners=self._with_owners_files(
                    Ownership(e.prefix, e.owners, ())).owners) for e in out]

    def _layer_entries(self) -> list[Entry]:
        out = [Entry(r.pattern, r.owners, r.source(), r.description) for r in self.rules]
        for project in sorted(self.repo.projects(), key=lambda p: p.path):
            src = self.project_source(project)
            out.append(Entry(project.path + "/", src.owners, src))
        own = {s.path for s in self.repo.stacks()
               if _may_name_owners(self.repo, s.file) and (s.owners or not s.inherit_owners)}
        # Deeper directories come later, so the nearest one decides, as in ``of``. A stack
        # nested in a stack with owners of its own needs its line even without owners of its
        # own: ``of`` gives it its project's owners, not the outer stack's.
        for stack in sorted(self.repo.stacks(), key=lambda s: (s.path.count("/"), s.path)):
            nested = stack.path not in own
            if nested:
                outer = paths.ancestors(stack.path)[len(paths.ancestors(stack.project.path)):-1]
                if not any(a in own for a in outer):
                    continue
                own.add(stack.path)
            owners, sources = self.stack_owners(stack)
            source = sources[0]
            if nested:
                source = OwnerSource("stack", stack.file, None, f"stack {stack.relative_name} is inside a "
                                     "stack with owners of its own: its project's owners", owners)
            out.append(Entry(stack.path + "/", owners, source))
        return out


# -- the ownership check ----------------------------------------------------------


def repository_files(repo: "Repository") -> list[str]:
    """The files ownership is checked for: what git tracks or would add; else the work tree."""
    from ..errors import KonfigError as _Err
    from ..files import git

    try:
        g = git.open_repo(repo.root)
    except _Err:
        return sorted(repo.source.files())
    return git.work_files(g, repo.root)


def check(repo: "Repository", files: list[str] | None = None) -> list["Problem"]:
    """Everything wrong with ownership, one ``Problem`` each (warnings do not fail).

    Every project has owners; every owner and approver named anywhere is a team
    or a known user; teams have no cycles; no file is without owners; every
    ownership and review glob matches some file (a glob that only matches
    files their project owns, or that later rules always override, is a warning).
    """
    from ..errors import KonfigError as _Err
    from ..errors import Problem

    omap = OwnershipMap(repo)
    teams = omap.teams
    known = teams.known_users()
    out: list[Problem] = list(teams.problems())

    def p(msg: str, file: str, path: tuple[Any, ...] = (), severity: str = "error") -> None:
        line, col = repo.position(file, path)
        out.append(Problem(msg, file=file, line=line, col=col, keypath=kp.format(path),
                           severity=severity, check="owners"))

    def check_owner(owner: str, file: str, path: tuple[Any, ...]) -> None:
        if owner.startswith("@"):
            if teams.canonical(owner) not in known:
                p(f"unknown user {owner}: not a member of any team nor under users: in "
                  f"{teams.file}", file, path)
        elif not teams.is_team(owner):
            p(f"unknown team {owner!r} (teams: {', '.join(sorted(teams.teams)) or 'none'}; "
              "write users as @name)", file, path)

    konfig = formats.KONFIG_FILE
    try:
        # Prow's OWNERS name GitHub users: each name that is not a team is a user by being there
        # (teams.yaml need not list them); only their readability is checked here
        omap.owners_files()
    except _Err as e:
        out.append(Problem.from_error(e, check="owners"))
    for r in omap.rules:
        for j, o in enumerate(r.owners):
            check_owner(o, konfig, ("ownership", r.index, "owners", j))
    review_rules = list(enumerate((repo.settings.get("review") or {}).get("rules") or []))
    for i, rule in review_rules:
        frm = rule.get("from", "owners")
        if frm != "owners":
            for j, o in enumerate(frm):
                check_owner(o, konfig, ("review", "rules", i, "from", j))

    # (glob, the project directory it is relative to, file, keypath, label)
    project_globs: list[tuple[str, str, str, tuple[Any, ...], str]] = []
    for problem in repo.discovery_problems:
        out.append(Problem.from_error(problem, check="owners"))
    for project in sorted(repo.projects(), key=lambda x: x.path):
        try:
            owners = project.owners
            review = project.review
        except _Err as e:
            out.append(Problem.from_error(e, check="owners"))
            continue
        if not owners and not omap.owners_chain(project.path):
            p(f"project {project.name} has no owners", project.file, ("owners",))
        for j, o in enumerate(owners):
            check_owner(o, project.file, ("owners", j))
        for i, rule in enumerate(review.get("rules") or []):
            frm = rule.get("from", "owners")
            if frm != "owners":
                for j, o in enumerate(frm):
                    check_owner(o, project.file, ("review", "rules", i, "from", j))
            for j, g in enumerate(rule.get("paths") or []):
                project_globs.append((str(g), project.path, project.file,
                                      ("review", "rules", i, "paths", j), f"review rule {rule['name']}"))
        for stack in project.stacks:
            try:
                s_owners, inherit = stack.owners, stack.inherit_owners
            except _Err as e:
                out.append(Problem.from_error(e, check="owners"))
                continue
            for j, o in enumerate(s_owners):
                check_owner(o, stack.file, ("owners", j))
            if not inherit and not s_owners:
                p("false, but the stack names no owners of its own: nobody owns it", stack.file,
                  ("inherit_owners",))

    files = sorted(repository_files(repo) if files is None else files)
    decided: dict[int, int] = {r.index: 0 for r in omap.rules}
    matched: dict[int, int] = {r.index: 0 for r in omap.rules}
    for f in files:
        try:
            own = omap.of(f)
        except _Err as e:
            out.append(Problem.from_error(e, check="owners"))
            continue
        if own.project is None:
            rule = omap.rule_for(f)
            if rule is not None:
                decided[rule.index] += 1
        for r in omap.rules:
            if not matched[r.index] and r.covers(f):
                matched[r.index] = 1
        if not own.owners and own.stack is None:
            out.append(Problem("no owners: add an ownership rule in konfig.yaml (or a project)",
                               file=f, check="owners"))
    for r in omap.rules:
        where = ("ownership", r.index, "path")
        if not matched[r.index]:
            p(f"ownership rule {r.pattern} matches no file", konfig, where)
        elif not decided[r.index]:
            p(f"ownership rule {r.pattern} decides no file: the files it matches are owned by their "
              "project or by a later rule", konfig, where, severity="warning")

    for i, rule in review_rules:
        for j, g in enumerate(rule.get("paths") or []):
            project_globs.append((str(g), "", konfig, ("review", "rules", i, "paths", j),
                                  f"review rule {rule['name']}"))
    for g, base, file, where, label in project_globs:
        if not any(covers(g, f, base) for f in files):
            p(f"{label}: path {paths.join(base, g.lstrip('/')) if base else g} matches no file", file, where)

    from .codeowners import problems as codeowners_problems

    try:
        out += codeowners_problems(repo, omap=omap)
    except _Err as e:
        out.append(Problem.from_error(e, check="codeowners"))
    return dedupe(out)


def dedupe(problems: list["Problem"]) -> list["Problem"]:
    """One line per problem: a broken project.yaml is met once per file it owns, and reported once."""
    seen: set[str] = set()
    out = []
    for p in problems:
        key = f"{p.severity} {p.format()}"
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
