"""What a change really does to each stack it affects: ``affected --precise``, ``diff``, ``review``.

A file-level answer (``affected``) over-approximates: a model default every
stack overrides, a comment, a reordered mapping change nothing a runtime
sees. This module compares each file-affected stack at the merge-base and at
head -- resolved config and rendered resources -- once, and every command that
asks what a change does reads this one result: ``affected --precise`` reports
it, ``diff`` shows it, ``review`` matches its changed key paths against rules
and exemptions.

Status of a stack (DESIGN.md "Semantic change"): ``changed`` (resolved config
or rendered output differ), ``unchanged`` (both identical), ``added``,
``deleted``, ``error`` (it does not resolve or render on one side: treated
as changed, never dropped, never ``unchanged``).

How it stays cheap:

* A stack whose inputs hash the same on both sides (``check.stack_test.input_key``:
  every layer file, the model with its renderer and libraries, the settings,
  the tool -- the content hash the results cache keys by) is ``unchanged``
  without being resolved.
* Otherwise both sides are resolved in this process (git objects are read
  here); when the configs are equal, the renderer's files and what it is told
  about the stack (``StackInfo``) too, the resources are equal without rendering.
* Only the rest is rendered, both sides of a stack in one call, through the
  worker pool (``check.parallel.map_stacks``: its watchdog and
  ``render.timeout``), together with the comparison and -- for ``diff`` --
  the unified diff texts, so serialising is spread over the cores as well.

``keys`` are leaf key paths (the deepest whose values differ), in key-path
syntax: a list whose schema has ``x-merge-key`` is compared item by item and
its items named by that key (``env[name=LOG_LEVEL].value``); any other list
that differs is reported at its own path (``ports``). An added or removed
subtree is reported at each of its leaves, so an added stack lists every key
it sets (what a rule on ``resources.**`` must see). ``resources`` are the
rendered resources that differ, as ``Kind/namespace/name``.
"""
from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .. import keypath as kp
from ..errors import KonfigError
from .graph import ADDED, CHANGED, DELETED, Reason

if TYPE_CHECKING:
    from ..repo.model import MergeSpec
    from ..repo.repository import Repository
    from ..repo.stack import Stack
    from .affected import Affected, AffectedStack

UNCHANGED = "unchanged"
ERROR = "error"
STATUSES = (CHANGED, UNCHANGED, ADDED, DELETED, ERROR)
CONTEXT = 3
UNAVAILABLE = "unavailable"  # a side's render_error: this konfig cannot render


class RenderUnavailable(Exception):
    """This konfig cannot render (``konfigctl.render.renderer`` is not installed)."""


@dataclasses.dataclass
class Side:
    """One stack at one revision: its resolved config and rendered resources, or why not."""

    stack: "Stack | None" = None
    config: dict[str, Any] | None = None
    error: str | None = None  # it does not resolve
    resources: list[dict[str, Any]] | None = None
    render_error: str | None = None


@dataclasses.dataclass
class ValueChange:
    path: str
    kind: str  # added | removed | changed
    old: Any = None
    new: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "old": self.old, "new": self.new}


@dataclasses.dataclass
class ResourceChange:
    key: str  # Kind/namespace/name
    kind: str  # added | removed | changed
    diff: str = ""  # the unified diff of its YAML: only when asked for (``texts``)

    def to_json(self) -> dict[str, Any]:
        return {"resource": self.key, "kind": self.kind, "diff": self.diff}


@dataclasses.dataclass
class StackChange:
    """One file-affected stack compared at the merge-base and at head."""

    path: str
    status: str  # one of STATUSES
    file_status: str  # what ``affected`` says: added | changed | deleted
    reasons: list[Reason]
    values: list[ValueChange] = dataclasses.field(default_factory=list)
    resources: list[ResourceChange] | None = None  # None: not rendered (see ``notes``)
    errors: list[str] = dataclasses.field(default_factory=list)  # "base: ...", "head: render: ..."
    notes: list[str] = dataclasses.field(default_factory=list)
    config_diff: str = ""  # with ``texts``
    compared: bool = True  # False: a side does not resolve, so nothing was compared
    same_inputs: bool = False  # unchanged because its inputs hash the same on both sides
    # unchanged output, but what its checks compare it with differs (a policy, a schema, its
    # golden file, its labels): its verdict may change, so CI tests it all the same
    retest: bool = False

    @property
    def keys(self) -> list[str]:
        return [v.path for v in self.values]

    @property
    def resource_keys(self) -> list[str]:
        return [r.key for r in self.resources or ()]

    @property
    def really_changed(self) -> bool:
        return self.status != UNCHANGED

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status,
                "reasons": [r.to_json() for r in self.reasons],
                "keys": self.keys, "resources": self.resource_keys, "errors": list(self.errors),
                "retest": self.retest}


