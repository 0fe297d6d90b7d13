"""Shell completion candidates: stack names, key paths, ``set`` specs, selector terms.

Completion runs on every <TAB>, so it reads only what the answer needs: the
discovery walk for names (the directory-listing cache keeps it fast), one
stack's layers for key paths, stack files only for selector values that live
in them (labels, names). Nothing is validated. The CLI's completers turn any
error into "no candidates", so a broken file never prints during completion.

Every candidate starts with the text typed so far (the shells, and typer,
keep only those), so a stack is offered under the shortest name that both
starts with it and names that stack alone: ``web/prod`` for ``w``,
``acme/web/prod`` for ``ac``, the full path for ``konfig/``.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .files import paths

if TYPE_CHECKING:
    from .repo.repository import Repository


def _suffixes(path: str) -> list[str]:
    """``a/b/c`` -> ``c``, ``b/c``, ``a/b/c``: the names a path answers to, shortest first."""
    parts = path.split("/")
    return ["/".join(parts[i:]) for i in range(len(parts) - 1, -1, -1)]


def stack_names(repo: "Repository", incomplete: str, cwd: str, *, directories: bool) -> list[str]:
    """Names of stacks (and with ``directories`` of the directories holding stacks) starting with ``incomplete``.

    Each is the first of: its path relative to ``cwd`` (when below it), its
    shortest unique suffix, its full path -- that starts with ``incomplete``.
    Uniqueness is counted as ``Repository.find_stack(s)`` resolves names, so
    every candidate selects exactly what it offers.
    """
    targets = [s.path for s in repo.stacks()]
    if directories:
        targets += list(repo.stack_dirs)
    counts: dict[str, int] = {}
    for path in targets:
        for suffix in _suffixes(path):
            counts[suffix] = counts.get(suffix, 0) + 1
    here = os.path.relpath(os.path.abspath(cwd), repo.root).replace(os.sep, "/")
    inside = here != "." and not here.startswith("../") and here != ".."
    out = set()
    for path in targets:
        forms: list[str] = []
        if inside and paths.is_within(path, here) and path != here:
            forms.append(path[len(here) + 1:])
        forms += [s for s in _suffixes(path) if counts[s] == 1 or s == path]
        for form in forms:
            if form.startswith(incomplete):
                out.add(form)
                break
    return sorted(out)


def _config_paths(repo: "Repository", stack_name: str | None, cwd: str) -> list[tuple[str, Any]]:
    """(key path as people write it, value) for every value of a stack's resolved config, parents first."""
    from .check.validation import display_path
    from .resolve.merge import resolve
    from .yamlio import iter_paths

    if not stack_name:
        return []
    stack = repo.find_stack(stack_name, cwd)
    config = resolve(repo, stack).config
    try:
        spec = repo.model(stack.project.model_name, stack.project).merge_spec
    except Exception:  # noqa: BLE001 - without merge keys, list items complete by index
        spec = None
    return [(display_path(config, p, spec), v) for p, v in iter_paths(config) if p]


def key_paths(repo: "Repository", stack_name: str | None, incomplete: str, cwd: str) -> list[str]:
    """The key paths of the named stack's resolved config that start with ``incomplete``."""
    return [p for p, _v in _config_paths(repo, stack_name, cwd) if p.startswith(incomplete)]


def layers(repo: "Repository", stack_name: str | None, incomplete: str, cwd: str) -> list[str]:
    """``set --layer``: ``project`` and the named stack's layer files."""
    from .resolve import layers as layers_mod

    if not stack_name:
        return []
    stack = repo.find_stack(stack_name, cwd)
    names = ["project"] + [layer.file for layer in layers_mod.for_stack(repo, stack)]
    return [n for n in names if n.startswith(incomplete)]


def set_specs(repo: "Repository", stack_name: str | None, incomplete: str, cwd: str) -> list[str]:
    """``PATH=`` and ``PATH-`` for every key path (and ``PATH+=`` for lists), starting with ``incomplete``.

    Offering the forms side by side also keeps the shell from ending a lone
    candidate with a space before the value is typed.
    """
    out = []
    for p, v in _config_paths(repo, stack_name, cwd):
        forms = [f"{p}=", f"{p}-"] + ([f"{p}+="] if isinstance(v, list) else [])
        out.extend(f for f in forms if f.startswith(incomplete))
    return out


def _selector_values(repo: "Repository", key: str) -> Iterable[str]:
    if key == "env":
        return [str(e) for e in (repo.settings.get("envs") or [])]
    if key == "model":
        return repo.model_names()
    if key == "org":
        return {p.org for p in repo.projects() if p.org}
    if key == "project":
        return [p.path for p in repo.projects()]
    if key == "path":
        return [s.path for s in repo.stacks()] + list(repo.stack_dirs)
    if key == "name":
        return {s.name for s in repo.stacks()}
    return []


def _labels(repo: "Repository") -> dict[str, set[str]]:
    from .errors import KonfigError

    out: dict[str, set[str]] = {}
    for s in repo.stacks():
        try:
            labels = s.labels
        except KonfigError:
            continue
        for k, v in labels.items():
            out.setdefault(str(k), set()).add(str(v).lower() if isinstance(v, bool) else str(v))
    return out


def selector_terms(repo: "Repository", incomplete: str) -> list[str]:
    """The last comma-separated term of a ``--selector`` completed: ``KEY=``, then ``KEY=VALUE``.

    When only one key fits what is typed, its values are offered at once
    (``e`` -> ``env=dev``, ``env=prod``...), so the shell never closes a lone
    ``env=`` with a space.
    """
    from .repo.selector import KEYS

    head, comma, term = incomplete.rpartition(",")
    lead = head + comma
    key, eq, value = term.partition("=")
    if not eq:
        keys = [k for k in KEYS if k.startswith(key)]
        if len(keys) != 1:
            return [f"{lead}{k}=" for k in keys]
        key, value = keys[0], ""
    if key in ("label", "labels"):
        labels = _labels(repo)
        lkey, leq, lvalue = value.partition("=")
        if not leq:
            return sorted(f"{lead}{key}={k}" for k in labels if k.startswith(lkey)) + sorted(
                f"{lead}{key}={k}={v}" for k in labels if k == lkey for v in labels[k])
        return sorted(f"{lead}{key}={lkey}={v}" for v in labels.get(lkey, ()) if v.startswith(lvalue))
    alternatives, bar, last = value.rpartition("|")
    given = set(alternatives.split("|")) if bar else set()
    return sorted(f"{lead}{key}={alternatives}{bar}{v}" for v in set(_selector_values(repo, key))
                  if v.startswith(last) and v not in given)
