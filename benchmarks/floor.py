"""The floor: one Python process reading and parsing the YAML files ``validate --all`` reads.

    python benchmarks/floor.py KONFIG_DIR

DESIGN.md "Scale targets" measures ``konfig validate --all --jobs 1`` against
this: the time one Python process takes just to find and parse the same YAML
files with the fastest loader available here, PyYAML's ``CSafeLoader``
(libyaml), and do nothing with them. The files (what ``konfig validate --all``
opens, checked with ``strace -e trace=openat`` on a generated Konfig):

* ``konfig.yaml``;
* in ``konfig/base``: ``teams.yaml``, the env profiles (``envs/*.yaml``), each
  model's ``schema.yaml``, ``defaults.yaml`` and ``envs/*.yaml``, the policies
  and the shared schemas (``schemas/*.yaml``) -- not the CRDs or templates,
  which only ``test`` and ``new`` read;
* everywhere else under ``konfig/``: every ``project.yaml``, ``defaults.yaml``
  and ``stack.yaml`` (not ``golden.yaml``), found by walking the directories,
  as konfig discovers them.

Prints JSON: the files and bytes parsed, and the time spent walking and
parsing (the caller measures the whole process, start-up included, as it does
for konfig).
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import yaml

STACK_FILES = frozenset(("project.yaml", "defaults.yaml", "stack.yaml"))
SKIP_DIRS = frozenset((".git", ".konfig-cache", "kcl"))


class Loader(yaml.CSafeLoader):  # type: ignore[misc]
    """CSafeLoader that accepts konfig's merge tags (their data as plain data)."""


def _tagged(loader: Any, node: Any) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


Loader.add_constructor("!replace", _tagged)
Loader.add_constructor("!append", _tagged)


def base_files(root: str) -> list[str]:
    base = os.path.join(root, "konfig", "base")
    out = [os.path.join(root, "konfig.yaml"), os.path.join(base, "teams.yaml")]

    def yamls(d: str) -> list[str]:
        try:
            return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith((".yaml", ".yml")))
        except OSError:
            return []

    out += yamls(os.path.join(base, "envs"))
    models = os.path.join(base, "models")
    for m in sorted(os.listdir(models)) if os.path.isdir(models) else []:
        d = os.path.join(models, m)
        out += [os.path.join(d, f) for f in ("schema.yaml", "defaults.yaml")]
        out += yamls(os.path.join(d, "envs"))
    out += yamls(os.path.join(base, "policies")) + yamls(os.path.join(base, "schemas"))
    return [f for f in out if os.path.isfile(f)]


def stack_files(root: str) -> list[str]:
    """Every project/defaults/stack file outside ``konfig/base``, by walking the tree."""
    out: list[str] = []
    base = os.path.join(root, "konfig", "base")
    todo = [os.path.join(root, "konfig")]
    while todo:
        d = todo.pop()
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                if e.name not in SKIP_DIRS and e.path != base:
                    todo.append(e.path)
            elif e.name in STACK_FILES:
                out.append(e.path)
    return out


def parse(root: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    files = base_files(root) + stack_files(root)
    t1 = time.perf_counter()
    n_bytes = 0
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        n_bytes += len(data)
        yaml.load(data, Loader=Loader)
    t2 = time.perf_counter()
    return {"loader": "PyYAML CSafeLoader", "files": len(files), "bytes": n_bytes,
            "walk_seconds": round(t1 - t0, 3), "parse_seconds": round(t2 - t1, 3),
            "ms_per_file": round(1000 * (t2 - t1) / max(1, len(files)), 4)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print(__doc__.split("\n\n")[1].strip(), file=sys.stderr)
        return 2
    print(json.dumps(parse(args[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
