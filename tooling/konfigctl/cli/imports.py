from __future__ import annotations

import typer

from .common import format_option, run

import_app = typer.Typer(
    name="import",
    help="A new model from a CRD or an OpenAPI definition (schema, renderer, resource schema, template, docs).",
    no_args_is_help=True,
)

MODEL_OPTION = typer.Option(..., "--model", "-m", metavar="NAME",
                            help="The new model's name (konfig/base/models/<name>/).")
FORCE_OPTION = typer.Option(False, "--force", help="Replace the model (and its template) if it exists.")
DRY_RUN_OPTION = typer.Option(False, "--dry-run", "-n", help="List the files; write nothing.")


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, rich_help_panel="Edit")


@import_app.command("crd")
def crd_cmd(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE|-", help="The CustomResourceDefinition (YAML or JSON; - reads stdin)."),
    model: str = typer.Option(None, "--model", "-m", metavar="NAME",
                              help="The new model's name (konfig/base/models/<name>/)."),
    version: str = typer.Option(None, "--version", "-V", metavar="V",
                                help="The CRD version to import (default: its storage version)."),
    kind: str = typer.Option(None, "--kind", metavar="KIND",
                             help="The CRD of this kind, in a file (or List) of several."),
    schema_only: bool = typer.Option(False, "--schema-only",
                                     help="Only the resource's strict schema (konfig/base/crds/), for a kind "
                                          "another model renders; no model."),
    force: bool = FORCE_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    fmt: str = format_option("text", ("text", "json")),
) -> None:
    """Make a model from one version of a CRD.

    The resource's spec becomes the model's config (required fields, enums,
    bounds, patterns, defaults and descriptions carried over; labels and
    annotations go to the resource's metadata); the renderer emits one
    resource per stack; the resource's strict schema goes to
    konfig/base/crds/ so `konfig test` checks what is rendered; a template
    serves `konfig new project --model NAME`, and the model's docs page is
    written. x-kubernetes-* extensions konfig cannot check are warnings
    naming their JSON pointer. Nothing is written unless all of it can be.
    With --schema-only, only the resource's schema is written (no --model).

    \b
    Exit: 0 written, 2 bad input (not a CRD, unknown version, malformed YAML, the model exists).

    \b
    Examples:
      konfig import crd certificates.cert-manager.io.yaml --model certificate
      kubectl get crd backups.example.com -o yaml | konfig import crd - --model backup
      konfig import crd cert-manager.crds.yaml --kind Certificate --model certificate
      konfig import crd widgets.yaml --version v1beta1 --model widget --force
      konfig import crd prometheusrules.monitoring.coreos.com.yaml --schema-only
    """
    from ..commands.imports import import_crd

    run(ctx, lambda repo, out: import_crd(repo, file, model, out, version=version, force=force,
                                          dry_run=dry_run, fmt=fmt, schema_only=schema_only, kind=kind))


@import_app.command("openapi")
def openapi_cmd(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE|-", help="The OpenAPI v2 or v3 document (YAML or JSON; - reads stdin)."),
    definition: str = typer.Option(..., "--definition", "-d", metavar="NAME",
                                   help="The definition (v2 definitions, v3 components.schemas) to import."),
    model: str = MODEL_OPTION,
    api_version: str = typer.Option(None, "--api-version", metavar="GROUP/VERSION",
                                    help="The resource it renders, for a definition that is not one."),
    kind: str = typer.Option(None, "--kind", metavar="KIND", help="The kind it renders (with --api-version)."),
    force: bool = FORCE_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    fmt: str = format_option("text", ("text", "json")),
) -> None:
    """Make a model from one definition of an OpenAPI document.

    A Kubernetes resource (x-kubernetes-group-version-kind) gives its spec as
    the config, as for a CRD; any other definition is the config as a whole,
    rendered as the spec of the resource --api-version and --kind name.
    $refs become definitions of the model's schema.

    \b
    Exit: 0 written, 2 bad input (not OpenAPI, unknown definition, unresolvable $ref, the model exists).

    \b
    Examples:
      konfig import openapi backup-api.yaml --definition BackupPolicy --model backup-policy \\
          --api-version backup.example.com/v1 --kind BackupPolicy
      konfig import openapi swagger.json -d com.example.v1.Widget --model widget
    """
    from ..commands.imports import import_openapi

    run(ctx, lambda repo, out: import_openapi(repo, file, definition, model, out, api_version=api_version,
                                              kind=kind, force=force, dry_run=dry_run, fmt=fmt))
