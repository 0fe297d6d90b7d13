"""konfig on KCL stacks: ``konfig test --all`` cold and warm on a Konfig of KCL stacks.

    python benchmarks/kcl/stacks.py [--stacks 500] [--repeat 3] [--workdir DIR] [--json FILE]

The synthetic Konfig's KCL twin (``benchmarks/generate.py --kcl``: every
stack's layers as KCL files compiled together with its model and policies)
becomes a Konfig of KCL stacks, as a Kusion-era one is laid out: ``kcl.mod``
at the top, the twin's files as the module, and per stack a directory under
``stacks/`` with ``stack.yaml``, ``kcl.yaml`` (its files, ``${KCL_MOD}``-relative,
then ``render.k``, which wraps the stack's ``config`` into one resource in the
``kusion compile`` form) and the golden file ``konfig test --all --update``
writes once. Then, each through konfig's command line as users run it:

* ``konfig test --all`` cold (``.konfig-cache`` deleted before each run): every
  stack compiled by kcl-lib in the sandbox (a copy, a forked child), rendered,
  checked and compared with its golden file;
* ``konfig test --all`` again with nothing changed (results from the cache).

Prints JSON (and writes it with ``--json``). The stacks a planted policy
violation fails fail here too (exit 1 is expected).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

RENDER = '''import manifests
import json

# The stack's config as one resource in the kusion compile form.
manifests.yaml_stream([{
    id = "v1:ConfigMap:bench:" + option("stack")
    type = "Kubernetes"
    attributes = {
        apiVersion = "v1"
        kind = "ConfigMap"
        metadata = {name = option("stack"), namespace = "bench"}
        data = {"config.json" = json.encode(config)}
    }
}])
'''


def build(root: Path, stacks: int, seed: int, **kw: Any) -> tuple[Path, Any]:
    """Generate the synthetic Konfig with its KCL twin under ``root``; (the KCL Konfig's path,
    what ``generate`` made: its stacks, the planted problems)."""
    from benchmarks import generate

    src = root / "yaml"
    made = generate.generate(src, max(1, round(stacks * 0.3)), stacks, seed, kcl=True, goldens=False,
                             commit=False, **kw)
    twin = src / "kcl"
    out = root / "kcl-konfig"
    shutil.copytree(twin, out, ignore=shutil.ignore_patterns("stacks.json"))
    (out / "kcl.mod").write_text('[package]\nname = "bench"\n')
    (out / "render.k").write_text(RENDER)
    version = metadata.version("kcl-lib")
    (out / "konfig.yaml").write_text(
        f"version: 1\nname: kcl-bench\nbase: base\nroots: [stacks]\nkcl:\n  version: {version}\n")
    (out / "base").mkdir()
    manifest = json.loads((twin / "stacks.json").read_text())
    projects: set[Path] = set()
    for s in manifest["stacks"]:
        d = out / "stacks" / s["stack"]
        d.mkdir(parents=True, exist_ok=True)
        name = s["stack"].replace("/", "-")
        (d / "stack.yaml").write_text(f"name: {name}\n")
        files = "".join(f"    - ${{KCL_MOD}}/{f}\n" for f in s["files"] + ["render.k"])
        (d / "kcl.yaml").write_text(f"kcl_cli_configs:\n  file:\n{files}kcl_options:\n"
                                    f"  - key: stack\n    value: {name}\n")
        # the project is the YAML Konfig's: the directory above the stack holding project.yaml
        p = Path(s["stack"]).parent
        while p != Path(".") and not (src / p / "project.yaml").is_file():
            p = p.parent
        projects.add(p)
    for p in projects:
        (out / "stacks" / p / "project.yaml").write_text(f"name: {p.name}\n")
    subprocess.run(["git", "init", "-q"], cwd=out, check=True)
    return out, made


def main(argv: list[str] | None = None) -> int:
    from benchmarks.generate import KONFIG
    from benchmarks.run import _public, machine, measure

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stacks", type=int, default=500)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="konfig-kcl-bench-", dir=args.workdir))
    try:
        repo, _made = build(tmp, args.stacks, args.seed)
        konfig = KONFIG + ["--repo", str(repo)]
        update = subprocess.run(konfig + ["test", "--all", "--update"], capture_output=True, text=True)
        if update.returncode not in (0, 1):
            raise SystemExit(f"konfig test --update failed: {update.stderr[-2000:]}")
        cold, warm = [], []
        for _ in range(args.repeat):
            shutil.rmtree(repo / ".konfig-cache", ignore_errors=True)
            cold.append(measure(konfig + ["test", "--all"]))
            warm.append(measure(konfig + ["test", "--all"]))
        best = lambda runs: min(runs, key=lambda m: m["seconds"])  # noqa: E731
        out = {
            "machine": machine(),
            "kcl_lib": metadata.version("kcl-lib"),
            "stacks": args.stacks,
            "kcl_stacks_found": sum(1 for _ in (repo / "stacks").rglob("kcl.yaml")),
            "test_cold": _public(best(cold)),
            "test_warm": _public(best(warm)),
            "runs": {"cold": [m["seconds"] for m in cold], "warm": [m["seconds"] for m in warm]},
        }
        out["ratio_warm_vs_cold"] = round(out["test_warm"]["seconds"] / out["test_cold"]["seconds"], 3)
        out["cold_ms_per_stack"] = round(1000 * out["test_cold"]["seconds"] / args.stacks, 2)
        text = json.dumps(out, indent=1)
        print(text)
        if args.json:
            args.json.write_text(text)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
