"""Measure konfig at scale, side by side with KCL, and check DESIGN.md's scale targets.

    python benchmarks/run.py --size full            # 1,500 projects / 5,000 stacks (by hand)
    python benchmarks/run.py --size small           # 20 / 50 (what the test suite runs)
    python benchmarks/run.py --stacks 2500          # any size (projects: 30% of stacks)
    python benchmarks/run.py --scaling 500,1000,2500,5000

One run generates the synthetic Konfig (``benchmarks/generate.py``, with its
KCL twin) in a temporary directory and measures, each command run as a
subprocess exactly as users run it:

* ``konfig validate --all`` (default workers, and ``--jobs 1``) against KCL
  compiling the same stacks in-process through ``kcl-lib`` -- and whether both
  find the same stacks failing;
* ``konfig test --all`` cold (no cache) and warm (nothing changed);
* ``konfig affected`` for a one-file change in a stack, a project defaults
  file and a model;
* CLI start (``konfig --help``, ``konfig list``);
* the peak memory of each: the largest process (``wait4`` rusage) and the
  whole process tree (sampled PSS, which counts pages shared by forked
  workers once).

Commands that do not exist yet are reported as "not available yet". It prints
a table and writes everything as JSON to ``benchmarks/results/<date>-<size>.json``.
"""
from __future__ import annotations

import argparse
import datetime
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

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `konfigctl` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import REPO_ROOT, generate

RESULTS = REPO_ROOT / "benchmarks" / "results"
SIZES = {"tiny": (8, 20), "small": (20, 50), "full": (1500, 5000)}
# the console script users run (``python -m konfigctl`` where it is not installed)
_SCRIPT = Path(sys.executable).parent / "konfig"
KONFIG = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "konfigctl"]
NOT_YET = "not available yet"
GNU_TIME = "/usr/bin/time"

# (figure, measurement key or ratio key, comparison, limit, unit)
TARGETS = [
    ("validate --all vs KCL in-process (ratio)", "ratio:validate_vs_kcl", "<=", 1.0, "x"),
    ("warm test --all vs cold (ratio)", "ratio:test_warm_vs_cold", "<=", 1 / 3, "x"),
    ("affected, one stack file changed", "affected_stack", "<", 1.0, "s"),
    ("affected, project defaults changed", "affected_defaults", "<", 1.0, "s"),
    ("affected, model schema changed", "affected_model", "<", 1.0, "s"),
    ("CLI start: konfig --help", "start_help", "<", 0.3, "s"),
    ("CLI start: konfig list", "start_list", "<", 0.3, "s"),
    ("peak memory, validate --all (process tree)", "mem:validate_all", "<", 1024.0, "MiB"),
    ("peak memory, test --all cold (process tree)", "mem:test_cold", "<", 1024.0, "MiB"),
]


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


# -- the measurements -----------------------------------------------------------------

