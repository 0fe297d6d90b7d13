"""The rules that tie files to stacks: one table, each rule two small functions.

DESIGN.md "Affected stacks"; a file affects:

* ``stack``     -- the stack whose directory holds it (the nearest enclosing one);
* ``project``   -- every stack of a project, for files in the project directory outside stacks;
* ``defaults``  -- every stack below a ``defaults.yaml`` under a root (a layer);
* ``model``     -- every stack using a model, for any file of the model directory;
* ``model env`` -- stacks of that model with that env, for ``models/<m>/envs/<env>.yaml``;
* ``env``       -- every stack with that env, for ``<base>/envs/<env>.yaml``;
* ``schema``    -- every stack whose model schema (or a policy selecting it) ``$ref``\\s
  the file, transitively;
* ``library``   -- every stack of a model whose renderer imports the file
  (``<base>/lib/<name>.py``, as ``konfiglib.<name>``), transitively;
* ``policy``    -- every stack the policy selects (callers add the base revision's selector);
* ``requires``  -- for a stack's ``stack.yaml``, when the stack matches a policy's ``requires``:
  the stacks that policy selects and that share its ``same`` attributes (adding or
  removing a project's SLO stack changes whether its services pass);
* ``kcl``       -- every KCL stack whose compile files import the ``.k`` file, directly or
  transitively (``engine.imports``: column-0 ``import`` statements), and every KCL stack of
  the module, for its ``kcl.mod``;
* ``global``    -- every stack, for ``konfig.yaml``, the CRD schemas in ``<base>/crds/`` and files
  matching ``konfig.yaml``'s ``global`` globs.

A stack of another model than its project's (``model:`` in its stack.yaml) is
a stack of that model for the model rules, and no ``defaults.yaml`` is a
layer of it. Anything else (a README under a root, ``<base>/templates/``,
docs) affects no stack.

Each ``Rule`` answers both directions of its edge: ``dependents(graph,
change)`` -- the stacks a changed file affects, with the reason -- and
``inputs(graph, stack)`` -- the files of a stack it ties, with the subject.
``Graph.dependents`` and ``Graph.inputs`` run the table in ``BY_FILE`` and
``BY_STACK`` order; a test walks every file of a repository and checks that
the two directions agree, so a rule cannot drift apart from its reverse.
Each function looks only at what its rule needs (the place of the file, then
metadata), so a one-stack change parses almost nothing.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ... import formats
from ...errors import KonfigError
from ...files import paths

if TYPE_CHECKING:
    from ...repo.project import Project
    from ...repo.selector import Selector
    from ...repo.stack import Stack
    from .graph import Graph

STACK = "stack"
PROJECT = "project"
DEFAULTS = "defaults"
MODEL = "model"
MODEL_ENV = "model env"
ENV = "env"
SCHEMA = "schema"
LIBRARY = "library"
POLICY = "policy"
REQUIRES = "requires"
GLOBAL = "global"
KCL = "kcl"

RULES = (STACK, PROJECT, DEFAULTS, MODEL, MODEL_ENV, ENV, SCHEMA, LIBRARY, POLICY, REQUIRES, KCL, GLOBAL)
PLACE_RULES = (STACK, PROJECT, DEFAULTS)  # go by where the file is: discovery only

CHANGED = "changed"
ADDED = "added"
DELETED = "deleted"


@dataclasses.dataclass(frozen=True)
class Reason:
    """Why a stack is affected: the rule, what it went through, and the changed file.

    ``text()`` reads like ``model webapp: konfig/base/models/webapp/schema.yaml changed``;
    ``via`` is the chain between the stack and the file, e.g. the schemas a
    ``$ref`` went through.
    """

    rule: str
    subject: str  # "stack", "project konfig/appops/pay/checkout", "model webapp", "env prod", ...
    file: str
    change: str = CHANGED  # changed | added | deleted | renamed from X | renamed to X
    via: tuple[str, ...] = ()

    def text(self) -> str:
        out = f"{self.subject}: {self.file} {self.change}"
        if self.via:
            out += " (via " + " -> ".join(self.via) + ")"
        return out

    def with_change(self, change: str) -> "Reason":
        return dataclasses.replace(self, change=change)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "subject": self.subject, "file": self.file,
                "change": self.change, "via": list(self.via), "text": self.text()}


@dataclasses.dataclass(frozen=True)
class Input:
    """One file a stack is made of, and the rule that ties it to the stack."""

    file: str
    rule: str
    subject: str


@dataclasses.dataclass
class Changed:
    """A changed file as the rules see it: where it is, found once for all of them."""

    path: str
    change: str
    extra_selectors: tuple["Selector", ...]  # the policy's ``when`` at the base revision
    name: str  # the file name
    root: str | None  # the root it is under, if any (then stack/project are looked up)
    stack: "Stack | None"
    project: "Project | None"
    rest: list[str] | None  # its path below the base directory (not under a root)

    @classmethod
    def of(cls, graph: "Graph", path: str, change: str, extra: Iterable["Selector"] = ()) -> "Changed":
        root = graph.under_root(path)
        stack = project = None
        rest = None
        if root is not None:
            stack = graph.repo.stack_of(path)
            project = graph.repo.project_of(path)
        else:
            base = graph.repo.base
            if paths.is_within(path, base) and path != base:
                rest = path[len(base) + 1:].split("/")
        return cls(path, change, tuple(extra), path.rsplit("/", 1)[-1], root, stack, project, rest)

    def reason(self, rule: str, subject: str, via: tuple[str, ...] = ()) -> Reason:
        return Reason(rule, subject, self.path, self.change, via=via)


@dataclasses.dataclass
class Facts:
    """What the forward rules need of a stack, read once: its model and env (None if unreadable)."""

    stack: "Stack"
    model: str | None
    env: str | None

    @classmethod
    def of(cls, graph: "Graph", stack: "Stack") -> "Facts":
        env: str | None = None
        try:
            env = stack.env
        except KonfigError:
            pass
        return cls(stack, graph.model_of(stack), env)


Found = Iterator[tuple["Stack", Reason]]
Files = Iterator[tuple[str, str]]  # (file, subject)


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    dependents: Callable[["Graph", Changed], Found]
    inputs: Callable[["Graph", Facts], Files]


# -- stack, project, defaults, requires: files under a root ------------------------------

def _stack_dependents(g: "Graph", c: Changed) -> Found:
    if c.root is not None and c.stack is not None:
        yield c.stack, c.reason(STACK, STACK)


def _stack_inputs(g: "Graph", f: Facts) -> Files:
    nested = [s.path for s in g.stacks_below(f.stack.path) if s.path != f.stack.path]
    for file in g.files_below(f.stack.path, skip=nested):
        yield file, STACK


def _project_dependents(g: "Graph", c: Changed) -> Found:
    # a defaults.yaml is a layer of the stacks below it only (prod/defaults.yaml
    # is not one of dev's), whether or not it sits in a project
    if c.root is not None and c.project is not None and c.stack is None and c.name != formats.DEFAULTS_FILE:
        reason = c.reason(PROJECT, f"project {c.project.path}")
        yield from ((s, reason) for s in c.project.stacks)


def _project_inputs(g: "Graph", f: Facts) -> Files:
    project = f.stack.project
    for file in g.files_below(project.path, skip=[s.path for s in project.stacks]):
        if file.rsplit("/", 1)[-1] != formats.DEFAULTS_FILE:  # layers only below them: the defaults rule
            yield file, f"project {project.path}"


def _defaults_dependents(g: "Graph", c: Changed) -> Found:
    if c.root is not None and c.name == formats.DEFAULTS_FILE:
        reason = c.reason(DEFAULTS, DEFAULTS)
        yield from ((s, reason) for s in g.stacks_below(paths.parent(c.path)) if g.has_defaults_layers(s))


def _defaults_inputs(g: "Graph", f: Facts) -> Files:
    if g.has_defaults_layers(f.stack):
        for d in paths.ancestors(f.stack.path):
            file = paths.join(d, formats.DEFAULTS_FILE)
            if g.under_root(file) and g.repo.has_defaults(file):
                yield file, DEFAULTS


def _requires_dependents(g: "Graph", c: Changed) -> Found:
    if c.root is not None and c.name == formats.STACK_FILE and c.stack is not None and c.stack.file == c.path:
        for file, users in g.required_by(c.stack):
            reason = c.reason(REQUIRES, f"policy {g.policy_name(file)}")
            yield from ((s, reason) for s in users)


def _requires_inputs(g: "Graph", f: Facts) -> Files:
    for file, req in g.requirements():
        sel = g.policy_selector(file)
        if sel is not None and not matches(sel, f.stack):
            continue
        for other in req.satisfied_by(g.repo, f.stack):  # the reverse of required_by
            yield other.file, f"policy {g.policy_name(file)}"


# -- model, model env, env, policy, schema, library: files of the base -------------------

def _model_env(c: Changed) -> tuple[str, str] | None:
    """(model, env) for ``models/<m>/envs/<env>.yaml``."""
    rest = c.rest
    if rest and rest[0] == "models" and len(rest) == 4 and rest[2] == "envs" and rest[3].endswith(".yaml"):
        return rest[1], rest[3][: -len(".yaml")]
    return None


def _model_dependents(g: "Graph", c: Changed) -> Found:
    if c.rest and c.rest[0] == "models" and len(c.rest) >= 3 and _model_env(c) is None:
        model = c.rest[1]
        reason = c.reason(MODEL, f"model {model}")
        yield from ((s, reason) for s in g.stacks_using(model))


def _model_files(g: "Graph", f: Facts) -> Iterator[tuple[str, str | None]]:
    """(file, env) of the stack's model directory: env is set for ``envs/<env>.yaml``."""
    if f.model is None:
        return
    mdir = paths.join(g.repo.base, "models", f.model)
    for file in g.files_below(mdir):
        rest = file[len(mdir) + 1:].split("/")
        is_profile = len(rest) == 2 and rest[0] == "envs" and rest[1].endswith(".yaml")
        yield file, rest[1][: -len(".yaml")] if is_profile else None


