"""Teams and users (``konfig/base/teams.yaml``): who is behind an owner name.

An owner is a team name or ``@user``. A team's members are users or other
teams (like a mail alias file); membership is transitive and a cycle is an
error that names the loop. Users are matched case-insensitively (GitHub and
GitLab logins are), by their name or by the ``github``/``gitlab`` handle
declared for them, so CI can pass the platform's login.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ..errors import KonfigError, Problem, clip, quote
from .memo import Slot

if TYPE_CHECKING:
    from .view import RepoView

TARGETS = ("github", "gitlab")
_TEAMS: Slot[Teams] = Slot("teams")  # the revision's teams.yaml, loaded once


def is_user(owner: str) -> bool:
    return owner.startswith("@")


def as_user(name: str) -> str:
    """``alice`` or ``@alice`` -> ``@alice``."""
    name = name.strip()
    return name if name.startswith("@") else "@" + name


@dataclasses.dataclass(frozen=True)
class Team:
    name: str
    members: tuple[str, ...]
    description: str = ""
    github: str | None = None
    gitlab: str | None = None
    line: int | None = None

    def handle(self, target: str) -> str | None:
        return self.github if target == "github" else self.gitlab


class Teams:
    """The teams and users of one revision of a Konfig."""

    def __init__(self, teams: dict[str, Team], users: dict[str, dict[str, Any]],
                 file: str = "teams.yaml", user_lines: dict[str, int] | None = None) -> None:
        self.file = file
        self.teams = teams
        self.users = {as_user(k): dict(v or {}) for k, v in users.items()}  # "@alice" -> handles
        self._user_lines = {as_user(k): v for k, v in (user_lines or {}).items()}
        self._members: dict[str, frozenset[str]] = {}
        self._lookup: dict[str, str] | None = None

    # -- loading ---------------------------------------------------------------

    @classmethod
    def load(cls, repo: "RepoView") -> "Teams":
        """teams.yaml of ``repo`` (no file: no teams), checked against its format, cached.

        A file that does not load -- a wrong type, a cycle of teams -- is a
        ``KonfigError`` (exit 2) for every command that reads ownership;
        ``validate`` and ``test`` show it as a warning (``validation.warnings``).
        """
        cached = repo.memo.get(_TEAMS)
        if cached is not None:
            return cached
        rel = repo.teams_file
        if not repo.exists(rel):
            teams = cls({}, {}, rel)
        else:
            data = repo.check_format("teams", rel, "teams")
            doc = repo.document(rel, positions=True)
            teams = cls.from_data(data, rel, lambda path: (doc.position(path) or (None, None))[0])
            for loop in teams.cycles()[:1]:
                # nobody's membership can be answered through it: bad input, not a finding
                line, col = doc.position(("teams", loop[0])) or (None, None)
                raise KonfigError(f"team cycle: {' -> '.join(loop)}", file=rel, line=line, col=col,
                                  keypath=f"teams.{loop[0]}")
        return repo.memo.put(_TEAMS, teams)

    @classmethod
    def from_data(cls, data: dict[str, Any], file: str = "teams.yaml",
                  line_of: Any = None) -> "Teams":
        def line(path: tuple[Any, ...]) -> int | None:
            return line_of(path) if line_of else None

        teams: dict[str, Team] = {}
        for name, spec in (data.get("teams") or {}).items():
            if isinstance(spec, list):
                teams[name] = Team(name, tuple(spec), line=line(("teams", name)))
            else:
                spec = spec or {}
                teams[name] = Team(
                    name, tuple(spec.get("members") or ()), str(spec.get("description", "")),
                    spec.get("github"), spec.get("gitlab"), line(("teams", name)),
                )
        users = dict(data.get("users") or {})
        lines = {name: line(("users", name)) for name in users}
        return cls(teams, users, file, {k: v for k, v in lines.items() if v})

    # -- questions -------------------------------------------------------------

    def is_team(self, name: str) -> bool:
        return name in self.teams

    def members(self, team: str) -> frozenset[str]:
        """Every user of ``team``, through nested teams. A cycle is a ``KonfigError``."""
        done = self._members.get(team)
        if done is not None:
            return done
        out: set[str] = set()
        self._collect(team, out, [])
        result = frozenset(out)
        self._members[team] = result
        return result

    def _collect(self, team: str, out: set[str], path: list[str]) -> None:
        if team in path:
            loop = path[path.index(team):] + [team]
            t = self.teams[loop[0]]
            raise KonfigError(f"team cycle: {' -> '.join(loop)}", file=self.file, line=t.line,
                              keypath=f"teams.{loop[0]}")
        spec = self.teams.get(team)
        if spec is None:
            return
        path.append(team)
        for m in spec.members:
            if is_user(m):
                out.add(self.canonical(m))
            elif m in self.teams:
                done = self._members.get(m)
                if done is not None:
                    out.update(done)
                else:
                    self._collect(m, out, path)
        path.pop()

    def expand(self, owner: str) -> frozenset[str]:
        """The users behind an owner: a team's members, or the user itself."""
        if is_user(owner):
            return frozenset({self.canonical(owner)})
        if owner in self.teams:
            return self.members(owner)
        return frozenset()

    def expand_all(self, owners: list[str] | tuple[str, ...]) -> frozenset[str]:
        out: set[str] = set()
        for o in owners:
            out |= self.expand(o)
        return frozenset(out)

    def known_users(self) -> set[str]:
        """Users declared under ``users:`` or named as a member of some team."""
        out = set(self.users)
        for t in self.teams.values():
            out.update(self.canonical(m) for m in t.members if is_user(m))
        return out

    def _index(self) -> dict[str, str]:
        if self._lookup is None:
            idx: dict[str, str] = {}
            names = sorted(self.users) + sorted(
                m for t in self.teams.values() for m in t.members if is_user(m))
            for name in names:
                idx.setdefault(name.lower(), name)
            # handles second, so a name always wins over someone else's handle
            for name, spec in sorted(self.users.items()):
                for target in TARGETS:
                    h = spec.get(target)
                    if h:
                        idx.setdefault(as_user(str(h)).lower(), name)
            self._lookup = idx
        return self._lookup

    def canonical(self, user: str) -> str:
        """The user as teams.yaml spells it (case and handles folded), else ``@user``."""
        u = as_user(user)
        return self._index().get(u.lower(), u)

    def find_user(self, name: str, extra: set[str] | None = None) -> str | None:
        """A known user by name or platform handle, with or without ``@``; else None.

        ``extra`` adds users known elsewhere (named directly as owners).
        """
        u = as_user(name)
        hit = self._index().get(u.lower())
        if hit is not None:
            return hit
        for e in extra or ():
            if e.lower() == u.lower():
                return e
        return None

    def describe(self, owner: str) -> str:
        """``web (@bob, @carol)`` -- an owner and the people behind it."""
        if is_user(owner) or owner not in self.teams:
            return owner
        try:
            people = sorted(self.members(owner))
        except KonfigError:
            return owner
        return f"{owner} ({', '.join(people)})" if people else f"{owner} (no members)"

    # -- checks ---------------------------------------------------------------

    def cycles(self) -> list[list[str]]:
        """Each distinct cycle once, as ``[a, b, a]`` starting from its smallest team name."""
        found: dict[tuple[str, ...], list[str]] = {}
        state: dict[str, int] = {}  # 1 on the current path, 2 finished

        def visit(team: str, path: list[str]) -> None:
            state[team] = 1
            path.append(team)
            for m in self.teams[team].members:
                if is_user(m) or m not in self.teams:
                    continue
                if state.get(m) == 1:
                    loop = path[path.index(m):]
                    i = loop.index(min(loop))
                    norm = tuple(loop[i:] + loop[:i])
                    found.setdefault(norm, list(norm) + [norm[0]])
                elif state.get(m) is None:
                    visit(m, path)
            path.pop()
            state[team] = 2

        for name in sorted(self.teams):
            if state.get(name) is None:
                visit(name, [])
        return [found[k] for k in sorted(found)]

    def problems(self) -> list[Problem]:
        """Cycles, members that are neither ``@user`` nor a team, teams without members."""
        out: list[Problem] = []
        for loop in self.cycles():
            t = self.teams[loop[0]]
            out.append(Problem(f"team cycle: {' -> '.join(loop)}", file=self.file, line=t.line,
                               keypath=f"teams.{loop[0]}", check="owners"))
        for name in sorted(self.teams):
            t = self.teams[name]
            for m in t.members:
                if not is_user(m) and m not in self.teams:
                    out.append(Problem(
                        f"unknown member {quote(m)}: not a team (write users as @{clip(m)})",
                        file=self.file, line=t.line, keypath=f"teams.{name}.members", check="owners"))
            if not t.members:
                out.append(Problem(f"team {name} has no members: nobody can approve for it",
                                   file=self.file, line=t.line, keypath=f"teams.{name}",
                                   check="owners"))
        return out

    # -- platform handles -------------------------------------------------------

    def user_handle(self, user: str, target: str) -> str:
        u = self.canonical(user)
        h = self.users.get(u, {}).get(target)
        return as_user(str(h)) if h else u

    def handles(self, owner: str, target: str, org: str | None = None,
                _seen: frozenset[str] = frozenset()) -> list[str]:
        """CODEOWNERS handles for an owner on ``target`` (github | gitlab).

        A team with a declared handle uses it; else ``@org/<team>`` when an org
        is configured; else its members, recursively (a team has no handle of its
        own on that platform, but its people do).
        """
        if is_user(owner):
            return [self.user_handle(owner, target)]
        t = self.teams.get(owner)
        if t is None or owner in _seen:
            return []
        h = t.handle(target)
        if h:
            return [h]
        if org:
            return [f"@{org}/{owner}"]
        out: list[str] = []
        for m in t.members:
            if is_user(m) or m in self.teams:
                for x in self.handles(m, target, org, _seen | {owner}):
                    if x not in out:
                        out.append(x)
        return out
