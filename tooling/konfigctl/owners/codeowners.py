"""CODEOWNERS files generated from the ownership map and the review rules.

GitHub (``.github/CODEOWNERS``): one ownership line per path rule, project and
stack with its own owners, from general to specific -- GitHub takes the last
matching line, which is konfig's precedence. GitHub has no approval counts:
those stay with ``konfig review``.

GitLab (``.gitlab/CODEOWNERS`` by default; GitLab reads ``CODEOWNERS``,
``docs/CODEOWNERS`` then ``.gitlab/CODEOWNERS``, and GitHub prefers
``.github/``, so the two never shadow each other): the same map as an
``[Owners]`` section, then one section per review rule with its approval count
(``[prod-two-approvals][2]``). GitLab sections are independent, so each rule's
section adds its requirement on top of ownership, as ``konfig review`` does.
``when:`` selectors become the directories of the stacks they select today
(plus the project files that configure them); the file is regenerated when
stacks change and ``--check`` catches drift.

Names are data, not patterns: a project below an org directory called
``a*b`` or ``x#y`` is written so that the platform reads every character as
itself (``escaping.codeowners_literal``), and a path a platform cannot name
exactly is left out -- its files then get an earlier line's owners -- and
reported, one problem per path (``render``), never written with another
meaning. Each line is checked in tests against an independent reading of the
platform's documentation (``tests/codeowners_matchers.py``).
"""
from __future__ import annotations

import bisect
import dataclasses
import re
from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import KonfigError, Problem
from ..escaping import PLATFORM, Inexpressible, codeowners_literal, text_line
from ..files import paths
from ..repo.selector import Selector
from .ownership import Entry, OwnershipMap, covers, literal_prefix

if TYPE_CHECKING:
    from ..repo.project import Project
    from ..repo.repository import Repository
    from ..repo.stack import Stack

TARGETS = ("github", "gitlab")
DEFAULT_PATHS = {"github": ".github/CODEOWNERS", "gitlab": ".gitlab/CODEOWNERS"}


def target_settings(repo: "Repository", target: str) -> dict[str, Any]:
    """``review.codeowners.<target>`` with defaults: ``path``, ``org``."""
    if target not in TARGETS:
        raise KonfigError(f"unknown CODEOWNERS target {target!r} (use github or gitlab)")
    conf = dict(((repo.settings.get("review") or {}).get("codeowners") or {}).get(target) or {})
    conf.setdefault("path", DEFAULT_PATHS[target])
    conf["path"] = paths.normalize(str(conf["path"]))
    conf.setdefault("org", None)
    return conf


@dataclasses.dataclass(frozen=True)
class Item:
    """What one CODEOWNERS line is to cover, in konfig's terms.

    ``dir``: a directory and everything below it (a project, a stack);
    ``file``: one file; both are literal paths, whatever characters their
    names hold. ``glob``: a konfig glob (``ownership`` and review ``paths``),
    relative to the literal directory ``base`` (a project's, for its own
    review rules) or to the root.
    """

    kind: str  # "dir" | "file" | "glob"
    path: str
    base: str = ""

    @classmethod
    def of_entry(cls, e: Entry) -> "Item":
        if e.source.kind == "path" or e.pattern == "**":  # (** : an OWNERS file at the root)
            return cls("glob", e.pattern)
        return cls("dir", e.pattern.rstrip("/"))

    def covers(self, path: str) -> bool:
        """Whether konfig counts ``path`` (a file or directory) as covered."""
        if self.kind != "glob":
            return paths.is_within(path, self.path)
        return covers(self.path, path, self.base)

    @property
    def prefix(self) -> str:
        """The deepest literal directory (or file) that holds everything it covers."""
        if self.kind != "glob":
            return self.path
        if not self.base:
            return literal_prefix(self.path)
        return paths.join(self.base, literal_prefix("/" + self.path.lstrip("/")))

    def describe(self) -> str:
        if self.kind == "dir":
            return f"the directory {text_line(self.path)}/"
        if self.kind == "file":
            return f"the file {text_line(self.path)}"
        shown = paths.join(self.base, self.path.lstrip("/")) if self.base else self.path
        return f"the pattern {text_line(shown)}"


