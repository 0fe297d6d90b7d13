"""``konfig diff --base REF``: per affected stack, how resolved config and rendered resources change."""
from __future__ import annotations

from ..change.diff import compute
from ..change.report import markdown, text, to_json
from ..errors import EXIT_OK, UsageError
from ..output import Output, plural
from ..repo.repository import Repository

FORMATS = ("text", "markdown", "json")


def diff(repo: Repository, base: str, head: str | None, fmt: str, out: Output, *,
         uncommitted: bool = False, render: bool = True) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt} is not available for diff (use {', '.join(FORMATS)})")
    result = compute(repo, base, head, uncommitted=uncommitted, render=render)
    if fmt == "markdown":
        out.echo(markdown(result), nl=False)
    elif fmt == "json":
        out.echo(to_json(result))
    else:
        text(result, out)
    changed = sum(1 for s in result.stacks if s.changed)
    out.info(f"{plural(len(result.stacks), 'stack')} affected, {changed} with a difference")
    if result.change.not_included:
        out.info(f"note: {plural(len(result.change.not_included), 'uncommitted file')} in the work "
                 "tree not included; add --uncommitted to include them")
    return EXIT_OK