@dataclasses.dataclass
class Semantic:
    """The answer of ``affected --precise``: every file-affected stack with its status."""

    affected: "Affected"
    stacks: list[StackChange]  # the affected stacks (dependencies first), then the deleted ones
    rendered: bool = True
    precise = True  # what CI shards: only what really changes (``paths``)

    def paths(self) -> list[str]:
        """The stacks CI tests (``Affected.paths`` for a precise answer)."""
        return self.to_test()

    @property
    def change(self) -> Any:
        return self.affected.change

    def of(self, path: str) -> StackChange | None:
        return next((s for s in self.stacks if s.path == path), None)

    def really_changed(self) -> list[StackChange]:
        return [s for s in self.stacks if s.really_changed]

    def to_test(self) -> list[str]:
        """What CI must test: the stacks that still exist and really change, or whose verdict
        may change without their output (``retest``), dependencies first."""
        return [s.path for s in self.stacks if (s.really_changed or s.retest) and s.status != DELETED]

    def counts(self) -> dict[str, int]:
        return {st: sum(1 for s in self.stacks if s.status == st) for st in STATUSES}

    def to_json(self) -> dict[str, Any]:
        """``affected`` lists what really changes (what CI shards), ``unchanged`` the stacks
        the files affect but whose config and resources stay the same, ``deleted`` as without
        ``--precise``."""
        return {
            **self.change.to_json(),
            "precise": True,
            "affected": [s.to_json() for s in self.stacks if s.status not in (UNCHANGED, DELETED)],
            "unchanged": [s.to_json() for s in self.stacks if s.status == UNCHANGED],
            "deleted": [s.to_json() for s in self.stacks if s.status == DELETED],
            "counts": self.counts(),
        }


# -- computing ---------------------------------------------------------------------------------

def compute(repo: "Repository", base: str, head: str | None = None, *, uncommitted: bool = False,
            render: bool = True, texts: bool = False, jobs: int | None = None,
            progress: Any = None) -> Semantic:
    """Every stack the change from merge-base(``base``, ``head``) to ``head`` affects, compared."""
    from .affected import affected_by
    from .changeset import ChangeSet

    change = ChangeSet.open(repo.root, base, head, uncommitted=uncommitted, work_tree=repo)
    return compare(affected_by(change), render=render, texts=texts, jobs=jobs, progress=progress)


# What pool workers inherit at fork (never pickled): the pairs to render, by path.
_JOB: dict[str, Any] = {}


@dataclasses.dataclass
class _Pair:
    affected: "AffectedStack"
    before: Side
    after: Side
    spec: "MergeSpec | None"


def compare(affected: "Affected", *, render: bool = True, texts: bool = False, jobs: int | None = None,
            progress: Any = None) -> Semantic:
    """Compare each stack ``affected`` lists at the merge-base and at head (the committed head,
    or the work tree with ``--uncommitted``). ``texts``: also the unified diffs ``diff`` shows."""
    from .changeset import ChangeSet

    change: ChangeSet = affected.change
    base_repo = change.merge_base_repo
    head_repo = change.committed_head_repo
    out: dict[str, StackChange] = {}
    todo: list[_Pair] = []
    unavailable = render and not _can_render()
    sides: dict[str, tuple["Stack", "Stack"]] = {}  # both exist: a verdict to compare
    for a in affected.stacks + affected.deleted:
        before = Side(_stack_at(base_repo, a.path))
        after = Side(_stack_at(head_repo, a.path))
        if before.stack is not None and after.stack is not None:
            sides[a.path] = (before.stack, after.stack)
        if before.stack is not None and after.stack is not None and _same_inputs(before.stack, after.stack):
            out[a.path] = StackChange(a.path, UNCHANGED, a.status, a.reasons, resources=[], same_inputs=True)
            continue
        for side in (before, after):
            _resolve(side)
        spec = _merge_spec(after.stack) or _merge_spec(before.stack)
        pair = _Pair(a, before, after, spec)
        if unavailable:
            out[a.path] = _compare_pair(pair, render=False, texts=texts, rendered=True, unavailable=True)
        elif not render or before.error or after.error or not _may_render_differently(before, after):
            out[a.path] = _compare_pair(pair, render=False, texts=texts, rendered=render)
        else:
            todo.append(pair)
    if todo:
        for path, result in _render_all(todo, head_repo, base_repo, texts, jobs, progress):
            out[path] = result
    for path, (before, after) in sides.items():
        if out[path].status == UNCHANGED:  # same inputs too: the golden file is not one
            out[path].retest = _verdict_may_change(before, after)
    order = [a.path for a in affected.stacks + affected.deleted]
    return Semantic(affected, [out[p] for p in order], rendered=render)


