"""``konfig owners [PATH...]``, ``owners check``, ``owners codeowners``: ownership queries and files."""
from __future__ import annotations

import os
from typing import Any

from ..errors import EXIT_FAILED, EXIT_OK, KonfigError, UsageError
from ..escaping import text_line
from ..files import paths
from ..output import Output, plural
from ..repo.repository import Repository


def repo_path(repo: Repository, raw: str, cwd: str | None = None) -> str:
    """A path as the user typed it -> repo-relative.

    Like git: relative to the working directory when that is inside the
    repository; a path that only exists from the root is taken from the root.
    The path need not exist (owners of a file about to be created).
    """
    cwd = os.path.abspath(cwd or os.getcwd())
    root = repo.root
    inside = cwd == root or cwd.startswith(root + os.sep)
    if os.path.isabs(raw):
        full = os.path.normpath(raw)
        if full != root and not full.startswith(root + os.sep):
            raise UsageError(f"{raw} is outside the repository {root}")
        return "" if full == root else os.path.relpath(full, root).replace(os.sep, "/")
    if inside:
        joined = os.path.normpath(os.path.join(cwd, raw))
        from_root = os.path.join(root, raw)
        if not os.path.lexists(joined) and os.path.lexists(from_root):
            return paths.normalize(raw)
        if joined != root and not joined.startswith(root + os.sep):
            raise UsageError(f"{raw} is outside the repository {root}")
        return "" if joined == root else os.path.relpath(joined, root).replace(os.sep, "/")
    return paths.normalize(raw)


def resolve(repo: Repository, raw: str, cwd: str | None = None) -> tuple[str, bool]:
    """(repo path, whether it exists) for a PATH argument of ``konfig owners``.

    A path that exists is taken as it is (``repo_path``). One that does not
    may be a unique suffix of a stack or project directory, as other commands
    take stacks (``checkout/prod``, ``checkout/prod/stack.yaml``): read
    literally it would be a path outside every project, whose owners are
    the path rules' -- an answer that looks right and is not. A suffix that
    names several is an error; a path that is neither stays literal (the
    owners of a file about to be created).
    """
    rel = repo_path(repo, raw, cwd)
    if not rel or repo.exists(rel):
        return rel, True
    try:
        suffix = paths.normalize(raw)
    except KonfigError:
        return rel, False
    dirs = {s.path for s in repo.stacks()} | {p.path for p in repo.projects()}
    parts = suffix.split("/") if suffix else []
    for k in range(len(parts), 0, -1):
        head, tail = "/".join(parts[:k]), "/".join(parts[k:])
        found = sorted(d for d in dirs if d == head or d.endswith("/" + head))
        if len(found) > 1:
            shown = ", ".join(found[:10]) + (" ..." if len(found) > 10 else "")
            raise UsageError(f"ambiguous path {raw!r}: it ends {shown}",
                             hint="give the path from the repository root")
        if found:
            full = paths.join(found[0], tail)
            return full, full == found[0] or repo.exists(full)
    return rel, False


def show(repo: Repository, raw_paths: list[str], fmt: str, out: Output, cwd: str | None = None) -> int:
    """Owners of each path (with the people behind them and where it comes from), or the whole map."""
    from ..owners.ownership import OwnershipMap

    if fmt not in ("text", "json"):
        raise UsageError(f"--format {fmt} is not available for owners (use text or json)")
    omap = OwnershipMap(repo)
    teams = omap.teams
    if not raw_paths:
        entries = omap.entries()
        if fmt == "json":
            out.json([{"pattern": e.pattern, "owners": list(e.owners), "source": e.source.format(),
                       "kind": e.source.kind} for e in entries])
            return EXIT_OK
        rows = [(text_line(e.pattern), ", ".join(e.owners) or "(nobody)", text_line(e.source.format()))
                for e in entries]
        _table(out, ("PATH", "OWNERS", "FROM"), rows)
        return EXIT_OK
    resolved = [resolve(repo, p, cwd) for p in raw_paths]
    results = [omap.of(rel) for rel, _ in resolved]
    if fmt == "json":
        out.json([{**r.to_json(teams), "exists": exists} for r, (_, exists) in zip(results, resolved)])
        return EXIT_OK
    for i, (r, (_, exists)) in enumerate(zip(results, resolved)):
        if i:
            out.echo()
        out.echo(out.style(text_line(r.path) or ".", "bold"))
        who = ", ".join(teams.describe(o) for o in r.owners) or out.style("nobody", "red")
        out.echo(f"  owners: {who}")
        for j, s in enumerate(r.sources):
            out.echo(f"  {'from:  ' if j == 0 else '       '} {text_line(s.format())}")
        if r.reviewers:  # suggested by OWNERS files; they do not approve
            out.echo(f"  reviewers: {', '.join(teams.describe(o) for o in r.reviewers)}")
        if not exists:
            out.echo("  note:  no such file or directory (yet): these are the owners it would have")
    return EXIT_OK if all(r.owners for r in results) else EXIT_FAILED