def patterns(item: Item, target: str) -> list[str]:
    """``item`` as CODEOWNERS patterns that, together, match exactly what konfig says it covers on ``target``.

    Both platforms read gitignore-like patterns: a slash at the start or in
    the middle anchors to the root (written with a leading ``/``, which GitLab
    needs: there a relative path matches at any depth), ``dir/`` is a
    directory and everything below it, ``*`` and ``?`` stay within a name,
    ``**`` crosses directories. Literal characters the platform reads as
    syntax are escaped (``escaping.codeowners_literal``). A plain last name
    (``docs``, ``konfig/base``) also owns a directory of that name: GitHub
    reads it so (its docs' ``/apps/github`` example), GitLab matches it as a
    file only, so GitLab gets a second line ``docs/``; the two lines have the
    same owners, next to each other, so they mean their union.
    Raises ``Inexpressible`` with the reason.
    """
    if item.kind == "dir":
        return ["/" + codeowners_literal(item.path, target) + "/"]
    if item.kind == "file":
        return ["/" + codeowners_literal(item.path, target)]
    raw = item.path.strip()
    if not raw:
        raise Inexpressible("an empty pattern")
    if not item.base and raw in ("**", "/**", "*", "**/*", "/**/*"):
        return ["*"]  # everything ("/*" is not: the files at the root)
    anchored = bool(item.base) or "/" in raw.rstrip("/")
    body = raw.lstrip("/")
    directory = body.endswith("/")
    if body.endswith("/**") or body == "**":
        # never a trailing "**": gitignore reads it as "everything inside", fnmatch as "*"
        body, directory = body[:-2], True
    text = _glob_text(body.rstrip("/"), target)
    if item.base:
        text = codeowners_literal(item.base, target) + ("/" + text if text else "")
    if anchored:
        text = "/" + text
    elif target == "gitlab" and text[:1] in ("[", "^"):
        text = "**/" + text  # a line starting with [ or ^[ is a section heading on GitLab
    if directory:
        return [text + "/"]
    last = body.rsplit("/", 1)[-1]
    if target == "gitlab" and not set("*?[") & set(last):
        return [text, text + "/"]
    return [text]


def _plain_class(klass: str) -> bool:
    """A ``[...]`` body meaning the same in konfig (a regex class) and fnmatch: never '/', not negated."""
    if not klass or klass[0] in "!^":
        return False
    i = 0
    while i < len(klass):
        c = klass[i]
        if not (c.isascii() and (c.isalnum() or c in "._-")):
            return False
        if i + 2 < len(klass) and klass[i + 1] == "-":
            end = klass[i + 2]
            if not (end.isascii() and (end.isalnum() or end in "._-")) or c <= "/" <= end:
                return False
            i += 3
        else:
            i += 1
    return True


def _glob_text(body: str, target: str) -> str:
    """The pattern text of a konfig glob body (no leading or trailing slash).

    Token by token as ``paths.glob_regex`` reads it: wildcards stay, literal
    characters are escaped.
    """
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if body.startswith("**", i):
            before_ok = i == 0 or body[i - 1] == "/"
            after_ok = i + 2 == len(body) or body[i + 2] == "/"
            if not (before_ok and after_ok):
                raise Inexpressible("'**' inside a name: konfig matches across directories there, "
                                    "CODEOWNERS reads it as '*'")
            out.append("**")
            i += 2
        elif c in "*?":
            out.append(c)
            i += 1
        elif c == "[" and body.find("]", i + 1) != -1:
            j = body.find("]", i + 1)
            if target == "github":
                raise Inexpressible("GitHub does not support '[' ']' in patterns")
            klass = body[i + 1:j]
            if not _plain_class(klass):
                raise Inexpressible(f"the character class [{text_line(klass)}]: konfig writes only "
                                    "classes of letters, digits, '.', '_' and '-' whose ranges leave "
                                    "out '/' (konfig's classes can match '/', GitLab's cannot)")
            out.append("[" + klass + "]")
            i = j + 1
        elif c == "/":
            out.append("/")
            i += 1
        else:
            out.append(codeowners_literal(c, target))
            i += 1
    return "".join(out)