def _verdict_may_change(before: "Stack", after: "Stack") -> bool:
    from ..check.stack_test import verdict_key

    key = verdict_key(after.repo, after)
    return key is None or key != verdict_key(before.repo, before)


def _can_render() -> bool:
    try:
        from ..render.renderer import render_stack  # noqa: F401
    except ImportError:
        return False
    return True


def _stack_at(repo: "Repository", path: str) -> "Stack | None":
    try:
        return repo.stack_at(path)
    except KonfigError:
        return None


def _same_inputs(before: "Stack", after: "Stack") -> bool:
    from ..check.stack_test import input_key

    a = input_key(before.repo, before)
    return a is not None and a == input_key(after.repo, after)


def _resolve(side: Side) -> None:
    from .. import engine

    if side.stack is None:
        return
    try:
        side.config = engine.of(side.stack).resolve(side.stack.repo, side.stack)
    except KonfigError as e:
        side.error = str(e)


def _merge_spec(stack: "Stack | None") -> "MergeSpec | None":
    if stack is None:
        return None
    try:
        return stack.model.merge_spec
    except KonfigError:
        return None


def _may_render_differently(before: Side, after: Side) -> bool:
    """False when the resources must be equal: the same config, the same ``StackInfo`` and the
    same renderer files (its ``render.py`` and the libraries it imports) on both sides."""
    if before.stack is None or after.stack is None or before.config != after.config:
        return True
    try:
        if before.stack.info() != after.stack.info():
            return True
        return _renderer_digest(before.stack) != _renderer_digest(after.stack)
    except KonfigError:
        return True


def _renderer_digest(stack: "Stack") -> str:
    from ..check.stack_test import digests
    from ..render import libraries

    repo = stack.repo
    model = repo.model(stack.model_name)
    return digests(repo).files(list(libraries.closure(repo, model.render_file)) + [model.render_file])


def _render_all(pairs: list[_Pair], head_repo: "Repository", base_repo: "Repository", texts: bool,
                jobs: int | None, progress: Any) -> Iterator[tuple[str, StackChange]]:
    """Render both sides of each pair and compare, in the worker pool (one task per stack)."""
    from ..check.parallel import map_stacks

    _warm(pairs, (base_repo, head_repo))
    stacks = [p.after.stack or p.before.stack for p in pairs]
    _JOB.update(pairs={p.affected.path: p for p in pairs}, texts=texts)
    try:
        for stack, result in map_stacks(head_repo, stacks, _render_pair, jobs=jobs,  # type: ignore[arg-type]
                                        progress=progress, label="comparing", renders=True):
            yield stack.path, result
    finally:
        _JOB.clear()


def _warm(pairs: list[_Pair], repos: tuple["Repository", ...]) -> None:
    """Load every renderer once before the workers fork, so they start with them compiled."""
    try:
        from ..render.renderer import load_renderer
    except ImportError:
        return
    for repo in repos:
        for name in sorted({_model_name(s) for p in pairs for s in (p.before.stack, p.after.stack)
                            if s is not None and s.repo is repo} - {None}):
            try:
                load_renderer(repo, name)  # type: ignore[arg-type]
            except KonfigError:
                pass


def _model_name(stack: "Stack") -> str | None:
    try:
        return stack.model_name
    except KonfigError:
        return None


