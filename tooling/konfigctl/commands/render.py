"""``konfig render STACK | --all [--out DIR [--prune]]``: runtime resources.

To stdout: a multi-document YAML stream (or JSON). With ``--out DIR``: a
rendered-manifests tree for Argo CD / Flux -- one directory per stack (its
repository path), one file per resource (``<kind>-<name>.yaml``). Files are
written atomically and only when their content changed; a stack that fails
to render keeps its previous files. ``--prune`` removes what no longer
exists, and only in a directory konfig wrote (it holds ``.konfig-rendered``).
The tree itself is ``render/manifests.py``; this module selects, renders and
reports.
"""
from __future__ import annotations

from typing import Any

from ..errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, KonfigError, UsageError
from ..output import Output, plural
from ..repo.repository import Repository
from ..targets import Targets, select

def _render_one(repo: Repository, stack: Any) -> tuple[list[dict[str, Any]] | None, str, bool]:
    """(resources, error message, the stack's own files are broken) -- never raises."""
    from .. import engine
    from ..render.renderer import RenderError, render_problem_message

    try:
        return engine.of(stack).render(repo, stack), "", False
    except RenderError as e:
        return None, render_problem_message(e), False
    except KonfigError as e:
        return None, str(e), True


def render(repo: Repository, targets: Targets, out: Output, *, fmt: str = "yaml", out_dir: str | None = None,
           prune: bool = False, overrides: list[str] | None = None, jobs: int | None = None,
           cwd: str | None = None) -> int:
    if fmt not in ("yaml", "json", "text"):
        raise UsageError(f"--format {fmt} is not available for render (use yaml or json)")
    if prune and not out_dir:
        raise UsageError("--prune needs --out DIR")
    stacks = select(repo, targets, cwd)
    if overrides and len(stacks) != 1:
        raise UsageError("-O overrides apply to one stack; name exactly one")
    if overrides:
        from .. import engine

        (stack,) = stacks
        eng = engine.of(stack)
        resources = eng.render(repo, stack, eng.resolve(repo, stack, overrides))
        rendered = [(stack, resources, "", False)]
    else:
        from ..check.parallel import map_stacks

        rendered = [(s, *r) for s, r in map_stacks(repo, stacks, _render_one, jobs=jobs,
                                                  progress=out.progress, label="rendering", renders=True)]
    failed = [(s, msg, bad) for s, res, msg, bad in rendered if res is None]
    for s, msg, _bad in failed:
        model = _model(s)
        out.error(f"{s.path}: render (model {model}): {msg}")
    code = EXIT_OK
    if failed:
        code = EXIT_BAD_INPUT if any(bad for _s, _m, bad in failed) else EXIT_FAILED
    good = [(s, res) for s, res, _msg, _bad in rendered if res is not None]

    if out_dir:
        try:
            return max(code, _write_tree(out_dir, good, {s.path for s, _m, _b in failed}, prune,
                                         targets.whole_repo, fmt, out))
        except OSError as e:
            where = f" ({e.filename})" if e.filename and e.filename != out_dir else ""
            raise KonfigError(f"cannot write --out {out_dir}: {e.strerror or e}{where}") from None

    single = len(stacks) == 1 and not targets.all
    if fmt == "json":
        out.json(good[0][1] if single and good else {s.path: res for s, res in good})
        return code
    from ..yamlio import dump_all

    for s, res in good:
        if not single:
            out.echo(f"# Source: {s.path} (model {_model(s)})")
        out.echo(dump_all(res), nl=False)
    return code


def _model(stack: Any) -> str:
    if stack.is_kcl:
        return "kcl"
    try:
        return str(stack.model_name)
    except KonfigError:
        return "?"


def _write_tree(out_dir: str, good: list[tuple[Any, list[dict[str, Any]]]], failed: set[str],
                prune: bool, whole_repo: bool, fmt: str, out: Output) -> int:
    from .. import engine
    from ..render.manifests import write_tree

    # a compiled (KCL) stack's output is its kusion resources: the tree holds their manifests
    done = write_tree(out_dir, [(s, engine.of(s).manifests(r)) for s, r in good], failed, prune, whole_repo)
    if fmt == "json":
        out.json({"out": out_dir, "stacks": len(good), "written": done.written, "unchanged": done.unchanged,
                  "removed": done.removed, "failed": sorted(failed)})
    else:
        for rel in done.written:
            out.echo(f"wrote {rel}")
        for rel in done.removed:
            out.echo(f"removed {rel}")
        out.info(f"{plural(len(good), 'stack')} rendered to {out_dir}: {len(done.written)} written, "
                 f"{done.unchanged} unchanged" + (f", {len(done.removed)} removed" if prune else ""))
    return EXIT_OK
