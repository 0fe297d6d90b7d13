from __future__ import annotations

import typer

from .common import SELECTOR_OPTION, format_option, run


def register(app: typer.Typer) -> None:
    @app.command("list", rich_help_panel="Inspect")
    def list_cmd(
        ctx: typer.Context,
        what: str = typer.Argument("stacks", help="stacks, projects, models or policies.",
                                   autocompletion=lambda incomplete: [
                                       w for w in ("stacks", "projects", "models", "policies")
                                       if w.startswith(incomplete)]),
        selector: list[str] = SELECTOR_OPTION,
        long: bool = typer.Option(False, "--long", "-L", help="A table with env, model and labels."),
        fmt: str = format_option("text", ("text", "json", "yaml")),
    ) -> None:
        """List stacks, projects, models or policies.

        \b
        Examples:
          konfig list                              every stack, one path a line
          konfig list stacks -l env=prod -L        prod stacks as a table
          konfig list projects -l model=webapp -f json
        """
        from ..commands.list import list_

        run(ctx, lambda repo, out: list_(repo, what, selector or [], fmt, long, out))
