from __future__ import annotations

import typer

from .common import (
    AFFECTED_OPTION,
    ALL_OPTION,
    JOBS_OPTION,
    OVERRIDE_OPTION,
    SELECTOR_OPTION,
    format_option,
    run,
    stacks_argument,
)


def register(app: typer.Typer) -> None:
    @app.command("render", rich_help_panel="Check")
    def render_cmd(
        ctx: typer.Context,
        stacks: list[str] = stacks_argument(),
        all_: bool = ALL_OPTION,
        affected: str = AFFECTED_OPTION,
        selector: list[str] = SELECTOR_OPTION,
        out_dir: str = typer.Option(None, "--out", "-o", metavar="DIR",
                                    help="Write a rendered-manifests tree: one directory per stack, "
                                         "one file per resource."),
        prune: bool = typer.Option(False, "--prune",
                                   help="With --out: remove files of resources and stacks that no longer exist."),
        override: list[str] = OVERRIDE_OPTION,
        jobs: int = JOBS_OPTION,
        fmt: str = format_option("yaml", ("yaml", "json")),
    ) -> None:
        """Render stacks to runtime resources (Kubernetes manifests).

        Each stack's model renderer turns its resolved configuration into resources,
        printed as a multi-document YAML stream (or JSON). With --out, the
        rendered-manifests tree that Argo CD or Flux syncs from; writes are atomic and
        a stack that fails to render keeps its previous files. Without stacks or --all:
        the stacks below the current directory.

        \b
        Exit: 0 rendered, 1 a renderer failed, 2 bad input (unknown stack, broken YAML).

        \b
        Examples:
          konfig render payments/checkout/prod/eu-west-1
          konfig render checkout/dev -O replicas=2 -f json
          konfig render --all --out rendered/ --prune
        """
        from ..commands.render import render
        from ..targets import Targets

        targets = Targets(names=stacks or [], all=all_, affected=affected, selector=selector or [])
        run(ctx, lambda repo, out: render(repo, targets, out, fmt=fmt, out_dir=out_dir, prune=prune,
                                          overrides=override or [], jobs=jobs))
