"""The dependency graph of a Konfig: which files each stack is made of, and the reverse.

One graph serves ``konfig affected`` and ``konfig diff`` (which stacks a
changed file affects, and why), ordering by ``depends_on`` and sharding
stacks over CI jobs. The rules (DESIGN.md "Affected stacks"), a file affects:

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
* ``global``    -- every stack, for ``konfig.yaml`` and files matching its ``global`` globs.

A stack of another model than its project's (``model:`` in its stack.yaml) is
a stack of that model for the model rules, and no ``defaults.yaml`` is a
layer of it.

Anything else (a README under a root, ``<base>/templates/``, docs) affects no stack.

The reverse direction is computed rule by rule and parses only what a rule
needs: path rules use discovery alone (no YAML is read), the model rule reads
``project.yaml`` files, the env rule ``stack.yaml`` files (and the model and defaults rules those
whose bytes could name a model of their own). That keeps
``konfig affected`` for a one-stack change fast on thousands of stacks.
Metadata that cannot be read counts as a match: the stack is kept, so the
command that runs on it reports the broken file.
"""
from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import KonfigError, UsageError
from ..files import paths
from ..repo.memo import Slot
from ..repo.peek import may_contain, peek_model

if TYPE_CHECKING:
    from ..repo.project import Project
    from ..repo.repository import Repository
    from ..repo.selector import Selector
    from ..repo.stack import Stack

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

RULES = (STACK, PROJECT, DEFAULTS, MODEL, MODEL_ENV, ENV, SCHEMA, LIBRARY, POLICY, REQUIRES, GLOBAL)
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


