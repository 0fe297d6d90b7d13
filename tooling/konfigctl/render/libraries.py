"""Shared renderer code: ``<base>/lib/<name>.py``, imported by renderers as ``konfiglib.<name>``.

Models repeat the same Kubernetes shapes (an env var from a secret, container
resources from the shared ``resources`` schema...). A platform team writes them
once in ``konfig/base/lib/`` and renderers import them::

    from konfiglib import kube
    from konfiglib.kube import env_var

Library modules are platform code under the same rules as renderers (read from
the repository at the revision being rendered, restricted builtins and
imports, a fresh module per stack) and flat: ``konfiglib.<name>``, no packages.

Which libraries a renderer uses is read from its source (``import`` statements:
renderers have no other way to import), transitively; that closure feeds the
test cache key and ``konfig affected`` (a library change affects the stacks of
the models whose renderers reach it).
"""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from ..files import paths
from ..repo.memo import Slot

if TYPE_CHECKING:
    from ..repo.repository import Repository

PACKAGE = "konfiglib"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def lib_dir(repo: "Repository") -> str:
    return paths.join(repo.base, "lib")


def lib_file(repo: "Repository", name: str) -> str:
    return paths.join(lib_dir(repo), f"{name}.py")


_IMPORTS: Slot[dict[str, list[tuple[str, int]]]] = Slot("library imports", dict)  # file -> its imports
_CLOSURES: Slot[dict[str, dict[str, tuple[str, ...]]]] = Slot("library closures", dict)


def imports(source: bytes | str) -> list[tuple[str, int]]:
    """The library modules ``source`` imports, each with the line of its import statement.

    ``[]`` for source that does not parse: compiling it reports that, with its line.
    ``konfiglib`` alone (``import konfiglib``) is ``("", line)``: it names no module.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    out.append((alias.name[len(PACKAGE) + 1:], node.lineno))
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module == PACKAGE:
                out.extend((alias.name, node.lineno) for alias in node.names)
            elif node.module.startswith(PACKAGE + "."):
                out.append((node.module[len(PACKAGE) + 1:], node.lineno))
    return out


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


def file_imports(repo: "Repository", rel: str) -> list[tuple[str, int]]:
    """``imports`` of a repository file, parsed once per repository (``KonfigError`` if unreadable)."""
    known = repo.memo.of(_IMPORTS)
    found = known.get(rel)
    if found is None:
        found = known[rel] = imports(repo.read(rel))
    return found


def closure(repo: "Repository", start: str) -> dict[str, tuple[str, ...]]:
    """Library files reachable by imports from ``start`` -> the files in between.

    ``start`` itself maps to ``()``. A library that is imported but missing is
    included (deleting it affects its importers) and ends the walk there, as
    an unreadable one does; loading the renderer reports both.
    """
    from ..errors import KonfigError

    known = repo.memo.of(_CLOSURES)
    if start in known:  # the renderer, the test cache key, the graph and the docs all ask
        return known[start]
    chains: dict[str, tuple[str, ...]] = {start: ()}
    todo = [start]
    while todo:
        cur = todo.pop(0)
        try:
            found = file_imports(repo, cur)
        except KonfigError:
            continue
        for name, _line in found:
            if not valid_name(name):
                continue
            target = lib_file(repo, name)
            if target not in chains:
                chains[target] = chains[cur] + (cur,)
                todo.append(target)
    known[start] = chains
    return chains
