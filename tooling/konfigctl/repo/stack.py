"""A stack: a directory inside a project holding ``stack.yaml`` -- one env, cluster or region."""
from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import KonfigError
from ..files import paths

if TYPE_CHECKING:
    from .project import Project
    from .view import RepoView


@dataclasses.dataclass(frozen=True)
class StackInfo:
    """What a renderer is told about the stack besides its configuration (plain data)."""

    name: str
    path: str
    project: str
    project_path: str
    org: str | None
    env: str | None
    model: str
    namespace: str
    labels: dict[str, Any]
    kubernetes_version: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Stack:
    """A stack; ``engine`` says how it is written: ``yaml`` (layers) or ``kcl`` (a directory
    holding ``kcl.yaml``, found by discovery from the file names alone)."""

    def __init__(self, repo: "RepoView", path: str, project: "Project", engine: str = "yaml") -> None:
        self.repo = repo
        self.path = path
        self.project = project
        self.engine = engine

    def __repr__(self) -> str:
        return f"Stack({self.path!r})"

    @property
    def file(self) -> str:
        return paths.join(self.path, formats.STACK_FILE)

    @property
    def golden_file(self) -> str:
        if self.engine == "kcl":
            return paths.join(self.path, formats.KCL_GOLDEN_FILE)
        return paths.join(self.path, formats.GOLDEN_FILE)

    @property
    def is_kcl(self) -> bool:
        return self.engine == "kcl"

    @cached_property
    def meta(self) -> dict[str, Any]:
        """``stack.yaml`` checked against its format (``KonfigError`` if it is not)."""
        if self.is_kcl:  # as Kusion-era Konfigs write it: names need not be DNS labels
            return self.repo.check_format("kcl-stack", self.file, "stack")
        meta = formats.checked_name(self.repo.check_format("stack", self.file), self.path, "stack", self.file)
        env = meta.get("env")
        envs = self.repo.settings["envs"]
        if env is not None and env not in envs:
            doc = self.repo.document(self.file, positions=True)
            line, col = doc.position(("env",)) or (None, None)
            raise KonfigError(
                f"unknown env {env!r} (konfig.yaml envs: {', '.join(envs)})",
                file=self.file, line=line, col=col, keypath="env",
            )
        return meta

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.path.rsplit("/", 1)[-1])

    @property
    def env(self) -> str | None:
        env = self.meta.get("env")
        return str(env) if env is not None else None

    @property
    def labels(self) -> dict[str, Any]:
        """Project labels overlaid by the stack's own."""
        out = self.project.labels
        out.update(self.meta.get("labels") or {})
        return out

    @property
    def depends_on(self) -> list[str]:
        return list(self.meta.get("depends_on") or [])

    @property
    def owners(self) -> list[str]:
        return list(self.meta.get("owners") or [])

    @property
    def inherit_owners(self) -> bool:
        return bool(self.meta.get("inherit_owners", True))

    @property
    def model_name(self) -> str:
        """The stack's own ``model:`` if it sets one, else its project's.

        Most stack.yaml files name no model: their bytes tell, so selecting by
        model (policies, ``--selector model=``) costs no parse for them.
        """
        if self.is_kcl:
            return ""  # KCL stacks have no model: their code is what they are
        if "meta" not in self.__dict__:
            raw = self.repo.read(self.file)
            if b"model" not in raw and b"\\" not in raw:
                return self.project.model_name
        own = self.meta.get("model")
        return str(own) if own is not None else self.project.model_name

    @property
    def own_model(self) -> bool:
        """Whether the stack uses another model than its project's (``model:`` in stack.yaml).

        Such a stack's layers are its model's defaults and env profiles, then
        its stack.yaml: the ``defaults.yaml`` files above it are written for
        the project's model, so they are not layers of it.
        """
        return self.model_name != self.project.model_name

    @property
    def model(self) -> Any:
        """The stack's ``Model``; an unknown one is an error at the ``model:`` that names it."""
        where = self if self.model_name != self.project.model_name else self.project
        return self.repo.model(self.model_name, where)  # type: ignore[arg-type]

    @property
    def relative_name(self) -> str:
        """The stack's path inside its project (``prod`` or ``prod/eu-west-1``)."""
        return self.path[len(self.project.path) + 1 :]

    def info(self) -> StackInfo:
        return StackInfo(
            name=self.name,
            path=self.path,
            project=self.project.name,
            project_path=self.project.path,
            org=self.project.org,
            env=self.env,
            model=self.model_name,
            namespace=self.project.namespace,
            labels=self.labels,
            kubernetes_version=str(self.repo.settings["kubernetes_version"]),
        )