class Graph:
    """The dependency graph of one revision of a repository (``Graph.of(repo)`` shares it)."""

    def __init__(self, repo: "Repository") -> None:
        self.repo = repo
        self._sorted: list[str] | None = None
        self._model_projects: dict[str, list["Project"]] = {}
        self._model_stacks: dict[str, list["Stack"]] = {}
        self._own_models: dict[str, str] | None = None
        self._schema_users: list[tuple[str, str, dict[str, tuple[str, ...]]]] | None = None
        self._library_users: dict[str, dict[str, tuple[str, ...]]] | None = None
        self._requirements: list[tuple[str, Any]] | None = None
        self._global_list: list[str] | None = None

    @classmethod
    def of(cls, repo: "Repository") -> "Graph":
        g = repo.memo.get(_GRAPH)
        if g is None:
            g = repo.memo.put(_GRAPH, cls(repo))
        return g

    # -- discovery lookups (no file is parsed) ----------------------------------

    def stack_of(self, path: str) -> "Stack | None":
        """The stack whose directory holds ``path`` (the nearest enclosing one)."""
        d = paths.parent(path)
        while True:
            s = self.repo.stack_at(d)
            if s is not None:
                return s
            if not d:
                return None
            d = paths.parent(d)

    def project_of(self, path: str) -> "Project | None":
        d = paths.parent(path)
        while True:
            p = self.repo.project_at(d)
            if p is not None:
                return p
            if not d:
                return None
            d = paths.parent(d)

    def stacks_below(self, directory: str) -> list["Stack"]:
        """Every stack at or below ``directory``, in path order."""
        if self._sorted is None:
            self._sorted = sorted(s.path for s in self.repo.stacks())
        keys = self._sorted
        if not directory:
            return [self.repo.stack_at(p) for p in keys]  # type: ignore[misc]
        out = []
        s = self.repo.stack_at(directory)
        if s is not None:
            out.append(s)
        lo = bisect.bisect_left(keys, directory + "/")
        hi = bisect.bisect_left(keys, directory + "0")  # "0" sorts right after "/"
        out.extend(self.repo.stack_at(p) for p in keys[lo:hi])  # type: ignore[misc]
        return out

    def is_global(self, path: str) -> bool:
        """``konfig.yaml`` always (it defines discovery itself), and its ``global`` globs."""
        if path == formats.KONFIG_FILE:
            return True
        return paths.match_any(self.repo.settings["global"], path)

    def _under_root(self, path: str) -> str | None:
        for root in self.repo.roots:
            if paths.is_within(path, root):
                return root
        return None

    # -- metadata lookups (parsed on demand) -----------------------------------

    def projects_using(self, model: str) -> list["Project"]:
        """Projects whose ``project.yaml`` names ``model`` (or cannot be read).

        Only files whose bytes could spell the model name are parsed: at 1,500
        projects, parsing them all was a quarter of a model change's answer.
        """
        if model not in self._model_projects:
            found = []
            for p in self.repo.projects():
                if not may_contain(self.repo, p.file, model):
                    continue
                peeked = peek_model(self.repo.read(p.file))
                if peeked is not None:
                    if peeked == model:
                        found.append(p)
                    continue
                try:
                    if p.model_name != model:
                        continue
                except (KonfigError, KeyError):
                    pass  # unreadable: kept, so the check that runs on it reports the file
                found.append(p)
            self._model_projects[model] = found
        return self._model_projects[model]

    def stacks_using(self, model: str) -> list["Stack"]:
        """Stacks of ``model``: those of the projects using it, less the ones with a model
        of their own, plus the stacks elsewhere whose stack.yaml names it."""
        if model not in self._model_stacks:
            own = self.own_models()
            found = [s for p in self.projects_using(model) for s in p.stacks if s.path not in own]
            found += [self.repo.stack_at(p) for p, m in own.items() if m == model]  # type: ignore[misc]
            seen: dict[str, "Stack"] = {s.path: s for s in found}
            self._model_stacks[model] = sorted(seen.values(), key=_path)
        return self._model_stacks[model]

    def own_models(self) -> dict[str, str]:
        """Stack path -> its model, for the stacks that use another model than their project's.

        Only stack.yaml files whose bytes could say ``model`` are parsed; one
        that cannot be read counts as a stack of its project's model, as it did
        before it named one (the check that runs on it reports the file).
        """
        if self._own_models is None:
            out: dict[str, str] = {}
            for s in self.repo.stacks():
                if not may_contain(self.repo, s.file, "model"):
                    continue
                try:
                    if s.own_model:
                        out[s.path] = s.model_name
                except (KonfigError, KeyError):
                    pass
            self._own_models = out
        return self._own_models

    def model_of(self, stack: "Stack") -> str | None:
        """The model ``stack`` uses, as the model rules see it (None: unreadable project)."""
        own = self.own_models().get(stack.path)
        if own is not None:
            return own
        try:
            return stack.project.model_name
        except (KonfigError, KeyError):
            return None

    def has_defaults_layers(self, stack: "Stack") -> bool:
        """Whether the ``defaults.yaml`` files above ``stack`` are layers of it (unreadable: yes).

        Asked of the stacks below one ``defaults.yaml``: those alone are read.
        """
        if self._own_models is not None:
            return stack.path not in self._own_models
        if not may_contain(self.repo, stack.file, "model"):
            return True
        try:
            return not stack.own_model
        except (KonfigError, KeyError):
            return True

    def requirements(self) -> list[tuple[str, Any]]:
        """(policy file, ``Requirement``) of every readable policy with ``requires``."""
        got = self._requirements
        if got is None:
            got = []
            for policy in self.repo.policies:
                try:
                    req = policy.requirement
                except KonfigError:
                    continue
                if req is not None:
                    got.append((policy.file, req))
            self._requirements = got
        return got

    def required_by(self, stack: "Stack") -> list[tuple[str, list["Stack"]]]:
        """(policy file, the stacks it selects that ``stack`` meets its ``requires`` for)."""
        out = []
        for file, req in self.requirements():
            if not req.matches(stack):
                continue
            sel = self.policy_selector(file)
            try:
                key = req.key(stack)
            except KonfigError:
                key = None
            users = []
            for s in req.scope(self.repo, stack):
                if s.path == stack.path or (sel is not None and not _matches(sel, s)):
                    continue
                try:
                    if key is not None and req.key(s) != key:
                        continue
                except KonfigError:
                    pass
                users.append(s)
            if users:
                out.append((file, users))
        return out

    def stacks_with_env(self, env: str, model: str | None = None) -> list["Stack"]:
        pool: Iterable["Stack"] = self.stacks_using(model) if model else self.repo.stacks()
        out = []
        for s in pool:
            if not may_contain(self.repo, s.file, env):
                continue  # no env, or another one
            try:
                if s.env != env:
                    continue
            except KonfigError:
                pass  # unreadable: kept, so the check that runs on it reports the file
            out.append(s)
        return out

    def stacks_selected(self, selector: "Selector") -> list["Stack"]:
        out = []
        for s in self.repo.stacks():
            try:
                if not selector.matches(s):
                    continue
            except KonfigError:
                pass
            out.append(s)
        return out

    def policy_selector(self, file: str) -> "Selector | None":
        """The ``when`` of a policy file in this revision; None if it is not here or unreadable."""
        from ..repo.policy import Policy

        if not self.repo.exists(file):
            return None
        try:
            return Policy(self.repo, file).selector
        except KonfigError:
            return None

    def policy_name(self, file: str) -> str:
        from ..repo.policy import Policy

        try:
            return Policy(self.repo, file).name if self.repo.exists(file) else _stem(file)
        except KonfigError:
            return _stem(file)

    def schema_users(self) -> list[tuple[str, str, dict[str, tuple[str, ...]]]]:
        """(kind, name, closure) per model schema and policy: every schema file it
        ``$ref``\\s, transitively, with the chain of files that led there."""
        if self._schema_users is None:
            users: list[tuple[str, str, dict[str, tuple[str, ...]]]] = []
            for name in sorted(self.repo.model_names()):
                model = self.repo.model(name)
                users.append((MODEL, name, self._closure(model.schema_file, None)))
            for policy in self.repo.policies:
                try:
                    schema = policy.meta.get("schema")
                except KonfigError:
                    continue
                users.append((POLICY, policy.file, self._closure(policy.file, schema)))
            self._schema_users = users
        return self._schema_users

    def library_users(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """Model -> every library file its renderer imports, transitively, with the chain
        of files that led there (``renderlib.closure``)."""
        if self._library_users is None:
            from ..render import libraries as renderlib

            self._library_users = {}
            for name in sorted(self.repo.model_names()):
                render = self.repo.model(name).render_file
                if self.repo.exists(render):
                    self._library_users[name] = renderlib.closure(self.repo, render)
        return self._library_users

    def _closure(self, start: str, data: Any) -> dict[str, tuple[str, ...]]:
        """Files reachable by ``$ref`` from ``start`` -> the files in between (breadth first)."""
        from urllib.parse import urldefrag, urljoin

        from ..repo.model import rel_of, uri_of
        from ..schema.validator import iter_refs

        chains: dict[str, tuple[str, ...]] = {start: ()}
        todo = [(start, data)]
        while todo:
            cur, doc = todo.pop(0)
            if doc is None:
                try:
                    doc = self.repo.schema_document(cur)
                except KonfigError:
                    continue
            for ref in iter_refs(doc):
                try:
                    target = rel_of(urldefrag(urljoin(uri_of(cur), ref))[0])
                except KonfigError:
                    continue
                if target and target not in chains:
                    chains[target] = chains[cur] + (cur,)
                    todo.append((target, None))
        return chains

    # -- file -> stacks ----------------------------------------------------------

    def dependents(self, path: str, change: str = CHANGED, *,
                   rules: Iterable[str] = RULES,
                   extra_selectors: Iterable["Selector"] = ()) -> list[tuple["Stack", Reason]]:
        """The stacks a change to ``path`` affects, each with the reason.

        ``extra_selectors`` are more ``when:`` selectors of the same policy file
        (its base revision), so a policy affects what it selects in base or head.
        """
        wanted = set(rules)
        out: list[tuple["Stack", Reason]] = []

        def add(stacks: Iterable["Stack"], reason: Reason) -> None:
            out.extend((s, reason) for s in stacks)

        if GLOBAL in wanted and self.is_global(path):
            add(self.repo.stacks(), Reason(GLOBAL, GLOBAL, path, change))
            return out  # every stack already; no finer reason adds anything

        root = self._under_root(path)
        if root is not None:
            name = path.rsplit("/", 1)[-1]
            stack = self.stack_of(path)
            if STACK in wanted and stack is not None:
                add([stack], Reason(STACK, STACK, path, change))
            project = self.project_of(path)
            # a defaults.yaml is a layer of the stacks below it only (prod/defaults.yaml
            # is not one of dev's), whether or not it sits in a project
            is_defaults = name == formats.DEFAULTS_FILE
            if PROJECT in wanted and project is not None and stack is None and not is_defaults:
                add(project.stacks, Reason(PROJECT, f"project {project.path}", path, change))
            if DEFAULTS in wanted and is_defaults:
                add([s for s in self.stacks_below(paths.parent(path)) if self.has_defaults_layers(s)],
                    Reason(DEFAULTS, DEFAULTS, path, change))
            if (REQUIRES in wanted and name == formats.STACK_FILE and stack is not None
                    and stack.file == path):
                for file, users in self.required_by(stack):
                    add(users, Reason(REQUIRES, f"policy {self.policy_name(file)}", path, change))
            return out

        base = self.repo.base
        if not paths.is_within(path, base) or path == base:
            return out
        rest = path[len(base) + 1:].split("/")
        if rest[0] == "models" and len(rest) >= 3:
            model = rest[1]
            if len(rest) == 4 and rest[2] == "envs" and rest[3].endswith(".yaml"):
                if MODEL_ENV in wanted:
                    env = rest[3][: -len(".yaml")]
                    add(self.stacks_with_env(env, model),
                        Reason(MODEL_ENV, f"model {model}, env {env}", path, change))
            elif MODEL in wanted:
                add(self.stacks_using(model), Reason(MODEL, f"model {model}", path, change))
        elif rest[0] == "envs" and len(rest) == 2 and rest[1].endswith(".yaml"):
            if ENV in wanted:
                env = rest[1][: -len(".yaml")]
                add(self.stacks_with_env(env), Reason(ENV, f"env {env}", path, change))
        elif rest[0] == "policies" and path.endswith((".yaml", ".yml")):
            if POLICY in wanted:
                out.extend(self._policy_dependents(path, change, extra_selectors))
        if SCHEMA in wanted:
            out.extend(self._schema_dependents(path, change))
        if LIBRARY in wanted and rest[0] == "lib" and path.endswith(".py"):
            for name, closure in self.library_users().items():
                chain = closure.get(path)
                if chain:
                    reason = Reason(LIBRARY, f"model {name}", path, change, via=chain)
                    out.extend((s, reason) for s in self.stacks_using(name))
        return out

    def _policy_dependents(self, path: str, change: str,
                           extra: Iterable["Selector"]) -> list[tuple["Stack", Reason]]:
        from ..repo.selector import Selector

        selectors = list(extra)
        here = self.policy_selector(path)
        if here is not None:
            selectors.append(here)
        elif self.repo.exists(path):
            selectors.append(Selector())  # unreadable: it may select anything
        reason = Reason(POLICY, f"policy {self.policy_name(path)}", path, change)
        seen: dict[str, "Stack"] = {}
        for sel in selectors:
            for s in (self.repo.stacks() if sel.empty else self.stacks_selected(sel)):
                seen.setdefault(s.path, s)
        return [(s, reason) for s in sorted(seen.values(), key=_path)]

    def _schema_dependents(self, path: str, change: str) -> list[tuple["Stack", Reason]]:
        out: list[tuple["Stack", Reason]] = []
        models_dir = paths.join(self.repo.base, "models")
        for kind, name, closure in self.schema_users():
            chain = closure.get(path)
            if chain is None or not chain:
                continue  # not referenced, or the model's/policy's own file (its rule covers it)
            if kind == MODEL:
                if paths.is_within(path, paths.join(models_dir, name)):
                    continue  # a file of the model itself: the model rule
                reason = Reason(SCHEMA, f"model {name}", path, change, via=chain)
                out.extend((s, reason) for s in self.stacks_using(name))
            else:
                sel = self.policy_selector(name)
                reason = Reason(SCHEMA, f"policy {self.policy_name(name)}", path, change, via=chain)
                stacks = self.repo.stacks() if sel is None else self.stacks_selected(sel)
                out.extend((s, reason) for s in stacks)
        return out

    # -- stack -> files ------------------------------------------------------------

    def inputs(self, stack: "Stack") -> list[Input]:
        """Every file ``stack`` is made of, with the rule that ties it (the graph's forward edges)."""
        repo = self.repo
        out: list[Input] = []
        seen: set[str] = set()

        def add(file: str, rule: str, subject: str) -> None:
            if file not in seen:
                seen.add(file)
                out.append(Input(file, rule, subject))

        nested = [s.path for s in self.stacks_below(stack.path) if s.path != stack.path]
        for f in self._files(stack.path, skip=nested):
            add(f, STACK, STACK)
        project = stack.project
        inner = [s.path for s in project.stacks]
        for f in self._files(project.path, skip=inner):
            if f.rsplit("/", 1)[-1] != formats.DEFAULTS_FILE:  # layers only below them: next loop
                add(f, PROJECT, f"project {project.path}")
        if self.has_defaults_layers(stack):
            for d in paths.ancestors(stack.path):
                f = paths.join(d, formats.DEFAULTS_FILE)
                if self._under_root(f) and repo.has_defaults(f):
                    add(f, DEFAULTS, DEFAULTS)
        model_name = self.model_of(stack)
        env: str | None = None
        try:
            env = stack.env
        except KonfigError:
            pass
        if model_name is not None:
            mdir = paths.join(repo.base, "models", model_name)
            for f in self._files(mdir):
                rest = f[len(mdir) + 1:].split("/")
                if len(rest) == 2 and rest[0] == "envs" and rest[1].endswith(".yaml"):
                    if env is not None and rest[1] == f"{env}.yaml":
                        add(f, MODEL_ENV, f"model {model_name}, env {env}")
                else:
                    add(f, MODEL, f"model {model_name}")
        if env is not None and repo.exists(repo.env_profile(env)):
            add(repo.env_profile(env), ENV, f"env {env}")
        for kind, name, closure in self.schema_users():
            if kind == MODEL and name == model_name:
                applies = True
            elif kind == POLICY:
                sel = self.policy_selector(name)
                applies = sel is None or _matches(sel, stack)
            else:
                applies = False
            if applies:
                subject = f"model {name}" if kind == MODEL else f"policy {self.policy_name(name)}"
                for f, chain in closure.items():
                    if chain and repo.exists(f):
                        add(f, SCHEMA, subject)
        if model_name is not None:
            for f, chain in self.library_users().get(model_name, {}).items():
                if chain and repo.exists(f):
                    add(f, LIBRARY, f"model {model_name}")
        for policy in repo.policies:
            sel = self.policy_selector(policy.file)
            if sel is None or _matches(sel, stack):
                add(policy.file, POLICY, f"policy {self.policy_name(policy.file)}")
        for file, req in self.requirements():
            sel = self.policy_selector(file)
            if sel is not None and not _matches(sel, stack):
                continue
            for other in req.satisfied_by(repo, stack):  # the reverse of required_by
                add(other.file, REQUIRES, f"policy {self.policy_name(file)}")
        for f in self._global_files():
            add(f, GLOBAL, GLOBAL)
        return out

    def _files(self, top: str, skip: Iterable[str] = ()) -> list[str]:
        skipped = set(skip)
        out = []
        for rel, dirs, files in self.repo.source.walk(top):
            if rel in skipped:
                dirs[:] = []
                continue
            dirs[:] = [d for d in dirs if paths.join(rel, d) not in skipped]
            out.extend(paths.join(rel, f) for f in files)
        return [f for f in out if not any(paths.is_within(f, s) for s in skipped)]

    def _global_files(self) -> list[str]:
        got = self._global_list
        if got is None:
            got = self._global_list = [f for f in self.repo.source.files() if self.is_global(f)]
        return got


_GRAPH: Slot[Graph] = Slot("graph")

# -- sharding ------------------------------------------------------------------------------

def shard_count(n: int, size: int, max_shards: int) -> int:
    """How many shards ``n`` stacks need: at most ``size`` each, at most ``max_shards``
    (beyond that shards grow past ``size``)."""
    if n <= 0:
        return 0
    return max(1, min(-(-n // max(1, size)), max(1, max_shards)))


def split(items: list[Any], total: int) -> list[list[Any]]:
    """``items`` in ``total`` contiguous chunks whose sizes differ by at most one."""
    if total <= 0:
        return []
    q, r = divmod(len(items), total)
    out, i = [], 0
    for k in range(total):
        n = q + (1 if k < r else 0)
        out.append(items[i:i + n])
        i += n
    return out


def shards(items: list[Any], size: int, max_shards: int) -> list[list[Any]]:
    return split(items, shard_count(len(items), size, max_shards))


def parse_shard(text: str) -> tuple[int, int]:
    """``"3/10"`` -> (3, 10); shard numbers count from 1."""
    index, sep, total = text.strip().partition("/")
    try:
        i, n = int(index), int(total)
    except ValueError:
        i = n = 0
    if not sep or n < 1 or not 1 <= i <= n:
        raise UsageError(f"bad shard {text!r}: expected INDEX/TOTAL with 1 <= INDEX <= TOTAL, e.g. 2/5")
    return i, n


def shard(items: list[Any], spec: str) -> list[Any]:
    """The ``INDEX/TOTAL`` shard of ``items`` (the same split ``shards`` makes)."""
    i, n = parse_shard(spec)
    return split(items, n)[i - 1]


def _path(s: Any) -> str:
    return str(s.path)


def _stem(file: str) -> str:
    return file.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _matches(sel: "Selector", stack: "Stack") -> bool:
    try:
        return sel.matches(stack)
    except KonfigError:
        return True

