"""``konfig test [STACK...|--all|--affected REF] [--update] [--junit FILE]``."""
from __future__ import annotations

import time

from ..check import stack_test as testing
from ..check.stack_test import KIND_WARNING
from ..check.validation import input_problem, usable_policies
from ..check.validation import warnings as repo_warnings
from ..errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, UsageError
from ..output import Output, plural
from ..repo.repository import Repository
from ..targets import Targets, select


def test(repo: Repository, targets: Targets, out: Output, *, fmt: str = "text", update: bool = False,
         junit: str | None = None, jobs: int | None = None, use_cache: bool = True,
         cwd: str | None = None) -> int:
    if fmt not in ("text", "json"):
        raise UsageError(f"--format {fmt} is not available for test (use text or json)")
    started = time.perf_counter()
    stacks = select(repo, targets, cwd)
    repo_problems = [input_problem(e) for e in repo.discovery_problems] if targets.whole_repo else []
    results, written = testing.run(repo, stacks, jobs=jobs, use_cache=use_cache, update=update,
                                 progress=out.progress)
    # a policy that cannot work is bad input here as in validate (no stack's check can report it)
    repo_problems = repo_warnings(repo, stacks, targets.whole_repo) + repo_problems + usable_policies(repo)[1]
    seconds = time.perf_counter() - started

    failed = [r for r in results if not r.ok]
    code = EXIT_OK
    if failed:
        code = EXIT_FAILED
    if any(p.is_error for p in repo_problems) or any(r.input_error for r in results):
        code = EXIT_BAD_INPUT
    if junit:
        from ..check import junit as junit_mod

        junit_mod.write(junit, results, [("discovery", p.format()) for p in repo_problems if p.is_error], seconds)

    if fmt == "json":
        out.json({
            "ok": code == EXIT_OK,
            "stacks": len(results),
            "passed": len(results) - len(failed),
            "failed": len(failed),
            "cached": sum(1 for r in results if r.cached),
            "updated": written,
            "problems": [p.to_json() for p in repo_problems],
            "results": [r.to_json(with_resources=False) for r in results],
        })
        return code

    for p in repo_problems:
        out.problem(p)
    for r in failed:
        for c in r.checks:
            if not c.failed:
                continue
            head = f"{out.style('FAILED', 'red', 'bold')} {r.stack}: {c.name} (model {r.model})"
            out.echo(f"{head}: {c.message}" if c.message else head)
            if len(c.details) > 1:  # one finding is the message itself
                for line in c.details:
                    out.echo("    " + line)
            for line in c.diff.splitlines():
                out.echo("    " + _colour_diff(out, line))
    for r in results:  # a KCL stack's manifest of a kind no schema covers: shown, not failed
        for c in r.checks:
            if not c.failed:
                for line in c.details:
                    if line.startswith(KIND_WARNING):
                        out.warn(f"{r.stack}: {line[len(KIND_WARNING):]}")
    for f in written:
        out.echo(f"updated {f}")
    checks = sum(len(r.checks) for r in results)
    cached = sum(1 for r in results if r.cached)
    warnings = sum(r.warnings for r in results) + sum(1 for p in repo_problems if not p.is_error)
    extras = [f"{plural(checks, 'check')}"]
    if cached:
        extras.append(f"{cached} from cache")
    if written:
        extras.append(f"{plural(len(written), 'golden file')} updated")
    if warnings:
        extras.append(f"{plural(warnings, 'warning')}: see konfig validate")
    tail = f" ({', '.join(extras)}) in {seconds:.1f}s"
    if code == EXIT_OK:
        out.info(out.style("✓ ", "green", err=True) + f"{plural(len(results), 'stack')} passed" + tail)
    else:
        by_check: dict[str, int] = {}
        for r in failed:
            for c in r.checks:
                if c.failed:
                    by_check[c.name] = by_check.get(c.name, 0) + 1
        what = ", ".join(f"{n} {name}" for name, n in by_check.items())
        note = f"{len(failed)} of {plural(len(results), 'stack')} failed"
        if what:
            note += f" ({what})"
        repo_errors = sum(1 for p in repo_problems if p.is_error)
        if repo_errors:
            note += f"; {plural(repo_errors, 'repository problem')}"
        out.info(out.style("✗ ", "red", err=True) + note + tail)
    return code


def _colour_diff(out: Output, line: str) -> str:
    if line.startswith("+") and not line.startswith("+++"):
        return out.style(line, "green")
    if line.startswith("-") and not line.startswith("---"):
        return out.style(line, "red")
    if line.startswith("@@"):
        return out.style(line, "cyan")
    return line