def _render_pair(repo: "Repository", stack: "Stack") -> StackChange:
    """A pool task: render both sides of the stack at ``stack.path`` and compare them."""
    pair = _JOB["pairs"][stack.path]
    for side in (pair.before, pair.after):
        _render(side)
    return _compare_pair(pair, render=True, texts=_JOB["texts"], rendered=True)


def _render(side: Side) -> None:
    if side.stack is None or side.config is None:
        return
    try:
        side.resources = render_resources(side.stack.repo, side.stack, side.config)
    except RenderUnavailable:
        side.render_error = UNAVAILABLE
    except KonfigError as e:
        side.render_error = str(e)
    except Exception as e:  # noqa: BLE001 - a renderer is user code: its failure is data here
        side.render_error = f"{type(e).__name__}: {e}"


def render_resources(repo: "Repository", stack: "Stack",
                     config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The stack's rendered resources (its engine's render: ``render.renderer.render_stack`` for
    a YAML stack), from ``config`` when it is already resolved; a KCL stack's Kubernetes
    manifests (its kusion resources unwrapped)."""
    from .. import engine

    try:
        from ..render.renderer import render_stack  # noqa: F401 - whether this konfig can render
    except ImportError:
        raise RenderUnavailable() from None
    eng = engine.of(stack)
    got = eng.render(repo, stack, config)
    if eng.name != "yaml":
        got = eng.manifests(got)
    got = getattr(got, "resources", got)
    return [r for r in (got or []) if isinstance(r, dict)]


def _compare_pair(pair: _Pair, *, render: bool, texts: bool, rendered: bool,
                  unavailable: bool = False) -> StackChange:
    """The verdict on one stack from its two sides. ``render``: the sides were rendered (else
    the resources are equal, or were not asked for: ``rendered`` False)."""
    a, before, after = pair.affected, pair.before, pair.after
    res = StackChange(a.path, CHANGED, a.status, a.reasons)
    broken = [label for label, s in (("base", before), ("head", after)) if s.error]
    res.errors = [f"{label}: {s.error}" for label, s in (("base", before), ("head", after)) if s.error]
    if broken:  # compared with nothing, every value would read as removed (or added)
        res.status = ERROR
        res.compared = False
        res.notes.append(f"not compared: the stack does not resolve at {' and '.join(broken)}")
        return res
    res.values = value_changes(before.config if before.stack else {}, after.config if after.stack else {},
                               pair.spec)
    if texts and (res.values or before.config != after.config):
        res.config_diff = unified(_yaml(before.config), _yaml(after.config), a.path, "resolved config")
    if not rendered:
        res.resources = None
        res.notes.append("rendered resources not compared (--no-render)")
    elif unavailable or before.render_error == after.render_error == UNAVAILABLE:
        res.resources = None
        res.notes.append(RENDER_UNAVAILABLE)
    elif not render:
        res.resources = []  # same config, renderer and stack: the same resources
    else:
        for label, s in (("base", before), ("head", after)):
            if s.render_error and s.render_error != UNAVAILABLE and s.config is not None:
                res.errors.append(f"{label}: render: {s.render_error}")
        if before.render_error is not None and before.render_error == after.render_error \
                and before.config is not None:
            res.resources = None  # the same failure on both sides: nothing to compare
        else:
            res.resources = resource_changes(before.resources or [], after.resources or [], texts)
    if before.stack is None:
        res.status = ADDED
    elif after.stack is None:
        res.status = DELETED
    if res.errors:
        res.status = ERROR
    elif res.status == CHANGED and not res.values and not res.resources:
        res.status = UNCHANGED
    return res


RENDER_UNAVAILABLE = "rendered resources not compared: this konfig cannot render"


def fill_texts(result: Semantic, s: StackChange) -> None:
    """The unified diff texts of one stack compared without them (``texts=False``): both sides
    resolved and rendered again, here. A pull request comment shows a few dozen stacks of
    thousands: their texts cost far less than everyone's."""
    if s.config_diff or not s.compared or s.status == UNCHANGED:
        return
    change = result.change
    before = Side(_stack_at(change.merge_base_repo, s.path))
    after = Side(_stack_at(change.committed_head_repo, s.path))
    for side in (before, after):
        _resolve(side)
        if result.rendered and s.resources:
            _render(side)
    if before.error or after.error:
        return
    if s.values or before.config != after.config:
        s.config_diff = unified(_yaml(before.config), _yaml(after.config), s.path, "resolved config")
    if s.resources:
        texts = {r.key: r.diff for r in resource_changes(before.resources or [], after.resources or [])}
        for r in s.resources:
            r.diff = texts.get(r.key, r.diff)


