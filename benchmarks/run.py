"""Measure konfig at scale, beside the floor and KCL, and check DESIGN.md's scale targets.

    python benchmarks/run.py --size full            # 1,500 projects / 5,000 stacks (by hand)
    python benchmarks/run.py --size huge            # 15,000 / 50,000: what is bounded there
    python benchmarks/run.py --size huge --with-test   # and test --all cold/warm (goldens generated)
    python benchmarks/run.py --size huge --with-test --with-diff --with-kcl --with-fmt   # everything (long)
    python benchmarks/run.py --size small           # 20 / 50 (a few seconds)
    python benchmarks/run.py --stacks 2500          # any size (projects: 30% of stacks)
    python benchmarks/run.py --size full --reuse DIR   # generate into DIR once, measure it again later
    python benchmarks/run.py --scaling 1000,5000,50000
    python benchmarks/run.py --scaling-from R1.json R2.json ...   # the scaling table of earlier runs
    python benchmarks/run.py --markdown RESULTS.json              # a run's tables as markdown
    python benchmarks/run.py --compare A.json B.json ...          # runs side by side

One run generates the synthetic Konfig (``benchmarks/generate.py``, with its
KCL twin) in a temporary directory and measures, each command run as a
subprocess exactly as users run it (konfig only through its command line):

* **the floor** (``benchmarks/floor.py``): one Python process finding and
  parsing the YAML files ``validate --all`` reads with PyYAML's CSafeLoader;
* ``konfig validate --all`` cold (``.konfig-cache`` deleted; default workers,
  and ``--jobs 1``), and again with nothing changed, against KCL compiling the
  same stacks in-process through ``kcl-lib`` -- and whether both find the same
  stacks failing;
* ``konfig test --all`` cold and again with nothing changed;
* ``konfig affected`` for a one-file change in a stack, a project defaults
  file and a model schema; and for each named change of
  ``benchmarks/changes.py`` the stacks it lists against the stacks whose
  configuration really changes (the precision ``affected --precise`` is to
  improve), with ``--precise`` too once it exists;
* ``konfig diff`` of a change to the most used model's defaults (webapp)
  against ``konfig test`` cold of the stacks it affects (selected on main,
  goldens up to date), and those stacks tested on the change's branch (their
  goldens differ: the pull request's CI job);
* ``konfig fmt --check`` cold and again (its "already canonical" cache);
* CLI start (``konfig --help``, ``konfig list``);
* the peak memory of each: the largest process (GNU time / ``wait4`` rusage)
  and the whole process tree (sampled PSS, which counts pages shared by forked
  workers once).

Every figure is the best (fastest) of ``--repeat`` runs (cold ones with the
cache deleted before each), the slow ones (KCL, ``test`` cold, ``diff``,
``fmt``) of ``--repeat-slow``; every run's time is kept in the JSON. Above
10,000 stacks ("huge") KCL, ``test``, ``diff`` and ``fmt`` are left out
unless asked for (``--with-kcl``, ``--with-test``: then goldens are generated,
``--with-diff``, which needs ``test`` too, ``--with-fmt``). Commands that do not exist yet are reported as "not available
yet". It prints a table with every ratio and target and writes everything as
JSON to ``benchmarks/results/<date>-<size>.json`` (git-ignored; ``--json FILE``
to choose).
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.changes import CHANGES, apply_change
from benchmarks.generate import GOLDENS_UP_TO, KONFIG, REPO_ROOT, SIZES, Generated, Generator, generate, git

RESULTS = REPO_ROOT / "benchmarks" / "results"
_SCRIPT = Path(KONFIG[0])
NOT_YET = "not available yet"
NOT_RUN = "not run"
GNU_TIME = "/usr/bin/time"
BIG = GOLDENS_UP_TO  # above this many stacks, only the bounded measurements by default
DIFF_CHANGE = "model-default"  # the change to the most used model's defaults that diff measures
DIFF_CHANGE_MODEL = "webapp"  # ... which affects exactly that model's stacks


# (figure, value key, comparison, limit, unit). A value key is "ratio:NAME",
# "mem:max" (the largest process tree of any command) or a measurement (its
# seconds). A limit is a number (at any size), or (limit up to 5,000 stacks,
# limit above) for the targets DESIGN.md states at a size: at 5,000 stacks
# only (the ratios, list) is (x, None), at 5,000 and 50,000 (affected) two
# numbers. None: no target yet.
TARGETS: list[tuple[str, str, str, Any, str]] = [
    ("validate --all cold vs KCL in-process", "ratio:validate_vs_kcl", "<=", (0.1, None), "x"),
    ("validate --all --jobs 1 cold vs the floor", "ratio:validate_j1_vs_floor", "<=", (1.5, None), "x"),
    ("validate --all again (nothing changed) vs the first", "ratio:validate_warm_vs_cold", "<=", 0.15, "x"),
    ("test --all again (nothing changed) vs the first", "ratio:test_warm_vs_cold", "<=", 0.15, "x"),
    ("test --all cold vs validate --all cold", "ratio:test_cold_vs_validate", "<=", (2.0, None), "x"),
    ("affected, one stack file changed", "affected_stack", "<", (0.5, 1.0), "s"),
    ("affected, project defaults changed", "affected_defaults", "<", (0.5, 1.0), "s"),
    ("affected, model schema changed", "affected_model", "<", (0.5, 1.0), "s"),
    ("affected --precise, one stack file changed", "affected_precise_stack", "<", 1.0, "s"),
    ("diff, most used model's defaults, vs test cold of its stacks", "ratio:diff_vs_test_affected",
     "<=", (2.0, None), "x"),
    ("peak memory, any command (process tree)", "mem:max", "<", 2048.0, "MiB"),
    ("CLI start: konfig --help", "start_help", "<", 0.1, "s"),
    ("CLI start: konfig list", "start_list", "<", (0.2, None), "s"),
    ("fmt --check again (nothing changed) vs the first", "ratio:fmt_warm_vs_cold", "<=", None, "x"),
    ("fmt --check --changed, one stack file, fresh checkout (CI)", "fmt_check_changed", "<", None, "s"),
]

# ratio name -> (numerator, denominator): measurement keys, compared by wall time
RATIOS = {
    "validate_vs_kcl": ("validate_all", "kcl_compile"),
    "validate_j1_vs_kcl": ("validate_all_j1", "kcl_compile"),
    "validate_j1_vs_floor": ("validate_all_j1", "floor"),
    "validate_vs_floor": ("validate_all", "floor"),
    "validate_warm_vs_cold": ("validate_all_warm", "validate_all"),
    "test_warm_vs_cold": ("test_warm", "test_cold"),
    "test_cold_vs_validate": ("test_cold", "validate_all"),
    "diff_vs_test_affected": ("diff_model", "test_affected_cold"),
    "fmt_warm_vs_cold": ("fmt_check_warm", "fmt_check_cold"),
}


# -- measuring one command ------------------------------------------------------------

def _children(pid: int) -> list[int]:
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry.name))
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class _TreeSampler(threading.Thread):
    """Samples the total PSS of a process and its descendants; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            tree = [self.pid]
            i = 0
            while i < len(tree):
                tree.extend(_children(tree[i]))
                i += 1
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in tree))
            self.done.wait(self.interval)