def _header(target: str, command: str) -> list[str]:
    lines = [
        f"# Generated by `{command}` -- do not edit.",
        "# Source: konfig.yaml (ownership, review.rules), project.yaml and stack.yaml owners,",
        "# konfig/base/teams.yaml (handles). Change those and run the command again;",
        "# CI runs it with --check.",
    ]
    if target == "github":
        lines += [
            "# GitHub semantics: the last matching pattern wins and one owner approval suffices.",
            "# Approval counts and extra reviewers per rule are enforced by `konfig review`.",
        ]
    else:
        lines += [
            "# GitLab semantics: sections are independent; within one the last matching",
            "# pattern wins; [Section][N] requires N approvals. `konfig review` is the reference.",
        ]
    return lines


# What a CODEOWNERS owner may look like: @user, @org/team (GitLab: nested groups), an email.
_OWNER = re.compile(r"^(@[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9._-]+)*|[^\s@#]+@[^\s@#]+)$")


@dataclasses.dataclass(frozen=True)
class Unexpressed:
    """An item the file cannot name exactly: its line is left out, and ``problem`` says so."""

    target: str
    item: Item
    reason: str
    problem: Problem

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "kind": self.item.kind, "path": self.item.path,
                "base": self.item.base or None, "reason": self.reason, "file": self.problem.file,
                "line": self.problem.line}


@dataclasses.dataclass
class Result:
    """One target's CODEOWNERS text and what it could not express (each left out, one problem each)."""

    target: str
    path: str
    text: str
    unexpressed: list[Unexpressed]
    problems: list[Problem]


Where = tuple[str, "int | None", str]  # (file, line, keypath) a problem is reported at


