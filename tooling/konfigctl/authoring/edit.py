"""Editing one layer file the way a person would: ``konfig set``, ``konfigctl.api.override_file``.

An edit is a list of specs (``path=value``, ``path-``, ``path+=value``) applied
to one YAML file in ruamel's round-trip mode, so every comment, the key order,
quoting and blank lines stay as written (``roundtrip`` moves the comments
that ruamel would otherwise lose). What is edited:

* ``stack.yaml``: its ``config`` mapping (key paths are those ``resolve`` prints);
* any other layer (``defaults.yaml``, env profiles, model defaults): the whole document;
* any other file (``override_file`` on ``project.yaml``...): the whole document.

Key paths name the stack's *resolved* configuration: ``env[3]`` on a list
merged by key (``x-merge-key``) is the item with that key in this layer,
created if the layer does not have it yet; an index into a plain list the
layer does not hold copies the resolved list into the layer first (a lower
layer's list is replaced by a higher one's, so that is what keeps the other
items).

Before anything is written, every stack that uses the file is resolved and
validated against the edited text (``Repository.with_changes``): a change that
introduces an error is refused unless forced, and the file is not touched.
Problems that were already there before the edit are reported but do not block
it (an image bump must not wait for an unrelated fix). The golden files of the
stacks the edit changes are rendered from the edited text too, and a stack that
no longer renders refuses the edit the same way. Writes hold a lock
(``<cache_dir>/locks/``, outside version control) and re-read the file under
it, so concurrent edits of one file never lose an update; the layer and its
golden files are then written as one ``transaction`` (all or none, even
across a crash).
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import difflib
import hashlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import formats
from .. import keypath as kp
from ..errors import KonfigError, Problem, UsageError
from ..files import paths
from ..yamlio import load, parse_value, plain

if TYPE_CHECKING:
    from ..repo.model import MergeSpec
    from ..repo.repository import Repository
    from ..repo.stack import Stack

SET, DELETE, APPEND = "set", "delete", "append"
LOCK_TIMEOUT = 120.0  # seconds: a bot queue behind a slow validation waits, a stuck lock fails


@dataclasses.dataclass(frozen=True)
class Spec:
    """One change: ``path=value`` (set), ``path-`` (delete), ``path+=value`` (append)."""

    op: str
    path: kp.KeyPath
    value: Any = None
    text: str = ""
    raw: str = ""  # the value as written, for a schema that wants a string ("1.10", not 1.1)

    def __str__(self) -> str:
        return self.text or kp.format(self.path)


def parse_spec(text: str) -> Spec:
    """Parse a ``set`` spec; ``UsageError`` (exit 2) if it is malformed."""
    split = kp.split_assignment(text)
    if split is not None:
        lhs, raw = split
        if lhs.endswith("+"):
            lhs = lhs[:-1]
            return Spec(APPEND, kp.parse(lhs), parse_value(raw, f"value of {lhs}"), text, raw)
        return Spec(SET, kp.parse(lhs), parse_value(raw, f"value of {lhs}"), text, raw)
    stripped = text.strip()
    if stripped.endswith("-") and len(stripped) > 1:
        return Spec(DELETE, kp.parse(stripped[:-1]), None, text)
    raise UsageError(
        f"bad spec {text!r}: expected PATH=VALUE, PATH- (delete) or PATH+=VALUE (append)",
        hint="e.g. image=registry/app:1.2.3, env[name=DEBUG]-, args+=--verbose",
    )


def parse_specs(specs: list[str] | tuple[str, ...] | list[Spec]) -> list[Spec]:
    out = [s if isinstance(s, Spec) else parse_spec(s) for s in specs]
    if not out:
        raise UsageError("nothing to set: give at least one PATH=VALUE, PATH- or PATH+=VALUE")
    return out


# -- applying specs to a document -------------------------------------------------------

@dataclasses.dataclass
class Context:
    """What key paths are interpreted against: the stack's resolved config and merge rules."""

    resolved: Any = None
    merge_spec: "MergeSpec | None" = None
    describe: Any = None  # path -> "file:line" of the value behind a resolved path (for hints)
    types_at: Any = None  # path -> JSON types the model's schema allows there


