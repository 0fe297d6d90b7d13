"""``depends_on``: the stacks a stack depends on, an order that respects them, and cycles.

A ``depends_on`` entry names a stack by its repo path or a unique suffix
(``dependency``); unknown and ambiguous names are left to ``validate``, which
reports them at their line. ``in_order`` is Kahn's algorithm over the
dependency closure (path order between equals), so ``a -> b -> c`` orders
``a`` after ``c`` even when ``b`` is not asked for; a cycle is a
``KonfigError`` naming it (``cycle_error``), and ``validate`` reports it on each
stack of the cycle (``cycle_from``). One revision's stacks only: ``affected``
orders the stacks of the head, ``validate`` checks the revision it runs on.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .. import formats
from ..errors import KonfigError
from ..files import paths
from .memo import Slot
from .peek import may_contain

if TYPE_CHECKING:
    from .view import RepoView
    from .stack import Stack

_SUFFIXES: Slot[dict[str, list[str]]] = Slot("stack suffixes")  # "web/prod" -> the stacks it ends


def dependency(repo: "RepoView", name: str) -> "Stack | None":
    """The stack a ``depends_on`` entry names (repo path or unique suffix), if any."""
    s = repo.stack_at(name.strip().strip("/"))
    if s is not None:
        return s
    index = repo.memo.get(_SUFFIXES)
    if index is None:
        index = {}
        for st in repo.stacks():
            parts = st.path.split("/")
            for i in range(len(parts)):
                index.setdefault("/".join(parts[i:]), []).append(st.path)
        repo.memo.put(_SUFFIXES, index)
    key = name.strip().strip("/")
    if key.endswith("/" + formats.STACK_FILE):
        key = paths.parent(key)
    found = index.get(key, [])
    return repo.stack_at(found[0]) if len(found) == 1 else None


def dependencies(repo: "RepoView", stack: "Stack") -> list["Stack"]:
    """The stacks ``stack`` depends on (unknown names are left to ``validate``)."""
    if not may_contain(repo, stack.file, "depends_on"):
        return []
    try:
        names = stack.depends_on
    except KonfigError:
        return []
    out = []
    for n in names:
        d = dependency(repo, n)
        if d is not None and d.path != stack.path:
            out.append(d)
    return out


def cycle_from(repo: "RepoView", stack: "Stack") -> list[str] | None:
    """A ``depends_on`` cycle through ``stack`` (``[a, b, a]``), or None."""
    start = stack.path
    parent: dict[str, str] = {}
    todo = [stack]
    seen = {start}
    while todo:
        cur = todo.pop()
        for dep in dependencies(repo, cur):
            if dep.path == start:
                chain = [cur.path]
                while chain[-1] != start:
                    chain.append(parent[chain[-1]])
                return chain[::-1] + [start]
            if dep.path not in seen:
                seen.add(dep.path)
                parent[dep.path] = cur.path
                todo.append(dep)
    return None


def in_order(repo: "RepoView", stacks: Iterable["Stack"]) -> list["Stack"]:
    """``stacks`` with every stack after the ones it depends on (directly or not);
    otherwise in path order. A cycle is an error that names it."""
    wanted = {s.path: s for s in stacks}
    # the dependency closure, so a -> b -> c orders a after c even without b
    nodes: dict[str, "Stack"] = dict(wanted)
    edges: dict[str, list[str]] = {}
    todo = list(wanted.values())
    while todo:
        s = todo.pop()
        deps = dependencies(repo, s)
        edges[s.path] = [d.path for d in deps]
        for d in deps:
            if d.path not in nodes:
                nodes[d.path] = d
                todo.append(d)
    indegree = {p: len(set(edges[p])) for p in nodes}
    users: dict[str, list[str]] = {}
    for p, deps in edges.items():
        for d in set(deps):
            users.setdefault(d, []).append(p)
    ready = [p for p, n in indegree.items() if n == 0]
    heapq.heapify(ready)
    ordered: list[str] = []
    while ready:
        p = heapq.heappop(ready)
        ordered.append(p)
        for u in users.get(p, []):
            indegree[u] -= 1
            if indegree[u] == 0:
                heapq.heappush(ready, u)
    if len(ordered) < len(nodes):
        stuck = sorted(p for p in nodes if indegree[p] > 0)
        for p in stuck:
            cycle = cycle_from(repo, nodes[p])
            if cycle:
                raise cycle_error(repo, nodes[cycle[0]], cycle)
        raise KonfigError("depends_on cycle among " + ", ".join(stuck))  # pragma: no cover
    return [wanted[p] for p in ordered if p in wanted]


def cycle_error(repo: "RepoView", stack: "Stack", cycle: list[str]) -> KonfigError:
    """``stack.yaml:4:3: depends_on: cycle a -> b -> a``, at the entry that starts it."""
    line = col = None
    keypath = "depends_on"
    for i, name in enumerate(stack.depends_on):
        d = dependency(repo, name)
        if d is not None and len(cycle) > 1 and d.path == cycle[1]:
            line, col = repo.position(stack.file, ("depends_on", i))
            keypath = f"depends_on[{i}]"
            break
    return KonfigError("depends_on cycle: " + " -> ".join(cycle), file=stack.file, line=line,
                       col=col, keypath=keypath)
