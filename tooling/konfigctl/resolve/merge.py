"""Merging a stack's layers into one configuration, with provenance.

Rules (DESIGN.md "Merging"): mapping over mapping merges key by key; anything
else is replaced by the higher layer; ``null`` deletes the key; ``!replace`` on a
mapping (or a keyed list) replaces; ``!append`` on a list appends; arrays whose
schema has ``x-merge-key: <field>`` merge item by item on that field.

The merge never mutates its inputs and shares unchanged subtrees of the lower
layer, so the merge of a stack's shared layers (model defaults, env profiles,
org and project defaults) is computed once per distinct chain and reused by
every stack on it.

Provenance is tracked on demand (``track=True``): for each resolved key path,
the layer and the path inside that layer's file that set it, and (for
``explain``) the values it overrode. Validation resolves untracked and tracks
only when it has something to report.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING, Any

from .. import keypath as kp
from ..errors import UsageError
from ..repo.memo import Slot
from ..repo.model import MergeSpec
from ..yamlio import AppendList, ReplaceDict, ReplaceList, parse_value
from . import layers as layers_mod
from .layers import Layer

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.stack import Stack

Path = tuple[Any, ...]
Origin = tuple[int, Path]  # (layer index, path inside that layer's config)

OVERRIDE_FILE = "<command line>"

# (model, the files of a stack's layers below stack.yaml) -> their merge, shared by every stack on it
SHARED_MERGES: Slot[dict[tuple[str, tuple[str, ...]], dict[str, Any]]] = Slot("shared merges", dict)


class Tracker:
    """Provenance of every resolved path while layers are merged."""

    def __init__(self, history: bool) -> None:
        self.layer = 0
        self.origins: dict[Path, Origin] = {}
        self.history: dict[Path, list[tuple[Any, Origin | None]]] | None = {} if history else None
        self.deleted: dict[Path, Origin] = {}  # paths a `null` removed, and where

    def set(self, path: Path, upath: Path) -> None:
        self.origins[path] = (self.layer, upath)
        if self.deleted:
            self.deleted.pop(path, None)

    def delete(self, path: Path, upath: Path, old: Any) -> None:
        self.replaced(path, old)
        self.origins.pop(path, None)
        self.deleted[path] = (self.layer, upath)

    def replaced(self, path: Path, old: Any) -> None:
        """``path`` (and everything under it) is about to be set anew by the current layer."""
        if self.history is not None:
            self.history.setdefault(path, []).append((old, self.origins.get(path)))
        if isinstance(old, (dict, list)):
            n = len(path)
            for p in [p for p in self.origins if len(p) > n and p[:n] == path]:
                origin = self.origins.pop(p)
                if self.history is not None:  # what each value under it was, and who set it
                    self.history.setdefault(p, []).append((_at(old, p[n:]), origin))


def _at(data: Any, path: Path) -> Any:
    for seg in path:
        data = data[seg]
    return data


def _fresh(value: Any, spec: MergeSpec | None, t: Tracker | None, path: Path, upath: Path) -> Any:
    """A layer's value as resolved data: nulls in mappings dropped, merge tags removed."""
    if t is not None:
        t.set(path, upath)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if v is None:
                continue
            out[k] = _fresh(v, spec.child(k) if spec else None, t, path + (k,), upath + (k,))
        return out
    if isinstance(value, list):
        items = spec.items if spec else None
        return [_fresh(v, items, t, path + (i,), upath + (i,)) for i, v in enumerate(value)]
    return value


def merge(lower: Any, upper: Any, spec: MergeSpec | None = None, t: Tracker | None = None,
          path: Path = (), upath: Path = ()) -> Any:
    """``upper`` merged over ``lower`` (neither is modified)."""
    if isinstance(upper, dict):
        if isinstance(upper, ReplaceDict) or not isinstance(lower, dict):
            if t is not None and lower is not None:
                t.replaced(path, lower)
            return _fresh(upper, spec, t, path, upath)
        out = dict(lower)
        for k, v in upper.items():
            child = spec.child(k) if spec else None
            if v is None:
                if k in out:
                    if t is not None:
                        t.delete(path + (k,), upath + (k,), out[k])
                    del out[k]
                continue
            if k in out:
                out[k] = merge(out[k], v, child, t, path + (k,), upath + (k,))
            else:
                out[k] = _fresh(v, child, t, path + (k,), upath + (k,))
        if t is not None:
            t.set(path, upath)
        return out
    if isinstance(upper, list) and isinstance(lower, list):
        items = spec.items if spec else None
        if isinstance(upper, AppendList):
            out_l = list(lower)
            for j, v in enumerate(upper):
                out_l.append(_fresh(v, items, t, path + (len(out_l),), upath + (j,)))
            return out_l
        if spec is not None and spec.key and not isinstance(upper, ReplaceList):
            return _merge_keyed(lower, upper, spec.key, items, t, path, upath)
    if t is not None and lower is not None:
        t.replaced(path, lower)
    return _fresh(upper, spec, t, path, upath)


