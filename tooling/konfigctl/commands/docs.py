"""``konfig docs [--out DIR] [--check]``: the model reference and the file schemas, generated."""
from __future__ import annotations

import os

from ..authoring.docs import MODELS_DIR, generate, stale
from ..errors import EXIT_FAILED, EXIT_OK, KonfigError, UsageError
from ..output import Output, plural
from ..repo.repository import Repository

FORMATS = ("text", "json")


def models_dir_of(repo: Repository, out: str | None, cwd: str | None = None) -> str:
    """``--out`` as an absolute directory (relative to the working directory); default docs/models."""
    if not out:
        return os.path.join(repo.root, *MODELS_DIR.split("/"))
    return os.path.normpath(os.path.join(os.path.abspath(cwd or os.getcwd()), os.path.expanduser(out)))


def shown(repo: Repository, path: str) -> str:
    """Repo-relative inside the repository, absolute outside it."""
    if path.startswith(repo.root + os.sep):
        return os.path.relpath(path, repo.root).replace(os.sep, "/")
    return path


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def docs(repo: Repository, out_dir: str | None, out: Output, *, check: bool = False, fmt: str = "text",
         cwd: str | None = None) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt} is not available for docs (use text or json)")
    target = models_dir_of(repo, out_dir, cwd)
    if os.path.exists(target) and not os.path.isdir(target):
        raise UsageError(f"--out {out_dir}: not a directory")
    files = generate(repo, target)
    changed = [p for p, text in sorted(files.items()) if _read(p) != text.encode("utf-8")]
    extra = stale(target, files)
    if not check:
        from ..files.transaction import atomic_write

        try:
            for p in changed:
                atomic_write(p, files[p])
            for p in extra:
                os.unlink(p)
        except OSError as e:
            raise KonfigError(f"cannot write {target}: {e.strerror or e}") from None
    drift = bool(changed or extra)
    code = EXIT_FAILED if check and drift else EXIT_OK
    where = shown(repo, target)
    if fmt == "json":
        out.json({"ok": code == EXIT_OK, "out": where, "files": [shown(repo, p) for p in sorted(files)],
                  "changed": [shown(repo, p) for p in changed], "removed": [shown(repo, p) for p in extra],
                  "written": not check})
        return code
    for p in changed:
        out.echo(shown(repo, p) if check else f"wrote {shown(repo, p)}")
    for p in extra:
        out.echo(f"{shown(repo, p)} (stale)" if check else f"removed {shown(repo, p)}")
    if not drift:
        out.info(out.style("✓ ", "green", err=True) + f"{plural(len(files), 'file')} up to date ({where}/)")
    elif check:
        out.info(out.style("✗ ", "red", err=True) + f"{plural(len(changed) + len(extra), 'file')} "
                 f"out of date (run `konfig docs{' --out ' + out_dir if out_dir else ''}`)")
    else:
        out.info(f"updated {plural(len(changed) + len(extra), 'file')} ({where}/)")
    return code