def _typed(spec: Spec, ctx: Context) -> Any:
    """The spec's value, as a string where the schema only takes strings (``value=1`` -> ``"1"``)."""
    value = spec.value
    if not isinstance(value, (bool, int, float)) or ctx.types_at is None or not spec.raw.strip():
        return value
    path = spec.path + ((0,) if spec.op == APPEND else ())
    types = ctx.types_at(path)
    if "string" in types and not types & {"number", "integer", "boolean"}:
        return spec.raw.strip()
    return value


def apply_text(text: str, filename: str, prefix: tuple[str, ...], specs: list[Spec],
               ctx: Context | None = None) -> str:
    """``text`` with ``specs`` applied under ``prefix``; exactly ``text`` if the data does not change."""
    from ..yamlio import roundtrip as rt
    from ..yamlio.roundtrip import dump_roundtrip, load_roundtrip

    ctx = ctx or Context()
    before = load(text, filename).data
    y, data = load_roundtrip(text, filename)
    empty_doc = data is None
    if empty_doc:
        data = rt.CommentedMap()
    if not isinstance(data, dict):
        raise KonfigError("expected a mapping at the top of the file", file=filename)
    config, parent, pkey = _container(data, prefix, filename)
    for spec in specs:
        _apply(config, parent, pkey, spec, ctx, filename)
    if _same_data(before, rt_plain(data)):
        return text  # nothing changed: the file stays byte-identical
    out = dump_roundtrip(y, data)
    if empty_doc:
        head = text if text.strip() else ""
        if head and not head.endswith("\n"):
            head += "\n"
        out = head + out
    _check_written(out, data, filename)
    return out


