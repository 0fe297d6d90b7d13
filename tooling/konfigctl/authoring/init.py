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


# -- konfig init --adopt DIR: an existing repository -------------------------------------------

def detect(target: str) -> dict[str, object]:
    """What ``--adopt`` finds in an existing repository: roots (the top directories holding
    projects), the base directory, whether there are KCL stacks (and their kcl-lib)."""
    from .. import formats

    roots: set[str] = set()
    kcl_stacks = 0
    for dirpath, dirnames, filenames in os.walk(target):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = os.path.relpath(dirpath, target).replace(os.sep, "/")
        if formats.PROJECT_FILE in filenames and rel != ".":
            roots.add(rel.split("/", 1)[0])
        if formats.KCL_FILE in filenames and formats.STACK_FILE in filenames:
            kcl_stacks += 1
    if not roots:
        raise UsageError(f"{target}: no project.yaml found: nothing to adopt",
                         hint="konfig init DIR creates a new Konfig instead")
    base = "base" if os.path.isdir(os.path.join(target, "base")) else "konfig/base"
    roots.discard(base.split("/", 1)[0])  # the platform's directory (examples in it are not projects)
    if not roots:
        raise UsageError(f"{target}: no project.yaml outside {base}: nothing to adopt")
    return {"roots": sorted(roots), "base": base, "kcl_stacks": kcl_stacks}


def adopt_settings(name: str, found: dict[str, object], ci: str, install: str | None,
                   kcl_version: str | None) -> str:
    roots = "".join(f"  - {json.dumps(r)}\n" for r in found["roots"])  # type: ignore[attr-defined]
    out = ("# yaml-language-server: $schema=docs/schemas/konfig.schema.json\n"
           "# Written by `konfig init --adopt`: the settings konfig governs this repository with.\n"
           "# Nothing else was changed; review the detected roots and add ownership and review rules.\n"
           "version: 1\n"
           f"name: {json.dumps(name)}\n"
           f"base: {json.dumps(found['base'])}\n"
           "# the directories holding projects (a directory with project.yaml), as found\n"
           f"roots:\n{roots}"
           "cache_dir: .konfig-cache\n"
           "ownership: []  # OWNERS files and project.yaml owners are read; add path rules here\n")
    if kcl_version:
        out += ("# KCL stacks are compiled with this kcl-lib version and no other\n"
                f"kcl:\n  version: {json.dumps(kcl_version)}\n")
    out += f"pipelines:\n  targets: [{ci}]\n  default_branch: main\n" + install_lines(install)
    return out


def adopt(target: str, *, name: str | None = None, ci: str = "github") -> InitResult:
    """Make an existing repository a Konfig: write ``konfig.yaml`` and the CI files that do not
    exist yet, nothing else (an existing workflow or CODEOWNERS is left as it is: a note says
    so). Every file written is new; ``KonfigError`` before anything is written otherwise."""
    from .. import formats
    from ..change import pipelines
    from ..change.pipelines import install_hint, running_install
    from ..engine import kcl
    from ..files import paths
    from ..files.transaction import atomic_write
    from ..owners.codeowners import emit, target_settings
    from ..repo.repository import Repository

    if ci not in CI_TARGETS:
        raise UsageError(f"unknown CI platform {ci!r} (use github or gitlab)")
    target = os.path.abspath(target)
    if not os.path.isdir(target):
        raise UsageError(f"{target} is not a directory: --adopt takes an existing repository")
    if os.path.exists(os.path.join(target, formats.KONFIG_FILE)):
        raise UsageError(f"{target} has a {formats.KONFIG_FILE} already: it is a Konfig")
    found = detect(target)
    version = kcl.installed_version() if found["kcl_stacks"] else None
    if found["kcl_stacks"] and version is None:
        raise KonfigError(f"{target} has KCL stacks: --adopt records the kcl-lib version they are "
                          f"checked with, and kcl-lib is not installed ({kcl.INSTALL_HINT})")
    source = running_install()
    requirement = source.requirement
    if requirement and found["kcl_stacks"]:  # CI compiles the KCL stacks too: the kcl extra
        requirement = re.sub(r"^(konfigctl)(?!\[)", r"\1[kcl]", requirement)
    text = adopt_settings(name or repo_name(target), found, ci, requirement, version)
    notes: list[str] = []
    hint = install_hint(source)
    if hint:
        notes.append(hint)
    # everything is decided in memory first: the settings file, then the generated files
    repo = Repository(target).with_changes({formats.KONFIG_FILE: text.encode()})
    repo.settings  # noqa: B018 - what it wrote must load
    planned: dict[str, str] = {formats.KONFIG_FILE: text}
    codeowners = target_settings(repo, ci)["path"]
    try:
        codeowners_text = emit(repo, ci)
    except KonfigError as e:
        codeowners_text = None
        notes.append(f"no {codeowners} written: {e}")
    if codeowners_text is not None:
        if os.path.lexists(os.path.join(target, *codeowners.split("/"))):
            notes.append(f"{codeowners} exists: left as it is (`konfig owners codeowners --target {ci}` "
                         "shows what konfig would write)")
        else:
            planned[codeowners] = codeowners_text
    try:
        emitted = pipelines.render(repo, [ci])
    except KonfigError as e:
        emitted = []
        notes.append(f"no pipelines written: {e}")
    for f in emitted:
        if f.stale or not f.text:
            continue
        if os.path.lexists(os.path.join(target, *f.path.split("/"))):
            notes.append(f"{f.path} exists: left as it is (`konfig pipeline emit --target {ci}` would "
                         "rewrite it)")
        else:
            planned[f.path] = f.text
    for rel, content in planned.items():
        atomic_write(paths.confine(target, rel), content)
    return InitResult(root=target, files=sorted(planned), stacks=[], git=False, notes=notes,
                      install=source.requirement)

