"""A thin layer over gitpython: the few git questions konfig asks, with clear errors."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ..errors import KonfigError


def open_repo(root: str) -> Any:
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except git.InvalidGitRepositoryError:
        raise KonfigError(f"{root} is not inside a git repository") from None
    except git.NoSuchPathError:
        raise KonfigError(f"{root} does not exist") from None


def toplevel(repo: Any) -> str:
    return str(repo.working_tree_dir)


def prefix_of(repo: Any, root: str) -> str:
    """Where ``root`` (a Konfig) sits inside the git work tree: ``""`` at the top, else ``a/b``.

    git names files from the top of the work tree; konfig names them from the
    Konfig's root, which may be a subdirectory of a larger repository.
    """
    import os

    top = os.path.realpath(toplevel(repo))
    here = os.path.realpath(root)
    rel = os.path.relpath(here, top)
    if rel == ".":
        return ""
    if rel.startswith(".."):
        raise KonfigError(f"{root} is not inside the git work tree {top}")
    return rel.replace(os.sep, "/")


def is_shallow(repo: Any) -> bool:
    import os

    return os.path.exists(os.path.join(repo.git_dir, "shallow"))


def check_ref(ref: str | None) -> str:
    """``ref`` if it can name a revision at all; empty or option-looking text is refused.

    A ref that starts with ``-`` would be read by git as an option (and
    ``--output=FILE`` writes a file), so it never reaches a git command line
    (this check, not ``--end-of-options``, which older gits lack).
    """
    if ref is None or not ref.strip():
        raise KonfigError("empty git ref", hint="name a branch, tag or commit, e.g. origin/main")
    if ref.startswith("-"):
        raise KonfigError(f"{ref!r} is not a git ref: it starts with '-' (git would read it as an option)")
    if "\0" in ref or "\n" in ref:
        raise KonfigError(f"{ref!r} is not a git ref: it holds a control character")
    return ref


def resolve_commit(repo: Any, ref: str) -> str:
    """The full sha of the commit ``ref`` names; anything else is bad input, said in one line.

    git's own ``rev-parse`` reads the ref (every revision syntax git has:
    ``origin/main``, ``HEAD~3``, ``v1.2^{}``...). A ref that names an object
    other than a commit -- a file (``main:konfig.yaml``), a tree
    (``main^{tree}``), a tag of either -- is named as such, not as unknown.
    """
    import git

    check_ref(ref)
    try:
        return str(repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")).strip()
    except git.GitCommandError:
        pass
    kind = _object_kind(repo, ref)
    if kind is not None:
        hint = "name a branch, tag or commit"
        if ":" in ref and _is_commit(repo, ref.split(":", 1)[0]):
            hint = f"did you mean {ref.split(':', 1)[0]!r}? a ref:path names a file"
        raise KonfigError(f"git ref {ref!r} names {kind}, not a commit", hint=hint)
    hint = None
    if is_shallow(repo):
        hint = (
            "this is a shallow clone; fetch the base first, e.g. "
            "`git fetch --deepen=200 origin` or check out with fetch-depth: 0"
        )
    elif "/" in ref and not ref.startswith("refs/"):
        hint = f"is the remote branch fetched? try `git fetch {ref.split('/', 1)[0]}`"
    raise KonfigError(f"unknown git revision {ref!r}", hint=hint)


def _is_commit(repo: Any, ref: str) -> bool:
    import git

    if not ref or ref.startswith("-"):
        return False
    try:
        repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
        return True
    except git.GitCommandError:
        return False


def _object_kind(repo: Any, ref: str) -> str | None:
    """What ``ref`` names when it is not a commit: "a blob (a file)", "a tag of a tree"...; None if nothing."""
    import git

    names = {"blob": "a blob (a file's contents)", "tree": "a tree (a directory)"}
    try:
        kind = str(repo.git.cat_file("-t", ref)).strip()  # no ^{object}: after a ':' it would be part of the path
        if kind != "tag":
            return names.get(kind, f"a {kind}")
        target = str(repo.git.cat_file("-t", f"{ref}^{{}}")).strip()
        return f"a tag of {names.get(target, 'a ' + target)}"
    except git.GitCommandError:
        return None


def merge_base(repo: Any, base: str, head: str, names: tuple[str, str] | None = None) -> str:
    """The merge base of two commits (shas); ``names`` are the refs as the user gave them."""
    import git

    try:
        out = repo.git.merge_base(base, head)
    except git.GitCommandError:
        out = ""
    lines = str(out).strip().splitlines()
    if lines:
        return lines[0]
    a, b = names or (base, head)
    what = f"{a!r} ({base[:12]}) and {b!r} ({head[:12]})" if names else f"{base[:12]} and {head[:12]}"
    if is_shallow(repo):
        hint = ("this is a shallow clone and the history that joins them was not fetched: "
                "`git fetch --unshallow origin`, or check out with fetch-depth: 0")
    else:
        hint = "unrelated histories: compare against a base this branch was made from"
    raise KonfigError(f"no common ancestor of {what}", hint=hint)


def ls_tree(repo: Any, commit: str, prefix: str = "") -> dict[str, tuple[str, str]]:
    """Every file of a commit below ``prefix``: path relative to it -> (mode, blob sha)."""
    args = ["-r", "-z", "--full-tree", commit]
    if prefix:
        args += ["--", prefix + "/"]
    out = repo.git.ls_tree(*args)
    cut = len(prefix) + 1 if prefix else 0
    entries: dict[str, tuple[str, str]] = {}
    for rec in out.split("\0"):
        if not rec:
            continue
        meta, _, path = rec.partition("\t")
        mode, kind, sha = meta.split()
        if kind == "blob":
            entries[path[cut:]] = (mode, sha)
    return entries


def read_at(repo: Any, commit: str, path: str) -> bytes | None:
    """One file of a commit (``path`` from the top of the work tree); None if it has none."""
    import git

    try:
        # gitpython strips a trailing newline from stdout unless told not to
        return bytes(repo.git.cat_file("blob", f"{commit}:{path}", stdout_as_string=False,
                                       strip_newline_in_stdout=False))
    except git.GitCommandError:
        return None


def read_blob(repo: Any, sha: str) -> bytes:
    from gitdb.util import hex_to_bin

    return bytes(repo.odb.stream(hex_to_bin(sha)).read())


@dataclasses.dataclass(frozen=True)
class Change:
    """One changed file: status A/M/D/R/C/T, its path, and the old path of a rename."""

    status: str
    path: str
    old_path: str | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.old_path, self.path) if self.old_path else (self.path,)


def diff_names(repo: Any, base: str, head: str | None, prefix: str = "") -> list[Change]:
    """Files changed from ``base`` to ``head`` (or to the work tree when ``head`` is None).

    With ``prefix`` only files below it, named relative to it (a rename across
    the boundary is an addition or a deletion).
    """
    args = ["--name-status", "-z", "-M", "--no-color", "--no-ext-diff", "--no-textconv", base]
    if head:
        args.append(head)
    if prefix:
        args += ["--", prefix + "/"]
    out = repo.git.diff(*args)
    return _relative(_parse_name_status(out), prefix)


def _relative(changes: list[Change], prefix: str) -> list[Change]:
    if not prefix:
        return changes
    cut = prefix + "/"
    out = []
    for c in changes:
        new = c.path[len(cut):] if c.path.startswith(cut) else None
        old = c.old_path[len(cut):] if c.old_path and c.old_path.startswith(cut) else None
        if new is not None and (c.old_path is None or old is not None):
            out.append(Change(c.status, new, old))
        elif new is not None:
            out.append(Change("A", new))
        elif old is not None and c.status == "R":
            out.append(Change("D", old))
    return out


def _parse_name_status(out: str) -> list[Change]:
    recs = [r for r in out.split("\0")]
    changes = []
    i = 0
    while i < len(recs):
        status = recs[i]
        if not status:
            i += 1
            continue
        code = status[0]
        if code in "RC":
            changes.append(Change(code, recs[i + 2], recs[i + 1]))
            i += 3
        else:
            changes.append(Change(code, recs[i + 1]))
            i += 2
    return changes


def untracked(repo: Any, prefix: str = "") -> list[str]:
    """Untracked files that are not ignored (below ``prefix``, relative to it)."""
    args = ["--others", "--exclude-standard", "-z", "--full-name"]
    if prefix:
        args += ["--", prefix + "/"]
    out = repo.git.ls_files(*args)  # gitpython runs git at the top of the work tree
    cut = len(prefix) + 1 if prefix else 0
    return [p[cut:] for p in out.split("\0") if p]


def uncommitted(repo: Any, prefix: str = "") -> list[str]:
    """Files (below ``prefix``) that differ from HEAD: staged, unstaged or untracked."""
    return uncommitted_later(repo, prefix)()


def uncommitted_later(repo: Any, prefix: str = "") -> Callable[[], list[str]]:
    """Start ``uncommitted`` now and answer when called.

    ``git status`` walks the whole work tree (the slowest git question konfig
    asks), so it runs in its own process while konfig does its own work.
    """
    import subprocess

    args = ["git", "-C", toplevel(repo), "status", "--porcelain", "-z", "--untracked-files=normal"]
    if prefix:
        args += ["--", prefix + "/"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def result() -> list[str]:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise KonfigError("git status failed in " + toplevel(repo))
        return _parse_status(out.decode("utf-8", "surrogateescape"), prefix)

    return result


def _parse_status(out: str, prefix: str) -> list[str]:
    """Paths of ``git status --porcelain -z`` (relative to the top) relative to ``prefix``."""
    cut = len(prefix) + 1 if prefix else 0
    files = []
    recs = out.split("\0")
    i = 0
    while i < len(recs):
        rec = recs[i]
        i += 1
        if len(rec) < 4:
            continue
        if rec[0] in "RC":  # a rename is followed by its old path
            i += 1
        files.append(rec[3:][cut:])
    return files


def is_dirty(repo: Any) -> bool:
    return bool(repo.is_dirty(untracked_files=True))


def work_files(repo: Any, root: str) -> list[str]:
    """Files of the work tree under ``root`` that git knows or would add (tracked + untracked,
    not ignored, not deleted), relative to ``root``."""
    import os

    top = os.path.realpath(toplevel(repo))
    here = os.path.realpath(root)
    prefix = os.path.relpath(here, top).replace(os.sep, "/")
    prefix = "" if prefix == "." else prefix
    out = repo.git.ls_files("-z", "--cached", "--others", "--exclude-standard", "--full-name",
                            "--", prefix or ".")
    files = []
    for p in sorted(set(out.split("\0"))):
        if not p:
            continue
        rel = p[len(prefix) + 1:] if prefix else p
        if os.path.lexists(os.path.join(here, rel)):
            files.append(rel)
    return files
