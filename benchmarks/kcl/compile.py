"""Compile every generated stack with KCL, in-process through ``kcl-lib``.

    python benchmarks/kcl/compile.py KCL_DIR [--limit N]

One ``exec_program`` per stack (its library, model, layers and policies
compiled together, as ``kcl run`` would), all in this one process, the way
``konfig validate --all`` checks every stack in one command. Prints JSON: how
many stacks compiled, which failed (a check, an assert, a type error), and the
time spent compiling (the caller measures the whole process too).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def compile_all(kcl_dir: Path, limit: int | None = None) -> dict[str, object]:
    import kcl_lib.api as api

    manifest = json.loads((kcl_dir / "stacks.json").read_text())
    stacks = manifest["stacks"][:limit] if limit else manifest["stacks"]
    kcl = api.API()
    failed: dict[str, str] = {}
    start = time.perf_counter()
    cpu_start = time.process_time()
    # CPU ms per stack, per 500 stacks: does the engine slow down as it goes? (CPU time: the
    # machine's other load moves wall time)
    segments: list[float] = []
    mark = cpu_start
    for i, s in enumerate(stacks, 1):
        # kcl run's defaults: fast_eval and disable_yaml_result measured no different
        # (13 ms CPU per stack either way, docs/performance.md)
        args = api.ExecProgramArgs(work_dir=str(kcl_dir), k_filename_list=s["files"])
        try:
            res = kcl.exec_program(args)
            err = res.err_message
        except Exception as e:
            err = str(e) or type(e).__name__
        if err:
            failed[s["stack"]] = " ".join(_ANSI.sub("", err).split())[:400]
        if i % 500 == 0 or i == len(stacks):
            now = time.process_time()
            segments.append(round(1000 * (now - mark) / (i - 500 * len(segments)), 2))
            mark = now
    seconds = time.perf_counter() - start
    version = kcl.get_version().version
    return {"engine": f"kcl-lib {version}", "stacks": len(stacks), "failed": failed,
            "compile_seconds": round(seconds, 3),
            "compile_cpu_seconds": round(time.process_time() - cpu_start, 3),
            "cpu_ms_per_stack_by_500": segments,
            "gaps": manifest.get("gaps", [])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kcl_dir", type=Path)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args(argv)
    print(json.dumps(compile_all(args.kcl_dir, args.limit), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
