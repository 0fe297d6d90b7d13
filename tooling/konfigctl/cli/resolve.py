from __future__ import annotations

import typer

from .common import OVERRIDE_OPTION, format_option, run, stack_argument


def register(app: typer.Typer) -> None:
    @app.command("resolve", rich_help_panel="Inspect")
    def resolve_cmd(
        ctx: typer.Context,
        stack: str = stack_argument(),
        override: list[str] = OVERRIDE_OPTION,
        fmt: str = format_option("yaml", ("yaml", "json")),
    ) -> None:
        """Print a stack's merged configuration.

        The merge of, lowest first: the model's defaults.yaml, the env profiles,
        every defaults.yaml from the root down to the stack, the stack's config,
        and -O overrides.

        \b
        Examples:
          konfig resolve payments/checkout/prod/eu-west-1
          konfig resolve checkout/dev -O replicas=2 -f json
        """
        from ..commands.resolve import resolve

        run(ctx, lambda repo, out: resolve(repo, stack, override or [], fmt, out))