def rt_plain(data: Any) -> Any:
    """Round-trip data as plain dicts, lists and scalars."""
    if isinstance(data, dict):
        return {str(k): rt_plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [rt_plain(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, str):
        return str(data)
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return float(data)
    return data


def _same_data(a: Any, b: Any) -> bool:
    from ..yamlio.roundtrip import same

    return same(plain(a), b)


def _check_written(text: str, data: Any, filename: str) -> None:
    """Never write a file that does not read back as the data we meant (a ruamel quirk would be a bug)."""
    back = load(text, filename).data
    if not _same_data(back, rt_plain(data)):
        raise RuntimeError(f"editing {filename} would not round-trip; nothing was written")


def _container(data: Any, prefix: tuple[str, ...], filename: str) -> tuple[Any, Any, Any]:
    """(the mapping specs apply to, its parent, its key in the parent), created if missing."""
    from ..yamlio import roundtrip as rt

    node, parent, pkey = data, None, None
    for key in prefix:
        child = node.get(key)
        if child is None:
            rt.set_item(node, key, {}, parent, pkey)
            child = node[key]
        elif not isinstance(child, dict):
            raise KonfigError(f"{key} must be a mapping to edit it", file=filename, keypath=key)
        parent, pkey, node = node, key, child
    return node, parent, pkey


def _apply(config: Any, cparent: Any, ckey: Any, spec: Spec, ctx: Context, filename: str) -> None:
    from ..yamlio import roundtrip as rt

    path = _layer_path(config, cparent, ckey, spec.path, ctx, filename, materialize=spec.op != DELETE)
    text = kp.format(spec.path)
    if spec.op != DELETE:
        spec = dataclasses.replace(spec, value=_typed(spec, ctx))
    if spec.op == DELETE:
        try:
            kp.resolve(config, path)
        except kp.PathNotFound:
            if ctx.resolved is not None and kp.exists(ctx.resolved, spec.path):
                where = ctx.describe(spec.path) if ctx.describe else "a lower layer"
                shown = kp.format(path)
                if isinstance(path[-1], str):
                    hint = f"to remove it from this stack, set it to null: {shown}=null"
                else:
                    hint = ("a higher layer cannot remove one item of a list: edit the layer "
                            "that sets it (--layer FILE), or set the whole list here")
                raise UsageError(f"cannot delete {shown}: it is not set in {filename} but in {where}",
                                 file=filename, keypath=text, hint=hint) from None
            # nowhere at all: a typo (`replcas-`), never a silent success
            anywhere = " nor in any layer of the stack" if ctx.resolved is not None else ""
            raise UsageError(f"cannot delete {text}: it is not set in {filename}{anywhere}",
                             file=filename, keypath=text, hint=_near(config, ctx.resolved, spec.path)) from None
        node, parent, pkey = _walk(config, cparent, ckey, path[:-1], spec.path, then=path[-1], create=False)
        _, last = kp._step(node, path[-1], text)
        rt.delete_item(node, last, parent, pkey)
        return
    if spec.op == APPEND:
        _check_appendable(config, path, spec.path, ctx, filename)
        node, parent, pkey = _walk(config, cparent, ckey, path, spec.path, then=_LIST)
        if not isinstance(node, list):
            raise UsageError(f"`+=` appends to a list, but {text} is {_kind(node)}", file=filename, keypath=text)
        rt.append_item(node, spec.value, parent, pkey)
        return
    node, parent, pkey = _walk(config, cparent, ckey, path[:-1], spec.path, then=path[-1])
    last = path[-1]
    where = kp.format(spec.path[:-1]) or "the configuration"
    if isinstance(last, str):
        if not isinstance(node, dict):
            raise UsageError(f"cannot set {text}: {where} is not a mapping")
        rt.set_item(node, last, spec.value, parent, pkey)
    elif isinstance(last, int):
        if not isinstance(node, list):
            raise UsageError(f"cannot set {text}: {where} is not a list")
        if -len(node) <= last < len(node):
            rt.set_item(node, last % len(node), spec.value, parent, pkey)
        elif last == len(node):
            rt.append_item(node, spec.value, parent, pkey)
        else:
            raise UsageError(f"index {last} is out of range at {text} (list has {len(node)} items)")
    else:
        if not isinstance(node, list):
            raise UsageError(f"cannot set {text}: {where} is not a list")
        for i, item in enumerate(node):
            if last.matches(item):
                rt.set_item(node, i, spec.value, parent, pkey)
                break
        else:
            rt.append_item(node, spec.value, parent, pkey)


_LIST = object()  # "the container at the end of the walk is a list"


def _kind(value: Any) -> str:
    """``value``'s type in words, with the value when it is short (for one-line messages)."""
    if isinstance(value, bool):
        kind = "a boolean"
    elif isinstance(value, int):
        kind = "an integer"
    elif isinstance(value, float):
        kind = "a number"
    elif isinstance(value, str):
        kind = "a string"
    elif isinstance(value, dict):
        return "a mapping"
    elif value is None:
        return "null"
    else:
        return "not a list"
    shown = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return f"{kind} ({shown})" if len(shown) <= 40 else kind


_JSON_KINDS = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
               "object": "a mapping", "null": "null"}


def _check_appendable(config: Any, path: kp.KeyPath, full: kp.KeyPath, ctx: Context, filename: str) -> None:
    """``+=`` only appends to lists: a value that is something else here, in a lower layer or in
    the schema is a usage error (exit 2), not a list created in its place that validation refuses."""
    text = kp.format(full)
    try:
        here = kp.resolve(config, path)[0]
    except (kp.PathNotFound, UsageError):
        here = _MISSING
    if here is not _MISSING and here is not None:
        if not isinstance(here, list):
            raise UsageError(f"`+=` appends to a list, but {text} is {_kind(here)}", file=filename, keypath=text)
        return
    if ctx.resolved is not None:
        try:
            value = kp.resolve(ctx.resolved, full)[0]
        except (kp.PathNotFound, UsageError):
            value = _MISSING
        if value is not _MISSING and value is not None and not isinstance(value, list):
            where = ctx.describe(full) if ctx.describe else "a lower layer"
            raise UsageError(f"`+=` appends to a list, but {text} is {_kind(value)} (set in {where})",
                             file=filename, keypath=text)
    if ctx.types_at is not None:
        try:
            types = ctx.types_at(full)
        except KonfigError:
            types = set()
        if types and "array" not in types:
            kinds = " or ".join(sorted(_JSON_KINDS.get(t, t) for t in types))
            raise UsageError(f"`+=` appends to a list, but the model's schema says {text} is {kinds}",
                             file=filename, keypath=text)


_MISSING = object()


def _near(config: Any, resolved: Any, path: kp.KeyPath) -> str | None:
    """A hint naming the keys next to a missing one that look like it (``replcas`` -> ``replicas``)."""
    if not path or not isinstance(path[-1], str):
        return None
    names: set[str] = set()
    for data in (config, resolved):
        try:
            parent = kp.resolve(data, path[:-1])[0] if path[:-1] else data
        except (kp.PathNotFound, UsageError):
            continue
        if isinstance(parent, dict):
            names.update(str(k) for k in parent)
    close = difflib.get_close_matches(path[-1], sorted(names), n=3, cutoff=0.6)
    return "did you mean " + " or ".join(kp.format(path[:-1] + (c,)) for c in close) + "?" if close else None


def _walk(config: Any, parent: Any, pkey: Any, segs: kp.KeyPath, full: kp.KeyPath, *, then: Any,
          create: bool = True) -> tuple[Any, Any, Any]:
    """Descend ``segs`` from ``config`` (creating containers on the way); (node, parent, key in parent)."""
    from ..yamlio import roundtrip as rt

    node = config
    for i, seg in enumerate(segs):
        nxt = segs[i + 1] if i + 1 < len(segs) else then
        new: Any = [] if (nxt is _LIST or isinstance(nxt, (int, kp.Select))) else {}
        where = kp.format(full[: i + 1])
        if isinstance(seg, str):
            if not isinstance(node, dict):
                raise UsageError(f"cannot descend into {where}: {kp.format(full[:i]) or 'the configuration'} "
                                 "is not a mapping")
            if node.get(seg) is None:
                if not create:
                    raise kp.PathNotFound(f"no value at key path {where}")
                rt.set_item(node, seg, new, parent, pkey)
            concrete: Any = seg
        elif isinstance(seg, int):
            if not isinstance(node, list):
                raise UsageError(f"cannot index {where}: {kp.format(full[:i]) or 'the configuration'} is not a list")
            if -len(node) <= seg < len(node):
                concrete = seg % len(node)
            elif seg == len(node) and create:
                rt.append_item(node, new, parent, pkey)
                concrete = len(node) - 1
            else:
                raise UsageError(f"index {seg} is out of range at {where} (list has {len(node)} items)")
        else:
            if not isinstance(node, list):
                raise UsageError(f"cannot select {where}: {kp.format(full[:i]) or 'the configuration'} is not a list")
            for j, item in enumerate(node):
                if seg.matches(item):
                    concrete = j
                    break
            else:
                if not create:
                    raise kp.PathNotFound(f"no value at key path {where}")
                rt.append_item(node, {seg.field: kp._scalar(seg.value)}, parent, pkey)
                concrete = len(node) - 1
        parent, pkey, node = node, concrete, node[concrete]
    return node, parent, pkey


def _layer_path(config: Any, cparent: Any, ckey: Any, path: kp.KeyPath, ctx: Context, filename: str,
                *, materialize: bool) -> kp.KeyPath:
    """A key path of the resolved configuration as a path into this layer.

    Items of keyed lists are named by their key (``env[3]`` -> ``env[name=X]``);
    a plain list indexed here but only held by a lower layer is copied into
    this layer first (when ``materialize``): a higher layer's list replaces the
    lower one, so that is what keeps its other items.
    """
    if ctx.resolved is None:
        return path
    out: list[Any] = []
    res: Any = ctx.resolved
    node: Any = config
    spec = ctx.merge_spec
    for seg in path:
        if isinstance(seg, (int, kp.Select)) and isinstance(res, list):
            key = spec.key if spec is not None else None
            if key and isinstance(seg, int) and -len(res) <= seg < len(res):
                item = res[seg]
                value = item.get(key) if isinstance(item, dict) else None
                if isinstance(value, (str, int, float, bool)):
                    seg = kp.Select(key, str(value).lower() if isinstance(value, bool) else str(value))
            elif not key and materialize and node is None and out:
                _apply(config, cparent, ckey, Spec(SET, tuple(out), copy.deepcopy(res)), Context(), filename)
                node = kp.get(config, tuple(out))
        res = _child(res, seg)
        node = _child(node, seg)
        if spec is not None:
            spec = spec.items if isinstance(seg, (int, kp.Select)) else spec.child(seg)
        out.append(seg)
    return tuple(out)


def _child(node: Any, seg: Any) -> Any:
    if node is None:
        return None
    try:
        return kp._step(node, seg, "")[0]
    except kp.PathNotFound:
        return None


# -- editing a file of a repository ------------------------------------------------------

@dataclasses.dataclass
class EditResult:
    """What an edit did (or would do): the file before and after, and what validation found."""

    file: str  # repository-relative
    before: bytes | None  # None: the file is new
    after: bytes
    stacks: list[str] = dataclasses.field(default_factory=list)  # stacks validated
    problems: list[Problem] = dataclasses.field(default_factory=list)  # introduced by the edit
    preexisting: list[Problem] = dataclasses.field(default_factory=list)  # there before it too
    notes: list[str] = dataclasses.field(default_factory=list)  # e.g. "no effect: overridden by ..."
    goldens: list[str] = dataclasses.field(default_factory=list)  # golden files brought up to date
    golden_failures: list[str] = dataclasses.field(default_factory=list)  # stacks not rendered (why)
    written: bool = False
    dry_run: bool = False
    forced: bool = False

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def refused(self) -> bool:
        """The edit introduces an error and was not forced: nothing was written."""
        return self.changed and not self.forced and any(p.is_error for p in self.problems)

    def diff(self) -> str:
        """A unified diff of the file (empty if nothing changes)."""
        a = (self.before or b"").decode("utf-8").splitlines(keepends=True)
        b = self.after.decode("utf-8").splitlines(keepends=True)
        lines = difflib.unified_diff(a, b, fromfile="/dev/null" if self.before is None else f"a/{self.file}",
                                     tofile=f"b/{self.file}")
        return "".join(x if x.endswith("\n") else x + "\n\\ No newline at end of file\n" for x in lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "changed": self.changed,
            "created": self.before is None and self.changed,
            "written": self.written,
            "dry_run": self.dry_run,
            "refused": self.refused,
            "stacks": self.stacks,
            "problems": [p.to_json() for p in self.problems],
            "preexisting": [p.to_json() for p in self.preexisting],
            "notes": self.notes,
            "goldens": self.goldens,
            "golden_failures": self.golden_failures,
        }


def layer_prefix(repo: "Repository", rel: str) -> tuple[str, ...]:
    """Where the values sit in a file: under ``config`` in a stack's ``stack.yaml``."""
    if rel.rsplit("/", 1)[-1] == formats.STACK_FILE and repo.stack_at(paths.parent(rel)) is not None:
        return ("config",)
    return ()


def stacks_using(repo: "Repository", rel: str) -> list["Stack"]:
    """The stacks a file feeds: those that have it as a layer (and a project's, for ``project.yaml``)."""
    from ..resolve import layers as layers_mod

    directory, _, name = rel.rpartition("/")
    own = repo.stack_at(directory) if name == formats.STACK_FILE else None
    if own is not None:
        return [own]
    if name == formats.PROJECT_FILE:
        project = repo.project_at(directory)
        return list(project.stacks) if project is not None else []
    candidates = repo.stacks()
    if name == formats.DEFAULTS_FILE and not paths.is_within(rel, repo.base):
        candidates = [s for s in candidates if paths.is_within(s.path, directory)]
    out = []
    for stack in candidates:
        try:
            if any(layer.file == rel for layer in layers_mod.for_stack(repo, stack)):
                out.append(stack)
        except KonfigError:
            continue  # a broken stack: its own problem, reported by validate
    return out


def lock_path(repo: "Repository", rel: str) -> str:
    """The lock file of one repository file, in the cache directory (never committed)."""
    digest = hashlib.sha1(rel.encode("utf-8")).hexdigest()[:16]
    return os.path.join(repo.cache_dir, "locks", f"{rel.rsplit('/', 1)[-1]}.{digest}.lock")


# -- which layer an edit of a stack goes to -----------------------------------------

PROJECT_LAYER = "project"
STACK_LAYER = "stack"


def target_file(repo: "Repository", stack: "Stack", layer: str | None,
                cwd: str | None = None) -> tuple[str, bool]:
    """(file to edit, whether it may be created) for ``--layer``."""
    if not layer or layer == STACK_LAYER:
        return stack.file, False
    if layer == PROJECT_LAYER:
        if stack.own_model:
            raise UsageError(
                f"--layer {PROJECT_LAYER}: the project's defaults.yaml is not a layer of {stack.path}, "
                f"a stack of model {stack.model_name} (the project's files are written for "
                f"{stack.project.model_name})", hint="edit its stack.yaml (no --layer)")
        return paths.join(stack.project.path, formats.DEFAULTS_FILE), True
    from ..resolve import layers as layers_mod

    files = [x.file for x in layers_mod.for_stack(repo, stack)]
    candidates = []
    cwd = os.path.abspath(cwd or os.getcwd())
    joined = os.path.normpath(os.path.join(cwd, layer))
    if joined == repo.root or joined.startswith(repo.root + os.sep):
        candidates.append(os.path.relpath(joined, repo.root).replace(os.sep, "/"))
    try:
        candidates.append(paths.normalize(layer))
    except Exception:  # noqa: BLE001 - not a repo path: only the cwd-relative candidate
        pass
    for cand in candidates:
        if cand in files:
            return cand, False
    raise UsageError(
        f"--layer {layer}: not a layer of {stack.path}",
        hint="its layers: " + ", ".join(files) + f"; or --layer {PROJECT_LAYER}",
    )


def new_layer_text(stack: "Stack") -> str:
    """The header of a project ``defaults.yaml`` that ``--layer project`` creates."""
    return (f"# Defaults of every stack of {stack.project.path} (model {stack.project.model_name}).\n"
            "# Stacks override any of these in their stack.yaml config.\n")


def edit_stack(repo: "Repository", stack: "Stack", specs: list[Spec] | list[str], *,
               layer: str | None = None, force: bool = False, dry_run: bool = False,
               update_golden: bool = True, cwd: str | None = None) -> EditResult:
    """``konfig set`` and ``api.set``: ``edit_file`` on the stack's layer that ``layer`` names
    (``target_file``), creating the project's ``defaults.yaml`` when it is the target."""
    rel, may_create = target_file(repo, stack, layer, cwd)
    return edit_file(repo, rel, specs, stack=stack, force=force, dry_run=dry_run, create=may_create,
                     new_text=new_layer_text(stack) if may_create else "", update_golden=update_golden)


def edit_file(repo: "Repository", rel: str, specs: list[Spec] | list[str], *, stack: "Stack | None" = None,
              force: bool = False, dry_run: bool = False, create: bool = False,
              new_text: str = "", update_golden: bool = True) -> EditResult:
    """Apply ``specs`` to repository file ``rel``, validate what it feeds, and write it atomically.

    ``stack`` names the stack whose resolved configuration the key paths refer
    to (for index and merge-key translation, and for hints). ``create`` allows
    a missing file, started from ``new_text``. Nothing is written when the
    edit is refused (it introduces an error and ``force`` is false), when
    ``dry_run``, or when nothing changes. With ``update_golden``, the stacks
    that have a ``golden.yaml`` get it rendered anew (``konfig test --update``),
    so the change and its expected output travel together.
    """
    from ..files.source import WorkTree

    if not isinstance(repo.source, WorkTree):
        raise UsageError(f"cannot edit {repo.source.label}: edits need the work tree")
    rel = paths.normalize(rel)
    parsed = parse_specs(specs)
    with locked(repo, rel):
        result, changed = _edit_locked(repo, rel, parsed, stack, force, dry_run, create, new_text)
        if changed is None or result.refused:
            return result
        files = {rel: result.after}
        if update_golden:
            files.update(_plan_goldens(changed, result))
            if result.refused:
                return result
        if not dry_run:
            write_files(repo, files)  # the layer and its goldens: all of them or none
            result.written = True
        return result


def _plan_goldens(changed: "Repository", result: EditResult) -> dict[str, str]:
    """The edited stacks' golden files rendered anew from the edited text (those that have one).

    A stack that no longer renders (its renderer raises or runs past its time
    limit, or a resource fails its Kubernetes schema) is a problem of the
    edit: it is refused like an invalid value, and nothing is written.
    Stacks with validation problems the edit did not introduce (or forced)
    keep their golden file, as ``konfig test --update`` would.
    """
    from ..check.stack_test import failure_line, plan_goldens

    stacks = [s for s in (changed.stack_at(p) for p in result.stacks)
              if s is not None and changed.exists(s.golden_file)]
    if not stacks:
        return {}
    texts, failed = plan_goldens(changed, stacks)
    for r in failed:
        bad = next(c for c in r.checks if c.failed)
        if bad.name == "validate":
            result.golden_failures.append(failure_line(r))  # reported (or forced) by validation
        elif result.forced:
            result.golden_failures.append(failure_line(r))
        else:
            result.problems.append(Problem(f"{bad.name}: {bad.message}", stack=r.stack, check=bad.name))
    result.goldens = sorted(texts)
    return texts


@contextlib.contextmanager
def locked(repo: "Repository", rel: str) -> Iterator[None]:
    """Hold the lock of one repository file (every tool that rewrites a file takes it)."""
    from filelock import FileLock, Timeout

    lock_file = lock_path(repo, rel)
    os.makedirs(os.path.dirname(lock_file), exist_ok=True)
    try:
        with FileLock(lock_file, timeout=LOCK_TIMEOUT):
            yield
    except Timeout:
        raise KonfigError(f"another edit of {rel} holds its lock ({lock_file}) for more than "
                          f"{LOCK_TIMEOUT:.0f}s", file=rel) from None


def write_files(repo: "Repository", files: dict[str, bytes | str]) -> list[str]:
    """Write repository files together (``transaction``): a full disk or a read-only
    file is one line of error, and then none of them changed."""
    from ..files.transaction import write_files as write

    return write(repo, files)


def _edit_locked(repo: "Repository", rel: str, specs: list[Spec], stack: "Stack | None", force: bool,
                 dry_run: bool, create: bool, new_text: str) -> tuple[EditResult, "Repository | None"]:
    """The edit checked in memory (nothing written), and the repository as it would be after it
    (None when nothing changes)."""
    from ..resolve.merge import resolve

    # Every file is read again under the lock: an edit that waited for another
    # one applies on top of it instead of overwriting it. (Which stacks exist is
    # taken from ``repo``: file contents are what concurrent edits change.)
    fresh = repo.with_changes({})
    paths.confine(fresh.root, rel)  # a symlink out of the repository is refused before any work
    if fresh.exists(rel):
        before: bytes | None = fresh.read(rel)
        text = _decode(before, rel)
    elif create:
        before, text = None, new_text
    else:
        raise KonfigError("file not found", file=rel)
    fresh_stack = fresh.stack_at(stack.path) if stack is not None else None
    prefix = layer_prefix(fresh, rel)
    ctx = Context()
    if fresh_stack is not None:
        try:
            res = resolve(fresh, fresh_stack, track=True)
            model = fresh_stack.model
            ctx = Context(resolved=res.config, merge_spec=model.merge_spec,
                          describe=lambda p: _describe(res.locate(_concrete(res.config, p), fresh)),
                          types_at=model.types_at)
        except KonfigError:
            pass  # a broken stack: key paths are taken literally
    after_text = apply_text(text, rel, prefix, specs, ctx)
    after = after_text.encode("utf-8")
    if before is not None and after_text == text:
        after = before
    result = EditResult(file=rel, before=before, after=after, dry_run=dry_run, forced=force)
    if not result.changed:
        return result, None
    changed = fresh.with_changes({rel: after})
    stacks = stacks_using(changed, rel)
    result.stacks = [s.path for s in stacks]
    result.problems, result.preexisting = _new_problems(fresh, changed, stacks)
    if fresh_stack is not None:
        result.notes = _no_effect(changed, fresh_stack.path, specs, rel)
    return result, changed


def _decode(data: bytes, rel: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise KonfigError("not UTF-8 text", file=rel) from None


def _concrete(config: Any, path: Any) -> Any:
    """``path`` with ``[key=value]`` selectors as indices (provenance is kept by index)."""
    try:
        return kp.resolve(config, path)[1]
    except KonfigError:
        return path


def _describe(loc: tuple[str, int | None, int | None]) -> str:
    from ..errors import location

    return location(*loc)


def _problem_key(p: Problem) -> tuple[Any, ...]:
    # Lines move when a file is edited: a problem is "the same" by what and where in the config.
    return (p.stack, p.keypath, p.message, p.source, p.severity, p.check)


def _new_problems(before_repo: "Repository", after_repo: "Repository",
                  stacks: list["Stack"]) -> tuple[list[Problem], list[Problem]]:
    """(problems the edit introduces, problems that were there before it too)."""
    from ..check.validation import validate

    after = validate(after_repo, stacks)
    if not after:
        return [], []
    # Only the stacks with problems now can have had them before.
    with_problems = {p.stack for p in after}
    old_stacks = [s for s in (before_repo.stack_at(s.path) for s in stacks if s.path in with_problems)
                  if s is not None]
    before_keys = {_problem_key(p) for p in validate(before_repo, old_stacks)}
    new = [p for p in after if _problem_key(p) not in before_keys]
    old = [p for p in after if _problem_key(p) in before_keys]
    return new, old


def _no_effect(repo: "Repository", stack_path: str, specs: list[Spec], rel: str) -> list[str]:
    """Notes for values set in a layer that a higher layer overrides for this stack."""
    from ..resolve.merge import resolve

    stack = repo.stack_at(stack_path)
    if stack is None:
        return []
    try:
        res = resolve(repo, stack, track=True)
    except KonfigError:
        return []
    notes = []
    for spec in specs:
        if spec.op != SET or spec.value is None or isinstance(spec.value, (dict, list)):
            continue
        if not all(isinstance(seg, str) for seg in spec.path):
            continue  # list items: layers merge them, a plain comparison says nothing
        try:
            value = kp.get(res.config, spec.path)
        except (kp.PathNotFound, UsageError):
            value = None
        if value != spec.value:
            file, line, col = res.locate(spec.path, repo)
            if file != rel:
                notes.append(f"{kp.format(spec.path)} has no effect on {stack.path}: "
                             f"{_describe((file, line, col))} sets it in a higher layer")
    return notes
