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

Globs are the repository's (``paths.match``) with CODEOWNERS' directory rule:
a pattern whose last segment is a plain name (``docs``, ``konfig/base``) also
owns everything below a directory of that name; ``docs/*`` owns only the
files directly in ``docs/``; ``docs/**`` and ``docs/`` everything below.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from . import formats, paths
from .teams import Teams

if TYPE_CHECKING:
    from .project import Project
    from .repository import Repository
    from .stack import Stack

_WILD = set("*?[")


def covers(pattern: str, path: str) -> bool:
    """Whether an ownership or review glob applies to ``path`` (a file or directory)."""
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

    def to_json(self, teams: Teams | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "owners": list(self.owners),
            "project": self.project,
            "stack": self.stack,
            "sources": [s.to_json() for s in self.sources],
        }
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

    def project_of(self, path: str) -> "Project | None":
        for anc in reversed(paths.ancestors(path)):
            p = self.repo.project_at(anc)
            if p is not None:
                return p
        return None

    def stack_of(self, path: str) -> "Stack | None":
        for anc in reversed(paths.ancestors(path)):
            s = self.repo.stack_at(anc)
            if s is not None:
                return s
            if self.repo.project_at(anc) is not None:
                return None  # stacks live inside projects
        return None

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
        """The owners of a file or directory (repo-relative)."""
        path = paths.normalize(path)
        project = self.project_of(path)
        if project is not None:
            stack = self.stack_of(path)
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
        out = [Entry(r.pattern, r.owners, r.source(), r.description) for r in self.rules]
        for project in sorted(self.repo.projects(), key=lambda p: p.path):
            src = self.project_source(project)
            out.append(Entry(project.path + "/", src.owners, src))
        stacks = [s for s in self.repo.stacks() if s.owners or not s.inherit_owners]
        for stack in sorted(stacks, key=lambda s: (s.path.count("/"), s.path)):
            owners, sources = self.stack_owners(stack)
            out.append(Entry(stack.path + "/", owners, sources[0]))
        return out
