"""Adding a project or a stack from the model's template (``konfig new``, ``konfig init``).

A scaffold is planned first (the files, rendered from the template), checked
in memory (``Repository.with_changes``: the new stacks resolve, validate and
render as if the files were there), and only then written, with the golden
files and CODEOWNERS it implies, as one ``transaction``: a failure leaves
nothing behind and an existing file is never overwritten.
"""
from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import KonfigError, Problem, UsageError
from ..files import paths
from ..yamlio import quote_retyped
from . import templates as tpl

if TYPE_CHECKING:
    from ..repo.repository import Repository

PROJECT, STACK = "project", "stack"


@dataclasses.dataclass
class Scaffold:
    """What ``konfig new`` creates: a directory and its files, and what validation said of them."""

    kind: str  # project | stack
    path: str  # the new directory, repo-relative
    files: dict[str, str]  # repo-relative path -> text
    stacks: list[str]  # the new stacks' paths
    model: str
    problems: list[Problem] = dataclasses.field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "model": self.model, "stacks": self.stacks,
                "files": sorted(self.files), "written": self.written,
                "problems": [p.to_json() for p in self.problems]}


# -- checks -------------------------------------------------------------------------------

def check_owners(repo: "Repository", owners: list[str]) -> None:
    """Every owner is a team of teams.yaml, or a user it knows (a member of a team, or under ``users``)."""
    from ..repo.teams import Teams, is_user

    if not owners:
        raise UsageError("a project needs an owner: --owner TEAM (a team of teams.yaml, or @user)")
    teams = Teams.load(repo)
    for owner in owners:
        if is_user(owner):
            if teams.find_user(owner) is None:
                raise UsageError(f"unknown user {owner!r}: not a member of any team in {repo.teams_file}",
                                 hint="add them to their team first, or make a team the owner")
        elif not teams.is_team(owner):
            import difflib

            names = sorted(teams.teams)
            close = difflib.get_close_matches(owner, names, n=1)
            raise UsageError(f"unknown team {owner!r} (teams in {repo.teams_file}: {', '.join(names)})",
                             hint=f"did you mean {close[0]}?" if close else None)


def repo_path(repo: "Repository", path: str, cwd: str | None = None) -> str:
    """A directory named on the command line, relative to ``cwd`` or to the repository root.

    A backslash is refused where it is a file name's character (POSIX): reading
    it as a separator would create another directory than the one named.
    """
    if "\\" in path and os.sep == "/":
        raise UsageError(f"{path!r} has a backslash: konfig paths are separated by / (and a directory "
                         f"name with a backslash means another directory to Windows checkouts)")
    cwd = os.path.abspath(cwd or os.getcwd())
    joined = os.path.normpath(os.path.join(cwd, path))
    inside = joined == repo.root or joined.startswith(repo.root + os.sep)
    if inside and cwd != repo.root:
        rel = os.path.relpath(joined, repo.root).replace(os.sep, "/")
        if any(paths.is_within(rel, r) for r in repo.roots):
            return rel
    try:
        return paths.normalize(path.rstrip("/"))
    except KonfigError:
        if inside:
            return os.path.relpath(joined, repo.root).replace(os.sep, "/")
        raise


def _check_free(repo: "Repository", rel: str) -> None:
    if repo.source.isdir(rel):
        abspath = paths.confine(repo.root, rel)
        if os.listdir(abspath):
            raise UsageError(f"{rel} already exists and is not empty: konfig new never overwrites")
    elif repo.exists(rel):
        raise UsageError(f"{rel} already exists (a file): konfig new never overwrites")


def _check_name(name: str, what: str) -> None:
    if not formats.DNS_LABEL.match(name) or len(name) > 63:
        raise UsageError(f"bad {what} name {name!r}: lowercase letters, digits and dashes (a DNS label)")


def stack_env(repo: "Repository", name: str, env: str | None) -> str:
    """The env of a new stack: given, or the first segment of its name that is an env (last first)."""
    envs = repo.settings["envs"]
    if env:
        if env not in envs:
            raise UsageError(f"unknown env {env!r} (konfig.yaml envs: {', '.join(envs)})")
        return env
    for seg in reversed(name.split("/")):
        if seg in envs:
            return seg
    raise UsageError(f"cannot tell the env of stack {name!r}: name it after one of {', '.join(envs)}, "
                     "or give it (--env ENV, or NAME:ENV in --stacks)")


# -- planning -------------------------------------------------------------------------------

