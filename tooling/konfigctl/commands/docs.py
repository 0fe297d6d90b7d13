"""``konfig docs [--out DIR] [--check]``: the model reference and the file schemas, generated."""
from __future__ import annotations

import os

from .. import paths
from ..docs import DOCS_DIR, generate, stale
from ..errors import EXIT_FAILED, EXIT_OK, UsageError
from ..output import Output, plural
from ..repository import Repository

FORMATS = ("text", "json")


def out_dir_of(repo: Repository, out: str | None, cwd: str | None = None) -> str:
    if not out:
        return DOCS_DIR
    joined = os.path.normpath(os.path.join(os.path.abspath(cwd or os.getcwd()), out))
    if joined != repo.root and not joined.startswith(repo.root + os.sep):
        raise UsageError(f"--out {out}: must be inside the repository (links are relative to it)")
    return os.path.relpath(joined, repo.root).replace(os.sep, "/")


def docs(repo: Repository, out_dir: str | None, out: Output, *, check: bool = False, fmt: str = "text",
         cwd: str | None = None) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt} is not available for docs (use text or json)")
    target = out_dir_of(repo, out_dir, cwd)
    files = generate(repo, target)
    changed = [rel for rel, text in sorted(files.items())
               if not repo.exists(rel) or repo.read(rel) != text.encode("utf-8")]
    extra = stale(repo, target, files)
    if not check:
        from ..yamlio import atomic_write

        for rel in changed:
            atomic_write(paths.confine(repo.root, rel), files[rel])
        for rel in extra:
            os.unlink(paths.confine(repo.root, rel))
    drift = bool(changed or extra)
    code = EXIT_FAILED if check and drift else EXIT_OK
    if fmt == "json":
        out.json({"ok": code == EXIT_OK, "out": target, "files": sorted(files), "changed": changed,
                  "removed": extra, "written": not check})
        return code
    for rel in changed:
        out.echo(rel if check else f"wrote {rel}")
    for rel in extra:
        out.echo(f"{rel} (stale)" if check else f"removed {rel}")
    if not drift:
        out.info(out.style("✓ ", "green", err=True) + f"{plural(len(files), 'file')} in {target}/ up to date")
    elif check:
        out.info(out.style("✗ ", "red", err=True) + f"{plural(len(changed) + len(extra), 'file')} in {target}/ "
                 "out of date (run `konfig docs`)")
    else:
        out.info(f"updated {plural(len(changed) + len(extra), 'file')} in {target}/")
    return code
