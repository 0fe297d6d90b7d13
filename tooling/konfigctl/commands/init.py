"""``konfig init DIR``: a new, working Konfig repository."""
from __future__ import annotations

from ..authoring.init import adopt as adopt_repo
from ..authoring.init import init as init_repo
from ..errors import EXIT_OK, UsageError
from ..output import Output, plural


def init(target: str, out: Output, *, name: str | None = None, git: bool = True, ci: str = "github",
         fmt: str = "text", adopt: bool = False) -> int:
    if fmt not in ("text", "json"):
        raise UsageError(f"--format {fmt} is not available for init (use text or json)")
    if adopt:
        return _adopt(target, out, name=name, ci=ci, fmt=fmt)
    result = init_repo(target, name=name, git=git, ci=ci)
    if fmt == "json":
        out.json({"root": result.root, "files": result.files, "stacks": result.stacks, "git": result.git,
                  "install": result.install, "notes": result.notes})
        return EXIT_OK
    for rel in result.files:
        out.echo(f"created {rel}")
    for note in result.notes:
        out.warn(note)
    out.info(out.style("✓ ", "green", err=True) + f"a Konfig in {result.root}: {plural(len(result.files), 'file')}, "
             f"{plural(len(result.stacks), 'stack')}" + (", git repository initialised" if result.git else ""))
    out.info(f"next: cd {target} && konfig list stacks   (then docs/getting-started.md of konfig)")
    return EXIT_OK


def _adopt(target: str, out: Output, *, name: str | None, ci: str, fmt: str) -> int:
    result = adopt_repo(target, name=name, ci=ci)
    if fmt == "json":
        out.json({"root": result.root, "files": result.files, "install": result.install, "notes": result.notes})
        return EXIT_OK
    for rel in result.files:
        out.echo(f"created {rel}")
    for note in result.notes:
        out.warn(note)
    out.info(out.style("✓ ", "green", err=True) + f"{result.root} is a Konfig: {plural(len(result.files), 'new file')}, "
             "no other file changed")
    out.info(f"next: cd {target} && konfig list stacks && konfig test --all")
    return EXIT_OK
