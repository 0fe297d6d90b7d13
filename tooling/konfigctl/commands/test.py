"""``konfig test [STACK...|--all|--affected REF] [--update] [--junit FILE]``."""
from __future__ import annotations

import hashlib
import time
from typing import Any

from .. import golden, testing
from ..cache import Cache, file_digest
from ..errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, UsageError
from ..output import Output, plural
from ..repository import Repository
from ..targets import Targets, select
from ..validation import input_problem


def _test_one(repo: Repository, stack: Any) -> testing.StackResult:
    return testing.test_stack(repo, stack)


def _warm(repo: Repository, stacks: list[Any]) -> None:
    """Load and compile what every worker needs once, before they fork."""
    from .. import kube
    from ..errors import KonfigError
    from ..render import load_renderer
    from ..validation import _warm as warm_validation, usable_policies

    usable_policies(repo)
    warm_validation(repo, stacks)
    models = set()
    for s in stacks:
        try:
            models.add(s.project.model_name)
        except KonfigError:
            pass
    for m in sorted(models):
        try:
            load_renderer(repo, m)
        except KonfigError:
            pass
    try:
        checker = kube.checker(repo)
        checker.warm([("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "ConfigMap"),
                      ("autoscaling/v2", "HorizontalPodAutoscaler"), ("batch/v1", "Job"),
                      ("batch/v1", "CronJob")] + sorted(checker.crds))
    except KonfigError:
        pass


def run_tests(repo: Repository, stacks: list[Any], *, jobs: int | None = None, use_cache: bool = True,
              update: bool = False, progress: Any = None) -> tuple[list[testing.StackResult], list[str]]:
    """Test ``stacks`` (cached results where inputs are unchanged); with ``update``, rewrite
    the golden files that differ. Returns (results in the order given, golden files written)."""
    from ..parallel import map_stacks

    cache = Cache(repo.cache_dir if use_cache else None, "test")
    keys: dict[str, tuple[str | None, str | None]] = {}
    results: dict[str, testing.StackResult] = {}
    todo = []
    for s in stacks:
        base = testing.input_key(repo, s) if cache.enabled else None
        key = testing.result_key(base, file_digest(repo, s.golden_file))
        keys[s.path] = (base, key)
        hit = cache.get(key)
        if hit is not None:
            try:
                results[s.path] = testing.StackResult.from_json(hit)
                results[s.path].cached = True
                continue
            except (KeyError, TypeError):  # an entry of another shape: recompute
                pass
        todo.append(s)
    if todo:
        _warm(repo, todo)
        for s, r in map_stacks(repo, todo, _test_one, jobs=jobs, progress=progress, label="testing"):
            results[s.path] = r
            cache.put(keys[s.path][1], r.to_json())
    written: list[str] = []
    if update:
        for s in stacks:
            r = results[s.path]
            text = _update_golden(repo, s, r)
            if text is None:
                continue
            written.append(s.golden_file)
            # the next run finds the new golden file passing, from the cache
            passed = testing.StackResult.from_json(r.to_json())
            passed.checks[-1] = testing.CheckResult("golden", testing.PASSED)
            new_key = testing.result_key(keys[s.path][0], hashlib.sha256(text.encode()).hexdigest())
            cache.put(new_key, passed.to_json())
    return [results[s.path] for s in stacks], written


def _update_golden(repo: Repository, stack: Any, r: testing.StackResult) -> str | None:
    """Rewrite the stack's golden file if it differs and every other check passed (its text)."""
    g = r.check("golden")
    if not g.failed or r.resources is None:
        return None
    if any(c.failed for c in r.checks if c.name != "golden"):
        return None
    from ..paths import confine
    from ..yamlio import atomic_write

    text = golden.text(stack.path, r.resources)
    atomic_write(confine(repo.root, stack.golden_file), text)
    r.checks[r.checks.index(g)] = testing.CheckResult("golden", testing.UPDATED,
                                                      message=f"updated {stack.golden_file}")
    return text


def test(repo: Repository, targets: Targets, out: Output, *, fmt: str = "text", update: bool = False,
         junit: str | None = None, jobs: int | None = None, use_cache: bool = True,
         cwd: str | None = None) -> int:
    if fmt not in ("text", "json"):
        raise UsageError(f"--format {fmt} is not available for test (use text or json)")
    started = time.perf_counter()
    stacks = select(repo, targets, cwd)
    repo_problems = [input_problem(e) for e in repo.discovery_problems] if targets.whole_repo else []
    results, written = run_tests(repo, stacks, jobs=jobs, use_cache=use_cache, update=update,
                                 progress=out.progress)
    seconds = time.perf_counter() - started

    failed = [r for r in results if not r.ok]
    code = EXIT_OK
    if failed:
        code = EXIT_FAILED
    if repo_problems or any(r.input_error for r in results):
        code = EXIT_BAD_INPUT
    if junit:
        from .. import junit as junit_mod

        junit_mod.write(junit, results, [("discovery", p.format()) for p in repo_problems], seconds)

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
            for line in c.details:
                out.echo("    " + line)
            for line in c.diff.splitlines():
                out.echo("    " + _colour_diff(out, line))
    for f in written:
        out.echo(f"updated {f}")
    checks = sum(len(r.checks) for r in results)
    cached = sum(1 for r in results if r.cached)
    warnings = sum(r.warnings for r in results)
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
        if repo_problems:
            note += f"; {plural(len(repo_problems), 'repository problem')}"
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
