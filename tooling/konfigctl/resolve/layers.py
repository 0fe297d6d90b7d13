"""The layers of a stack, lowest first (DESIGN.md "Layers").

1. the model's ``defaults.yaml``;
2. env profiles: ``<base>/envs/<env>.yaml``, then ``<model>/envs/<env>.yaml``;
3. every ``defaults.yaml`` from the root down to the stack's own directory --
   unless the stack uses another model than its project's (``model:`` in its
   stack.yaml): those files are written for the project's model;
4. ``stack.yaml`` ``config``;
5. command-line overrides (``-O``), added by ``resolution``.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import KonfigError
from ..files import paths
from ..repo.memo import Slot

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.stack import Stack

MODEL_DEFAULTS = "model defaults"
ENV_PROFILE = "env profile"
MODEL_ENV_PROFILE = "model env profile"
DEFAULTS = "defaults"
STACK = "stack"
OVERRIDE = "override"

# (model, env) -> the model and env profile layers: the same for every stack of a model and env
BASE_LAYERS: Slot[dict[tuple[str, str | None], list[Layer]]] = Slot("base layers", dict)


@dataclasses.dataclass(frozen=True)
class Layer:
    kind: str
    file: str  # repo-relative; "<command line>" for overrides
    prefix: tuple[Any, ...] = ()  # where the config sits in the file (("config",) in stack.yaml)

    def describe(self) -> str:
        return f"{self.kind} {self.file}"


def for_stack(repo: "Repository", stack: "Stack") -> list[Layer]:
    """The file layers of ``stack``, lowest first (only files that exist)."""
    model = stack.model
    env = stack.env
    # The base layers are the same for every stack of a model and env: look for them once.
    known = repo.memo.of(BASE_LAYERS)
    key = (model.name, env)
    base = known.get(key)
    if base is None:
        base = []
        if repo.exists(model.defaults_file):
            base.append(Layer(MODEL_DEFAULTS, model.defaults_file))
        if env:
            profile = repo.env_profile(env)
            if repo.exists(profile):
                base.append(Layer(ENV_PROFILE, profile))
            mprofile = model.env_file(env)
            if repo.exists(mprofile):
                base.append(Layer(MODEL_ENV_PROFILE, mprofile))
        known[key] = base
    out: list[Layer] = list(base)
    out.extend(Layer(DEFAULTS, f) for f in defaults_chain(repo, stack))
    out.append(Layer(STACK, stack.file, ("config",)))
    return out


def defaults_chain(repo: "Repository", stack: "Stack") -> list[str]:
    """The ``defaults.yaml`` files that are layers of ``stack``, root first.

    None for a stack of another model than its project's (``Stack.own_model``).
    """
    if stack.own_model:
        return []
    root = stack.project.root
    out = []
    for d in paths.ancestors(stack.path):
        if not paths.is_within(d, root):
            continue
        f = paths.join(d, formats.DEFAULTS_FILE)
        if repo.has_defaults(f):
            out.append(f)
    return out


def data(repo: "Repository", layer: Layer) -> Any:
    """The config mapping a layer holds (``None`` if it holds nothing)."""
    doc = repo.document(layer.file)
    node = doc.data
    for key in layer.prefix:
        node = node.get(key) if isinstance(node, dict) else None
    if node is None:
        return None
    if not isinstance(node, dict):
        d = repo.document(layer.file, positions=True)
        line, col = d.position(layer.prefix) or (None, None)
        raise KonfigError(
            f"expected a mapping of config values, got {type(node).__name__}",
            file=layer.file, line=line, col=col,
            keypath=".".join(map(str, layer.prefix)) or None,
        )
    return node
