"""``konfig diff --base REF``: per affected stack, how resolved config and rendered resources change."""
from __future__ import annotations

from ..change.diff import Diff, compute
from ..change.report import markdown, text, to_json
from ..errors import EXIT_OK, UsageError
from ..output import Output, plural
from ..repo.repository import Repository

FORMATS = ("text", "markdown", "json")


def diff(repo: Repository, base: str, head: str | None, fmt: str, out: Output, *,
         uncommitted: bool = False, render: bool = True) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt} is not available for diff (use {', '.join(FORMATS)})")
    # the comment shows a few stacks' texts (made on demand); text and JSON show every one
    result = compute(repo, base, head, uncommitted=uncommitted, render=render, texts=fmt != "markdown")
    _mark_rules(result, out)
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


def _mark_rules(result: "Diff", out: Output) -> None:
    """Mark each stack with the review rules its changed keys and files trigger (rules from the
    base revision); a Konfig whose rules cannot be read at the base gets a warning, not a diff less."""
    from ..errors import KonfigError
    from ..owners.review import triggered

    if result.semantic is None:
        return
    try:
        marks = triggered(result.change, result.semantic)
    except KonfigError as e:
        out.warn(f"review rules not marked: {e}")
        return
    for s in result.stacks:
        s.rules = marks.get(s.path, [])
