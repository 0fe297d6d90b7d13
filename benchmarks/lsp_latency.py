"""How fast ``konfig lsp`` answers an editor on a big Konfig: a scripted LSP session.

    python benchmarks/lsp_latency.py --size full                 # 5,000 stacks, generated
    python benchmarks/lsp_latency.py --reuse DIR                 # a Konfig generate.py wrote
    python benchmarks/lsp_latency.py --stacks 200 --repeat 3     # any size, fewer edits

It starts ``konfig lsp`` in the Konfig as an editor does (the console script,
stdin/stdout) and speaks the protocol itself (JSON-RPC with Content-Length
framing; nothing of konfig is imported). Per target file it opens the file,
then edits the buffer ``--repeat`` times and measures, for each edit, the
time from sending ``textDocument/didChange`` to receiving the
``textDocument/publishDiagnostics`` for that file -- the debounce
(``--debounce``, the server's default 0.1 s) included, since that is what a
user waits; when the server first publishes what it found so far (it does
past 0.2 s, ending the list with a "checking" note), the time of that first
publication is kept too. Two kinds of edit: one that changes the bytes but breaks nothing
(a comment with a counter: the server cannot tell, it revalidates every stack
the file is part of), and one that breaks every stack below the file (a
``replicas`` out of the model's enum), which also locates each problem at its
layer line. Then a hover and a completion on the file.

Targets, found by walking the generated tree: a ``stack.yaml``, its
project's ``defaults.yaml``, a ``prod/defaults.yaml`` shared by a project's
regions, the org ``defaults.yaml`` with the most stacks below it, and the
prod env profile (every prod stack; one edit). The figure reported per edit
kind is the median and the worst of the repeats, and the CPU time the server
spent (``/proc``: on a machine others load, the wall time is not the server's
alone); the JSON keeps every one.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import KONFIG, REPO_ROOT, SIZES, generate

RESULTS = REPO_ROOT / "benchmarks" / "results"
TIMEOUT = 600.0
PROGRESS = "checking"  # the code of the note that ends a partial publication (konfig lsp's server.py)


class Session:
    """A language server process and the messages it sends, read on a thread."""

    def __init__(self, root: Path, debounce: float | None) -> None:
        args = KONFIG + ["lsp"] + (["--debounce", str(debounce)] if debounce is not None else [])
        self.proc = subprocess.Popen(args, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=sys.stderr, env={**os.environ, "NO_COLOR": "1"})
        self.root = root
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            self.inbox.put(json.loads(out.read(length)))

    def send(self, msg: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **msg}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        rid = self.next_id
        self.send({"id": rid, "method": method, "params": params})
        msg = self.wait(lambda m: m.get("id") == rid and "method" not in m)
        if "error" in msg:
            raise RuntimeError(f"{method}: {msg['error']}")
        return msg.get("result")

    def wait(self, match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while True:
            msg = self.inbox.get(timeout=max(deadline - time.monotonic(), 0.001))
            if "method" in msg and "id" in msg:  # a request from the server (configuration...): answer
                self.send({"id": msg["id"], "result": None})
            if match(msg):
                return msg

    def cpu(self) -> float:
        """CPU seconds the server has used so far (Linux; 0 elsewhere): what a loaded machine's
        wall times cannot say, what the server itself costs."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def uri(self, rel: str) -> str:
        return (self.root / rel).resolve().as_uri()

    def diagnostics_for(self, rel: str) -> list[Any]:
        uri = self.uri(rel)
        msg = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                        and m["params"]["uri"] == uri)
        return msg["params"]["diagnostics"]

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - a benchmark that already failed
            self.proc.kill()


def targets(root: Path) -> list[tuple[str, str, int]]:
    """(label, repo-relative file, stacks it is part of), chosen from the tree alone."""
    stacks = sorted(p.relative_to(root).as_posix() for p in root.glob("konfig/appops/**/stack.yaml"))

    def below(d: str) -> int:
        return sum(1 for s in stacks if s.startswith(d + "/"))

    orgs = sorted({"/".join(s.split("/")[:3]) for s in stacks})
    org = max(orgs, key=below)
    prod_defaults = sorted(p.relative_to(root).as_posix() for p in root.glob(f"{org}/*/prod/defaults.yaml"))
    shared = prod_defaults[0] if prod_defaults else None
    project = "/".join(shared.split("/")[:4]) if shared else "/".join(
        next(s for s in stacks if s.startswith(org + "/")).split("/")[:4])
    stack = next(s for s in stacks if s.startswith(project + "/"))
    out = [("stack.yaml", stack, 1)]
    if (root / project / "defaults.yaml").exists():
        out.append(("project defaults.yaml", f"{project}/defaults.yaml", below(project)))
    if shared:
        out.append(("prod/defaults.yaml (regions)", shared, below(shared.rsplit("/", 1)[0])))
    if (root / org / "defaults.yaml").exists():
        out.append(("org defaults.yaml", f"{org}/defaults.yaml", below(org)))
    prod_stacks = sum(1 for p in root.glob("konfig/**/stack.yaml") if "env: prod" in p.read_text())
    out.append(("env profile (prod)", "konfig/base/envs/prod.yaml", prod_stacks))
    return out


