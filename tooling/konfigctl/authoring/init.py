"""A new Konfig repository (``konfig init DIR``).

The skeleton (``konfigctl/authoring/skeleton/``, shipped with the package) holds a
``konfig.yaml``, one model with its renderer, an env profile, a policy, a
template, ``teams.yaml``, a README, a pre-commit config and a ``.gitignore``.
Files named ``*.init`` are rendered with ``string.Template`` (``${name}``,
``${ci}``, ``${install}``: the ``pipelines.install`` lines, from how the
running konfig was installed, see ``pipelines.running_install``);
``dot-x`` becomes ``.x``; everything else (the template's own ``${...}``
placeholders included) is copied as it is.

The example project is then created from the skeleton's template by the same
code as ``konfig new project``, the docs by ``konfig docs``, and the whole
repository is validated before it is moved into place: ``konfig init`` either
leaves a Konfig that passes its own checks, or nothing.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import string
import tempfile
from importlib import resources
from typing import TYPE_CHECKING

from ..errors import KonfigError, UsageError

if TYPE_CHECKING:
    from ..repo.repository import Repository

EXAMPLE_PROJECT = "konfig/appops/example/hello"
EXAMPLE_MODEL = "webapp"
EXAMPLE_OWNER = "example"
EXAMPLE_SLO_MODEL = "slo"
EXAMPLE_SLO_STACK = "slo"
RENDERED = ".init"


@dataclasses.dataclass
class InitResult:
    root: str
    files: list[str]  # repo-relative, sorted
    stacks: list[str]
    git: bool
    notes: list[str] = dataclasses.field(default_factory=list)
    install: str | None = None  # konfig.yaml pipelines.install as written (None: not set)


def install_lines(requirement: str | None) -> str:
    """konfig.yaml's ``pipelines.install`` for ``requirement``; None: a comment saying what to set.

    Nothing is guessed: a requirement nobody configured (a bare package name
    on a public index) would install whatever claims that name.
    """
    if requirement:
        return ("  # What every CI job installs: the konfig that ran `konfig init` (a pip requirement).\n"
                f"  install: {json.dumps(requirement, ensure_ascii=False)}\n")
    return ("  # install: what every CI job installs, a pip requirement CI can reach, e.g.\n"
            "  #   install: \"konfigctl @ git+https://HOST/REPO.git@COMMIT\"\n"
            "  # (`konfig init` ran from a local install of konfig, which CI cannot reach.)\n")


def skeleton_files(name: str, ci: str = "github", install: str | None = None) -> dict[str, bytes]:
    """The skeleton's files: repo-relative path -> content, with ``name``, ``ci``, ``install`` filled in."""
    out: dict[str, bytes] = {}
    top = resources.files("konfigctl.authoring").joinpath("skeleton")

    def walk(node: object, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):  # type: ignore[attr-defined]
            if child.name == "__pycache__":
                continue
            name_out = "." + child.name[4:] if child.name.startswith("dot-") else child.name
            rel = f"{prefix}/{name_out}" if prefix else name_out
            if child.is_dir():
                walk(child, rel)
                continue
            data = child.read_bytes()
            if rel.endswith(RENDERED):
                rel = rel[: -len(RENDERED)]
                data = string.Template(data.decode("utf-8")).substitute(
                    name=name, ci=ci, install=install_lines(install)).encode("utf-8")
            out[rel] = data

    walk(top, "")
    return out


def _check_target(target: str) -> None:
    if os.path.exists(target):
        if not os.path.isdir(target):
            raise UsageError(f"{target} exists and is not a directory")
        if any(not n.startswith(".git") for n in os.listdir(target)) or os.path.exists(
                os.path.join(target, ".git", "index")):
            raise UsageError(f"{target} is not empty: konfig init only creates new repositories",
                             hint="give a new directory, e.g. konfig init my-konfig")


def _check_not_inside_a_konfig(target: str) -> None:
    """Refuse a target inside another Konfig's roots, base or cache: that Konfig would adopt its files.

    Elsewhere inside another Konfig (an ``examples/`` directory) is allowed:
    each command finds the nearest ``konfig.yaml`` above it.
    """
    from .. import formats
    from ..repo.repository import Repository

    real = os.path.realpath(target)
    cur = os.path.dirname(real)
    while True:
        settings_file = os.path.join(cur, formats.KONFIG_FILE)
        if os.path.isfile(settings_file):
            shown = os.path.join(cur, formats.KONFIG_FILE)
            try:
                settings = Repository(cur).settings
            except KonfigError as e:
                raise UsageError(f"{target} is inside the Konfig of {shown}, whose settings do not load "
                                 f"({e}): create the new Konfig outside it") from None
            places = [(r, "root") for r in settings["roots"]] + [(settings["base"], "base"),
                                                                 (settings["cache_dir"], "cache_dir")]
            for rel, what in places:
                inner = os.path.realpath(os.path.join(cur, *str(rel).split("/")))
                if real == inner or real.startswith(inner + os.sep):
                    raise UsageError(
                        f"{target} is inside {rel}, the {what} of the Konfig of {shown}: that Konfig "
                        f"would take the new one's files as its own",
                        hint="create it outside that Konfig's roots and base, e.g. next to it")
        up = os.path.dirname(cur)
        if up == cur:
            return
        cur = up


