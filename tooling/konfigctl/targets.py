"""Which stacks a command runs on: named stacks, ``--all``, ``--affected REF``, ``--selector``.

With none of these, the stacks below the working directory (all of them at the
repository root), like ``pytest`` collecting from where it is run. ``--shard
I/N`` then keeps the I-th of N balanced slices of that list, so CI jobs can
split the work by number alone (no stack name travels through a CI file).
"""
from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING

from .errors import UsageError
from .files import paths
from .repo.selector import Selector

if TYPE_CHECKING:
    from .repo.repository import Repository
    from .repo.stack import Stack


@dataclasses.dataclass
class Targets:
    names: list[str] = dataclasses.field(default_factory=list)
    all: bool = False
    affected: str | None = None  # base ref
    head: str | None = None
    selector: list[str] = dataclasses.field(default_factory=list)
    shard: str | None = None  # "INDEX/TOTAL", counted from 1
    precise: bool = False  # with ``affected``: only the stacks that really change

    @property
    def whole_repo(self) -> bool:
        return self.all and not self.names and self.affected is None


def select(repo: "Repository", targets: Targets, cwd: str | None = None) -> list["Stack"]:
    cwd = os.path.abspath(cwd or os.getcwd())
    if targets.shard is not None:
        from .change.shards import parse_shard

        parse_shard(targets.shard)  # a bad --shard is a usage error before any work
    if targets.names and targets.all:
        raise UsageError("name stacks or use --all, not both")
    if targets.precise and targets.affected is None:
        raise UsageError("--precise goes with --affected REF")
    if targets.affected is not None and (targets.names or targets.all):
        raise UsageError("--affected picks the stacks itself; do not also name stacks or use --all")
    if targets.affected is not None:  # an empty --affected is a bad ref, never "no filter"
        from .change.affected import affected_stacks

        stacks = affected_stacks(repo, targets.affected, targets.head, precise=targets.precise)
    elif targets.names:
        seen: dict[str, Stack] = {}
        for name in targets.names:
            for s in repo.find_stacks(name, cwd):
                seen.setdefault(s.path, s)
        stacks = list(seen.values())
    elif targets.all:
        stacks = repo.stacks()
    else:
        stacks = under(repo, cwd)
    if targets.selector:
        sel = Selector.parse(targets.selector)
        stacks = [s for s in stacks if _safe_match(sel, s)]
    if targets.shard is not None:
        from .change.shards import shard

        stacks = shard(stacks, targets.shard)
    return stacks


def under(repo: "Repository", cwd: str) -> list["Stack"]:
    if cwd == repo.root or not cwd.startswith(repo.root + os.sep):
        return repo.stacks()
    rel = os.path.relpath(cwd, repo.root).replace(os.sep, "/")
    return [s for s in repo.stacks() if paths.is_within(s.path, rel) or paths.is_within(rel, s.path)]


def _safe_match(sel: Selector, stack: "Stack") -> bool:
    from .errors import KonfigError

    try:
        return sel.matches(stack)
    except KonfigError:
        return True  # a broken stack is kept, so the command reports it