def _breaking(rel: str, text: str) -> str:
    """The text with a value every stack below it refuses (replicas out of the enum, or unknown)."""
    if rel.endswith("stack.yaml"):
        return text.replace("config:\n", "config:\n  replicas: 5\n", 1) if "config:\n" in text \
            else text + "config:\n  replicas: 5\n"
    return text + "\nreplicas: 5\n"


def measure(root: Path, repeat: int, debounce: float | None) -> dict[str, Any]:
    session = Session(root, debounce)
    out: dict[str, Any] = {"targets": []}
    try:
        t0 = time.perf_counter()
        session.request("initialize", {"processId": os.getpid(), "rootUri": root.resolve().as_uri(),
                                       "capabilities": {}})
        out["initialize_s"] = time.perf_counter() - t0
        session.notify("initialized", {})
        for label, rel, n_stacks in targets(root):
            text = (root / rel).read_text()
            uri = session.uri(rel)
            t0 = time.perf_counter()
            session.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "yaml", "version": 1, "text": text}})
            session.diagnostics_for(rel)
            opened = time.perf_counter() - t0
            reps = 1 if label.startswith("env profile") else repeat
            version = 1
            row: dict[str, Any] = {"label": label, "file": rel, "stacks": n_stacks, "open_s": opened}
            for kind in ("edit", "breaking_edit"):
                times, firsts, cpus = [], [], []
                problems = 0
                for i in range(reps):
                    c0 = session.cpu()
                    version += 1
                    new = text + f"\n# edit {version}\n" if kind == "edit" else _breaking(rel, text) + f"# {i}\n"
                    t0 = time.perf_counter()
                    session.notify("textDocument/didChange", {
                        "textDocument": {"uri": uri, "version": version},
                        "contentChanges": [{"text": new}]})
                    first = None
                    while True:  # a partial publication ends with a "checking" note; then the whole
                        diags = session.diagnostics_for(rel)
                        first = first or time.perf_counter() - t0
                        if not any(d.get("code") == PROGRESS for d in diags):
                            break
                    times.append(time.perf_counter() - t0)
                    cpus.append(session.cpu() - c0)
                    firsts.append(first)
                    problems = len(diags)
                row[kind] = {"times_s": times, "median_s": statistics.median(times), "max_s": max(times),
                             "first_times_s": firsts, "first_median_s": statistics.median(firsts),
                             "cpu_s": cpus, "cpu_median_s": statistics.median(cpus),
                             "diagnostics": problems}
            version += 1  # back to the file as it is, so the next target starts clean
            session.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                      "contentChanges": [{"text": text}]})
            session.diagnostics_for(rel)
            line = next((i for i, ln in enumerate(text.split("\n")) if ln[:1].isalpha() and ":" in ln), 0)
            pos = {"textDocument": {"uri": uri}, "position": {"line": line, "character": 1}}
            t0 = time.perf_counter()
            session.request("textDocument/hover", pos)
            row["hover_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            session.request("textDocument/completion", {**pos, "position": {"line": line, "character": 0}})
            row["completion_s"] = time.perf_counter() - t0
            session.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            out["targets"].append(row)
            print(_row(row), flush=True)
    finally:
        session.close()
    return out


def _row(r: dict[str, Any]) -> str:
    e, b = r["edit"], r["breaking_edit"]
    return (f"{r['label']:<30} {r['stacks']:>6} stacks  edit: first {e['first_median_s']:.3f} s, "
            f"all {e['median_s']:.3f} s (max {e['max_s']:.3f}, cpu {e['cpu_median_s']:.3f})  "
            f"breaking: first {b['first_median_s']:.3f} s, all {b['median_s']:.3f} s (max {b['max_s']:.3f}, "
            f"cpu {b['cpu_median_s']:.3f}, {b['diagnostics']} diagnostics)  "
            f"hover {r['hover_s']:.3f} s  completion {r['completion_s']:.3f} s  open {r['open_s']:.3f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=list(SIZES), default="full")
    ap.add_argument("--stacks", type=int, help="number of stacks (projects: 30%%); overrides --size")
    ap.add_argument("--reuse", type=Path, help="measure this Konfig (written by generate.py)")
    ap.add_argument("--repeat", type=int, default=5, help="edits of each kind per target")
    ap.add_argument("--debounce", type=float, help="the server's --debounce (default: its own, 0.1 s)")
    ap.add_argument("--json", type=Path, help="where to write the results")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="konfig-lsp-bench-") as tmp:
        if args.reuse:
            root = args.reuse
        else:
            projects, stacks = SIZES[args.size] if not args.stacks else (max(1, args.stacks * 3 // 10), args.stacks)
            root = Path(tmp) / "k"
            print(f"generating {stacks} stacks / {projects} projects ...", flush=True)
            generate(root, projects=projects, stacks=stacks, goldens=False)
        results = measure(root, args.repeat, args.debounce)
    results.update({
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
                   f"{platform.python_version()}",
        "load": os.getloadavg()[0],
        "repeat": args.repeat,
        "debounce": args.debounce,
    })
    path = args.json or RESULTS / f"{datetime.date.today()}-lsp.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"initialize {results['initialize_s']:.3f} s; results in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
