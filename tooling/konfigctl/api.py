"""The Python API: what the ``konfig`` commands do, for scripts and bots.

The functions here are the ones the CLI calls (through ``konfigctl.commands``),
with Python values in and out instead of text. Every function takes ``repo``:
a ``Repository``, a path inside one, or ``None`` for the repository around the
working directory. Stacks are named as on the command line (repo path,
relative path or unique suffix) or passed as ``Stack`` objects.

An image-bump bot::

    from konfigctl import api

    result = api.set("payments/checkout/prod/us-east-1", ["image=registry.acme.io/checkout:2.15.0"])
    print(result.file, result.changed)

    # or, on any file by path, in the spirit of KCL's OverrideFile:
    api.override_file("konfig/appops/payments/checkout/defaults.yaml",
                      ["image=registry.acme.io/checkout:2.15.0"])

Bad input raises ``KonfigError`` (with ``file``/``line``/``keypath``); an edit
that would make a stack invalid raises ``EditRefused`` (nothing is written).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Union

from .authoring.edit import EditResult, Spec, parse_spec
from .errors import KonfigError, Problem

if TYPE_CHECKING:
    from .repo.repository import Repository
    from .repo.stack import Stack

RepoLike = Union["Repository", str, os.PathLike, None]
StackLike = Union["Stack", str]

__all__ = [
    "EditRefused", "EditResult", "KonfigError", "Problem", "Spec",
    "open_repository", "stack", "resolve", "get", "validate", "set", "override_file", "parse_spec",
]


class EditRefused(Exception):
    """An edit would make stacks invalid; nothing was written. ``.problems`` says why."""

    def __init__(self, result: EditResult) -> None:
        self.result = result
        self.problems = [p for p in result.problems if p.is_error]
        lines = "; ".join(p.format() for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"refused to edit {result.file}: {lines}{more}")


def open_repository(repo: RepoLike = None) -> "Repository":
    """The Konfig repository ``repo`` (a ``Repository``, a path inside one, or around the cwd)."""
    from .repo.repository import Repository

    if repo is None:
        return Repository.discover()
    if isinstance(repo, Repository):
        return repo
    return Repository.discover(start=os.fspath(repo))


def stack(name: StackLike, repo: RepoLike = None) -> "Stack":
    """A stack by name (path, relative path or unique suffix)."""
    from .repo.stack import Stack

    if isinstance(name, Stack):
        return name
    return open_repository(repo).find_stack(name, cwd=os.getcwd())


def _repo_and_stack(name: StackLike, repo: RepoLike) -> tuple["Repository", "Stack"]:
    from .repo.stack import Stack

    if isinstance(name, Stack):
        return name.repo, name
    r = open_repository(repo)
    return r, r.find_stack(name, cwd=os.getcwd())


def resolve(name: StackLike, overrides: list[str] | tuple[str, ...] = (), repo: RepoLike = None) -> dict[str, Any]:
    """A stack's resolved configuration (what ``konfig resolve`` prints: for a KCL stack, the
    list of its compile output's documents)."""
    from . import engine

    r, s = _repo_and_stack(name, repo)
    return engine.of(s).resolve(r, s, overrides)  # type: ignore[no-any-return]


def get(name: StackLike, keypath: str, overrides: list[str] | tuple[str, ...] = (), repo: RepoLike = None) -> Any:
    """One value of a stack's resolved configuration (``konfig get``); for a KCL stack, the KCL
    source its main.k sets at the override path ``keypath``."""
    from . import keypath as kp

    r, s = _repo_and_stack(name, repo)
    if s.is_kcl:
        from .engine import kcl

        return kcl.get_value(r, s, keypath)
    return kp.get(resolve(name, overrides, repo), kp.parse(keypath))


