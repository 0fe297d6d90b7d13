"""``konfig import crd|openapi FILE --model NAME``: a new model from a CRD or an OpenAPI definition."""
from __future__ import annotations

from typing import Any

from ..errors import EXIT_OK, UsageError
from ..imports import model as imodel
from ..imports import source
from ..output import Output, plural
from ..repo.repository import Repository

FORMATS = ("text", "json")


def import_crd(repo: Repository, file: str, model: str | None, out: Output, *, version: str | None = None,
               force: bool = False, dry_run: bool = False, fmt: str = "text", cwd: str | None = None,
               stdin: Any = None, schema_only: bool = False, kind: str | None = None) -> int:
    """``model`` None with ``schema_only``: only the resource's strict schema, for a kind
    another model renders."""
    _check_format(fmt)
    if bool(model) == schema_only:
        raise UsageError("give --model NAME, or --schema-only for the resource's schema alone")
    imported = source.crd(source.read(file, cwd, stdin), version, kind)
    plan = (imodel.plan_schema(repo, imported, force=force, command="crd") if schema_only
            else imodel.plan(repo, imported, str(model), force=force, command="crd"))
    return _finish(repo, plan, out, dry_run, fmt)


def import_openapi(repo: Repository, file: str, definition: str, model: str, out: Output, *,
                   api_version: str | None = None, kind: str | None = None, force: bool = False,
                   dry_run: bool = False, fmt: str = "text", cwd: str | None = None, stdin: Any = None) -> int:
    _check_format(fmt)
    imported = source.openapi(source.read(file, cwd, stdin), definition, api_version, kind)
    return _finish(repo, imodel.plan(repo, imported, model, force=force, command="openapi"), out, dry_run, fmt)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt} is not available for import (use text or json)")


def _finish(repo: Repository, plan: imodel.Plan, out: Output, dry_run: bool, fmt: str) -> int:
    if not dry_run:
        imodel.commit(repo, plan)  # the whole model, or nothing
    if fmt == "json":
        out.json({"ok": True, "dry_run": dry_run, **plan.to_json()})
        return EXIT_OK
    for line in plan.warnings:
        out.warn(line)
    verb = "would write" if dry_run else "wrote"
    for rel in sorted(plan.files):
        out.echo(f"{verb} {rel}" + (" (replaced)" if rel in plan.replaced else ""))
    if dry_run:
        return EXIT_OK
    i = plan.imported
    extra = f", {plural(len(plan.warnings), 'warning')}" if plan.warnings else ""
    if not plan.model:
        out.info(out.style("✓ ", "green", err=True) + f"schema of {i.kind} {i.api_version} from {i.origin}"
                 f"{extra}: `konfig test` checks every rendered {i.kind} with it")
        return EXIT_OK
    out.info(out.style("✓ ", "green", err=True) + f"model {plan.model}: {i.kind} {i.api_version} from "
             f"{i.origin}{extra}")
    out.info(f"next: `konfig new project PATH --model {plan.model} --owner TEAM` makes a project of it "
             f"(reference: docs/models/{plan.model}.md)")
    return EXIT_OK