def _model_inputs(g: "Graph", f: Facts) -> Files:
    for file, env in _model_files(g, f):
        if env is None:
            yield file, f"model {f.model}"


def _model_env_dependents(g: "Graph", c: Changed) -> Found:
    found = _model_env(c)
    if found is not None:
        model, env = found
        reason = c.reason(MODEL_ENV, f"model {model}, env {env}")
        yield from ((s, reason) for s in g.stacks_with_env(env, model))


def _model_env_inputs(g: "Graph", f: Facts) -> Files:
    for file, env in _model_files(g, f):
        if env is not None and env == f.env:
            yield file, f"model {f.model}, env {env}"


def _env_dependents(g: "Graph", c: Changed) -> Found:
    rest = c.rest
    if rest and rest[0] == "envs" and len(rest) == 2 and rest[1].endswith(".yaml"):
        env = rest[1][: -len(".yaml")]
        reason = c.reason(ENV, f"env {env}")
        yield from ((s, reason) for s in g.stacks_with_env(env))


def _env_inputs(g: "Graph", f: Facts) -> Files:
    if f.env is not None and g.repo.exists(g.repo.env_profile(f.env)):
        yield g.repo.env_profile(f.env), f"env {f.env}"


def _policy_dependents(g: "Graph", c: Changed) -> Found:
    if not (c.rest and c.rest[0] == "policies" and c.path.endswith((".yaml", ".yml"))):
        return
    from ...repo.selector import Selector

    selectors = list(c.extra_selectors)
    here = g.policy_selector(c.path)
    if here is not None:
        selectors.append(here)
    elif g.repo.exists(c.path):
        selectors.append(Selector())  # unreadable: it may select anything
    reason = c.reason(POLICY, f"policy {g.policy_name(c.path)}")
    seen: dict[str, "Stack"] = {}
    for sel in selectors:
        for s in (g.repo.stacks() if sel.empty else g.stacks_selected(sel)):
            seen.setdefault(s.path, s)
    yield from ((s, reason) for s in sorted(seen.values(), key=lambda s: s.path))


