"""``konfig affected --base REF [--head REF] [--uncommitted] [--why] [--precise]``: stacks a change affects.

With ``--precise`` the answer is ``change.semantic``'s: every file-affected
stack compared at the merge-base and at head, and only those that really
change (or fail on a side) are what the matrix formats shard.
"""
from __future__ import annotations

import json
from typing import Any

from ..change.affected import Affected, compute
from ..change.shards import shards
from ..errors import EXIT_OK, UsageError
from ..output import Output, plural
from ..repo.repository import Repository

FORMATS = ("text", "json", "github-matrix", "gitlab")
MATRIX_NAMES_LIMIT = 256 * 1024  # bytes of matrix JSON up to which stack names are listed


def affected(repo: Repository, base: str, head: str | None, fmt: str, out: Output, *,
             uncommitted: bool = False, why: bool = False, shard_size: int | None = None,
             max_shards: int | None = None, precise: bool = False, jobs: int | None = None) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt} is not available for affected (use {', '.join(FORMATS)})")
    result: Any = compute(repo, base, head, uncommitted=uncommitted)
    if precise:
        from ..change.semantic import compare

        result = compare(result, jobs=jobs, progress=out.progress if fmt == "text" else None)
    if fmt == "json":
        out.json(result.to_json())
    elif fmt == "github-matrix":
        out.echo(json.dumps(github_matrix(repo, result, shard_size, max_shards), separators=(",", ":")))
    elif fmt == "gitlab":
        from ..change.pipelines import gitlab_child

        out.echo(gitlab_child(repo, result, shard_size, max_shards), nl=False)
    elif precise:
        _precise_text(result, why, out)
    else:
        _text(result, why, out)
    _summary(result.affected if precise else result, out, result if precise else None)
    return EXIT_OK


def github_matrix(repo: Repository, result: Affected, shard_size: int | None = None,
                  max_shards: int | None = None) -> dict[str, Any]:
    """``{"include": [{"shard": "1/3", "index": 1, "total": 3, "count": 9, "stacks": [...]}, ...]}``.

    Jobs select their stacks with ``--shard`` (the same split), so the stack
    names here are for people reading the run, never used in a command (and
    left out when they would make the output too big for a job output).
    """
    from ..change.pipelines import GITHUB_MAX_JOBS, settings

    conf = settings(repo)
    size = shard_size or conf["shard_size"]
    limit = min(max_shards or conf["max_shards"], GITHUB_MAX_JOBS)
    parts = shards(result.paths(), size, limit)
    n = len(parts)
    matrix = {"include": [{"shard": f"{i}/{n}", "index": i, "total": n, "count": len(part),
                           "stacks": part} for i, part in enumerate(parts, 1)]}
    if len(json.dumps(matrix)) > MATRIX_NAMES_LIMIT:  # job outputs stop at 1 MB: drop the names
        for entry in matrix["include"]:
            del entry["stacks"]
    return matrix


def _text(result: Affected, why: bool, out: Output) -> None:
    for a in result.stacks + result.deleted:
        line = a.path
        if a.status != "changed":
            line += out.style(f" ({a.status})", "red" if a.status == "deleted" else "green")
        out.echo(line)
        if why:
            for r in a.reasons:
                out.echo("    " + r.text())


KEYS_SHOWN = 8  # changed keys a text line lists before "and N more"


def _precise_text(result: Any, why: bool, out: Output) -> None:
    """Each stack with its status; what really changes with its keys, resources and errors."""
    from ..escaping import text_line

    colours = {"changed": "yellow", "added": "green", "deleted": "red", "error": "red", "unchanged": "dim"}
    for s in result.stacks:
        out.echo(text_line(s.path) + " " + out.style(f"({s.status})", colours.get(s.status, ""))
                 + (" -- tested: what its checks compare it with changed" if s.retest else ""))
        if s.keys:
            more = len(s.keys) - KEYS_SHOWN
            out.echo("    keys: " + ", ".join(text_line(k) for k in s.keys[:KEYS_SHOWN])
                     + (f" and {more} more" if more > 0 else ""))
        if s.resources:
            out.echo("    resources: " + ", ".join(text_line(r) for r in s.resource_keys))
        for e in s.errors:
            out.echo("    " + out.style("error: " + text_line(e), "red"))
        if why:
            for r in s.reasons:
                out.echo("    why: " + text_line(r.text()))


def _summary(result: Affected, out: Output, precise: Any = None) -> None:
    added = sum(1 for a in result.stacks if a.status == "added")
    parts = [plural(len(result.stacks), "stack") + " affected" + (f" ({added} added)" if added else "")]
    if precise is not None:
        c = precise.counts()
        parts = [f"{plural(len(precise.stacks), 'stack')} affected by files: "
                 + ", ".join(f"{n} {k}" for k, n in c.items() if n or k == "changed")]
        retest = sum(1 for s in precise.stacks if s.retest)
        if retest:
            parts.append(f"{retest} unchanged tested all the same (a policy, schema, golden file or "
                         f"label they are checked with changed)")
    elif result.deleted:
        parts.append(f"{len(result.deleted)} deleted")
    change = result.change
    head = "the work tree" if change.uncommitted else change.head_commit[:12]
    out.info(", ".join(parts) + f"; {plural(len(change.changes), 'file')} changed from "
             f"{change.merge_base[:12]} (merge-base with {change.base}) to {head}")
    if change.not_included:
        out.info(f"note: {plural(len(change.not_included), 'uncommitted file')} in the work tree "
                 "not included; add --uncommitted to include them")
