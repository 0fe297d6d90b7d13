from __future__ import annotations

import typer

from .common import OVERRIDE_OPTION, complete_keypath, format_option, run, stack_argument


def register(app: typer.Typer) -> None:
    @app.command("explain", rich_help_panel="Inspect")
    def explain_cmd(
        ctx: typer.Context,
        stack: str = stack_argument(),
        keypath: str = typer.Argument(None, help="Only this key path, e.g. resources.cpu or env[name=LOG_LEVEL].",
                                      metavar="[KEYPATH]", autocompletion=complete_keypath),
        override: list[str] = OVERRIDE_OPTION,
        fmt: str = format_option("text", ("text", "json", "yaml")),
    ) -> None:
        """Show where each value of a stack comes from.

        For every value: the file:line:column of the layer that set it, and the
        values it overrode in lower layers, lowest first.

        \b
        Examples:
          konfig explain payments/checkout/prod/us-east-1
          konfig explain checkout/dev resources.cpu
          konfig explain checkout/dev 'env[name=LOG_LEVEL]' -f json
        """
        from ..commands.explain import explain

        run(ctx, lambda repo, out: explain(repo, stack, keypath, override or [], fmt, out))