class Run:
    def __init__(self, root: Path, kcl_dir: Path | None, repeat: int) -> None:
        self.root = root
        self.kcl_dir = kcl_dir
        self.repeat = repeat
        self.m: dict[str, Any] = {}
        self.ratios: dict[str, float | None] = {}
        self.notes: list[str] = []

    def konfig(self, *args: str) -> list[str]:
        return KONFIG + ["--repo", str(self.root), *args]

    def best(self, cmd: list[str], n: int, cwd: Path | None = None,
             before: Callable[[], None] | None = None) -> dict[str, Any]:
        """The median of ``n`` runs (start-time figures are noisy); ``before`` runs before each."""
        runs = []
        for _ in range(n):
            if before:
                before()
            runs.append(measure(cmd, cwd=cwd, sample_tree=False))
        mid = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
        return {**mid, "runs": [r["seconds"] for r in runs]}

    def start(self) -> None:
        self.m["start_help"] = _public(self.best(KONFIG + ["--help"], 5))
        self.m["start_list"] = _public(self.best(self.konfig("list", "stacks"), 5))
        # the same without the directory listings kept by the run before (a fresh clone)
        listings = self.root / ".konfig-cache" / "listings.json"
        self.m["start_list_no_listings"] = _public(self.best(
            self.konfig("list", "stacks"), 5, before=lambda: listings.unlink(missing_ok=True)))

    def validate(self) -> None:
        runs = {}
        for key, extra in (("validate_all", []), ("validate_all_j1", ["--jobs", "1"])):
            rs = [measure(self.konfig("validate", "--all", "--format", "json", *extra))
                  for _ in range(self.repeat)]
            r = sorted(rs, key=lambda x: x["seconds"])[len(rs) // 2]
            runs[key] = r
            self.m[key] = {**_public(r), "jobs": 1 if extra else _default_jobs()}
        try:
            data = json.loads(runs["validate_all"]["stdout"])
        except ValueError:
            data = {"problems": []}
            self.notes.append("validate --all printed no JSON: " + runs["validate_all"]["stderr"][-300:])
        konfig_failed = sorted({p["stack"] for p in data.get("problems", [])
                                if p.get("severity", "error") == "error" and p.get("stack")})
        self.m["validate_all"]["stacks"] = data.get("stacks")
        self.m["validate_all"]["failed_stacks"] = len(konfig_failed)
        self.m["validate_all"]["warnings"] = data.get("warnings")
        if self.kcl_dir is None:
            self.m["kcl_compile"] = {"available": False, "reason": "kcl-lib is not installed"}
            return
        rs = [measure([sys.executable, str(REPO_ROOT / "benchmarks" / "kcl" / "compile.py"),
                       str(self.kcl_dir)]) for _ in range(self.repeat)]
        r = sorted(rs, key=lambda x: x["seconds"])[len(rs) // 2]
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
        self.ratios["validate_vs_kcl"] = _ratio(self.m["validate_all"], self.m["kcl_compile"])
        self.ratios["validate_j1_vs_kcl"] = _ratio(self.m["validate_all_j1"], self.m["kcl_compile"])

    def test(self) -> None:
        if not available("test"):
            for key in ("test_cold", "test_warm"):
                self.m[key] = {"available": False, "reason": f"konfig test {NOT_YET}"}
            self.ratios["test_warm_vs_cold"] = None
            return
        cache = self.root / ".konfig-cache"
        shutil.rmtree(cache, ignore_errors=True)
        self.m["test_cold"] = _public(measure(self.konfig("test", "--all")))
        self.m["test_warm"] = _public(measure(self.konfig("test", "--all")))
        self.ratios["test_warm_vs_cold"] = _ratio(self.m["test_warm"], self.m["test_cold"])

    def affected(self, stack_file: str, defaults_file: str, model_file: str) -> None:
        keys = ("affected_stack", "affected_defaults", "affected_model")
        if not available("affected"):
            for key in keys:
                self.m[key] = {"available": False, "reason": f"konfig affected {NOT_YET}"}
            return
        import git

        repo = git.Repo(self.root)
        base = repo.head.commit.hexsha
        for key, rel in zip(keys, (stack_file, defaults_file, model_file)):
            path = self.root / rel
            original = path.read_text()
            repo.git.checkout("-q", "-b", f"bench-{key}")
            try:
                path.write_text(original + "# a one-line change for the benchmark\n")
                repo.git.commit("-q", "-am", f"bench: change {rel}")
                # the text format, as people and CI scripts run it (one stack a line); the
                # median of 3 runs after one that brings the new commit's files into memory
                cmd = self.konfig("affected", "--base", base, "--head", "HEAD")
                first = measure(cmd)
                r = self.best(cmd, 3)
                self.m[key] = {**_public(r), "first_run_seconds": first["seconds"], "changed": rel,
                               "stacks": _count_affected(r["stdout"])}
            finally:
                repo.git.checkout("-q", "-f", "main")
                repo.git.branch("-q", "-D", f"bench-{key}")


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


def _ratio(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    if a.get("seconds") and b.get("seconds"):
        return round(a["seconds"] / b["seconds"], 3)
    return None


def _default_jobs() -> int:
    from konfigctl.check.parallel import default_jobs

    return default_jobs()


# -- the report ---------------------------------------------------------------------

def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain",
                                     "--untracked-files=no"], capture_output=True, text=True).stdout.strip())
    except OSError:
        commit, dirty = "", False
    from konfigctl import __version__

    return {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "konfig": __version__,
        "commit": commit + ("+dirty" if dirty else ""),
    }


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    m, ratios = results["measurements"], results["ratios"]
    for figure, key, op, limit, unit in TARGETS:
        if key.startswith("ratio:"):
            value = ratios.get(key[6:])
        elif key.startswith("mem:"):
            value = (m.get(key[4:]) or {}).get("peak_tree_pss_mb")
        else:
            value = (m.get(key) or {}).get("seconds")
        met = None if value is None else (value <= limit if op == "<=" else value < limit)
        out.append({"figure": figure, "target": f"{op} {round(limit, 3)} {unit}", "measured": value,
                    "unit": unit, "met": met})
    return out


