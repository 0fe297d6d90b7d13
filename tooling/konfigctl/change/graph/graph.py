"""The dependency graph of a Konfig revision: which files each stack is made of, and the reverse.

One graph serves ``konfig affected`` and ``konfig diff`` (which stacks a
changed file affects, and why) and the test that both directions agree. The
rules that tie a file to stacks are the table of ``rules`` (one small function
per rule and direction); ``Graph`` holds what they look things up in:
discovery (no file parsed), then metadata parsed on demand and remembered.

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
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ... import formats
from ...errors import KonfigError
from ...files import paths
from ...repo.memo import Slot
from ...repo.peek import may_contain, peek_model
from .rules import (
    BY_FILE,
    BY_STACK,
    CHANGED,
    GLOBAL,
    MODEL,
    POLICY,
    RULES,
    TABLE,
    Changed,
    Facts,
    Input,
    Reason,
    matches,
)

if TYPE_CHECKING:
    from ...repo.project import Project
    from ...repo.repository import Repository
    from ...repo.selector import Selector
    from ...repo.stack import Stack

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
        self._kcl: list[tuple["Stack", str, dict[str, tuple[str, ...]]]] | None = None
        self._requirements: list[tuple[str, Any]] | None = None
        self._global_list: list[str] | None = None

    @classmethod
    def of(cls, repo: "Repository") -> "Graph":
        g = repo.memo.get(_GRAPH)
        if g is None:
            g = repo.memo.put(_GRAPH, cls(repo))
        return g

    # -- discovery lookups (no file is parsed) ----------------------------------

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
        """``konfig.yaml`` always (it defines discovery itself), the CRD schemas in
        ``<base>/crds/`` (every rendered custom resource is checked against them, as the
        results cache knows), and ``konfig.yaml``'s ``global`` globs."""
        if path == formats.KONFIG_FILE or paths.is_within(path, paths.join(self.repo.base, "crds")):
            return True
        return paths.match_any(self.repo.settings["global"], path)

    def under_root(self, path: str) -> str | None:
        """The configured root ``path`` is under, if any."""
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
            self._model_stacks[model] = sorted(seen.values(), key=lambda s: s.path)
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
            users = req.peers(self.repo, stack, lambda s, sel=sel: sel is None or matches(sel, s))
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
        from ...repo.policy import Policy

        if not self.repo.exists(file):
            return None
        try:
            return Policy(self.repo, file).selector
        except KonfigError:
            return None

    def policy_name(self, file: str) -> str:
        from ...repo.policy import Policy

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
            from ...render import libraries as renderlib

            self._library_users = {}
            for name in sorted(self.repo.model_names()):
                render = self.repo.model(name).render_file
                if self.repo.exists(render):
                    self._library_users[name] = renderlib.closure(self.repo, render)
        return self._library_users

    def _closure(self, start: str, data: Any) -> dict[str, tuple[str, ...]]:
        """Files reachable by ``$ref`` from ``start`` -> the files in between (breadth first)."""
        from urllib.parse import urldefrag, urljoin

        from ...repo.model import rel_of, uri_of
        from ...schema.validator import iter_refs

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

    # -- the two directions, over the rule table -------------------------------------

    def kcl_closures(self) -> list[tuple["Stack", str, dict[str, tuple[str, ...]]]]:
        """(KCL stack, its module root, the files its compile imports -> the chain) for every KCL
        stack whose kcl.yaml reads (one that does not keeps only its own directory's files)."""
        if self._kcl is None:
            from ...engine import kcl

            self._kcl = []
            for s in self.repo.stacks():
                if s.is_kcl:
                    try:
                        self._kcl.append((s, kcl.settings(self.repo, s).mod_root, kcl.closure(self.repo, s)))
                    except KonfigError:
                        pass
        return self._kcl

    def dependents(self, path: str, change: str = CHANGED, *,
                   rules: Iterable[str] = RULES,
                   extra_selectors: Iterable["Selector"] = ()) -> list[tuple["Stack", Reason]]:
        """The stacks a change to ``path`` affects, each with the reason (``rules.BY_FILE`` order).

        ``extra_selectors`` are more ``when:`` selectors of the same policy file
        (its base revision), so a policy affects what it selects in base or head.
        """
        wanted = set(rules)
        changed = Changed.of(self, path, change, extra_selectors)
        if GLOBAL in wanted and self.is_global(path):
            return list(TABLE[GLOBAL].dependents(self, changed))  # every stack; nothing finer adds
        return [found for name in BY_FILE if name in wanted for found in TABLE[name].dependents(self, changed)]

    def inputs(self, stack: "Stack") -> list[Input]:
        """Every file ``stack`` is made of, with the rule that ties it (the graph's forward edges)."""
        facts = Facts.of(self, stack)
        out: list[Input] = []
        seen: set[str] = set()
        for name in BY_STACK:
            for file, subject in TABLE[name].inputs(self, facts):
                if file not in seen:
                    seen.add(file)
                    out.append(Input(file, name, subject))
        return out

    def files_below(self, top: str, skip: Iterable[str] = ()) -> list[str]:
        """Every file under ``top``, those under the ``skip`` directories left out."""
        skipped = set(skip)
        out = []
        for rel, dirs, files in self.repo.source.walk(top):
            if rel in skipped:
                dirs[:] = []
                continue
            dirs[:] = [d for d in dirs if paths.join(rel, d) not in skipped]
            out.extend(paths.join(rel, f) for f in files)
        return [f for f in out if not any(paths.is_within(f, s) for s in skipped)]

    def global_files(self) -> list[str]:
        """Every file of the revision that the ``global`` rule ties to every stack."""
        got = self._global_list
        if got is None:
            got = self._global_list = [f for f in self.repo.source.files() if self.is_global(f)]
        return got


_GRAPH: Slot[Graph] = Slot("graph")

def _stem(file: str) -> str:
    return file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