def measure(cmd: list[str], cwd: Path | None = None, sample_tree: bool = True) -> dict[str, Any]:
    """Run ``cmd``; wall time, exit code, output, and peak memory (largest process, whole tree)."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("KONFIG_JOBS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users' Pythons cache bytecode (any value disables it)
    rss_file = None
    full = cmd
    if os.access(GNU_TIME, os.X_OK):
        # rusage of a child forked from this (big) process starts at our RSS; GNU time is small
        fd, rss_file = tempfile.mkstemp(prefix="konfig-bench-rss-")
        os.close(fd)
        full = [GNU_TIME, "-f", "%M", "-o", rss_file, *cmd]
    load1 = round(os.getloadavg()[0], 2)
    start = time.perf_counter()
    proc = subprocess.Popen(full, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = _TreeSampler(proc.pid) if sample_tree and os.path.isdir("/proc") else None
    if sampler:
        sampler.start()
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()), daemon=True)
               for s, b in ((proc.stdout, out_chunks), (proc.stderr, err_chunks))]
    for r in readers:
        r.start()
    _, status, rusage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    for r in readers:
        r.join()
    if sampler:
        sampler.done.set()
        sampler.join()
    max_rss_kb = rusage.ru_maxrss
    if rss_file:
        try:
            max_rss_kb = int(Path(rss_file).read_text().split()[-1])  # after any "Command exited..."
        except (OSError, ValueError, IndexError):
            pass
        finally:
            os.unlink(rss_file)
    return {
        "cmd": " ".join(_show(c) for c in cmd),
        "seconds": round(seconds, 3),
        # user+system time of the command and its workers: less sensitive than wall
        # time to other load on the machine, which the results record too
        "cpu_seconds": round(rusage.ru_utime + rusage.ru_stime, 3),
        "exit_code": proc.returncode,
        "peak_rss_mb": round(max_rss_kb / 1024, 1),  # the largest single process
        "peak_tree_pss_mb": round(sampler.peak_kb / 1024, 1) if sampler else None,
        "load1": load1,  # the 1-minute load average when it started
        "stdout": b"".join(out_chunks).decode("utf-8", "replace"),
        "stderr": b"".join(err_chunks).decode("utf-8", "replace"),
    }


def _show(arg: str) -> str:
    if arg == sys.executable:
        return "python"
    if arg == str(_SCRIPT):
        return "konfig"
    return arg


def _public(m: dict[str, Any]) -> dict[str, Any]:
    """A measurement without its captured output (kept short in the JSON)."""
    out = {k: v for k, v in m.items() if k not in ("stdout", "stderr")}
    if m.get("exit_code") not in (0, 1, None):
        out["stderr_tail"] = m.get("stderr", "")[-500:]
    return out


def available(command: str) -> bool:
    """Whether the installed konfig has ``command`` (the placeholders register nothing)."""
    proc = subprocess.run(KONFIG + [command, "--help"], capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"})
    return proc.returncode == 0


def has_option(command: list[str], option: str) -> bool:
    """Whether ``konfig COMMAND --help`` lists ``option`` (e.g. ``affected --precise``)."""
    proc = subprocess.run(KONFIG + [*command, "--help"], capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})
    return proc.returncode == 0 and option in proc.stdout


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of several runs of one command, with every run's wall time."""
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "runs": [r["seconds"] for r in runs]} if len(runs) > 1 else best


def _unavailable(reason: str) -> dict[str, Any]:
    return {"available": False, "reason": reason}


# -- the measurements -----------------------------------------------------------------