def table(results: dict[str, Any]) -> str:
    m = results["measurements"]
    lines = [f"konfig benchmark: {results['size']['projects']} projects, "
             f"{results['size']['stacks']} stacks ({results['machine']['nproc']} CPUs, "
             f"{results['machine']['cpu']}, Python {results['machine']['python']})", ""]
    lines.append(f"{'measurement':<28} {'seconds':>9} {'CPU s':>7} {'exit':>5} {'RSS MiB':>8} {'tree MiB':>9}")
    for key, v in m.items():
        if key == "agreement":
            continue
        if v.get("available") is False:
            lines.append(f"{key:<28} {v['reason']}")
            continue
        pss = v.get("peak_tree_pss_mb")
        lines.append(f"{key:<28} {v['seconds']:>9.3f} {v['cpu_seconds']:>7.2f} {v['exit_code']:>5} {v['peak_rss_mb']:>8.1f} "
                     f"{(f'{pss:.1f}' if pss is not None else '-'):>9}")
    lines.append("")
    for k, v in results["ratios"].items():
        lines.append(f"ratio {k:<22} {v if v is not None else NOT_YET}")
    agree = m.get("agreement")
    if agree:
        lines.append(f"konfig and KCL fail the same stacks: {agree['same_failing_stacks']} "
                     f"(konfig {agree['konfig_failed']}, KCL {agree['kcl_failed']})")
    lines.append("")
    lines.append(f"{'target':<46} {'limit':>12} {'measured':>10}  met")
    for t in results["targets"]:
        val = "-" if t["measured"] is None else f"{t['measured']:.3f}"
        met = {True: "yes", False: "NO", None: NOT_YET}[t["met"]]
        lines.append(f"{t['figure']:<46} {t['target']:>12} {val:>10}  {met}")
    load = results.get("load_average")
    if load:
        lines.append(f"load average (1 min) before/after: {load['before']}/{load['after']} "
                     f"on {results['machine']['nproc']} CPUs")
    for note in results.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    """The targets and every measurement as markdown tables (for docs/performance.md)."""
    lines = ["| figure | target | measured | met? |", "|---|---|---:|---|"]
    for t in results["targets"]:
        val = "not available yet" if t["measured"] is None else f"{t['measured']:.3g} {t['unit']}"
        met = {True: "yes", False: "**no**", None: "-"}[t["met"]]
        lines.append(f"| {t['figure']} | {t['target']} | {val} | {met} |")
    lines += ["", "| measurement | command | wall | CPU | exit | largest process | process tree |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for key, v in results["measurements"].items():
        if key == "agreement" or v.get("available") is False:
            continue
        pss = v.get("peak_tree_pss_mb")
        lines.append(f"| {key} | `{_shown_cmd(v['cmd'])}` | {v['seconds']:.2f} s | "
                     f"{v['cpu_seconds']:.2f} s | {v['exit_code']} | {v['peak_rss_mb']:.0f} MiB | "
                     f"{'-' if pss is None else f'{pss:.0f} MiB'} |")
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


def run(projects: int, stacks: int, seed: int = 42, *, repeat: int = 1, workdir: Path | None = None,
        keep: bool = False, label: str | None = None, write: bool = True) -> dict[str, Any]:
    """Generate a Konfig of the given size and measure everything on it; returns the results."""
    tmp = Path(tempfile.mkdtemp(prefix="konfig-bench-", dir=workdir))
    try:
        root = tmp / "konfig"
        try:
            import kcl_lib  # noqa: F401

            with_kcl = True
        except ImportError:
            with_kcl = False
        gen = generate(root, projects, stacks, seed, kcl=with_kcl)
        r = Run(root, gen.kcl_dir, repeat)
        measure(KONFIG + ["--repo", str(root), "list", "stacks"])  # warm the page cache
        load_before = os.getloadavg()
        r.start()
        r.validate()
        r.test()
        r.affected(*_pick_files(root, gen.stacks))
        results: dict[str, Any] = {
            "date": datetime.date.today().isoformat(),
            "machine": machine(),
            "size": {"projects": projects, "stacks": stacks, "seed": seed, "files": gen.files,
                     "generate_seconds": round(gen.seconds, 2), "goldens": gen.goldens},
            "measurements": r.m,
            "ratios": r.ratios,
            "notes": r.notes,
            # other processes on the machine skew wall times: the 1-minute load average
            "load_average": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        }
        results["targets"] = evaluate(results)
        if write:
            RESULTS.mkdir(parents=True, exist_ok=True)
            name = label or str(stacks)
            path = RESULTS / f"{results['date']}-{name}.json"
            path.write_text(json.dumps(results, indent=2) + "\n")
            results["written_to"] = str(path)
        if keep:
            results["kept"] = str(root)
        return results
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def scaling(sizes: list[int], seed: int, workdir: Path | None) -> dict[str, Any]:
    """Every measurement at several sizes: the cost per stack as the Konfig grows."""
    rows = []
    for n in sizes:
        res = run(max(1, round(n * 0.3)), n, seed, workdir=workdir, write=False)
        m = res["measurements"]
        row = {"stacks": n}
        for key in ("validate_all", "validate_all_j1", "kcl_compile", "test_cold", "test_warm",
                    "affected_stack", "affected_model", "start_list"):
            if m.get(key, {}).get("seconds"):
                row[key] = m[key]["seconds"]
                row[key + "_ms_per_stack"] = round(1000 * m[key]["seconds"] / n, 2)
                row[key + "_tree_mb"] = m[key].get("peak_tree_pss_mb")
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = {"date": datetime.date.today().isoformat(), "machine": machine(), "scaling": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{out['date']}-scaling.json").write_text(json.dumps(out, indent=2) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default=None, help="a named size (default: full)")
    ap.add_argument("--stacks", type=int, help="any number of stacks (projects: 30%% of it)")
    ap.add_argument("--projects", type=int, help="with --stacks: the number of projects")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=1, help="runs of validate/KCL (the median is kept)")
    ap.add_argument("--scaling", metavar="N,N,...", help="measure at each size and report the cost per stack")
    ap.add_argument("--workdir", type=Path, help="where the temporary Konfig goes (default: $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the generated Konfig")
    ap.add_argument("--markdown", metavar="JSON", type=Path,
                    help="print the tables of a results file as markdown, and exit")
    args = ap.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())))
        return 0
    if args.scaling:
        scaling([int(x) for x in args.scaling.split(",")], args.seed, args.workdir)
        return 0
    if args.stacks:
        projects, stacks = args.projects or max(1, round(args.stacks * 0.3)), args.stacks
        label = str(stacks)
    else:
        label = args.size or "full"
        projects, stacks = SIZES[label]
    results = run(projects, stacks, args.seed, repeat=args.repeat, workdir=args.workdir, keep=args.keep,
                  label=label)
    print(table(results))
    print(f"\nwritten to {results['written_to']}" + (f"; Konfig kept in {results['kept']}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
