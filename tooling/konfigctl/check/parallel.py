"""Running a per-stack check across the cores.

Workers are forked after the repository has been loaded, so they start with
its parsed files and compiled validators; only stack indexes go in and plain
results come back. Small runs stay in-process: forking costs more than it saves.

A renderer can hang where no signal reaches it (``runner``): each worker
marks in shared memory which stack it checks and since when its renderer
runs. The parent waits for answers with a timeout and kills a worker whose
render passed ``render.timeout`` plus a grace; that stack gets a timeout
verdict (``fn`` is run for it in the parent with its render failing without
running), the rest of the worker's chunk goes back to the queue and a fresh
worker takes over. So one stuck stack costs its limit, not the run. Checks
that render go to the pool even with one job: the parent must stay outside
the process that hangs.
"""
from __future__ import annotations

import os
import select
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

from ..render.processes import Channel, describe_exit, fork, reap

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.stack import Stack

R = TypeVar("R")
StackFn = Callable[["Repository", "Stack"], R]
ProgressFactory = Callable[[int, str], AbstractContextManager[Callable[..., None]]]

MIN_PARALLEL = 64  # stacks below which a pool is not worth starting
CHUNK = 32

_work: dict[str, Any] = {}  # what workers inherit at fork (never pickled)


def default_jobs() -> int:
    env = os.environ.get("KONFIG_JOBS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def map_stacks(repo: "Repository", stacks: list["Stack"], fn: StackFn[R], *, jobs: int | None = None,
               progress: ProgressFactory | None = None, label: str = "checking",
               renders: bool = False) -> Iterator[tuple["Stack", R]]:
    """``fn(repo, stack)`` for every stack, in the order given; parallel when it pays off.

    ``fn`` must not raise for bad input (it returns problems instead) and must
    be a module-level function (workers look it up by reference after fork).
    ``renders``: ``fn`` runs renderers, so a large run goes to the pool even
    with one job (its watchdog is what stops a renderer stuck in C code).
    """
    jobs = jobs or default_jobs()
    total = len(stacks)
    ctx = progress(total, label) if progress else None
    advance: Callable[..., None] = (lambda n=1: None)
    if ctx is not None:
        advance = ctx.__enter__()
    try:
        if not will_fork(total, 2 if renders else jobs):
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
    return hasattr(os, "fork") and hasattr(signal, "setitimer")


# -- the pool ----------------------------------------------------------------------------------

AHEAD = 2  # chunks sent to a worker before it answers: it never waits for a busy parent


class _Worker:
    def __init__(self, slot: int) -> None:
        self.slot = slot
        self.pid, self.channel = fork(lambda ch: _serve(ch, slot))
        self.chunks: deque[list[int]] = deque()  # sent, not answered yet (in order)

    def stop(self, kill: bool = False) -> int | None:
        self.channel.close()
        return reap(self.pid, kill=kill)


def _serve(channel: Channel, slot: int) -> None:
    """A worker's loop: check the stacks of each chunk the parent sends, answer with the results."""
    from ..render import runner

    repo, fn, stacks, memory = _work["repo"], _work["fn"], _work["stacks"], _work["memory"]
    beacon = runner.Beacon(memory, slot)
    runner.enter_worker(beacon)
    while True:
        try:
            chunk = channel.recv()
        except EOFError:
            return
        if chunk is None:
            return
        out = []
        for i in chunk:
            beacon.checking(i)
            try:
                r = fn(repo, stacks[i])
            except Exception as e:  # noqa: BLE001 - a bug in fn: the parent raises it
                channel.send([("raise", i, e, runner.take_printed())],
                             fallback=lambda: [("raise", i, RuntimeError(f"{type(e).__name__}: {e}"), [])])
                return
            out.append(("ok", i, r, runner.take_printed()))
        beacon.checking(-1)
        channel.send(out)


