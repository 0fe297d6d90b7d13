"""Cache keys: hashes of every input a check result depends on (``cache.Cache`` stores by them).

A key is built from file contents only -- never timestamps -- so a hit is
always right: a change to any input is a new key. Both ``test`` and
``validate`` key their results here; ``validate``'s keys are found by path
rules alone, without parsing a file, so a run with nothing changed costs
reading and hashing the files:

* everything under the base directory (models, their schemas and renderers,
  shared schemas, env profiles, policies, CRDs, ``teams.yaml``) and
  ``konfig.yaml``, as one digest, with the tool's own code and libraries;
* per stack: its ``stack.yaml``, its ``project.yaml``, every ``defaults.yaml``
  between the project and the stack (whether or not the stack's own model
  skips them), the files a policy's ``requires`` looks at, and -- when its
  ``stack.yaml`` may name ``depends_on`` -- every stack's path and every
  ``stack.yaml`` that may name it (existence of the targets, cycles);
* the ``-O`` overrides of the run.

A whole run is also kept under ``run_key``: every input file by name and
content, checked before any per-stack key is made, so a run with nothing
changed costs discovery and a ``stat`` per file (``cache.KeptDigests``).
``test`` keeps its whole runs the same way (its key adds the golden files;
renderers and their libraries are in the base directory).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .. import formats
from ..errors import KonfigError
from ..files import paths
from ..repo.memo import Slot
from . import cache as cache_mod
from .cache import Digests, KeptDigests

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.stack import Stack

_DIGESTS: Slot[Digests] = Slot("file digests")
_SCOPE_DIGESTS: Slot[dict[str, str]] = Slot("requires digests", dict)  # requires scope -> digest
_BASE_DIGEST: Slot[str] = Slot("base digest")  # konfig.yaml, the base directory, the tool
_DEPENDS_DIGEST: Slot[str] = Slot("depends_on digest")


def digests(repo: "Repository") -> Digests:
    """The revision's file digests (each file hashed once, read through ``repo.read``)."""
    d = repo.memo.get(_DIGESTS)
    if d is None:
        d = repo.memo.put(_DIGESTS, Digests(repo.read))
    return d


def remember_digests(repo: "Repository") -> KeptDigests | None:
    """Make this revision's digests use the ones kept in ``cache_dir`` (a work tree only, before
    any digest is taken); the caller saves them (``KeptDigests.save``) when done."""
    from ..files.source import WorkTree

    if not isinstance(repo.source, WorkTree) or repo.memo.get(_DIGESTS) is not None:
        return None
    kept = KeptDigests(os.path.join(repo.cache_dir, "digests.json"), repo.root)
    repo.memo.put(_DIGESTS, Digests(repo.read, repo.source.file_stat, kept))
    return kept


def file_and_digest(repo: "Repository", rel: str) -> str:
    return f"{rel}@{digests(repo).file(rel)}"


def requires_digests(repo: "Repository", stack: "Stack") -> list[str]:
    """Per policy with ``requires``: the stack.yaml and project.yaml files of every stack that
    could meet it for ``stack`` (its project's, for ``same: [project, ...]``), hashed, not
    parsed: a sibling added, removed or changed decides whether the stack passes (its
    ``project.yaml`` names its model, which the requirement's selector may ask for)."""
    out = []
    for policy in repo.policies:
        try:
            req = policy.requirement
        except KonfigError:
            continue  # the policy's own problem; validate reports it
        if req is None:
            continue
        scope = (stack.project.path if "project" in req.same
                 else f"org {stack.project.org}" if "org" in req.same else "all")
        known = repo.memo.of(_SCOPE_DIGESTS)
        d = known.get(scope)
        if d is None:
            files: list[str] = []
            for s in req.scope(repo, stack):
                files += [s.file, s.project.file]
            d = known[scope] = cache_mod.hash_parts(
                [scope] + [file_and_digest(repo, f) for f in dict.fromkeys(files)])
        out.append(f"requires:{policy.file}:{d}")
    return out


def base_digest(repo: "Repository") -> str:
    """konfig.yaml, every file under the base directory, the tool and its libraries."""
    d = repo.memo.get(_BASE_DIGEST)
    if d is None:
        files = [formats.KONFIG_FILE]
        problems: list[KonfigError] = []  # a symlink out of the repository: the checks report it
        for rel, _dirs, names in repo.source.walk(repo.base, problems):
            files += [paths.join(rel, n) for n in names]
        d = repo.memo.put(_BASE_DIGEST, cache_mod.hash_parts(
            [cache_mod.tool_fingerprint(), digests(repo).files(files), *map(str, problems)]))
    return d


