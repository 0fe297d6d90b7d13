"""What the concepts read of their repository: the ``RepoView`` Protocol, and what a selector reads of a stack.

``Project``, ``Stack``, ``Model``, ``Policy``, ``Teams`` and the helpers
beside them (``order``, ``peek``) are built by ``Repository`` and keep a
reference to it; typed against the whole class they would form a circle with
it (``repository`` imports them to build them). They are typed against this
view instead: the members of one revision they actually use -- bytes and
parsed documents, the settings, the schema and validator machinery, the
discovered stacks and the per-revision memo. ``Repository`` provides it; so
can anything else that reads one revision (a test double, another engine's
repository). It is read-only: nothing here writes.

``Selectable`` is what ``Selector.matches`` reads of a stack, so policies,
review rules and ``--selector`` can judge anything that has those
attributes, not only a ``Stack`` of this package.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..files.source import Source
    from ..yamlio import Document
    from .memo import Memo
    from .model import Model
    from .project import Project
    from .stack import Stack


class RepoView(Protocol):
    """One revision of a Konfig, as its concepts read it (``repository.Repository`` is one)."""

    root: str
    source: "Source"
    memo: "Memo"

    @property
    def settings(self) -> dict[str, Any]: ...  # konfig.yaml with defaults
    @property
    def base(self) -> str: ...  # konfig/base
    @property
    def teams_file(self) -> str: ...

    def read(self, rel: str) -> bytes: ...
    def exists(self, rel: str) -> bool: ...
    def document(self, rel: str, positions: bool = False) -> "Document": ...
    def position(self, rel: str, path: tuple[Any, ...]) -> tuple[int | None, int | None]: ...
    def check_format(self, name: str, rel: str, what: str | None = None) -> dict[str, Any]: ...

    def stacks(self) -> list["Stack"]: ...
    def stack_at(self, path: str) -> "Stack | None": ...
    def model(self, name: str, project: "Project | None" = None) -> "Model": ...

    def schema_document(self, rel: str) -> Any: ...
    def schema_closure(self, rel: str, strict: bool = False, root: Any = None,
                       prefix: tuple[Any, ...] = ()) -> list[str]: ...
    def build_validator(self, schema: dict[str, Any], file: str, prefix: tuple[Any, ...] = ()) -> Any: ...


class SelectableProject(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def org(self) -> str | None: ...


class Selectable(Protocol):
    """What ``Selector.matches`` reads: a stack's model, env, place, name and labels."""

    @property
    def model_name(self) -> str: ...
    @property
    def env(self) -> str | None: ...
    @property
    def path(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def labels(self) -> dict[str, Any]: ...
    @property
    def project(self) -> SelectableProject: ...