def validate(names: list[StackLike] | None = None, repo: RepoLike = None) -> list[Problem]:
    """Schema and policy problems of the given stacks (every stack if ``None``)."""
    from .check.validation import validate as _validate

    r = open_repository(repo)
    if names is None:
        return _validate(r, r.stacks(), with_discovery=True)
    stacks = [_repo_and_stack(n, r)[1] for n in names]
    return _validate(r, stacks)


def set(name: StackLike, specs: list[str] | list[Spec], *, layer: str | None = None,  # noqa: A001
        force: bool = False, dry_run: bool = False, update_golden: bool = True,
        repo: RepoLike = None) -> EditResult:
    """Edit a stack (``konfig set``): ``specs`` like ``["image=x:1", "args+=-v", "env[name=A]-"]``.

    ``layer``: ``None`` (the stack's ``stack.yaml``), ``"project"`` (the
    project's ``defaults.yaml``) or one of the stack's layer files. Raises
    ``EditRefused`` if the change makes a stack invalid (unless ``force``).
    The changed stacks' ``golden.yaml`` files are rendered anew (``update_golden``).
    """
    from .authoring.edit import edit_stack

    r, s = _repo_and_stack(name, repo)
    result = edit_stack(r, s, specs, layer=layer, force=force, dry_run=dry_run, update_golden=update_golden)
    if result.refused:
        raise EditRefused(result)
    return result


def override_file(path: str | os.PathLike, specs: list[str] | list[Spec], *, force: bool = False,
                  dry_run: bool = False, update_golden: bool = True) -> EditResult:
    """Apply ``specs`` to the YAML file at ``path``, keeping its comments (like KCL's OverrideFile).

    In a stack's ``stack.yaml`` key paths are under ``config`` (as for
    ``konfig set``); in any other file they start at the top of the document.
    Inside a Konfig the stacks the file feeds are validated first, and an edit
    that makes one invalid raises ``EditRefused`` unless ``force``. Outside a
    Konfig the file is edited as it is. ``result.changed`` says whether the
    file changed.
    """
    from .authoring.edit import edit_file
    from .repo.repository import Repository, find_root

    abspath = os.path.abspath(os.fspath(path))
    try:
        root = find_root(os.path.dirname(abspath))
    except KonfigError:
        return _override_plain(abspath, specs, dry_run)
    r = Repository.discover(repo=root)  # finishes a write that a killed run left half-done
    rel = os.path.relpath(abspath, root).replace(os.sep, "/")
    directory = rel.rsplit("/", 1)[0] if "/" in rel else ""
    s = r.stack_at(directory) if rel.endswith("/stack.yaml") else None
    result = edit_file(r, rel, specs, stack=s, force=force, dry_run=dry_run, update_golden=update_golden)
    if result.refused:
        raise EditRefused(result)
    return result


def _override_plain(abspath: str, specs: list[str] | list[Spec], dry_run: bool) -> EditResult:
    """A file outside any Konfig: apply the specs, no validation, same lock and atomic write."""
    import hashlib
    import tempfile

    from filelock import FileLock

    from .authoring.edit import LOCK_TIMEOUT, apply_text, parse_specs
    from .files.transaction import atomic_write

    parsed = parse_specs(specs)
    lock_dir = os.path.join(tempfile.gettempdir(), "konfig-locks")
    os.makedirs(lock_dir, exist_ok=True)
    lock = os.path.join(lock_dir, hashlib.sha1(abspath.encode()).hexdigest()[:16] + ".lock")
    with FileLock(lock, timeout=LOCK_TIMEOUT):
        try:
            with open(abspath, "rb") as f:
                before = f.read()
        except OSError as e:
            raise KonfigError(f"cannot read: {e.strerror}", file=abspath) from None
        text = before.decode("utf-8-sig")
        after_text = apply_text(text, abspath, (), parsed)
        after = before if after_text == text else after_text.encode("utf-8")
        result = EditResult(file=abspath, before=before, after=after, dry_run=dry_run)
        if result.changed and not dry_run:
            atomic_write(abspath, after)
            result.written = True
        return result
