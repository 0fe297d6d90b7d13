from __future__ import annotations

import typer

from .affected import BASE_OPTION, HEAD_OPTION, UNCOMMITTED_OPTION
from .common import format_option, run


def register(app: typer.Typer) -> None:
    @app.command("diff", rich_help_panel="CI")
    def diff_cmd(
        ctx: typer.Context,
        base: str = BASE_OPTION,
        head: str = HEAD_OPTION,
        uncommitted: bool = UNCOMMITTED_OPTION,
        render: bool = typer.Option(True, "--render/--no-render",
                                    help="Also compare rendered resources (default) or only configs."),
        fmt: str = format_option("text", ("text", "markdown", "json")),
    ) -> None:
        """Show how a change alters each affected stack: resolved config and rendered resources.

        Both sides come from git objects (the merge-base with --base, and HEAD or
        --head; the work tree with --uncommitted): nothing is checked out. The
        markdown format is a pull request comment: a summary table, then a
        folded section per stack, kept under GitHub's 65,536-character limit
        with a note of what was cut.

        \b
        Examples:
          konfig diff --base origin/main
          konfig diff --base origin/main --uncommitted --no-render
          konfig diff --base "$BASE_SHA" -f markdown > comment.md
        """
        from ..commands.diff import diff

        run(ctx, lambda repo, out: diff(repo, base, head, fmt, out, uncommitted=uncommitted,
                                        render=render))