def _table(out: Output, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(c) for c in col) for col in zip(header, *rows)]
    out.echo(out.style("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(), "bold"))
    for r in rows:
        out.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def check(repo: Repository, fmt: str, out: Output) -> int:
    """Every project owned, every owner known, no unowned file, no glob that matches nothing."""
    from ..check.validation import exit_code
    from ..owners.ownership import check as check_ownership

    if fmt not in ("text", "json"):
        raise UsageError(f"--format {fmt} is not available for owners check (use text or json)")
    problems = check_ownership(repo)
    code = exit_code(problems)
    errors = sum(1 for p in problems if p.is_error)
    if fmt == "json":
        out.json({"ok": code == EXIT_OK, "errors": errors, "warnings": len(problems) - errors,
                  "problems": [p.to_json() for p in problems]})
        return code
    out.problems(problems)
    if code == EXIT_OK:
        out.info(out.style("✓ ", "green", err=True) + "ownership is complete"
                 + (f" ({plural(len(problems), 'warning')})" if problems else ""))
    else:
        out.info(out.style("✗ ", "red", err=True) + f"{plural(errors, 'ownership problem')}")
    return code


def codeowners(repo: Repository, targets: list[str], check: bool, stdout: bool, out: Output,
               fmt: str = "text") -> int:
    """Write (or with ``check`` compare) the CODEOWNERS file of each target.

    A path the platform cannot express is left out of the file and reported,
    one line each, and the command exits 1 whether it wrote, checked or
    printed: the file is then as right as it can be, and still not what
    ``konfig owners`` says.
    """
    import difflib

    from ..files.transaction import atomic_write
    from ..owners.codeowners import TARGETS, render

    if fmt not in ("text", "json"):
        raise UsageError(f"--format {fmt} is not available for owners codeowners (use text or json)")
    for t in targets:
        if t not in TARGETS:
            raise UsageError(f"unknown --target {t!r} (use github or gitlab)")
    code = EXIT_OK
    report: list[dict[str, Any]] = []
    everything = []
    for t in targets:
        res = render(repo, t)
        rel, text = res.path, res.text
        entry: dict[str, Any] = {"target": t, "path": rel}
        if res.problems:
            code = EXIT_FAILED
        everything += res.problems
        if stdout:
            entry["status"] = "printed"
            if fmt == "json":
                entry["text"] = text
            else:
                out.echo(text, nl=False)
                for p in res.problems:
                    out.info(text_line(p.format()))
        else:
            full = os.path.join(repo.root, rel)
            current = _read(full)
            if check:
                entry["status"] = ("up to date" if current == text else
                                   "missing" if current is None else "out of date")
                if current != text:
                    code = EXIT_FAILED
                    diff = "".join(difflib.unified_diff((current or "").splitlines(True),
                                                        text.splitlines(True), f"a/{rel}", f"b/{rel}"))
                    entry["diff"] = diff
                    if fmt == "text":
                        out.echo(diff, nl=False)
            elif current != text:
                paths.confine(repo.root, rel)
                os.makedirs(os.path.dirname(full) or ".", exist_ok=True)
                atomic_write(full, text)
                entry["status"] = "written"
            else:
                entry["status"] = "up to date"
            if fmt == "text":
                out.problems(res.problems)
                _say(out, t, rel, entry["status"], check, len(res.problems))
        entry["problems"] = [p.to_json() for p in res.problems]
        entry["unexpressed"] = [u.to_json() for u in res.unexpressed]
        report.append(entry)
    if fmt == "json":
        out.json({"ok": code == EXIT_OK, "files": report, "problems": [p.to_json() for p in everything]})
    return code


def _say(out: Output, target: str, rel: str, status: str, check: bool, left_out: int) -> None:
    gap = f"; {plural(left_out, 'path')} left out that {'GitHub' if target == 'github' else 'GitLab'} " \
          "cannot express (above)" if left_out else ""
    if status == "up to date":
        mark = out.style("✓ ", "green", err=True) if not left_out else out.style("✗ ", "red", err=True)
        out.info(mark + f"{rel} is up to date{gap}")
    elif status == "written":
        out.info(f"wrote {rel}{gap}")
    else:
        out.error(f"{rel} is {status}: run `konfig owners codeowners --target {target}` and commit it"
                  f"{gap}")


def _read(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise KonfigError(f"cannot read: {e.strerror}", file=path) from None


def key_rules(repo: Repository, raw_paths: list[str], keys: list[str], fmt: str, out: Output,
              cwd: str | None = None) -> int:
    """``konfig owners STACK --key KEYPATH``: the review rules that govern a change of each key."""
    from ..owners.review import governing

    if fmt not in ("text", "json"):
        raise UsageError(f"--format {fmt} is not available for owners (use text or json)")
    if len(raw_paths) != 1:
        raise UsageError("--key goes with exactly one STACK")
    stack = repo.find_stack(raw_paths[0], cwd=cwd or os.getcwd())
    found = [governing(repo, stack, k) for k in keys]
    if fmt == "json":
        out.json(found[0].to_json() if len(found) == 1 else [g.to_json() for g in found])
        return EXIT_OK
    for i, g in enumerate(found):
        if i:
            out.echo()
        out.echo(out.style(f"{text_line(g.stack)} {text_line(g.key)}", "bold"))
        out.echo(f"  owners: {text_line(', '.join(g.owners) or 'nobody')} (of {text_line(g.file)})")
        for r in g.rules:
            who = "owners" if r.from_owners else ", ".join(r.sources or ())
            extra = f"; only changes by {', '.join(r.authors)}" if r.authors else ""
            out.echo(f"  rule {text_line(r.name)}: {r.approvals} from {text_line(who)}{text_line(extra)}"
                     f" ({text_line(r.origin)})")
        for e in g.exemptions:
            out.echo(f"  exemption {text_line(e.name)}: no owner approval for changes by "
                     f"{text_line(', '.join(e.authors))} that change only such keys ({text_line(e.origin)})")
    return EXIT_OK
