"""``konfig pipeline emit --target github|gitlab [--check] [--format text|json]``: write the CI definitions, or check them."""
from __future__ import annotations

from ..change.pipelines import install_problem, render, settings, write
from ..errors import EXIT_FAILED, EXIT_OK, UsageError
from ..output import Output, plural
from ..repo.repository import Repository

FORMATS = ("text", "json")


def emit(repo: Repository, targets: list[str], out: Output, *, check: bool = False, fmt: str = "text") -> int:
    """Write (or, with ``check``, compare) the emitted files; stale generated files are removed.

    A ``pipelines.install`` that cannot serve CI is a warning, not a failure:
    the files are still what konfig.yaml says, and the emitted install step
    itself fails in CI with the same words.
    """
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt} is not available for pipeline emit (use text or json)")
    files = render(repo, targets or None)
    conf = settings(repo)
    warning = install_problem(repo, conf)
    drifted = [f for f in files if f.drifted]
    changed = [] if check else write(repo, files)
    problems = [f"{f.path}: {f.problem}" for f in files if f.problem]
    code = EXIT_FAILED if check and drifted else EXIT_OK
    if fmt == "json":
        out.json({
            "ok": code == EXIT_OK,
            "written": not check,
            "install": conf.get("install"),
            "files": [{"path": f.path, "status": f.status} for f in files if not f.stale],
            "changed": [f.path for f in (drifted if check else changed) if not f.stale and not f.problem],
            "removed": [f.path for f in (drifted if check else changed) if f.stale],
            "problems": problems,
            "warnings": [warning] if warning else [],
        })
        return code
    if warning:
        out.warn(warning)
    if check:
        for f in drifted:
            diff = f.diff()
            if diff:
                out.echo(diff, nl=not diff.endswith("\n"))
        for f in drifted:
            if f.problem:
                out.error(f"{f.path}: {f.problem}")
            elif f.stale:
                out.error(f"{f.path}: stale (generated, but no longer emitted from konfig.yaml)")
            elif f.current is None:
                out.error(f"{f.path}: missing")
            else:
                out.error(f"{f.path}: out of date")
        if drifted:
            out.info(out.style("✗ ", "red", err=True) + f"{plural(len(drifted), 'pipeline file')} "
                     "drifted from konfig.yaml; run `konfig pipeline emit` and commit the result")
            return EXIT_FAILED
        out.info(out.style("✓ ", "green", err=True) + f"{plural(len(files), 'pipeline file')} current")
        return EXIT_OK
    for f in changed:
        out.info(f"removed {f.path} (no longer emitted)" if f.stale else f"wrote {f.path}")
    for p in problems:
        out.warn(p)
    kept = [f for f in files if not f.stale]
    out.info(out.style("✓ ", "green", err=True) + f"{plural(len(kept), 'pipeline file')}, "
             f"{len(changed)} changed")
    return EXIT_OK