class Run:
    def __init__(self, root: Path, kcl_dir: Path | None, repeat: int = 3, repeat_slow: int = 1) -> None:
        self.root = root
        self.kcl_dir = kcl_dir
        self.repeat = max(1, repeat)
        self.repeat_slow = max(1, repeat_slow)
        self.m: dict[str, Any] = {}
        self.changes: dict[str, Any] = {}
        self.notes: list[str] = []

    def konfig(self, *args: str) -> list[str]:
        return KONFIG + ["--repo", str(self.root), *args]

    def drop_cache(self) -> None:
        shutil.rmtree(self.root / ".konfig-cache", ignore_errors=True)

    def best(self, cmd: list[str], n: int, cwd: Path | None = None,
             before: Callable[[], None] | None = None, sample_tree: bool = False) -> dict[str, Any]:
        """The best of ``n`` runs; ``before`` runs before each."""
        runs = []
        for _ in range(n):
            if before:
                before()
            runs.append(measure(cmd, cwd=cwd, sample_tree=sample_tree))
        return _best(runs)

    def start(self) -> None:
        self.m["start_help"] = _public(self.best(KONFIG + ["--help"], self.repeat + 2))
        self.m["start_list"] = _public(self.best(self.konfig("list", "stacks"), self.repeat + 2))
        # the same without the directory listings kept by the run before (a fresh clone)
        listings = self.root / ".konfig-cache" / "listings.json"
        self.m["start_list_no_listings"] = _public(self.best(
            self.konfig("list", "stacks"), self.repeat + 2,
            before=lambda: listings.unlink(missing_ok=True)))

    def floor(self) -> None:
        r = self.best([sys.executable, str(REPO_ROOT / "benchmarks" / "floor.py"), str(self.root)],
                      self.repeat, sample_tree=True)
        self.m["floor"] = _public(r)
        try:
            self.m["floor"].update(json.loads(r["stdout"]))
        except ValueError:
            self.notes.append("the floor printed no JSON: " + r["stderr"][-300:])

    def validate(self) -> list[str]:
        """validate cold (default workers, --jobs 1) and warm; returns the stacks failing."""
        cmd = self.konfig("validate", "--all", "--format", "json")
        cold, warm, j1 = [], [], []
        for _ in range(self.repeat):
            self.drop_cache()
            cold.append(measure(cmd))
            warm.append(measure(cmd))  # right after, nothing changed
        for _ in range(self.repeat):
            self.drop_cache()
            j1.append(measure(cmd + ["--jobs", "1"]))
        runs = {"validate_all": cold, "validate_all_warm": warm, "validate_all_j1": j1}
        for key, rs in runs.items():
            self.m[key] = {**_public(_best(rs)), "jobs": 1 if key.endswith("j1") else default_jobs()}
        try:
            data = json.loads(cold[0]["stdout"])
        except ValueError:
            data = {"problems": []}
            self.notes.append("validate --all printed no JSON: " + cold[0]["stderr"][-300:])
        failed = sorted({p["stack"] for p in data.get("problems", [])
                         if p.get("severity", "error") == "error" and p.get("stack")})
        self.m["validate_all"].update(stacks=data.get("stacks"), failed_stacks=len(failed),
                                      warnings=data.get("warnings"))
        return failed

    def kcl(self, konfig_failed: list[str]) -> None:
        if self.kcl_dir is None:
            return
        r = self.best([sys.executable, str(REPO_ROOT / "benchmarks" / "kcl" / "compile.py"),
                       str(self.kcl_dir)], self.repeat_slow, sample_tree=True)
        self.m["kcl_compile"] = _public(r)
        try:
            kres = json.loads(r["stdout"])
        except ValueError:
            self.notes.append("KCL compile failed: " + r["stderr"][-500:])
            return
        self.m["kcl_compile"].update(engine=kres["engine"], stacks=kres["stacks"],
                                     failed_stacks=len(kres["failed"]),
                                     compile_seconds=kres["compile_seconds"],
                                     cpu_ms_per_stack_by_500=kres["cpu_ms_per_stack_by_500"])
        kcl_failed = sorted(kres["failed"])
        only_k = sorted(set(konfig_failed) - set(kcl_failed))
        only_kcl = sorted(set(kcl_failed) - set(konfig_failed))
        self.m["agreement"] = {
            "same_failing_stacks": not only_k and not only_kcl,
            "konfig_failed": len(konfig_failed),
            "kcl_failed": len(kcl_failed),
            "only_konfig": only_k[:20],
            "only_kcl": {s: kres["failed"][s] for s in only_kcl[:20]},
            "gaps": kres.get("gaps", []),
        }

    def test(self) -> None:
        if not available("test"):
            for key in ("test_cold", "test_warm"):
                self.m[key] = _unavailable(f"konfig test {NOT_YET}")
            return
        cold, warm = [], []
        for _ in range(self.repeat_slow):
            self.drop_cache()
            cold.append(measure(self.konfig("test", "--all")))
            warm.append(measure(self.konfig("test", "--all")))
        self.m["test_cold"] = _public(_best(cold))
        self.m["test_warm"] = _public(_best(warm))

    def affected(self, stack_file: str, defaults_file: str, model_file: str) -> None:
        keys = ("affected_stack", "affected_defaults", "affected_model")
        if not available("affected"):
            for key in keys:
                self.m[key] = _unavailable(f"konfig affected {NOT_YET}")
            return
        base = git(self.root, "rev-parse", "HEAD").strip()
        for key, rel in zip(keys, (stack_file, defaults_file, model_file)):
            path = self.root / rel
            original = path.read_text()
            branch = f"bench-{key}"
            git(self.root, "checkout", "-q", "-b", branch)
            try:
                path.write_text(original + "# a one-line change for the benchmark\n")
                git(self.root, "commit", "-q", "-am", f"bench: change {rel}")
                # the text format, as people and CI scripts run it (one stack a line); the
                # best of N runs after one that brings the new commit's files into memory
                cmd = self.konfig("affected", "--base", base, "--head", "HEAD")
                first = measure(cmd, sample_tree=False)
                r = self.best(cmd, self.repeat)
                self.m[key] = {**_public(r), "first_run_seconds": first["seconds"], "changed": rel,
                               "stacks": _count_affected(r["stdout"])}
            finally:
                git(self.root, "checkout", "-q", "-f", "main")
                git(self.root, "branch", "-q", "-D", branch)

    def named_changes(self) -> None:
        """Each named change as a branch: what affected lists against what really changes."""
        precise = has_option(["affected"], "--precise")
        for name in CHANGES:
            try:
                ch = apply_change(self.root, name)
            except (LookupError, RuntimeError) as e:
                self.notes.append(f"change {name}: {e}")
                continue
            truth = set(ch["changed_stacks"])
            entry: dict[str, Any] = {"semantic": ch["semantic"], "files": ch["files"],
                                     "changed_stacks": len(truth)}
            for key, extra in (("affected", []), ("precise", ["--precise"])):
                if key == "precise" and not precise:
                    entry[key] = _unavailable(f"konfig affected --precise {NOT_YET}")
                    continue
                cmd = self.konfig("affected", "--base", "main", "--head", ch["branch"], "--format", "json",
                                  *extra)
                r = self.best(cmd, self.repeat)
                if key == "precise":
                    last_precise = r
                listed = _affected_paths(r["stdout"])
                entry[key] = {"seconds": r["seconds"], "exit_code": r["exit_code"],
                              "stacks": None if listed is None else len(listed)}
                if listed is not None:
                    entry[key]["missed"] = len(truth - listed)  # must be 0: a stack not tested
                    entry[key]["precision"] = round(len(truth & listed) / len(listed), 4) if listed else 1.0
            self.changes[name] = entry
            if name == "stack-image" and precise:
                self.m["affected_precise_stack"] = {**_public(last_precise), **entry["precise"],
                                                    "cmd": "konfig affected --precise"}
        if not precise:
            self.m["affected_precise_stack"] = _unavailable(f"konfig affected --precise {NOT_YET}")

    def diff(self) -> None:
        """diff of the change to the most used model's defaults, against test cold of its stacks.

        The target's denominator is ``test`` cold of the stacks the change affects, at the base
        revision (goldens up to date: what ``test --all`` does for them); the same stacks tested
        on the change's branch, whose goldens now differ (the pull request's CI job), are
        measured too, as ``test_affected_branch_cold``.
        """
        branch = "change/" + DIFF_CHANGE
        if not available("diff") or not available("test"):
            self.m["diff_model"] = _unavailable(f"konfig diff {NOT_YET}")
            return
        try:
            git(self.root, "rev-parse", "--verify", branch)
        except RuntimeError:
            apply_change(self.root, DIFF_CHANGE)
        listed = _affected_paths(measure(self.konfig("affected", "--base", "main", "--head", branch,
                                                     "--format", "json"), sample_tree=False)["stdout"])
        r = self.best(self.konfig("diff", "--base", "main", "--head", branch, "--format", "markdown"),
                      self.repeat_slow, before=self.drop_cache, sample_tree=True)
        self.m["diff_model"] = {**_public(r), "change": DIFF_CHANGE, "stacks": len(listed or ())}
        # the change affects exactly the stacks of the webapp model (checked here): select them so
        selector = "model=" + DIFF_CHANGE_MODEL
        selected = _affected_paths(measure(self.konfig("list", "stacks", "-l", selector, "--format", "json"),
                                           sample_tree=False)["stdout"]) or set()
        if listed != selected:
            self.notes.append(f"diff: the {DIFF_CHANGE} change affects {len(listed or ())} stacks, "
                              f"{selector} selects {len(selected)}: test_affected_cold is not of the same stacks")
        r = self.best(self.konfig("test", "-l", selector), self.repeat_slow, before=self.drop_cache,
                      sample_tree=True)
        self.m["test_affected_cold"] = {**_public(r), "change": DIFF_CHANGE, "stacks": len(selected)}
        git(self.root, "checkout", "-q", branch)
        try:
            r = self.best(self.konfig("test", "--affected", "main"), self.repeat_slow,
                          before=self.drop_cache, sample_tree=True)
            self.m["test_affected_branch_cold"] = {**_public(r), "change": DIFF_CHANGE}
        finally:
            git(self.root, "checkout", "-q", "-f", "main")

    def fmt(self) -> None:
        if not available("fmt"):
            for key in ("fmt_check_cold", "fmt_check_warm", "fmt_check_changed"):
                self.m[key] = _unavailable(f"konfig fmt {NOT_YET}")
            return
        cold, warm = [], []
        for _ in range(self.repeat_slow):
            self.drop_cache()
            cold.append(measure(self.konfig("fmt", "--check")))
            warm.append(measure(self.konfig("fmt", "--check")))
        self.m["fmt_check_cold"] = _public(_best(cold))
        self.m["fmt_check_warm"] = _public(_best(warm))
        if not has_option(["fmt"], "--changed"):
            self.m["fmt_check_changed"] = _unavailable(f"konfig fmt --changed {NOT_YET}")
            return
        # what the emitted pipelines run on a pull request: a fresh checkout (no cache), one stack
        # file changed on a branch
        rel = sorted(self.root.glob("konfig/appops/*/*/*/stack.yaml"))[0].relative_to(self.root).as_posix()
        git(self.root, "checkout", "-q", "-b", "bench-fmt")
        try:
            path = self.root / rel
            path.write_text(path.read_text() + "# a one-line change for the benchmark\n")
            git(self.root, "commit", "-q", "-am", f"bench: change {rel}")
            r = self.best(self.konfig("fmt", "--check", "--changed", "main"), self.repeat,
                          before=self.drop_cache)
            self.m["fmt_check_changed"] = {**_public(r), "changed": rel}
        finally:
            git(self.root, "checkout", "-q", "-f", "main")
            git(self.root, "branch", "-q", "-D", "bench-fmt")

    def skip(self, keys: tuple[str, ...], flag: str) -> None:
        for key in keys:
            self.m.setdefault(key, _unavailable(f"{NOT_RUN} above {BIG:,} stacks (run.py {flag})"))