def _policy_inputs(g: "Graph", f: Facts) -> Files:
    for policy in g.repo.policies:
        sel = g.policy_selector(policy.file)
        if sel is None or matches(sel, f.stack):
            yield policy.file, f"policy {g.policy_name(policy.file)}"


def _schema_dependents(g: "Graph", c: Changed) -> Found:
    if c.rest is None:
        return
    models_dir = paths.join(g.repo.base, "models")
    for kind, name, closure in g.schema_users():
        chain = closure.get(c.path)
        if chain is None or not chain:
            continue  # not referenced, or the model's/policy's own file (its rule covers it)
        if kind == MODEL:
            if paths.is_within(c.path, paths.join(models_dir, name)):
                continue  # a file of the model itself: the model rule
            reason = c.reason(SCHEMA, f"model {name}", via=chain)
            yield from ((s, reason) for s in g.stacks_using(name))
        else:
            sel = g.policy_selector(name)
            reason = c.reason(SCHEMA, f"policy {g.policy_name(name)}", via=chain)
            yield from ((s, reason) for s in (g.repo.stacks() if sel is None else g.stacks_selected(sel)))


def _schema_inputs(g: "Graph", f: Facts) -> Files:
    for kind, name, closure in g.schema_users():
        if kind == MODEL and name == f.model:
            applies = True
        elif kind == POLICY:
            sel = g.policy_selector(name)
            applies = sel is None or matches(sel, f.stack)
        else:
            applies = False
        if applies:
            subject = f"model {name}" if kind == MODEL else f"policy {g.policy_name(name)}"
            for file, chain in closure.items():
                if chain and g.repo.exists(file):
                    yield file, subject


