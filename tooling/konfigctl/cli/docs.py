from __future__ import annotations

import typer

from .common import format_option, run


def register(app: typer.Typer) -> None:
    @app.command("docs", rich_help_panel="Edit")
    def docs_cmd(
        ctx: typer.Context,
        out_dir: str = typer.Option(
            None, "--out", "-o", metavar="DIR",
            help="Where the model pages go (default: docs/models); the schemas go beside a 'models' "
                 "directory (docs/schemas), else into DIR/schemas.",
        ),
        check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if the files are out of date."),
        fmt: str = format_option("text", ("text", "json")),
    ) -> None:
        """Generate the reference of every model, and the JSON Schemas of the Konfig's files.

        One Markdown page per model from its schema: fields, types, defaults,
        units, bounds, enums, rules, lists merged by key, env profiles and an
        example stack. Plus an index, and the schemas of konfig.yaml,
        project.yaml, stack.yaml, policies and teams.yaml for editors. The
        output is deterministic: commit it and check it in CI with --check.

        \b
        Exit: 0 written or up to date, 1 --check found drift, 2 bad input.

        \b
        Examples:
          konfig docs
          konfig docs --check
          konfig docs --out /tmp/konfig-reference
        """
        from ..commands.docs import docs

        run(ctx, lambda repo, out: docs(repo, out_dir, out, check=check, fmt=fmt))