def plan_project(repo: "Repository", path: str, model: str, owners: list[str], *,
                 stacks: list[str] | None = None, variables: dict[str, str] | None = None,
                 description: str | None = None, cwd: str | None = None) -> Scaffold:
    """The files of a new project and its stacks (nothing is written)."""
    rel = repo_path(repo, path, cwd)
    root = next((r for r in repo.roots if paths.is_within(rel, r) and rel != r), None)
    if root is None:
        raise UsageError(f"{rel}: a project must be in a directory under a root ({', '.join(repo.roots)})")
    _check_name(rel.rsplit("/", 1)[-1], "project")
    for project in repo.projects():
        if rel == project.path:
            raise UsageError(f"project {rel} already exists: konfig new never overwrites",
                             hint=f"to add a stack to it: konfig new stack {rel}/STACK")
        if paths.is_within(rel, project.path):
            raise UsageError(f"{rel} is inside the project {project.path}; nested projects are not supported",
                             hint=f"to add a stack to it: konfig new stack {rel}")
        if paths.is_within(project.path, rel):
            raise UsageError(f"{rel} holds the project {project.path} already; pick a new directory")
    _check_free(repo, rel)
    repo.model(model)  # unknown model: a clear error listing the models
    check_owners(repo, owners)
    template = tpl.load(repo, model)
    values = tpl.project_values(repo, rel, model, owners, template, variables, description)
    files = tpl.render_project(template, rel, values)
    names = stacks if stacks is not None else (template.stacks or list(repo.settings["envs"]))
    if not names:
        raise UsageError("no stacks to create: --stacks dev,prod")
    stack_paths = []
    for spec in names:
        name, _, env = spec.strip().partition(":")
        name = name.strip("/")
        for seg in name.split("/"):
            _check_name(seg, "stack")
        stack_rel = paths.join(rel, name)
        if stack_rel in stack_paths:
            raise UsageError(f"stack {name!r} given twice")
        stack_paths.append(stack_rel)
        files.update(tpl.render_stack(template, stack_rel, stack_env(repo, name, env or None), values))
    # a stack.yaml among the project files is a stack too (the webapp template's slo/):
    # checked and given its golden file like the others
    for f in sorted(files):
        d = paths.parent(f)
        if f.rsplit("/", 1)[-1] == formats.STACK_FILE and d not in stack_paths and d != rel:
            stack_paths.append(d)
    return Scaffold(PROJECT, rel, _quoted(files), stack_paths, model)


def plan_stack(repo: "Repository", path: str, *, env: str | None = None, variables: dict[str, str] | None = None,
               cwd: str | None = None, model: str | None = None) -> Scaffold:
    """The files of a new stack in an existing project (nothing is written).

    ``model``: a stack of another model than the project's (an SLO stack), from
    that model's template, whose stack.yaml must then say ``model:``.
    """
    rel = repo_path(repo, path, cwd)
    project = next((p for p in repo.projects() if paths.is_within(rel, p.path)), None)
    if project is None:
        raise UsageError(f"{rel} is not inside a project (no project.yaml above it)",
                         hint="create the project first: konfig new project PATH --model M --owner TEAM")
    if rel == project.path:
        raise UsageError(f"{rel} is the project directory; a stack lives in a directory of its own inside it")
    if project.is_kcl and model is None:
        raise UsageError(f"{project.path} is a project of KCL stacks: konfig new makes YAML stacks from a "
                         "model's template", hint="copy one of its stack directories (kcl.yaml, main.k, ci-test/)")
    for seg in rel[len(project.path) + 1:].split("/"):
        _check_name(seg, "stack")
    for stack in repo.stacks():
        if rel == stack.path:
            raise UsageError(f"stack {rel} already exists: konfig new never overwrites")
        if paths.is_within(rel, stack.path):
            raise UsageError(f"{rel} is inside the stack {stack.path}")
        if paths.is_within(stack.path, rel):
            raise UsageError(f"{rel} holds the stack {stack.path} already")
    _check_free(repo, rel)
    if model is not None:
        repo.model(model)  # unknown model: a clear error listing the models
    model = model or project.model_name
    template = tpl.load(repo, model)
    values = tpl.project_values(repo, project.path, model, project.owners, template, variables,
                                project.description or None)
    values["project"] = project.name
    values["namespace"] = project.namespace
    name = rel[len(project.path) + 1:]
    files = tpl.render_stack(template, rel, stack_env(repo, name, env), values)
    if model != project.model_name:
        _check_names_model(files, rel, model, project.model_name, template.dir)
    return Scaffold(STACK, rel, _quoted(files), [rel], model)


def _quoted(files: dict[str, str]) -> dict[str, str]:
    """Rendered YAML with the strings a YAML 1.1 reader would retype quoted (a ``--var`` of ``on``)."""
    return {rel: quote_retyped(text, rel) if rel.endswith((".yaml", ".yml")) else text
            for rel, text in files.items()}