@dataclasses.dataclass
class _Emitter:
    repo: "Repository"
    target: str
    org: str | None
    rel: str
    omap: OwnershipMap | None = None

    def __post_init__(self) -> None:
        self.map = self.omap or OwnershipMap(self.repo)
        self.teams = self.map.teams
        self.entries = self.map.entries()
        # entries by directory prefix, to find those inside a directory with bisect
        self._by_prefix = sorted((e.prefix, i) for i, e in enumerate(self.entries))
        self.unexpressed: list[Unexpressed] = []
        self.problems: list[Problem] = []
        self._reported: set[Any] = set()

    @property
    def platform(self) -> str:
        return PLATFORM[self.target]

    def _problem(self, key: Any, msg: str, where: Where) -> Problem | None:
        if key in self._reported:
            return None
        self._reported.add(key)
        file, line, keypath = where
        p = Problem(msg, file=file, line=line, keypath=keypath, check="codeowners")
        self.problems.append(p)
        return p

    def handles(self, owners: tuple[str, ...] | list[str]) -> list[str]:
        out: list[str] = []
        for o in owners:
            for h in self.teams.handles(o, self.target, self.org):
                if not _OWNER.match(h):
                    self._problem(("handle", h), f"{self.platform} CODEOWNERS cannot name the owner "
                                  f"'{text_line(h)}' of {o} (not @name, @org/team or an email): "
                                  f"it is left out of {self.rel}", (self.teams.file, None, ""))
                elif h not in out:
                    out.append(h)
        return out

    def leave_out(self, item: Item, reason: str, where: Where) -> list[str]:
        what, fix = {"dir": ("its files", "rename it"), "file": ("it", "rename it"),
                     "glob": ("the files it matches", "write the pattern another way")}[item.kind]
        p = self._problem(("item", item), f"{self.platform} CODEOWNERS cannot name {item.describe()}: "
                          f"{reason}; its line is left out of {self.rel}, so {self.platform} gives {what} "
                          f"the owners of an earlier line ({fix})", where)
        if p is not None:
            self.unexpressed.append(Unexpressed(self.target, item, reason, p))
        return [f"# left out, {self.platform} cannot express it (see `konfig owners check`): "
                f"{item.describe()}"]

    def line(self, item: Item, owners: tuple[str, ...] | list[str], where: Where) -> list[str]:
        try:
            pats = patterns(item, self.target)
        except Inexpressible as e:
            return self.leave_out(item, e.reason, where)
        hs = self.handles(owners)
        if not hs and self.target == "gitlab":
            return self.leave_out(item, "GitLab needs an owner on every entry, and no owner here has a "
                                  "GitLab handle", where)
        return [" ".join([pat, *hs]) for pat in pats]

    def where(self, e: Entry) -> Where:
        if e.source.kind == "path":
            return (e.source.file, e.source.line, "")
        return (e.source.file, None, "")  # the directory's name is the problem, not a line in it

    def map_lines(self) -> list[str]:
        out: list[str] = []
        kind = None
        titles = {
            "path": "# konfig.yaml ownership: paths outside projects (last match wins)",
            "project": "# projects: project.yaml owners",
            "stack": "# stacks with their own owners: stack.yaml owners",
            "owners-file": "# OWNERS files: their approvers, with those of the OWNERS above (Prow)",
        }
        for e in self.entries:
            if e.source.kind != kind:
                kind = e.source.kind
                if out:
                    out.append("")
                out.append(titles[kind])
            if e.description:
                out.append(f"# {text_line(e.description)}")
            out += self.line(Item.of_entry(e), e.owners, self.where(e))
        return out

    # -- GitLab sections for review rules ------------------------------------------

    def scope(self, rule: dict[str, Any], project: "Project | None") -> list[Item]:
        """What a rule covers: its paths, the stacks it selects, or the files that are both."""
        base = project.path if project is not None else ""
        globs = [Item("glob", str(g), base) for g in rule.get("paths") or []]
        when = rule.get("when")
        if when is None:
            if globs:
                return globs
            return [Item("dir", project.path)] if project is not None else [Item("glob", "**")]
        sel = Selector.from_mapping(when)
        stacks = project.stacks if project is not None else self.repo.stacks()
        chosen = sorted((s for s in stacks if sel.matches(s)), key=lambda s: s.path)
        items = list(dict.fromkeys(i for s in chosen for i in stack_scope(self.repo, s)))
        if not globs:
            return items
        dirs = {i.path for i in items if i.kind == "dir"}
        singles = {i.path for i in items if i.kind == "file"}
        files = []  # both: the files that are in a selected stack and match a glob
        for f in sorted(self.repo.source.files()):
            in_scope = f in singles or any(a in dirs for a in paths.ancestors(f)[1:-1])
            if in_scope and any(g.covers(f) for g in globs):
                files.append(Item("file", f))
        return files

    def owner_lines(self, item: Item, where: Where) -> list[str]:
        """``item`` owned as the map owns it: its own owners, then the map's entries inside it."""
        prefix = item.prefix
        out = self.line(item, self.map.of(prefix).owners, where)
        for i in self._inside(prefix):
            e = self.entries[i]
            inner = Item.of_entry(e)
            if inner != item and e.prefix != prefix and e.prefix and item.covers(paths.join(e.prefix, "x")):
                out += self.line(inner, e.owners, self.where(e))
        return out

    def _inside(self, prefix: str) -> list[int]:
        """Indexes (in map order) of the entries whose prefix is below ``prefix``."""
        if not prefix:
            return list(range(len(self.entries)))
        lo = bisect.bisect_left(self._by_prefix, (prefix + "/", -1))
        hi = bisect.bisect_left(self._by_prefix, (prefix + "0", -1))  # "0" sorts right after "/"
        return sorted(i for _, i in self._by_prefix[lo:hi])

    def section(self, name: str, rule: dict[str, Any], project: "Project | None",
                used: set[str], where: Where) -> list[str]:
        approvals = int(rule.get("approvals", 1))
        # A section name ends at the first ']' and is one line; GitLab combines names that
        # differ only in case, so each gets a number of its own.
        name = text_line(name).replace("[", "(").replace("]", ")")
        title = name
        n = 2
        while title.lower() in used:
            title = f"{name} ({n})"
            n += 1
        used.add(title.lower())
        head = f"[{title}]" + (f"[{approvals}]" if approvals > 1 else "")
        lines = []
        if rule.get("description"):
            lines.append(f"# {text_line(str(rule['description']))}")
        lines.append(head)
        items = self.scope(rule, project)
        if not items:
            lines.append("# (matches no file today)")
        frm = rule.get("from", "owners")
        for item in items:
            if frm == "owners":
                lines.extend(self.owner_lines(item, where))
            else:
                lines.extend(self.line(item, list(frm), where))
        return lines

    def gitlab_sections(self) -> list[str]:
        used = {"owners"}
        out: list[str] = []
        konfig = formats.KONFIG_FILE
        for i, rule in enumerate((self.repo.settings.get("review") or {}).get("rules") or []):
            line, _ = self.repo.position(konfig, ("review", "rules", i))
            if rule.get("keys") or rule.get("authors"):
                # a section would ask its approvers for every file it could touch: left to review
                out += ["", f"# {text_line(str(rule['name']))}: on changed keys or authors, which "
                            "CODEOWNERS cannot say; `konfig review` enforces it"]
                continue
            out += [""] + self.section(str(rule["name"]), rule, None, used,
                                       (konfig, line, f"review.rules[{i}]"))
        for project in sorted(self.repo.projects(), key=lambda p: p.path):
            review = project.review
            if review.get("approvals", 1) > 1:
                rule = {"approvals": review["approvals"], "from": "owners",
                        "description": f"project.yaml review.approvals of {project.path}"}
                line, _ = self.repo.position(project.file, ("review", "approvals"))
                out += [""] + self.section(f"{project.path} approvals", rule, project, used,
                                           (project.file, line, "review.approvals"))
            for i, rule in enumerate(review.get("rules") or []):
                line, _ = self.repo.position(project.file, ("review", "rules", i))
                out += [""] + self.section(f"{project.path} {rule['name']}", rule, project, used,
                                           (project.file, line, f"review.rules[{i}]"))
        return out


