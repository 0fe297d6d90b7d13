"""``konfig render STACK | --all [--out DIR [--prune]]``: runtime resources.

To stdout: a multi-document YAML stream (or JSON). With ``--out DIR``: a
rendered-manifests tree for Argo CD / Flux -- one directory per stack (its
repository path), one file per resource (``<kind>-<name>.yaml``). Files are
written atomically and only when their content changed; a stack that fails
to render keeps its previous files. ``--prune`` removes what no longer
exists, and only in a directory konfig wrote (it holds ``.konfig-rendered``).
"""
from __future__ import annotations

import os
from typing import Any

from ..errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, KonfigError, UsageError
from ..output import Output, plural
from ..repo.repository import Repository
from ..targets import Targets, select

MARKER = ".konfig-rendered"


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
            return max(code, _write_tree(repo, out_dir, good, {s.path for s, _m, _b in failed}, prune,
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


def file_name(res: dict[str, Any], clash: bool) -> str:
    """``deployment-checkout.yaml`` (``<namespace>.`` in front when names clash across namespaces)."""
    meta = res["metadata"]
    name = f"{res['kind'].lower()}-{meta['name']}"
    if clash and meta.get("namespace"):
        name = f"{meta['namespace']}.{name}"
    return name.replace("/", "_") + ".yaml"


def _write_tree(repo: Repository, out_dir: str, good: list[tuple[Any, list[dict[str, Any]]]],
                failed: set[str], prune: bool, whole_repo: bool, fmt: str, out: Output) -> int:
    from ..files.transaction import atomic_write
    from ..yamlio import dump

    root = os.path.abspath(out_dir)
    marker = os.path.join(root, MARKER)
    if prune and os.path.isdir(root) and os.listdir(root) and not os.path.exists(marker):
        raise UsageError(f"refusing to prune {out_dir}: konfig did not write it (no {MARKER} in it)",
                         hint="point --out at a directory only konfig render writes")
    if os.path.exists(root) and not os.path.isdir(root):
        raise UsageError(f"--out {out_dir} is not a directory")
    os.makedirs(root, exist_ok=True)
    if not os.path.exists(marker):
        atomic_write(marker, "# Written by `konfig render --out`: one directory per stack. "
                             "Regenerated, never edit.\n")
    written: list[str] = []
    unchanged = 0
    keep: set[str] = set()  # files (relative to root) this run produced
    from .. import engine

    for stack, resources in good:
        resources = engine.of(stack).manifests(resources)  # a KCL stack's Kubernetes resources
        base = os.path.join(root, *stack.path.split("/"))
        counts: dict[tuple[str, str], int] = {}
        for res in resources:
            k = (res["kind"], res["metadata"]["name"])
            counts[k] = counts.get(k, 0) + 1
        for res in resources:
            name = file_name(res, counts[(res["kind"], res["metadata"]["name"])] > 1)
            path = os.path.join(base, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            keep.add(rel)
            text = dump(res)
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except OSError:
                same = False
            if same:
                unchanged += 1
                continue
            atomic_write(path, text)
            written.append(rel)
    removed: list[str] = []
    if prune:
        rendered_dirs = {s.path for s, _r in good}
        for dirpath, dirnames, filenames in os.walk(root, topdown=False):
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            rel_dir = "" if rel_dir == "." else rel_dir
            for f in filenames:
                rel = f"{rel_dir}/{f}" if rel_dir else f
                if rel == MARKER or rel in keep:
                    continue
                # a failed stack keeps its last good output; a partial run touches only its stacks
                if any(rel.startswith(p + "/") for p in failed):
                    continue
                if not whole_repo and rel_dir not in rendered_dirs:
                    continue
                os.unlink(os.path.join(dirpath, f))
                removed.append(rel)
            if rel_dir and not os.listdir(dirpath):
                os.rmdir(dirpath)
    if fmt == "json":
        out.json({"out": out_dir, "stacks": len(good), "written": written, "unchanged": unchanged,
                  "removed": sorted(removed), "failed": sorted(failed)})
    else:
        for rel in written:
            out.echo(f"wrote {rel}")
        for rel in sorted(removed):
            out.echo(f"removed {rel}")
        out.info(f"{plural(len(good), 'stack')} rendered to {out_dir}: {len(written)} written, "
                 f"{unchanged} unchanged" + (f", {len(removed)} removed" if prune else ""))
    return EXIT_OK
