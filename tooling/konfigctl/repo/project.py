"""A project: a directory under a root holding ``project.yaml``, owned by teams, using one model."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from .. import formats
from ..files import paths

if TYPE_CHECKING:
    from .view import RepoView
    from .stack import Stack


class Project:
    def __init__(self, repo: "RepoView", path: str, root: str) -> None:
        self.repo = repo
        self.path = path
        self.root = root  # the configured root it lives under (konfig/appops)
        self.stacks: list["Stack"] = []

    def __repr__(self) -> str:
        return f"Project({self.path!r})"

    @property
    def file(self) -> str:
        return paths.join(self.path, formats.PROJECT_FILE)

    @property
    def is_kcl(self) -> bool:
        """A project of KCL stacks only: its project.yaml names no model (Kusion-era Konfigs)."""
        return bool(self.stacks) and all(s.is_kcl for s in self.stacks)

    @cached_property
    def meta(self) -> dict[str, Any]:
        """``project.yaml`` checked against its format (``KonfigError`` if it is not)."""
        if self.is_kcl:
            return self.repo.check_format("kcl-project", self.file, "project")
        return formats.checked_name(self.repo.check_format("project", self.file), self.path, "project",
                                    self.file)

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.path.rsplit("/", 1)[-1])

    @property
    def description(self) -> str:
        return str(self.meta.get("description", ""))

    @property
    def model_name(self) -> str:
        if self.is_kcl:
            return ""  # KCL projects have no model
        return str(self.meta["model"])

    @property
    def owners(self) -> list[str]:
        return list(self.meta.get("owners", []))

    @property
    def labels(self) -> dict[str, Any]:
        return dict(self.meta.get("labels") or {})

    @property
    def namespace(self) -> str:
        return str(self.meta.get("namespace") or self.name)

    @property
    def review(self) -> dict[str, Any]:
        return dict(self.meta.get("review") or {})

    @property
    def org(self) -> str | None:
        """The first directory under the root, when the project is nested in one (its org or domain)."""
        rel = self.path[len(self.root) + 1 :] if self.root else self.path
        return rel.split("/", 1)[0] if "/" in rel else None

    @property
    def model(self) -> Any:
        return self.repo.model(self.model_name, self)
