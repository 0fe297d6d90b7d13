"""The Konfig as the editor sees it: the work tree with the open buffers laid over it.

``Workspace`` holds a base ``Repository`` read from disk and the text of the
open buffers. ``view()`` is that repository with every buffer that differs
from its file laid over it (``Repository.with_changes``: an in-memory
``Overlay`` source, so nothing is ever written), rebuilt only when a buffer
changes, and built with ``keep_parsed``: the files no buffer touches keep
their parsed documents and the models their compiled validators, so an edit
costs the stacks it reaches, not the repository. The base is read again
(``refresh``) when files change on disk (a save, a checkout).

It knows nothing of the protocol: paths are repo-relative, lines 0-based.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import KonfigError
from ..files import paths

if TYPE_CHECKING:
    from ..repo.project import Project
    from ..repo.repository import Repository
    from ..repo.stack import Stack


class Cancelled(Exception):
    """A newer edit made this computation pointless."""


NEVER: Callable[[], bool] = lambda: False  # noqa: E731 - the cancel check of a run nobody cancels


class Workspace:
    """A Konfig's work tree and the editor's unsaved buffers over it."""

    def __init__(self, repo: "Repository") -> None:
        self.root = repo.root
        self._base = repo
        self._fresh = False
        self.buffers: dict[str, str] = {}
        self._view: "Repository | None" = None
        self._last: tuple["Repository | None", dict[str, bytes | None]] = (None, {})

    # -- buffers ------------------------------------------------------------------

    def rel(self, abspath: str) -> str | None:
        """The repo-relative path of a file of this Konfig, or None for a file outside it."""
        full = os.path.realpath(abspath)
        root = os.path.realpath(self.root)
        if full != root and not full.startswith(root + os.sep):
            return None
        rel = os.path.relpath(full, root).replace(os.sep, "/")
        return None if rel == "." else rel

    def set_buffer(self, rel: str, text: str) -> None:
        if self.buffers.get(rel) != text:
            self.buffers[rel] = text
            self._view = None

    def close(self, rel: str) -> None:
        if self.buffers.pop(rel, None) is not None:
            self._view = None

    def refresh(self) -> None:
        """Files changed on disk (a save, a checkout, a new file): read the work tree again."""
        from ..repo.repository import Repository

        self._base = Repository(self.root, listings=self._base.listings)
        self._view = None
        self._last = (None, {})

    @property
    def base(self) -> "Repository":
        return self._base

    def view(self) -> "Repository":
        """The repository as the editor shows it: each buffer that differs from disk laid over it."""
        if self._view is None:
            base = self._base
            changes: dict[str, bytes | None] = {}
            for rel, text in self.buffers.items():
                data = text.encode("utf-8")
                try:
                    on_disk = base.read(rel)
                except KonfigError:
                    on_disk = None
                if data != on_disk:
                    changes[rel] = data
            if changes:
                try:
                    base.stacks()  # discovered once, on the base: every view reuses it
                except KonfigError:
                    pass
                view = base.with_changes(changes, keep_parsed=True)
                prev, prev_changes = self._last
                if prev is not None and prev is not base:
                    # what the last view parsed of the files this edit leaves alone: the stacks
                    # below a shared layer being typed in are parsed once, not per keystroke
                    view.keep_parsed_from(prev, lambda rel: changes.get(rel) == prev_changes.get(rel))
                self._view = view
            else:
                self._view = base
            self._last = (self._view, changes)
        return self._view

    def text(self, rel: str) -> str:
        """What the editor shows of a file: its buffer, else the file on disk ("" if unreadable)."""
        if rel in self.buffers:
            return self.buffers[rel]
        try:
            return self.view().read(rel).decode("utf-8", "replace")
        except KonfigError:
            return ""

    # -- what a file is -------------------------------------------------------------

    def stacks_of(self, rel: str) -> list["Stack"]:
        """The stacks ``rel`` is a layer or a part of (the graph's reverse edges, rule by rule).

        None for the global files (``konfig.yaml``, ``teams.yaml``...): they are
        part of every stack, and checking every stack per keystroke is not an
        editor's job (``konfig validate --all`` is).
        """
        from ..change.graph import Graph

        view = self.view()
        graph = Graph.of(view)
        if graph.is_global(rel):
            return []
        try:
            found = graph.dependents(rel)
        except KonfigError:
            return []
        seen: set[str] = set()
        out = []
        for stack, _reason in found:
            if stack.path not in seen:
                seen.add(stack.path)
                out.append(stack)
        return out

    def stack_file_of(self, rel: str) -> "Stack | None":
        """The stack whose ``stack.yaml`` ``rel`` is."""
        if paths.parent(rel) and rel.rsplit("/", 1)[-1] == formats.STACK_FILE:
            return self.view().stack_at(paths.parent(rel))
        return None

    def project_file_of(self, rel: str) -> "Project | None":
        if rel.rsplit("/", 1)[-1] == formats.PROJECT_FILE:
            return self.view().project_at(paths.parent(rel))
        return None

    def layer_prefix(self, rel: str) -> tuple[Any, ...] | None:
        """Where the config sits in ``rel`` when it is a layer: ``("config",)`` in a stack.yaml,
        ``()`` in the other layers; None for a file that is no layer."""
        view = self.view()
        if self.stack_file_of(rel) is not None:
            return ("config",)
        name = rel.rsplit("/", 1)[-1]
        base = view.base
        if name == formats.DEFAULTS_FILE and (view.has_defaults(rel) or paths.is_within(rel, base)):
            return ()
        if paths.is_within(rel, paths.join(base, "envs")) and rel.endswith(".yaml"):
            return ()
        parts = rel.split("/")
        models = paths.join(base, "models")
        if paths.is_within(rel, models) and len(parts) >= 2 and parts[-2] == "envs":
            return ()
        return None

    def models_for(self, rel: str, stacks: list["Stack"] | None = None) -> list[str]:
        """The models whose schema describes the config of layer ``rel``: the stack's, the
        model's own files', or those of the stacks below a shared layer."""
        view = self.view()
        models = paths.join(view.base, "models")
        if paths.is_within(rel, models):
            name = rel[len(models) + 1:].split("/", 1)[0]
            return [name] if name in view.model_names() else []
        out: list[str] = []
        for stack in stacks if stacks is not None else self.stacks_of(rel):
            try:
                name = stack.model_name
            except KonfigError:
                continue
            if name not in out:
                out.append(name)
        if not out and paths.is_within(rel, paths.join(view.base, "envs")):
            out = view.model_names()  # a base env profile nobody uses yet: any model
        return out

    def format_of(self, rel: str) -> str | None:
        """Which of konfig's own file formats ``rel`` is (``stack``, ``project``, ``konfig``...), if any."""
        name = rel.rsplit("/", 1)[-1]
        if rel == formats.KONFIG_FILE:
            return "konfig"
        if self.stack_file_of(rel) is not None:
            return "stack"
        if self.project_file_of(rel) is not None:
            return "project"
        view = self.view()
        if rel == view.teams_file:
            return "teams"
        if paths.is_within(rel, paths.join(view.base, "policies")) and name.endswith((".yaml", ".yml")):
            return "policy"
        return None


def format_schemas_at(fmt: str, path: tuple[Any, ...]) -> list[tuple[dict[str, Any], str]]:
    """The schemas at ``path`` of a konfig file format (its JSON Schema, ``$ref`` into ``$defs``)."""
    root = formats.format_schema(fmt)

    def expand(node: Any, depth: int = 0) -> list[dict[str, Any]]:
        if not isinstance(node, dict) or depth > 16:
            return []
        out = [node]
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target.get(part) if isinstance(target, dict) else None
            out.extend(expand(target, depth + 1))
        for comb in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(comb) or []:
                out.extend(expand(sub, depth + 1))
        return out

    current = expand(root)
    for seg in path:
        nxt = []
        for node in current:
            if isinstance(seg, str):
                props = node.get("properties") or {}
                if seg in props:
                    nxt.extend(expand(props[seg]))
                elif isinstance(node.get("additionalProperties"), dict):
                    nxt.extend(expand(node["additionalProperties"]))
            elif isinstance(node.get("items"), dict):
                nxt.extend(expand(node["items"]))
        current = nxt
    return [(n, "") for n in current]
