"""``konfig validate [STACK...|--all|--affected REF]``: schema and policy checks."""
from __future__ import annotations

from ..check.validation import exit_code, validate_run
from ..errors import UsageError
from ..output import Output, plural
from ..repo.repository import Repository
from ..targets import Targets, select


def validate(repo: Repository, targets: Targets, fmt: str, out: Output, cwd: str | None = None,
             jobs: int | None = None, overrides: list[str] | None = None, use_cache: bool = True) -> int:
    if fmt not in ("text", "json"):
        raise UsageError(f"--format {fmt} is not available for validate (use text or json)")
    stacks = select(repo, targets, cwd)
    problems = validate_run(repo, stacks, whole_repo=targets.whole_repo, jobs=jobs, progress=out.progress,
                            overrides=overrides or [], use_cache=use_cache)
    code = exit_code(problems)
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    if fmt == "json":
        out.json({
            "ok": code == 0,
            "stacks": len(stacks),
            "errors": errors,
            "warnings": warnings,
            "problems": [p.to_json() for p in problems],
        })
        return code
    out.problems(problems)
    failed = len({p.stack for p in problems if p.is_error})
    if code == 0:
        note = f"{plural(len(stacks), 'stack')} valid"
        if warnings:
            note += f" ({plural(warnings, 'warning')})"
        out.info(out.style("✓ ", "green", err=True) + note)
    else:
        out.info(out.style("✗ ", "red", err=True)
                 + f"{plural(errors, 'problem')} in {plural(failed, 'stack')}"
                 + (f", {plural(warnings, 'warning')}" if warnings else "")
                 + f" ({len(stacks)} checked)")
    return code
