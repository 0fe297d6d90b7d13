"""The files a KCL stack is compiled from: its compile files and their imports, transitively.

Pure Python, no kcl-lib: ``import a.b.c [as x]`` statements at the start of a
line (column 0: KCL imports are top-level statements, and an indented
``import`` is the text of a docstring -- counting those made 11 of 28 real
closures wrong). ``a.b.c`` is a package -- the directory ``a/b/c`` below the
module root (the directory of ``kcl.mod``), every ``*.k`` in it but
``*_test.k`` -- or the file ``a/b/c.k``; a leading ``.`` is relative to the
importing file's directory (``..`` its parent). A name that resolves to
neither is a built-in or external module (``file``, ``manifests``, ``k8s``)
and ties no file. The closures agreed with ``kcl parse_program`` on 28 of 28
real stacks (DESIGN.md "KCL stacks").

Files are read through the repository's ``Source``, so a git revision's
closure is that revision's.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import KonfigError
from ..files import paths

if TYPE_CHECKING:
    from ..repo.repository import Repository

IMPORT = re.compile(rb"^import[ \t]+(\.*[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)", re.M)


def imported_names(source: bytes) -> list[str]:
    """The module names of the file's column-0 ``import`` statements."""
    return [m.group(1).decode() for m in IMPORT.finditer(source)]


def _package_files(repo: "Repository", directory: str) -> list[str]:
    for _rel, _dirs, files in repo.source.walk(directory):
        return sorted(paths.join(directory, f) for f in files if f.endswith(".k") and not f.endswith("_test.k"))
    return []


def resolve_import(repo: "Repository", name: str, importer: str, mod_root: str) -> list[str]:
    """The files ``import name`` in ``importer`` ties (empty: a built-in or external module)."""
    dots = len(name) - len(name.lstrip("."))
    parts = name[dots:].split(".")
    if dots:
        start = paths.parent(importer)
        for _ in range(dots - 1):
            start = paths.parent(start)
    else:
        start = mod_root
    try:
        rel = paths.normalize(paths.join(start, *parts))
    except KonfigError:
        return []  # outside the repository: nothing of it can change here
    if repo.exists(rel + ".k") and not repo.source.isdir(rel + ".k"):
        return [rel + ".k"]
    if repo.source.isdir(rel):
        return _package_files(repo, rel)
    return []


def closure(repo: "Repository", files: list[str], mod_root: str) -> dict[str, tuple[str, ...]]:
    """Every file reached from ``files`` -> the chain of files it was reached through
    (``()`` for the compile files themselves). Unreadable files are kept (the compile
    reports them) and end their chain."""
    out: dict[str, tuple[str, ...]] = {f: () for f in files}
    todo = list(files)
    while todo:
        file = todo.pop()
        try:
            raw = repo.read(file)
        except KonfigError:
            continue
        for name in imported_names(raw):
            for dep in resolve_import(repo, name, file, mod_root):
                if dep not in out:
                    out[dep] = out[file] + (file,)
                    todo.append(dep)
    return out
