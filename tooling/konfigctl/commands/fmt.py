"""``konfig fmt [--check] [PATH...|--changed REF]``: the canonical layout of the Konfig's YAML, comments kept."""
from __future__ import annotations

import difflib
import os

from ..authoring.edit import locked, write_files
from ..authoring.fmt import check_files, format_file, is_konfig_yaml, konfig_files
from ..errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, KonfigError, Problem, UsageError
from ..files import paths
from ..output import Output, plural
from ..repo.repository import Repository

FORMATS = ("text", "json")


def targets(repo: Repository, names: list[str], cwd: str | None = None) -> list[str]:
    """Repo-relative files and directories named on the command line (relative to ``cwd``)."""
    cwd = os.path.abspath(cwd or os.getcwd())
    out = []
    for name in names:
        joined = os.path.normpath(os.path.join(cwd, name))
        if joined != repo.root and not joined.startswith(repo.root + os.sep):
            raise UsageError(f"{name}: outside the repository {repo.root}")
        rel = "" if joined == repo.root else os.path.relpath(joined, repo.root).replace(os.sep, "/")
        if rel and not repo.exists(rel):
            raise UsageError(f"{name}: no such file or directory")
        out.append(paths.normalize(rel) if rel else "")
    return out


def changed_files(repo: Repository, ref: str) -> list[str]:
    """The files ``fmt`` looks after that the change from merge-base(``ref``, HEAD) to the work
    tree adds or modifies (committed, staged, unstaged, untracked: what a pull request's CI
    checkout holds, and what a developer is about to push), or every one of them when the
    change touches a file of konfig.yaml's ``global`` (``tooling/**``, ``pyproject.toml``...:
    the layout rules may be another version's)."""
    from ..change.changeset import ChangeSet

    cs = ChangeSet.open(repo.root, ref, uncommitted=True, work_tree=repo)
    if any(paths.match_any(repo.settings["global"], p) for c in cs.changes for p in c.paths):
        return konfig_files(repo)
    return sorted({c.path for c in cs.changes if c.status != "D" and repo.source.exists(c.path)
                   and not repo.source.isdir(c.path) and is_konfig_yaml(repo, c.path)})


def fmt(repo: Repository, names: list[str], out: Output, *, check: bool = False, diff: bool = False,
        output_format: str = "text", cwd: str | None = None, jobs: int | None = None,
        changed: str | None = None) -> int:
    if output_format not in FORMATS:
        raise UsageError(f"--format {output_format} is not available for fmt (use text or json)")
    if changed is not None and names:
        raise UsageError("--changed picks the files itself: give it no PATH")
    since = changed  # the name below is the files fmt changes (or would)
    if since is not None:
        files = changed_files(repo, since)
    else:
        files = konfig_files(repo, targets(repo, names, cwd) if names else None)
    scope = f" (the files changed since {since})" if since is not None else ""
    found, errors = check_files(repo, files, jobs)
    problems = [Problem.from_error(e, check="fmt") for e in errors]
    changed: list[str] = []
    write = not (check or diff)
    for rel, (before, after) in sorted(found.items()):
        if write:
            try:
                with locked(repo, rel):  # re-read under the lock: a concurrent `konfig set` is kept
                    before, after = format_file(Repository(repo.root), rel)
                    if before != after:
                        write_files(repo, {rel: after})  # its own transaction: file by file
            except KonfigError as e:
                problems.append(Problem.from_error(e, check="fmt"))
                continue
            if before == after:
                continue
        changed.append(rel)
        if diff:
            out.echo("".join(difflib.unified_diff(
                before.decode("utf-8").splitlines(keepends=True), after.decode("utf-8").splitlines(keepends=True),
                fromfile=f"a/{rel}", tofile=f"b/{rel}")), nl=False)
    code = EXIT_BAD_INPUT if problems else (EXIT_FAILED if changed and not write else EXIT_OK)
    if output_format == "json":
        out.json({"ok": code == 0, "checked": len(files), "changed": changed, "written": write,
                  "problems": [p.to_json() for p in problems]})
        return code
    out.problems(problems)
    if not diff:
        for rel in changed:
            out.echo(rel if not write else f"formatted {rel}")
    if not changed and not problems:
        out.info(out.style("✓ ", "green", err=True) + f"{plural(len(files), 'file')} already formatted{scope}")
    elif not changed:  # no ✓ beside a file that could not be read
        out.info(f"{plural(len(files) - len(problems), 'file')} already formatted{scope}, "
                 f"{plural(len(problems), 'file')} not readable")
    elif write:
        out.info(f"formatted {plural(len(changed), 'file')} of {len(files)}")
    else:
        out.info(out.style("✗ ", "red", err=True) + f"{plural(len(changed), 'file')} of {len(files)} "
                 "would be reformatted (run `konfig fmt`)")
    return code
