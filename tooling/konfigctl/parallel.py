"""Running a per-stack check across the cores.

Workers are forked after the repository has been loaded, so they start with
its parsed files and compiled validators; only stack paths go in and plain
results come back. Small runs stay in-process: forking costs more than it saves.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .repository import Repository
    from .stack import Stack

R = TypeVar("R")
StackFn = Callable[["Repository", "Stack"], R]
ProgressFactory = Callable[[int, str], AbstractContextManager[Callable[..., None]]]

MIN_PARALLEL = 64  # stacks below which a pool is not worth starting
CHUNK = 32

_work: dict[str, Any] = {}  # set in each forked worker only (inherited, never pickled)


def default_jobs() -> int:
    env = os.environ.get("KONFIG_JOBS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _init(repo: "Repository", fn: Any) -> None:
    _work["repo"] = repo
    _work["fn"] = fn


def _run_chunk(paths: list[str]) -> list[tuple[str, Any]]:
    repo = _work["repo"]
    fn = _work["fn"]
    return [(p, fn(repo, repo.stack_at(p))) for p in paths]


def map_stacks(repo: "Repository", stacks: list["Stack"], fn: StackFn[R], *, jobs: int | None = None,
               progress: ProgressFactory | None = None, label: str = "checking") -> Iterator[tuple["Stack", R]]:
    """``fn(repo, stack)`` for every stack, in the order given; parallel when it pays off.

    ``fn`` must not raise for bad input (it returns problems instead) and must
    be a module-level function (workers look it up by reference after fork).
    """
    jobs = jobs or default_jobs()
    total = len(stacks)
    ctx = progress(total, label) if progress else None
    advance: Callable[..., None] = (lambda n=1: None)
    if ctx is not None:
        advance = ctx.__enter__()
    try:
        if not will_fork(total, jobs):
            for s in stacks:
                r = fn(repo, s)
                advance()
                yield s, r
            return
        yield from _pool(repo, stacks, fn, jobs, advance)
    finally:
        if ctx is not None:
            ctx.__exit__(None, None, None)


def will_fork(total: int, jobs: int | None = None) -> bool:
    """Whether ``map_stacks`` runs ``total`` stacks in worker processes (so warming up pays)."""
    return (jobs or default_jobs()) > 1 and total >= MIN_PARALLEL and _can_fork()


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _pool(repo: "Repository", stacks: list["Stack"], fn: Any, jobs: int,
          advance: Callable[..., None]) -> Iterator[tuple["Stack", Any]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    by_path = {s.path: s for s in stacks}
    chunk = max(1, min(CHUNK, len(stacks) // (jobs * 4) or 1))
    chunks = [[s.path for s in stacks[i:i + chunk]] for i in range(0, len(stacks), chunk)]
    ctx = multiprocessing.get_context("fork")
    results: dict[str, Any] = {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init,
                             initargs=(repo, fn)) as pool:
        for batch in pool.map(_run_chunk, chunks):
            for p, r in batch:
                results[p] = r
            advance(len(batch))
    for s in stacks:
        yield by_path[s.path], results[s.path]