def _affected_paths(stdout: str) -> set[str] | None:
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    items = data.get("affected") if isinstance(data, dict) else data  # affected, or list stacks
    if not isinstance(items, list):
        return None
    return {i["path"] if isinstance(i, dict) else str(i) for i in items}


def _count_affected(stdout: str) -> int | None:
    try:
        data = json.loads(stdout)
    except ValueError:
        return len([ln for ln in stdout.splitlines() if ln.strip()])
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        for key in ("stacks", "affected"):
            if isinstance(data.get(key), list):
                return len(data[key])
    return None


def default_jobs() -> int:
    """The workers konfig uses by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def konfig_version() -> str:
    proc = subprocess.run(KONFIG + ["--version"], capture_output=True, text=True)
    return proc.stdout.strip().rsplit(" ", 1)[-1] if proc.returncode == 0 else ""


# -- ratios and targets (pure: tested on made-up figures) -------------------------------

def compute_ratios(m: dict[str, Any], field: str = "seconds") -> dict[str, float | None]:
    """Every ratio of ``RATIOS``, of wall times (``cpu_seconds``: of CPU times, workers included,
    which other load on the machine moves less)."""
    out: dict[str, float | None] = {}
    for name, (a, b) in RATIOS.items():
        sa, sb = (m.get(a) or {}).get(field), (m.get(b) or {}).get(field)
        out[name] = round(sa / sb, 3) if sa and sb else None
    return out


def peak_memory(m: dict[str, Any]) -> tuple[float | None, str | None]:
    """The largest process tree of any command (its largest process where no tree was sampled)."""
    best: tuple[float | None, str | None] = (None, None)
    for key, v in m.items():
        if not isinstance(v, dict) or v.get("available") is False:
            continue
        mb = v.get("peak_tree_pss_mb") or v.get("peak_rss_mb")
        if mb is not None and (best[0] is None or mb > best[0]):
            best = (mb, key)
    return best


def limit_for(limit: Any, stacks: int) -> float | None:
    if isinstance(limit, tuple):
        return limit[0] if stacks <= 5000 else limit[1]
    return limit


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target: its limit at this size, the measured value, and whether it is met (None:
    not measured, or no target yet)."""
    out = []
    m, ratios = results["measurements"], results["ratios"]
    stacks = results["size"]["stacks"]
    for figure, key, op, limit, unit in TARGETS:
        lim = limit_for(limit, stacks)
        source = None
        if key.startswith("ratio:"):
            value = ratios.get(key[6:])
        elif key == "mem:max":
            value, source = peak_memory(m)
        else:
            value = (m.get(key) or {}).get("seconds")
        met = None
        if value is not None and lim is not None:
            met = value <= lim if op == "<=" else value < lim
        why = None
        if value is None:
            v = m.get(RATIOS[key[6:]][0] if key.startswith("ratio:") else key) or {}
            why = v.get("reason") or (NOT_RUN if key.startswith("ratio:") else NOT_YET)
            if key.startswith("ratio:"):  # say which side is missing
                for side in RATIOS[key[6:]]:
                    if (m.get(side) or {}).get("reason"):
                        why = m[side]["reason"]
                        break
                    if side not in m:
                        why = f"{side} {NOT_RUN}"
                        break
        out.append({"figure": figure, "key": key,
                    "target": f"{op} {lim:g} {unit}" if lim is not None
                    else f"at 5k: {op} {limit[0]:g} {unit}" if isinstance(limit, tuple) else "no target yet",
                    "measured": value, "unit": unit, "met": met, "why_not_measured": why,
                    "source": source})
    return out