def _may_name_depends_on(repo: "Repository", rel: str) -> bool:
    # an escape could spell it in a quoted key; unreadable ("-"): its own problem, no claim
    d = digests(repo)
    return d.contains(rel, b"depends_on") or d.contains(rel, b"\\") or d.file(rel) == "-"


def _depends_digest(repo: "Repository") -> str:
    """Every stack's path and every stack.yaml that may name ``depends_on``: whether a
    stack's dependencies exist, and whether they lead back to it."""
    d = repo.memo.get(_DEPENDS_DIGEST)
    if d is None:
        parts = []
        for s in repo.stacks():
            parts.append(s.path)
            if _may_name_depends_on(repo, s.file):
                parts.append(file_and_digest(repo, s.file))
        d = repo.memo.put(_DEPENDS_DIGEST, cache_mod.hash_parts(parts))
    return d


def _chain_digest(repo: "Repository", root: str, directory: str) -> str:
    """The ``defaults.yaml`` files from ``root`` down to ``directory`` (a superset of a
    stack's defaults chain: whether its own model skips them is not looked at), hashed once
    per directory: stacks share their org's, project's and env's."""
    known = repo.memo.of(_CHAINS)
    d = known.get(directory)
    if d is None:
        parent = directory.rpartition("/")[0]
        above = _chain_digest(repo, root, parent) if parent and paths.is_within(parent, root) else ""
        f = paths.join(directory, formats.DEFAULTS_FILE)
        d = known[directory] = cache_mod.hash_parts(
            [above, file_and_digest(repo, f) if repo.has_defaults(f) else "-"])
    return d


_CHAINS: Slot[dict[str, str]] = Slot("defaults chain digests", dict)


def compiled_inputs(repo: "Repository", stack: "Stack") -> list[str]:
    """A compiled (KCL) stack's own key parts: the pinned compiler and every file it compiles
    from (its import closure, ``kcl.yaml``, ``ci-test/settings.yaml``, ``kcl.mod``), by
    content. Raises ``KonfigError`` when it cannot be compiled here (no kcl-lib, another
    version): such a result is never cached."""
    from ..engine import kcl

    return [f"kcl-lib {kcl.require(repo, stack)}"] + [
        file_and_digest(repo, f) for f in kcl.ENGINE.inputs(repo, stack)]


def validation_key(repo: "Repository", stack: "Stack", overrides: tuple[str, ...] = ()) -> str | None:
    """The key of ``stack``'s validation problems (None: do not cache: a file cannot be read)."""
    try:
        if stack.is_kcl:
            return cache_mod.hash_parts(["validate", base_digest(repo), stack.path,
                                         file_and_digest(repo, stack.project.file),
                                         *compiled_inputs(repo, stack), "-O", *overrides])
        project = stack.project
        parts = ["validate", base_digest(repo), stack.path, file_and_digest(repo, stack.file),
                 file_and_digest(repo, project.file), _chain_digest(repo, project.root, stack.path)]
        if digests(repo).file(stack.file) == "-":
            return None
        parts += requires_digests(repo, stack)
        if _may_name_depends_on(repo, stack.file):
            parts.append("depends:" + _depends_digest(repo))
        parts += ["-O"] + list(overrides)
    except KonfigError:
        return None
    return cache_mod.hash_parts(parts)


def run_key(repo: "Repository", stacks: list["Stack"], whole_repo: bool,
            overrides: tuple[str, ...] = (), what: str = "validate") -> str:
    """The key of a whole ``validate`` run, found without a per-stack key: every file any
    stack's validation or the repository-level findings can read (konfig.yaml, the base
    directory, every project.yaml, stack.yaml and defaults.yaml discovery found), by name
    and content, the stacks asked for and what discovery reported. Any change misses it;
    the per-stack keys then find what can still be reused."""
    d = digests(repo)
    files = sorted({p.file for p in repo.projects()} | {s.file for s in repo.stacks()}
                   | repo.defaults_files())
    parts = [what + " run", base_digest(repo), "all" if whole_repo else "some", "-O", *overrides,
             "stacks", *(s.path for s in stacks), "problems", *(str(e) for e in repo.discovery_problems),
             "files"]
    if what == "test":  # and what the results are compared with (renderers, libraries: the base)
        files += [s.golden_file for s in stacks]
    for rel in files:
        parts += [rel, d.file(rel)]
    for s in stacks:  # a KCL stack reads .k files anywhere in its module: none is listed above
        if s.is_kcl:
            try:
                parts += ["compiled", s.path, *compiled_inputs(repo, s)]
            except KonfigError as e:
                parts += ["not compiled", s.path, str(e)]
    return cache_mod.hash_parts(parts)