def _check_names_model(files: dict[str, str], rel: str, model: str, project_model: str, tdir: str) -> None:
    """A stack of another model than its project's is one only if its stack.yaml says so."""
    from ..yamlio import load

    text = files.get(paths.join(rel, formats.STACK_FILE), "")
    try:
        data = load(text.encode("utf-8"), paths.join(rel, formats.STACK_FILE)).data
    except KonfigError:
        return  # the check of the plan reports it
    if not isinstance(data, dict) or data.get("model") != model:
        raise UsageError(
            f"the {model} template's stack.yaml does not say model: {model}, so the new stack would "
            f"be a {project_model} stack of its project", hint=f"add `model: {model}` to {tdir}/stack/")


# -- checking and writing -------------------------------------------------------------------

def check(repo: "Repository", scaffold: Scaffold) -> list[Problem]:
    """Validate the new stacks as if the files were written (the repository is not touched)."""
    from ..check.validation import input_problem, validate

    future = repo.with_changes({rel: text.encode("utf-8") for rel, text in scaffold.files.items()})
    mine = [e for e in future.discovery_problems if e.file and paths.is_within(e.file, scaffold.path)]
    if mine:
        scaffold.problems = [input_problem(e) for e in mine]
        return scaffold.problems
    stacks = []
    for path in scaffold.stacks:
        stack = future.stack_at(path)
        if stack is None:
            scaffold.problems = [Problem(f"the template did not make {path} a stack", file=path, check="input")]
            return scaffold.problems
        stacks.append(stack)
    scaffold.problems = validate(future, stacks)
    return scaffold.problems


def dir_mode() -> int:
    """The mode a new directory gets from the user's umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o777 & ~mask


def write(repo: "Repository", scaffold: Scaffold) -> None:
    """Write the scaffold's files alone, as one transaction (``konfig init`` renders the rest)."""
    from ..files.transaction import write_files

    _still_free(repo, scaffold)
    write_files(repo, dict(scaffold.files))
    scaffold.written = True


def _still_free(repo: "Repository", scaffold: Scaffold) -> None:
    if os.path.lexists(paths.confine(repo.root, scaffold.path)) and scaffold.kind == PROJECT:
        raise KonfigError(f"{scaffold.path} already exists: nothing was written", file=scaffold.path)
    for rel in scaffold.files:
        if os.path.lexists(paths.confine(repo.root, rel)):
            raise KonfigError("already exists: nothing was written", file=rel)


def commit(repo: "Repository", scaffold: Scaffold) -> list[str]:
    """Write the new project or stack with everything generated from it, as one transaction.

    Besides the scaffold's files: the new stacks' golden files (what ``konfig
    test --update`` writes) and the CODEOWNERS files the repository keeps, with
    the new project's owners, so the change passes CI as it is. All of it is
    computed in memory first; a new stack that does not render (its renderer
    raises or runs past its limit, a resource fails its schema) is a problem
    (``scaffold.problems``) and then nothing is written. Returns the generated
    files written (goldens and CODEOWNERS).
    """
    from ..check.stack_test import plan_goldens
    from ..files.transaction import write_files

    future = repo.with_changes({rel: text.encode("utf-8") for rel, text in scaffold.files.items()})
    stacks = [s for s in (future.stack_at(p) for p in scaffold.stacks) if s is not None]
    goldens, failed = plan_goldens(future, stacks)
    for r in failed:
        bad = next(c for c in r.checks if c.failed)
        scaffold.problems.append(Problem(f"{bad.name}: {bad.message}", stack=r.stack, check=bad.name))
    if failed:
        return []
    owners, left_out = codeowners_texts(future)
    # written all the same (as `owners codeowners` writes them), but never silently
    scaffold.problems.extend(dataclasses.replace(p, severity="warning") for p in left_out)
    _still_free(repo, scaffold)
    write_files(repo, {**scaffold.files, **goldens, **owners})
    scaffold.written = True
    return sorted(goldens) + sorted(owners)


def write_goldens(repo: "Repository", stack_paths: list[str]) -> tuple[list[str], list[str]]:
    """(golden files written, one line per stack whose other checks fail) -- ``konfig test --update``."""
    from ..check.stack_test import update_goldens

    return update_goldens(repo, [s for s in (repo.stack_at(p) for p in stack_paths) if s is not None])


def codeowners_texts(repo: "Repository") -> tuple[dict[str, str], list[Problem]]:
    """The CODEOWNERS files the repository keeps whose text ``konfig owners codeowners`` would change,
    and a problem for each line those texts leave out (a path the platform cannot express)."""
    from ..owners.codeowners import TARGETS, render, target_settings

    out: dict[str, str] = {}
    left_out: list[Problem] = []
    for target in TARGETS:
        rel = target_settings(repo, target)["path"]
        if not repo.exists(rel):
            continue
        result = render(repo, target)
        left_out.extend(u.problem for u in result.unexpressed)
        if repo.read(rel) != result.text.encode("utf-8"):
            out[rel] = result.text
    return out, left_out