def _merge_keyed(lower: list[Any], upper: list[Any], key: str, items: MergeSpec | None,
                 t: Tracker | None, path: Path, upath: Path) -> list[Any]:
    out = list(lower)
    index: dict[Any, int] = {}
    for i, item in enumerate(out):
        if isinstance(item, dict) and isinstance(item.get(key), (str, int, float, bool)):
            index.setdefault(item[key], i)
    mine: set[Any] = set()  # keys this layer has named: a second item with one is kept, and refused
    for j, item in enumerate(upper):
        k = item.get(key) if isinstance(item, dict) else None
        keyed = isinstance(k, (str, int, float, bool))
        if keyed and k in index and k not in mine:
            i = index[k]
            out[i] = merge(out[i], item, items, t, path + (i,), upath + (j,))
        else:
            i = len(out)
            out.append(_fresh(item, items, t, path + (i,), upath + (j,)))
            if keyed:
                index.setdefault(k, i)
        if keyed:
            mine.add(k)
    if t is not None:
        t.set(path, upath)
    return out


@dataclasses.dataclass
class Resolution:
    """A stack's resolved configuration and where its values came from."""

    stack: "Stack"
    layers: list[Layer]
    config: dict[str, Any]
    origins: dict[Path, Origin] | None = None
    history: dict[Path, list[tuple[Any, Origin | None]]] | None = None
    deleted: dict[Path, Origin] | None = None

    def origin(self, path: Path) -> tuple[Layer, Path] | None:
        """The layer (and path inside it) that set ``path``, or its nearest ancestor's."""
        if self.origins is None:
            return None
        p = tuple(path)
        while True:
            o = self.origins.get(p)
            if o is not None:
                return self.layers[o[0]], o[1]
            if not p:
                return None
            p = p[:-1]

    def locate(self, path: Path, repo: "Repository") -> tuple[str, int | None, int | None]:
        """(file, line, column) of the layer value behind ``path``; the stack file if unknown."""
        found = self.origin(path)
        if found is None:
            line, col = repo.position(self.stack.file, ("config",))
            return self.stack.file, line, col
        layer, upath = found
        if layer.kind == layers_mod.OVERRIDE:
            return OVERRIDE_FILE, None, None
        line, col = repo.position(layer.file, layer.prefix + upath)
        return layer.file, line, col

    def describe_origin(self, origin: Origin | None, repo: "Repository") -> str:
        if origin is None:
            return "?"
        layer = self.layers[origin[0]]
        if layer.kind == layers_mod.OVERRIDE:
            return f"{OVERRIDE_FILE} (-O {kp.format(origin[1])})"
        line, col = repo.position(layer.file, layer.prefix + origin[1])
        return f"{layer.file}:{line}:{col}" if line else layer.file


def parse_override(text: str) -> tuple[kp.KeyPath, Any]:
    """``key.path=value`` (value as a YAML scalar or flow collection)."""
    split = kp.split_assignment(text)
    if split is not None:
        lhs, rhs = split
        return kp.parse(lhs), parse_value(rhs, f"value of {lhs}")
    raise UsageError(f"bad override {text!r}: expected KEY.PATH=VALUE")


def resolve(repo: "Repository", stack: "Stack", overrides: list[str] | tuple[str, ...] = (),
            *, track: bool = False, history: bool = False) -> Resolution:
    """Merge ``stack``'s layers (and ``-O`` overrides) into its configuration."""
    model = stack.model
    spec = model.merge_spec
    layer_list = layers_mod.for_stack(repo, stack)
    parsed = [parse_override(o) for o in overrides]
    t = Tracker(history) if (track or history) else None

    if t is None:
        chains = repo.memo.of(SHARED_MERGES)
        shared_key = (model.name, tuple(layer.file for layer in layer_list[:-1]))
        shared = chains.get(shared_key)
        if shared is None:
            shared = {}
            for layer in layer_list[:-1]:
                shared = _merge_layer(shared, layers_mod.data(repo, layer), spec, None)
            chains[shared_key] = shared
        config = _merge_layer(shared, layers_mod.data(repo, layer_list[-1]), spec, None)
    else:
        config = {}
        for i, layer in enumerate(layer_list):
            t.layer = i
            config = _merge_layer(config, layers_mod.data(repo, layer), spec, t)
    if not isinstance(config, dict):  # every layer was empty
        config = {}

    if parsed:
        config = copy.deepcopy(config)
        layer_list = layer_list + [Layer(layers_mod.OVERRIDE, OVERRIDE_FILE)]
        if t is not None:
            t.layer = len(layer_list) - 1
        for path, value in parsed:
            _apply_override(config, path, value, spec, t)

    return Resolution(
        stack=stack,
        layers=layer_list,
        config=config,
        origins=t.origins if t is not None else None,
        history=t.history if t is not None else None,
        deleted=t.deleted if t is not None else None,
    )


def _merge_layer(config: dict[str, Any], data: Any, spec: MergeSpec | None,
                 t: Tracker | None) -> dict[str, Any]:
    if data is None:  # an empty layer changes nothing
        return config
    return merge(config, data, spec, t)  # type: ignore[no-any-return]


def _apply_override(config: dict[str, Any], path: kp.KeyPath, value: Any,
                    spec: MergeSpec | None, t: Tracker | None) -> None:
    if value is None:
        try:
            _, concrete = kp.resolve(config, path)
        except kp.PathNotFound:
            return
        old = kp.delete(config, path)
        if t is not None:
            t.delete(concrete, tuple(path), old)
        return
    old_exists = kp.exists(config, path)
    old = kp.get(config, path) if old_exists else None
    kp.set_value(config, path, value)
    _, concrete = kp.resolve(config, path)
    if t is not None:
        if old_exists:
            t.replaced(concrete, old)
        _fresh(value, None, t, concrete, tuple(path))
        for i in range(len(concrete)):  # containers created on the way
            t.origins.setdefault(concrete[:i], (t.layer, tuple(path[:i])))