# -- comparing ---------------------------------------------------------------------------------

def value_changes(old: Any, new: Any, spec: "MergeSpec | None" = None,
                  prefix: tuple[Any, ...] = ()) -> list[ValueChange]:
    """Leaf-level changes between two configs: mappings key by key, ``x-merge-key`` lists item
    by item (named ``[key=value]``), other values (and lists) whole."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in list(old) + [k for k in new if k not in old]:
            child = spec.child(key) if spec is not None else None
            if key not in new:
                out += [ValueChange(kp.format(p), "removed", v, None)
                        for p, v in _leaves(old[key], child, prefix + (key,))]
            elif key not in old:
                out += [ValueChange(kp.format(p), "added", None, v)
                        for p, v in _leaves(new[key], child, prefix + (key,))]
            else:
                out.extend(value_changes(old[key], new[key], child, prefix + (key,)))
        return out
    if isinstance(old, list) and isinstance(new, list) and spec is not None and spec.key:
        a, b = _keyed(old, spec.key), _keyed(new, spec.key)
        if a is not None and b is not None:
            if list(a) != [k for k in b if k in a] and old != new:  # the same items, reordered
                return [ValueChange(kp.format(prefix), "changed", old, new)]
            return value_changes(a, b, _ItemSpec(spec), prefix)
    if old == new and type(old) is type(new):
        return []
    return [ValueChange(kp.format(prefix), "changed", old, new)]


class _ItemSpec:
    """The spec of a keyed list seen as a mapping from its items' selectors to them."""

    def __init__(self, spec: "MergeSpec") -> None:
        self.items = spec.items
        self.key = None

    def child(self, key: Any) -> "MergeSpec | None":
        return self.items


def _keyed(items: list[Any], key: str) -> dict[kp.Select, Any] | None:
    """A keyed list as {selector: item}; None when an item has no scalar key or a key repeats."""
    out: dict[kp.Select, Any] = {}
    for item in items:
        v = item.get(key) if isinstance(item, dict) else None
        if not isinstance(v, (str, int, float, bool)):
            return None
        sel = kp.Select(key, str(v).lower() if isinstance(v, bool) else str(v))
        if sel in out:
            return None
        out[sel] = item
    return out


def _leaves(value: Any, spec: Any, prefix: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, value) of each leaf of a subtree: mappings and keyed lists are descended."""
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from _leaves(v, spec.child(k) if spec is not None else None,
                               prefix + (k,))
        return
    if isinstance(value, list) and value and spec is not None and spec.key:
        items = _keyed(value, spec.key)
        if items is not None:
            for sel, item in items.items():
                yield from _leaves(item, spec.items, prefix + (sel,))
            return
    yield prefix, value


def _yaml(data: Any) -> str:
    if data is None:
        return ""
    from ..yamlio import dump

    return dump(data, fast=True) if data != {} else "{}\n"


def unified(old: str, new: str, path: str, what: str) -> str:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 f"a/{path} ({what})", f"b/{path} ({what})", n=CONTEXT)
    return "".join(ln if ln.endswith("\n") else ln + "\n" for ln in lines)


def resource_key(r: dict[str, Any]) -> str:
    meta = r.get("metadata") if isinstance(r.get("metadata"), dict) else {}
    parts = [str(r.get("kind", "?"))]
    if meta.get("namespace"):
        parts.append(str(meta["namespace"]))
    parts.append(str(meta.get("name", "?")))
    return "/".join(parts)


def resource_changes(old: list[dict[str, Any]], new: list[dict[str, Any]],
                     texts: bool = True) -> list[ResourceChange]:
    def index(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for r in items:
            key = resource_key(r)
            n, k = 2, key
            while k in out:  # same kind and name twice: keep both
                k, n = f"{key}#{n}", n + 1
            out[k] = r
        return out

    a, b = index(old), index(new)
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        before, after = a.get(key), b.get(key)
        if before == after:
            continue
        kind = "added" if before is None else "removed" if after is None else "changed"
        text = unified(_yaml(before), _yaml(after), key, "rendered") if texts else ""
        out.append(ResourceChange(key, kind, text))
    return out


Progress = Callable[..., Any]
