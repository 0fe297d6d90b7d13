"""The worker pool: the same results as one process, in the order given, whatever the jobs."""
from __future__ import annotations

import os
import shutil

from konfigctl.check import parallel
from konfigctl.check.parallel import MIN_PARALLEL, default_jobs, map_stacks, will_fork
from konfigctl.repo.repository import Repository


def _where(repo, stack):  # module level: workers look it up by reference after fork
    return stack.path, os.getpid()


def _many(mini, n):
    src = mini / "konfig/appops/acme/web/dev"
    for i in range(n):
        shutil.copytree(src, mini / f"konfig/appops/acme/web/dev{i:03d}")
    return Repository(str(mini))


def test_small_runs_stay_in_this_process(mini):
    repo = Repository(str(mini))
    got = list(map_stacks(repo, repo.stacks(), _where, jobs=4))
    assert [s.path for s, _ in got] == [s.path for s in repo.stacks()]
    assert {pid for _s, (_p, pid) in got} == {os.getpid()}
    assert not will_fork(MIN_PARALLEL - 1, 4) and not will_fork(1000, 1)


def test_a_pool_returns_every_result_in_order(mini):
    repo = _many(mini, MIN_PARALLEL + 6)
    stacks = list(reversed(repo.stacks()))
    assert will_fork(len(stacks), 2)
    got = list(map_stacks(repo, stacks, _where, jobs=2))
    assert [s.path for s, _ in got] == [s.path for s in stacks]
    assert [p for _s, (p, _pid) in got] == [s.path for s in stacks]
    assert os.getpid() not in {pid for _s, (_p, pid) in got}  # the workers did the work


def test_progress_advances_once_per_stack(mini):
    repo = Repository(str(mini))
    seen = []

    class Bar:
        def __init__(self, total, label):
            seen.append(("start", total, label))

        def __enter__(self):
            return lambda n=1: seen.append(("step", n))

        def __exit__(self, *exc):
            seen.append(("end",))

    list(map_stacks(repo, repo.stacks(), _where, jobs=1, progress=Bar, label="testing"))
    n = len(repo.stacks())
    assert seen == [("start", n, "testing")] + [("step", 1)] * n + [("end",)]


def test_konfig_jobs_sets_the_default(monkeypatch):
    monkeypatch.setenv("KONFIG_JOBS", "3")
    assert default_jobs() == 3
    monkeypatch.setenv("KONFIG_JOBS", "zero")
    assert default_jobs() == len(os.sched_getaffinity(0))
    assert parallel.CHUNK > 0