def _met_text(t: dict[str, Any], md: bool = False) -> str:
    if t["met"] is True:
        return "met"
    if t["met"] is False:
        return "**not met**" if md else "NOT MET"
    if t["measured"] is not None:
        return "-"  # no target yet
    return t["why_not_measured"] or NOT_RUN


def _value_text(t: dict[str, Any]) -> str:
    if t["measured"] is None:
        return "-"
    v = f"{t['measured']:.3g} {t['unit']}"
    return v + (f" ({t['source']})" if t.get("source") else "")


# -- the report ---------------------------------------------------------------------

def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    mem_gib = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem_gib = round(int(f.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        commit = git(REPO_ROOT, "rev-parse", "--short", "HEAD").strip()
        dirty = bool(git(REPO_ROOT, "status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, RuntimeError):
        commit, dirty = "", False
    return {
        "nproc": os.cpu_count(),
        "cpus_usable": default_jobs(),
        "cpu": cpu,
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "konfig": konfig_version(),
        "commit": commit + ("+dirty" if dirty else ""),
    }


def table(results: dict[str, Any]) -> str:
    m = results["measurements"]
    lines = [f"konfig benchmark: {results['size']['projects']:,} projects, "
             f"{results['size']['stacks']:,} stacks ({results['machine']['nproc']} CPUs, "
             f"{results['machine']['cpu']}, Python {results['machine']['python']})", ""]
    lines.append(f"{'measurement':<24} {'seconds':>9} {'CPU s':>7} {'exit':>5} {'RSS MiB':>8} "
                 f"{'tree MiB':>9} {'load':>5}")
    for key, v in m.items():
        if key == "agreement":
            continue
        if v.get("available") is False:
            lines.append(f"{key:<24} {v['reason']}")
            continue
        pss = v.get("peak_tree_pss_mb")
        lines.append(f"{key:<24} {v['seconds']:>9.3f} {v.get('cpu_seconds', 0):>7.2f} "
                     f"{v.get('exit_code', '-'):>5} {v.get('peak_rss_mb', 0):>8.1f} "
                     f"{(f'{pss:.1f}' if pss is not None else '-'):>9} {v.get('load1', '-'):>5}")
    lines.append("")
    cpu = results.get("ratios_cpu") or {}
    lines.append(f"{'ratio':<30} {'wall':>7} {'CPU':>7}")
    for k, v in results["ratios"].items():
        c = cpu.get(k)
        lines.append(f"{k:<30} {v if v is not None else NOT_RUN:>7} {'-' if c is None else c:>7}")
    agree = m.get("agreement")
    if agree:
        lines.append(f"konfig and KCL fail the same stacks: {agree['same_failing_stacks']} "
                     f"(konfig {agree['konfig_failed']}, KCL {agree['kcl_failed']})")
    if results.get("changes"):
        lines += ["", f"{'named change':<26} {'kind':>5} {'changed':>8} {'affected':>9} {'precision':>9} "
                      f"{'seconds':>8}  precise"]
        for name, c in results["changes"].items():
            a, p = c["affected"], c["precise"]
            prec = "-" if a.get("precision") is None else f"{a['precision']:.3f}"
            ptxt = p.get("reason") or f"{p.get('stacks')} stacks, {p.get('seconds')} s"
            lines.append(f"{name:<26} {'real' if c['semantic'] else 'empty':>5} {c['changed_stacks']:>8} "
                         f"{a.get('stacks', '-'):>9} {prec:>9} {a.get('seconds', 0):>8.3f}  {ptxt}")
    lines.append("")
    lines.append(f"{'target':<58} {'limit':>14} {'measured':>12}  met?")
    for t in results["targets"]:
        lines.append(f"{t['figure']:<58} {t['target']:>14} {_value_text(t):>12}  {_met_text(t)}")
    load = results.get("load_average")
    if load:
        lines.append(f"load average (1 min) before/after: {load['before']}/{load['after']} "
                     f"on {results['machine']['nproc']} CPUs")
    for note in results.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    """The targets, every measurement and the named changes as markdown (docs/performance.md)."""
    lines = ["| target | limit | measured | met? |", "|---|---|---:|---|"]
    for t in results["targets"]:
        lines.append(f"| {t['figure']} | {t['target']} | {_value_text(t)} | {_met_text(t, md=True)} |")
    cpu = results.get("ratios_cpu") or {}
    lines += ["", "| ratio | wall time | CPU time |", "|---|---:|---:|"]
    for k, v in results["ratios"].items():
        c = cpu.get(k)
        lines.append(f"| {k} | {'-' if v is None else f'{v:.3g}'} | {'-' if c is None else f'{c:.3g}'} |")
    lines += ["", "| measurement | command | wall | CPU | exit | largest process | process tree | load |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for key, v in results["measurements"].items():
        if key == "agreement" or v.get("available") is False or "cmd" not in v:
            continue
        pss = v.get("peak_tree_pss_mb")
        runs = v.get("runs")
        wall = f"{v['seconds']:.2f} s" + (f" (best of {len(runs)})" if runs else "")
        lines.append(f"| {key} | `{_shown_cmd(v['cmd'])}` | {wall} | "
                     f"{v['cpu_seconds']:.2f} s | {v['exit_code']} | {v['peak_rss_mb']:.0f} MiB | "
                     f"{'-' if pss is None else f'{pss:.0f} MiB'} | {v.get('load1', '-')} |")
    if results.get("changes"):
        lines += ["", "| named change | kind | stacks changed | affected lists | precision | affected time | --precise |",
                  "|---|---|---:|---:|---:|---:|---|"]
        for name, c in results["changes"].items():
            a, p = c["affected"], c["precise"]
            prec = "-" if a.get("precision") is None else f"{a['precision']:.3g}"
            ptxt = p.get("reason") or f"{p.get('stacks')} stacks, {p.get('seconds')} s"
            lines.append(f"| `{name}` | {'real' if c['semantic'] else 'empty'} | {c['changed_stacks']:,} | "
                         f"{a.get('stacks', 0):,} | {prec} | {a.get('seconds', 0):.2f} s | {ptxt} |")
    return "\n".join(lines)


def compare(runs: list[dict[str, Any]]) -> str:
    """Several runs side by side (markdown): every target, ratio and measurement."""
    def head(r: dict[str, Any]) -> str:
        load = r.get("load_average") or {}
        return (f"{r['size']['stacks']:,} stacks, {r.get('date', '')} {r['machine'].get('commit', '')}, "
                f"load {load.get('before', '-')}-{load.get('after', '-')}")

    lines = ["| | " + " | ".join(head(r) for r in runs) + " |", "|---|" + "---:|" * len(runs)]
    for i, (figure, *_rest) in enumerate(TARGETS):
        cells = []
        for r in runs:
            t = r["targets"][i] if i < len(r["targets"]) and r["targets"][i]["figure"] == figure else None
            if t is None:
                cells.append("-")
            elif t["measured"] is None:
                cells.append("not measured")
            else:
                cells.append(f"{_value_text(t)} ({t['target']}: {_met_text(t, md=True)})"
                             if t["met"] is not None else f"{_value_text(t)} ({t['target']})")
        lines.append(f"| {figure} | " + " | ".join(cells) + " |")
    for name in RATIOS:
        vals = [r["ratios"].get(name) for r in runs]
        lines.append(f"| ratio {name} | " + " | ".join("-" if v is None else f"{v:.3g}" for v in vals) + " |")
    keys: list[str] = []
    for r in runs:
        keys += [k for k, v in r["measurements"].items() if k not in keys and isinstance(v, dict) and "cmd" in v]
    for key in keys:
        cells = []
        for r in runs:
            v = r["measurements"].get(key) or {}
            pss = v.get("peak_tree_pss_mb") or v.get("peak_rss_mb")
            cells.append("-" if "seconds" not in v else
                         f"{v['seconds']:.2f} s, CPU {v['cpu_seconds']:.2f} s, {pss:.0f} MiB")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _shown_cmd(cmd: str) -> str:
    """A measured command without its temporary paths (``--repo DIR`` dropped, commits shortened)."""
    out: list[str] = []
    skip = False
    for p in cmd.split():
        if skip:
            skip = False
        elif p == "--repo":
            skip = True
        elif p.endswith("benchmarks/kcl/compile.py"):
            out.append("benchmarks/kcl/compile.py")
        elif p.endswith("benchmarks/floor.py"):
            out.append("benchmarks/floor.py")
        elif p.startswith("/"):
            out.append("DIR")
        else:
            out.append(p[:12] if len(p) == 40 else p)
    return " ".join(out)


def _pick_files(root: Path, stacks: list[Any]) -> tuple[str, str, str]:
    """A stack file, a project defaults file and a model schema to change for ``affected``."""
    stack = next((s for s in stacks if s.model == "webapp"), stacks[0])
    # the project defaults file (<root>/<org>/<project>/defaults.yaml) shared by the most stacks
    users: dict[str, int] = {}
    for s in stacks:
        for f in s.layers:
            if f.endswith("/defaults.yaml") and f.count("/") == 4 and not f.startswith("konfig/base"):
                users[f] = users.get(f, 0) + 1
    defaults = max(sorted(users), key=lambda f: users[f]) if users else stack.layers[-1]
    return f"{stack.path}/stack.yaml", defaults, f"konfig/base/models/{stack.model}/schema.yaml"


def reuse_generated(root: Path, projects: int, stacks: int, seed: int, *, kcl: bool,
                    goldens: bool) -> Generated:
    """A Konfig generated before in ``root`` for this size and seed, back on a clean ``main``
    (the stack list rebuilt in memory); its KCL twin and goldens added if asked for and missing."""
    start = time.perf_counter()
    first = git(root, "log", "--reverse", "--format=%s", "main").splitlines()[:1]
    expected = f"Synthetic Konfig: {projects} projects, {stacks} stacks (seed {seed})"
    if first != [expected]:
        raise ValueError(f"{root} is not the Konfig generated for {projects} projects, {stacks} stacks, "
                         f"seed {seed} (its first commit: {first[0] if first else 'none'!r})")
    git(root, "checkout", "-q", "-f", "main")
    git(root, "clean", "-q", "-fd")  # what a run left behind; ignored files (kcl/) stay
    gen = Generator(root, projects, stacks, seed)
    gen.build()
    result = Generated(root, projects, gen.stacks, len(git(root, "ls-files").splitlines()), 0.0)
    if kcl:
        if (root / "kcl" / "stacks.json").is_file():
            result.kcl_dir = root / "kcl"
        else:
            from benchmarks.kcl import emit

            result.kcl_dir = emit.write(root, gen.stacks, gen.data)
    result.goldens = bool(git(root, "ls-files", "*golden.yaml").strip())
    if goldens and not result.goldens:
        proc = subprocess.run(KONFIG + ["--repo", str(root), "test", "--all", "--update"],
                              capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"konfig test --update failed: {proc.stderr.strip()[-2000:]}")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "Golden files (konfig test --all --update)")
        result.goldens = True
    result.seconds = time.perf_counter() - start
    result.phases = {"reused": 1.0}
    return result


def run(projects: int, stacks: int, seed: int = 42, *, repeat: int = 3, repeat_slow: int = 1,
        workdir: Path | None = None, keep: bool = False, label: str | None = None, write: bool = True,
        with_kcl: bool | None = None, with_test: bool | None = None, with_fmt: bool | None = None,
        with_diff: bool | None = None, json_path: Path | None = None, reuse: Path | None = None) -> dict[str, Any]:
    """Generate a Konfig of the given size and measure everything on it; returns the results.

    ``with_kcl``/``with_test``/``with_diff``/``with_fmt``: None is "up to 10,000 stacks" (not
    at huge); diff needs test;
    KCL also needs kcl-lib installed. ``reuse``: measure the Konfig generated in that
    directory before (generate it there, and keep it, if it does not exist).
    """
    small = stacks <= BIG
    kcl_installed = importlib.util.find_spec("kcl_lib") is not None
    do_kcl = (small if with_kcl is None else with_kcl) and kcl_installed
    do_test = small if with_test is None else with_test
    do_fmt = small if with_fmt is None else with_fmt
    do_diff = do_test and (small if with_diff is None else with_diff)
    tmp = None if reuse else Path(tempfile.mkdtemp(prefix="konfig-bench-", dir=workdir))
    try:
        root = Path(reuse).resolve() if reuse else tmp / "konfig"  # type: ignore[operator]
        if reuse and (root / ".git").is_dir():
            gen = reuse_generated(root, projects, stacks, seed, kcl=do_kcl, goldens=do_test)
        else:
            gen = generate(root, projects, stacks, seed, kcl=do_kcl, goldens=do_test or None)
        r = Run(root, gen.kcl_dir, repeat, repeat_slow)
        measure(KONFIG + ["--repo", str(root), "list", "stacks"], sample_tree=False)  # warm the page cache
        load_before = os.getloadavg()
        r.start()
        r.floor()
        failed = r.validate()
        if do_kcl:
            r.kcl(failed)
        else:
            r.m["kcl_compile"] = _unavailable("kcl-lib is not installed" if not kcl_installed
                                              else f"{NOT_RUN} above {BIG:,} stacks (run.py --with-kcl)")
        if do_test:
            r.test()
        else:
            r.skip(("test_cold", "test_warm"), "--with-test")
        r.affected(*_pick_files(root, gen.stacks))
        r.named_changes()
        if do_diff:
            r.diff()
        else:
            r.skip(("diff_model", "test_affected_cold", "test_affected_branch_cold"),
                   "--with-diff" if do_test else "--with-test --with-diff")
        if do_fmt:
            r.fmt()
        else:
            r.skip(("fmt_check_cold", "fmt_check_warm", "fmt_check_changed"), "--with-fmt")
        results: dict[str, Any] = {
            "date": datetime.date.today().isoformat(),
            "machine": machine(),
            "size": {"projects": projects, "stacks": stacks, "seed": seed, "files": gen.files,
                     "reused": bool(gen.phases.get("reused")),
                     "generate_seconds": round(gen.seconds, 2), "generate_phases": gen.phases,
                     "goldens": gen.goldens, "label": label},
            "repeat": {"fast": r.repeat, "slow": r.repeat_slow},
            "measurements": r.m,
            "changes": r.changes,
            "notes": r.notes,
            # other processes on the machine skew wall times: the 1-minute load average
            "load_average": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        }
        results["ratios"] = compute_ratios(r.m)
        results["ratios_cpu"] = compute_ratios(r.m, "cpu_seconds")
        results["targets"] = evaluate(results)
        if write:
            path = json_path or RESULTS / f"{results['date']}-{label or stacks}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(results, indent=2) + "\n")
            results["written_to"] = str(path)
        if keep or reuse:
            results["kept"] = str(root)
        return results
    finally:
        if tmp and not keep:
            shutil.rmtree(tmp, ignore_errors=True)


# -- scaling ------------------------------------------------------------------------------

SCALING_KEYS = ("floor", "validate_all", "validate_all_j1", "validate_all_warm", "kcl_compile",
                "test_cold", "test_warm", "affected_stack", "affected_model", "start_list")


def scaling_row(results: dict[str, Any]) -> dict[str, Any]:
    """One line of the scaling table from a run's results."""
    m = results["measurements"]
    n = results["size"]["stacks"]
    row: dict[str, Any] = {"stacks": n, "projects": results["size"]["projects"]}
    for key in SCALING_KEYS:
        v = m.get(key) or {}
        if v.get("seconds"):
            row[key] = v["seconds"]
            row[key + "_ms_per_stack"] = round(1000 * v["seconds"] / n, 3)
            row[key + "_tree_mb"] = v.get("peak_tree_pss_mb")
    row["validate_j1_vs_floor"] = results["ratios"].get("validate_j1_vs_floor")
    row["peak_memory_mb"] = peak_memory(m)[0]
    return row


def scaling_markdown(rows: list[dict[str, Any]]) -> str:
    def sec(row: dict[str, Any], key: str) -> str:
        return f"{row[key]:.2f} s" if row.get(key) is not None else "-"

    def per(row: dict[str, Any], key: str) -> str:
        return f"{row[key + '_ms_per_stack']:.2f} ms" if row.get(key) is not None else "-"

    head = ("| stacks | floor | per stack | validate --all | per stack | validate -j1 | per stack | "
            "-j1 / floor | validate again | KCL | test cold | test again | affected (stack) | "
            "affected (model) | list | memory, validate (tree) | peak memory (any) |")
    lines = [head, "|" + "---:|" * (head.count("|") - 1)]
    for row in sorted(rows, key=lambda r: r["stacks"]):
        ratio = row.get("validate_j1_vs_floor")
        mem = row.get("validate_all_tree_mb")
        peak = row.get("peak_memory_mb")
        lines.append(
            f"| {row['stacks']:,} | {sec(row, 'floor')} | {per(row, 'floor')} | {sec(row, 'validate_all')} | "
            f"{per(row, 'validate_all')} | {sec(row, 'validate_all_j1')} | {per(row, 'validate_all_j1')} | "
            f"{'-' if ratio is None else f'{ratio:.2f}'} | {sec(row, 'validate_all_warm')} | "
            f"{sec(row, 'kcl_compile')} | {sec(row, 'test_cold')} | {sec(row, 'test_warm')} | "
            f"{sec(row, 'affected_stack')} | {sec(row, 'affected_model')} | {sec(row, 'start_list')} | "
            f"{'-' if mem is None else f'{mem:.0f} MiB'} | "
            f"{'-' if peak is None else f'{peak:.0f} MiB'} |")
    return "\n".join(lines)


def scaling(sizes: list[int], seed: int, workdir: Path | None, **kw: Any) -> dict[str, Any]:
    """Every measurement at several sizes: the cost per stack as the Konfig grows."""
    rows = []
    for n in sizes:
        projects = SIZES["huge"][0] if n == SIZES["huge"][1] else max(1, round(n * 0.3))
        res = run(projects, n, seed, workdir=workdir, write=False, **kw)
        rows.append(scaling_row(res))
        print(json.dumps(rows[-1]), flush=True)
    out = {"date": datetime.date.today().isoformat(), "machine": machine(), "scaling": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{out['date']}-scaling.json").write_text(json.dumps(out, indent=2) + "\n")
    return out


def _rows_from(files: list[Path]) -> list[dict[str, Any]]:
    """Scaling rows from results files: a run's (one row) or a scaling file's (its rows);
    the last one given wins for a size."""
    rows: dict[int, dict[str, Any]] = {}
    for f in files:
        data = json.loads(f.read_text())
        for row in data.get("scaling") or [scaling_row(data)]:
            rows[row["stacks"]] = row
    return list(rows.values())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=list(SIZES), default=None,
                    help="a named size (default: full): " + ", ".join(
                        f"{k} {p:,}/{s:,}" for k, (p, s) in SIZES.items()))
    ap.add_argument("--stacks", type=int, help="any number of stacks (projects: 30%% of it)")
    ap.add_argument("--projects", type=int, help="with --stacks: the number of projects")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each fast measurement; the best is kept (default 3)")
    ap.add_argument("--repeat-slow", type=int, default=1,
                    help="runs of KCL, test cold, diff and fmt; the best is kept (default 1)")
    for what, desc in (("kcl", "KCL's compile of the twin"), ("test", "test --all (goldens generated)"),
                       ("diff", "diff and test of its stacks (needs --with-test)"), ("fmt", "fmt --check")):
        g = ap.add_mutually_exclusive_group()
        g.add_argument(f"--with-{what}", dest=f"with_{what}", action="store_true", default=None,
                       help=f"measure {desc} at any size (default: up to {BIG:,} stacks)")
        g.add_argument(f"--without-{what}", dest=f"with_{what}", action="store_false", help=f"skip {desc}")
    ap.add_argument("--scaling", metavar="N,N,...", help="measure at each size and report the cost per stack")
    ap.add_argument("--scaling-from", metavar="JSON", nargs="+", type=Path,
                    help="print the scaling table (markdown) of earlier results files, and exit")
    ap.add_argument("--workdir", type=Path, help="where the temporary Konfig goes (default: $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the generated Konfig")
    ap.add_argument("--reuse", type=Path, metavar="DIR",
                    help="measure the Konfig generated in DIR by an earlier run for this size and seed "
                         "(reset to a clean main); generate it there and keep it if DIR does not exist")
    ap.add_argument("--json", type=Path, metavar="FILE",
                    help="write the results here (default: benchmarks/results/<date>-<size>.json)")
    ap.add_argument("--markdown", metavar="JSON", type=Path,
                    help="print the tables of a results file as markdown, and exit")
    ap.add_argument("--compare", metavar="JSON", nargs="+", type=Path,
                    help="print several results files side by side (markdown), and exit")
    args = ap.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())))
        return 0
    if args.compare:
        print(compare([json.loads(f.read_text()) for f in args.compare]))
        return 0
    if args.scaling_from:
        print(scaling_markdown(_rows_from(args.scaling_from)))
        return 0
    kw = {"with_kcl": args.with_kcl, "with_test": args.with_test, "with_fmt": args.with_fmt,
          "with_diff": args.with_diff,
          "repeat": args.repeat, "repeat_slow": args.repeat_slow}
    if args.scaling:
        out = scaling([int(x) for x in args.scaling.split(",")], args.seed, args.workdir, **kw)
        print(scaling_markdown(out["scaling"]))
        return 0
    if args.stacks:
        projects, stacks = args.projects or max(1, round(args.stacks * 0.3)), args.stacks
        label = str(stacks)
    else:
        label = args.size or "full"
        projects, stacks = SIZES[label]
    results = run(projects, stacks, args.seed, workdir=args.workdir, keep=args.keep, label=label,
                  json_path=args.json, reuse=args.reuse, **kw)
    print(table(results))
    print(f"\nwritten to {results['written_to']}"
          + (f"; Konfig kept in {results['kept']}" if results.get("kept") else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
