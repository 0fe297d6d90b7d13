"""The YAML engine: a stack is the merge of its layers, rendered by its model's ``render.py``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Engine

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.stack import Stack


class YamlEngine(Engine):
    name = "yaml"

    def resolve(self, repo: "Repository", stack: "Stack", overrides: list[str] | tuple[str, ...] = ()) -> Any:
        from ..resolve.merge import resolve

        return resolve(repo, stack, overrides).config

    def render(self, repo: "Repository", stack: "Stack", config: Any = None) -> list[dict[str, Any]]:
        from ..render.renderer import render_stack

        return render_stack(repo, stack, config)


ENGINE = YamlEngine()
