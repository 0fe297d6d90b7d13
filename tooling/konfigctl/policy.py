"""Policies: repository-wide rules over resolved configs (``konfig/base/policies/*.yaml``)."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from .selector import Selector

if TYPE_CHECKING:
    from .repository import Repository
    from .stack import Stack


class Policy:
    def __init__(self, repo: "Repository", file: str) -> None:
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
        return self.repo.build_validator(self.meta["schema"], self.file, prefix=("schema",))