def repo_name(target: str) -> str:
    base = os.path.basename(os.path.abspath(target)).lower()
    name = re.sub(r"[^a-z0-9-]+", "-", base).strip("-")
    return name or "konfig"


CI_TARGETS = ("github", "gitlab")


def init(target: str, *, name: str | None = None, git: bool = True, ci: str = "github") -> InitResult:
    """Create a working Konfig in ``target`` (a new or empty directory).

    ``ci``: the platform whose generated files (CODEOWNERS, pipelines) it gets.
    """
    from ..check.validation import validate
    from ..files.transaction import atomic_write
    from ..repo.repository import Repository
    from . import docs, scaffold

    if ci not in CI_TARGETS:
        raise UsageError(f"unknown CI platform {ci!r} (use github or gitlab)")
    from ..change.pipelines import install_hint, running_install

    target = os.path.abspath(target)
    _check_target(target)
    _check_not_inside_a_konfig(target)
    source = running_install()
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".konfig-init-", dir=parent)
    os.chmod(tmp, scaffold.dir_mode())
    try:
        for rel, data in skeleton_files(name or repo_name(target), ci, source.requirement).items():
            dest = os.path.join(tmp, *rel.split("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(data)
        repo = Repository(tmp)
        plan = scaffold.plan_project(repo, EXAMPLE_PROJECT, EXAMPLE_MODEL, [EXAMPLE_OWNER], cwd=tmp,
                                     description="The example service: copy it, or replace it by your first project.")
        scaffold.check(repo, plan)
        if not plan.ok:
            raise KonfigError("the skeleton's example project does not validate: "
                              + "; ".join(p.format() for p in plan.problems))
        scaffold.write(repo, plan)
        # the example service's objectives beside it: every model the skeleton ships is in use,
        # so a new repository validates without a warning and shows an SLO stack
        slo = scaffold.plan_stack(Repository(tmp), EXAMPLE_PROJECT + "/" + EXAMPLE_SLO_STACK,
                                  env="prod", model=EXAMPLE_SLO_MODEL, cwd=tmp)
        scaffold.check(Repository(tmp), slo)
        if not slo.ok:
            raise KonfigError("the skeleton's example SLO stack does not validate: "
                              + "; ".join(p.format() for p in slo.problems))
        scaffold.write(Repository(tmp), slo)
        repo = Repository(tmp)
        for path, text in docs.generate(repo).items():
            atomic_write(path, text)
        written, failures = scaffold.write_goldens(Repository(tmp), plan.stacks + slo.stacks)
        if failures:
            raise KonfigError("the skeleton's example project does not render: " + "; ".join(failures))
        notes = _generated(Repository(tmp), ci)
        hint = install_hint(source)
        if hint:
            notes.insert(0, hint)
        problems = validate(Repository(tmp), Repository(tmp).stacks(), with_discovery=True)
        if problems:
            raise KonfigError("the new repository does not validate: " + "; ".join(p.format() for p in problems))
        if os.path.isdir(target):
            for n in os.listdir(tmp):  # an empty directory (or a fresh `git init`): move the contents in
                os.rename(os.path.join(tmp, n), os.path.join(target, n))
            os.rmdir(tmp)
        else:
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = []
    for dirpath, dirnames, filenames in os.walk(target):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        files.extend(os.path.relpath(os.path.join(dirpath, f), target).replace(os.sep, "/") for f in filenames)
    made_git = git and _git_init(target)
    return InitResult(root=target, files=sorted(files), stacks=plan.stacks + slo.stacks, git=made_git, notes=notes,
                      install=source.requirement)


def _git_init(target: str) -> bool:
    """``git init`` (branch main) unless ``target`` already is, or is inside, a git work tree."""
    try:
        import git
    except ImportError:  # pragma: no cover - gitpython is a dependency
        return False
    try:
        git.Repo(target, search_parent_directories=True)
        return False
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        pass
    try:
        git.Repo.init(target, initial_branch="main")
    except Exception:  # noqa: BLE001 - no git binary: the Konfig works without it, until CI
        return False
    return True


def _generated(repo: "Repository", ci: str) -> list[str]:
    """The files CI checks for drift, written by the code of their commands; returns notes."""
    from ..change import pipelines
    from ..files.transaction import atomic_write
    from ..owners.codeowners import emit, target_settings

    rel = target_settings(repo, ci)["path"]
    atomic_write(os.path.join(repo.root, *rel.split("/")), emit(repo, ci))
    try:
        pipelines.write(repo, pipelines.render(repo, [ci]))
    except KonfigError:  # DIR inside another git repository: CI files belong at the top of that one
        return ["no pipelines written: the new Konfig is inside another git repository, and CI "
                "systems read their files only at the top of one (give it a repository of its own, "
                "then run `konfig pipeline emit`)"]
    return []