def _pool(repo: "Repository", stacks: list["Stack"], fn: Any, jobs: int,
          advance: Callable[..., None]) -> Iterator[tuple["Stack", Any]]:
    from ..render import runner

    limit = runner.limit_of(repo)
    kill_after = limit + runner.grace(limit)
    slow = runner.slow_after(limit)
    tick = runner.tick_of(limit)
    size = max(1, min(CHUNK, len(stacks) // (jobs * 4) or 1))
    queue = deque(list(range(i, min(i + size, len(stacks)))) for i in range(0, len(stacks), size))
    memory = runner.Beacon.allocate(jobs)  # shared with the forked workers
    _work.update(repo=repo, fn=fn, stacks=stacks, memory=memory)
    workers: list[_Worker | None] = [None] * min(jobs, len(queue))
    results: dict[int, Any] = {}
    shown = False
    try:
        while queue or any(w is not None and w.chunks for w in workers):
            for slot, w in enumerate(workers):  # keep every worker AHEAD chunks ahead
                if w is None:
                    if not queue:
                        continue
                    runner.Beacon(memory, slot).checking(-1)
                    w = workers[slot] = _Worker(slot)
                while queue and len(w.chunks) < AHEAD:
                    w.chunks.append(queue.popleft())
                    try:
                        w.channel.send(w.chunks[-1])
                    except OSError:  # it ended: the wait below sees it gone
                        break
            busy = [w for w in workers if w is not None and w.chunks]
            for w in _wait(busy, tick):
                try:
                    batch = w.channel.recv()
                except EOFError:
                    advance(_lost(repo, stacks, fn, w, workers, queue, results, memory, limit, killed=False))
                    continue
                for kind, i, r, printed in batch:
                    for stack, text, dropped in printed:
                        runner.emit(stack, text, dropped)
                    if kind == "raise":
                        raise r
                    results[i] = r
                advance(len(batch))
                w.chunks.popleft()
            now = time.monotonic()
            slow_now: dict[str, float] = {}
            for w in busy:
                if workers[w.slot] is not w:  # replaced above
                    continue
                index, since = runner.Beacon(memory, w.slot).state()
                if not since or index < 0:
                    continue
                if now - since >= kill_after:
                    advance(_lost(repo, stacks, fn, w, workers, queue, results, memory, limit, killed=True))
                elif now - since >= slow:
                    slow_now[stacks[index].path] = now - since
            if slow_now or shown:
                runner.notify(slow_now)
                shown = bool(slow_now)
    finally:
        for w in workers:
            if w is not None:
                w.stop(kill=True)
        _work.clear()
        memory.close()
    for i, s in enumerate(stacks):
        yield s, results[i]


def _wait(workers: list[_Worker], timeout: float) -> list[_Worker]:
    """The workers with an answer (or gone) within ``timeout`` seconds."""
    if not workers:
        return []
    poll = select.poll()
    by_fd = {w.channel.rfd: w for w in workers}
    for fd in by_fd:
        poll.register(fd, select.POLLIN)
    return [by_fd[fd] for fd, _ in poll.poll(int(timeout * 1000))]


def _lost(repo: "Repository", stacks: list["Stack"], fn: Any, w: _Worker, workers: list[_Worker | None],
          queue: deque[list[int]], results: dict[int, Any], memory: Any, limit: float, *, killed: bool) -> int:
    """A worker that was killed past the limit (``killed``) or died: the stack it rendered gets
    its verdict, the rest of its chunks go back to the queue, a new worker replaces it later.
    Returns how many stacks got a result (1)."""
    from ..errors import KonfigError
    from ..render import runner
    from ..render.renderer import RenderError, load_renderer

    beacon = runner.Beacon(memory, w.slot)
    index, since = beacon.state()
    status = w.stop(kill=True)
    workers[w.slot] = None
    chunks = list(w.chunks)
    w.chunks.clear()
    if index < 0 or not since:  # it died outside a renderer: a bug (or the machine), not a verdict
        raise RuntimeError(f"a worker process ended while checking "
                           f"{stacks[index].path if index >= 0 else 'its stacks'} ({describe_exit(status)})")
    stack = stacks[index]
    try:
        renderer = load_renderer(repo, stack.model_name)
    except KonfigError:  # it rendered, so this loaded in the worker: should not happen
        raise RuntimeError(f"a worker process ended while rendering {stack.path}") from None
    if killed:
        err: RenderError = runner.timeout_error(renderer, stack.path, limit)
    else:
        err = RenderError(f"renderer ended the process rendering it ({describe_exit(status)})",
                          model=renderer.model, stack=stack.path, file=renderer.file)
    runner.emit(stack.path, beacon.output())  # what it printed before it hung
    with runner.failing({stack.path: err}):
        results[index] = fn(repo, stack)
    for chunk in reversed(chunks):  # the stacks it had not answered for, first in line again
        rest = [i for i in chunk if i != index and i not in results]
        if rest:
            queue.appendleft(rest)
    return 1