def _library_dependents(g: "Graph", c: Changed) -> Found:
    if c.rest and c.rest[0] == "lib" and c.path.endswith(".py"):
        for name, closure in g.library_users().items():
            chain = closure.get(c.path)
            if chain:
                reason = c.reason(LIBRARY, f"model {name}", via=chain)
                yield from ((s, reason) for s in g.stacks_using(name))


def _library_inputs(g: "Graph", f: Facts) -> Files:
    if f.model is not None:
        for file, chain in g.library_users().get(f.model, {}).items():
            if chain and g.repo.exists(file):
                yield file, f"model {f.model}"


# -- kcl: imports and kcl.mod -------------------------------------------------------------

def _kcl_dependents(g: "Graph", c: Changed) -> Found:
    if c.name == formats.KCL_MOD_FILE:
        reason = c.reason(KCL, "kcl.mod")
        yield from ((s, reason) for s, root, _c in g.kcl_closures() if root == paths.parent(c.path))
    elif c.path.endswith(".k"):
        for s, _root, closure in g.kcl_closures():
            chain = closure.get(c.path)
            if chain is not None:
                yield s, c.reason(KCL, "kcl import", via=chain)


def _kcl_inputs(g: "Graph", f: Facts) -> Files:
    for s, root, closure in g.kcl_closures():
        if s.path == f.stack.path:
            yield paths.join(root, formats.KCL_MOD_FILE), "kcl.mod"
            for file in closure:
                if g.repo.exists(file):
                    yield file, "kcl import"


# -- global ---------------------------------------------------------------------------------

def _global_dependents(g: "Graph", c: Changed) -> Found:
    if g.is_global(c.path):
        reason = c.reason(GLOBAL, GLOBAL)
        yield from ((s, reason) for s in g.repo.stacks())


def _global_inputs(g: "Graph", f: Facts) -> Files:
    for file in g.global_files():
        yield file, GLOBAL


TABLE = {r.name: r for r in (
    Rule(STACK, _stack_dependents, _stack_inputs),
    Rule(PROJECT, _project_dependents, _project_inputs),
    Rule(DEFAULTS, _defaults_dependents, _defaults_inputs),
    Rule(MODEL, _model_dependents, _model_inputs),
    Rule(MODEL_ENV, _model_env_dependents, _model_env_inputs),
    Rule(ENV, _env_dependents, _env_inputs),
    Rule(SCHEMA, _schema_dependents, _schema_inputs),
    Rule(LIBRARY, _library_dependents, _library_inputs),
    Rule(POLICY, _policy_dependents, _policy_inputs),
    Rule(REQUIRES, _requires_dependents, _requires_inputs),
    Rule(KCL, _kcl_dependents, _kcl_inputs),
    Rule(GLOBAL, _global_dependents, _global_inputs),
)}
assert tuple(TABLE) == RULES

# The order answers come in (``--why`` lists a stack's reasons in it). ``global``
# is asked first and alone: every stack already, no finer reason adds anything.
BY_FILE = (STACK, PROJECT, DEFAULTS, REQUIRES, MODEL_ENV, MODEL, ENV, POLICY, SCHEMA, LIBRARY, KCL)
BY_STACK = (STACK, PROJECT, DEFAULTS, MODEL, MODEL_ENV, ENV, SCHEMA, LIBRARY, POLICY, REQUIRES, KCL, GLOBAL)


def matches(sel: "Selector", stack: "Stack") -> bool:
    """Whether ``sel`` selects ``stack``; unreadable metadata counts as a match (the stack is
    kept, so the command that runs on it reports the broken file)."""
    try:
        return sel.matches(stack)
    except KonfigError:
        return True
