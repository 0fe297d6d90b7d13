"""``konfig pipeline emit --target github|gitlab [--check]``: write the CI definitions, or check them."""
from __future__ import annotations

from ..errors import EXIT_FAILED, EXIT_OK
from ..output import Output, plural
from ..pipelines import render, write
from ..repository import Repository


def emit(repo: Repository, targets: list[str], out: Output, *, check: bool = False) -> int:
    files = render(repo, targets or None)
    if check:
        drifted = [f for f in files if f.drifted]
        for f in drifted:
            diff = f.diff()
            if diff:
                out.echo(diff, nl=not diff.endswith("\n"))
        for f in drifted:
            if f.problem:
                out.error(f"{f.path}: {f.problem}")
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
    changed = write(repo, files)
    for f in changed:
        out.info(f"wrote {f.path}")
    for f in files:
        if f.problem:
            out.warn(f"{f.path}: {f.problem}")
    out.info(out.style("✓ ", "green", err=True) + f"{plural(len(files), 'pipeline file')}, "
             f"{len(changed)} changed")
    return EXIT_OK