def stack_scope(repo: "Repository", stack: "Stack") -> list[Item]:
    """A stack's directory, and the project files that configure it (project.yaml, defaults.yaml above it)."""
    project = stack.project
    out = [Item("file", project.file)]
    parts = stack.path[len(project.path):].strip("/").split("/")
    d = project.path
    for seg in [""] + parts[:-1]:
        d = paths.join(d, seg)
        f = paths.join(d, formats.DEFAULTS_FILE)
        if repo.exists(f):
            out.append(Item("file", f))
    out.append(Item("dir", stack.path))
    return out


def render(repo: "Repository", target: str, omap: OwnershipMap | None = None) -> Result:
    """The CODEOWNERS text for ``target``, and what it leaves out because the platform cannot express it."""
    conf = target_settings(repo, target)
    em = _Emitter(repo, target, conf.get("org"), conf["path"], omap)
    command = f"konfig owners codeowners --target {target}"
    lines = _header(target, command) + [""]
    if target == "github":
        lines += em.map_lines()
    else:
        lines += ["[Owners]"] + em.map_lines() + em.gitlab_sections()
    text = "\n".join(lines).rstrip("\n") + "\n"
    return Result(target, conf["path"], text, em.unexpressed, em.problems)


def emit(repo: "Repository", target: str) -> str:
    """The CODEOWNERS text for ``target`` (what cannot be expressed is left out: see ``render``)."""
    return render(repo, target).text


def kept_targets(repo: "Repository") -> list[str]:
    """The targets whose CODEOWNERS file the repository keeps (it exists)."""
    return [t for t in TARGETS if repo.exists(target_settings(repo, t)["path"])]


def problems(repo: "Repository", targets: list[str] | None = None,
             omap: OwnershipMap | None = None) -> list[Problem]:
    """What the CODEOWNERS files of ``targets`` (default: the kept ones) cannot express, one problem each."""
    out: list[Problem] = []
    for t in kept_targets(repo) if targets is None else targets:
        out += render(repo, t, omap).problems
    return out
