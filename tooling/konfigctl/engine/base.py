"""What an engine decides for its stacks, and nothing else (``konfigctl.engine``'s docstring)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Problem
from ..files import paths
from ..render import golden

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.stack import Stack


class Engine:
    """One way of writing stacks. Methods take the repository (a work tree or a git revision)
    and the stack; failures are ``KonfigError`` (bad input, exit 2) or ``RenderError``
    (the stack fails, exit 1), as for YAML stacks."""

    name = "?"
    golden_name = "golden.yaml"  # relative to the stack directory
    # ``explain``: which layer set each value. None: it can; else why not, and what to use.
    unexplained: str | None = None

    def golden_file(self, stack: "Stack") -> str:
        return paths.join(stack.path, self.golden_name)

    def resolve(self, repo: "Repository", stack: "Stack", overrides: list[str] | tuple[str, ...] = ()) -> Any:
        """What ``konfig resolve`` prints: the stack's configuration."""
        raise NotImplementedError

    def render(self, repo: "Repository", stack: "Stack", config: Any = None) -> list[dict[str, Any]]:
        """The resources, in the form its golden file holds (``config``: from ``resolve``)."""
        raise NotImplementedError

    def problems(self, repo: "Repository", stack: "Stack",
                 overrides: list[str] | tuple[str, ...] = ()) -> list[Problem] | None:
        """The stack's validation problems; None: the model schema and policies (``check``)."""
        return None

    def manifests(self, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The Kubernetes manifests among ``resources`` (what ``render --out`` writes and
        what is checked against the Kubernetes schemas)."""
        return resources

    def unknown_kind_is_warning(self, stack: "Stack", resource: dict[str, Any]) -> bool:
        """Whether a manifest of a kind with no schema is only a warning."""
        return False

    def inputs(self, repo: "Repository", stack: "Stack") -> list[str] | None:
        """Every file the stack is compiled from; None: its layers (the graph's rules)."""
        return None

    # the golden file: its form, and the semantic comparison
    def golden_parse(self, data: bytes, file: str) -> list[Any]:
        return golden.parse(data, file)

    def golden_same(self, expected: list[Any], actual: list[Any]) -> bool:
        return golden.same(expected, actual)

    def golden_diff(self, expected: list[Any], actual: list[Any], file: str) -> str:
        return golden.diff(expected, actual, file)

    def golden_text(self, stack: "Stack", resources: list[dict[str, Any]]) -> str:
        return golden.text(stack.path, resources)
