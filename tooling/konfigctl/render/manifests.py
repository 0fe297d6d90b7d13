"""The rendered-manifests tree (``konfig render --out DIR``) for Argo CD / Flux.

One directory per stack (its repository path), one file per resource
(``<kind>-<name>.yaml``, the namespace in front when names clash). Invariants:

* a file is written (atomically, by the one writer) only when its content
  changed, so a GitOps controller sees only real changes;
* a stack that failed to render keeps its previous files;
* pruning removes only what this run did not produce, only in a directory
  konfig wrote (it holds ``MARKER``), and, for a run over part of the
  repository, only inside the stacks it rendered.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any

from ..errors import UsageError

MARKER = ".konfig-rendered"


@dataclasses.dataclass
class TreeWritten:
    """What ``write_tree`` did: paths relative to the tree's root, ``/``-separated."""

    written: list[str]
    unchanged: int
    removed: list[str]


def file_name(res: dict[str, Any], clash: bool) -> str:
    """``deployment-checkout.yaml`` (``<namespace>.`` in front when names clash across namespaces)."""
    meta = res["metadata"]
    name = f"{res['kind'].lower()}-{meta['name']}"
    if clash and meta.get("namespace"):
        name = f"{meta['namespace']}.{name}"
    return name.replace("/", "_") + ".yaml"


def write_tree(out_dir: str, good: list[tuple[Any, list[dict[str, Any]]]], failed: set[str],
               prune: bool, whole_repo: bool) -> TreeWritten:
    """Write the resources of the ``good`` (stack, resources) pairs under ``out_dir``.

    ``failed``: paths of the stacks that failed to render (their files stay);
    ``whole_repo``: every stack was rendered, so pruning may remove whole
    stacks' directories. Raises ``UsageError`` for an ``out_dir`` that is a
    file, or that konfig did not write when pruning; ``OSError`` as it comes.
    """
    from ..files.transaction import atomic_write
    from ..yamlio import dump

    root = os.path.abspath(out_dir)
    marker = os.path.join(root, MARKER)
    if prune and os.path.isdir(root) and os.listdir(root) and not os.path.exists(marker):
        raise UsageError(f"refusing to prune {out_dir}: konfig did not write it (no {MARKER} in it)",
                         hint="point --out at a directory only konfig render writes")
    if os.path.exists(root) and not os.path.isdir(root):
        raise UsageError(f"--out {out_dir} is not a directory")
    os.makedirs(root, exist_ok=True)
    if not os.path.exists(marker):
        atomic_write(marker, "# Written by `konfig render --out`: one directory per stack. "
                             "Regenerated, never edit.\n")
    written: list[str] = []
    unchanged = 0
    keep: set[str] = set()  # files (relative to root) this run produced
    for stack, resources in good:
        base = os.path.join(root, *stack.path.split("/"))
        counts: dict[tuple[str, str], int] = {}
        for res in resources:
            k = (res["kind"], res["metadata"]["name"])
            counts[k] = counts.get(k, 0) + 1
        for res in resources:
            name = file_name(res, counts[(res["kind"], res["metadata"]["name"])] > 1)
            path = os.path.join(base, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            keep.add(rel)
            text = dump(res)
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except OSError:
                same = False
            if same:
                unchanged += 1
                continue
            atomic_write(path, text)
            written.append(rel)
    removed: list[str] = []
    if prune:
        rendered_dirs = {s.path for s, _r in good}
        for dirpath, _dirnames, filenames in os.walk(root, topdown=False):
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            rel_dir = "" if rel_dir == "." else rel_dir
            for f in filenames:
                rel = f"{rel_dir}/{f}" if rel_dir else f
                if rel == MARKER or rel in keep:
                    continue
                # a failed stack keeps its last good output; a partial run touches only its stacks
                if any(rel.startswith(p + "/") for p in failed):
                    continue
                if not whole_repo and rel_dir not in rendered_dirs:
                    continue
                os.unlink(os.path.join(dirpath, f))
                removed.append(rel)
            if rel_dir and not os.listdir(dirpath):
                os.rmdir(dirpath)
    return TreeWritten(written, unchanged, sorted(removed))
