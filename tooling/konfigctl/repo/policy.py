"""Policies: repository-wide rules over resolved configs (``konfig/base/policies/*.yaml``).

A policy checks one stack's resolved config against ``schema``, and with
``requires`` it may also ask for another stack: every stack ``when`` selects
needs one that matches ``requires`` and shares the attributes named in
``same`` with it ("every prod service has an SLO stack":
``requires: {model: slo, same: [project, env]}``).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..errors import KonfigError
from .selector import Selector

if TYPE_CHECKING:
    from .view import RepoView
    from .stack import Stack


class Policy:
    def __init__(self, repo: "RepoView", file: str) -> None:
        self.repo = repo
        self.file = file

    def __repr__(self) -> str:
        return f"Policy({self.name!r})"

    @cached_property
    def meta(self) -> dict[str, Any]:
        return self.repo.check_format("policy", self.file)

    @property
    def name(self) -> str:
        stem = self.file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        return str(self.meta.get("name") or stem)

    @property
    def description(self) -> str:
        return str(self.meta.get("description", ""))

    @property
    def severity(self) -> str:
        return str(self.meta.get("severity", "error"))

    @cached_property
    def selector(self) -> Selector:
        return Selector.from_mapping(self.meta.get("when"))

    def selects(self, stack: "Stack") -> bool:
        return self.selector.matches(stack)

    @cached_property
    def validator(self) -> Any:
        """The compiled ``schema``; None for a policy that only ``requires`` a stack."""
        if "schema" not in self.meta:
            return None
        return self.repo.build_validator(self.meta["schema"], self.file, prefix=("schema",))

    @cached_property
    def requirement(self) -> "Requirement | None":
        req = self.meta.get("requires")
        if req is None:
            return None
        data = {k: v for k, v in req.items() if k != "same"}
        return Requirement(Selector.from_mapping(data), tuple(req.get("same") or ()))


SAME_KEYS = ("project", "org", "env")  # and label.<key>
LABEL_PREFIX = "label."


@dataclasses.dataclass(frozen=True)
class Requirement:
    """``requires:`` of a policy: a stack matching ``selector`` that shares ``same`` with the selected one."""

    selector: Selector
    same: tuple[str, ...]

    def key(self, stack: "Stack") -> tuple[Any, ...]:
        """The values of the ``same`` attributes of ``stack`` (a label that is not set is None)."""
        out: list[Any] = []
        for attr in self.same:
            if attr.startswith(LABEL_PREFIX):
                value = stack.labels.get(attr[len(LABEL_PREFIX):])
                out.append(None if value is None else str(value))
            elif attr == "project":
                out.append(stack.project.path)
            elif attr == "org":
                out.append(stack.project.org)
            else:
                out.append(stack.env)
        return tuple(out)

    def scope(self, repo: "RepoView", stack: "Stack") -> list["Stack"]:
        """The stacks that could share the ``same`` attributes with ``stack`` (its project's,
        when ``project`` is one of them: no other stack.yaml is read)."""
        if "project" in self.same:
            return list(stack.project.stacks)
        if "org" in self.same:
            return [s for s in repo.stacks() if s.project.org == stack.project.org]
        return repo.stacks()

    def matches(self, stack: "Stack") -> bool:
        """Whether ``stack`` can satisfy the requirement; one that does not load counts as
        matching (its own problem is reported, not a second one about it)."""
        try:
            return self.selector.matches(stack)
        except KonfigError:
            return True

    def satisfied_by(self, repo: "RepoView", stack: "Stack") -> list["Stack"]:
        """The stacks that meet the requirement for ``stack`` (never ``stack`` itself)."""
        return self.peers(repo, stack, self.matches)

    def peers(self, repo: "RepoView", stack: "Stack", keep: Callable[["Stack"], bool]) -> list["Stack"]:
        """The other stacks that share the ``same`` attributes with ``stack`` and pass ``keep``:
        those that meet its requirement (``satisfied_by``), or, the other way round, those
        ``stack`` meets it for (``change.graph``'s ``required_by``)."""
        try:
            key: tuple[Any, ...] | None = self.key(stack)
        except KonfigError:
            key = None  # unreadable: any match will do (its own problem is reported)
        out = []
        for other in self.scope(repo, stack):
            if other.path == stack.path or not keep(other):
                continue
            try:
                if key is not None and self.key(other) != key:
                    continue
            except KonfigError:
                pass
            out.append(other)
        return out

    def describe(self) -> str:
        what = self.selector.describe()
        if not self.same:
            return f"a stack with {what}"
        names = [a[len(LABEL_PREFIX):] + " label" if a.startswith(LABEL_PREFIX) else a for a in self.same]
        both = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"a stack with {what} and the same {both}"
