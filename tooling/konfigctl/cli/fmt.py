from __future__ import annotations

import typer

from .common import JOBS_OPTION, check_ref, format_option, run


def register(app: typer.Typer) -> None:
    @app.command("fmt", rich_help_panel="Edit")
    def fmt_cmd(
        ctx: typer.Context,
        names: list[str] = typer.Argument(
            None, metavar="[PATH]...", help="Files or directories (default: the whole Konfig).", show_default=False,
        ),
        check: bool = typer.Option(False, "--check", help="Write nothing; list the files that would change (exit 1)."),
        diff: bool = typer.Option(False, "--diff", help="Write nothing; print what would change (exit 1 if anything)."),
        changed: str = typer.Option(
            None, "--changed", metavar="REF", callback=check_ref,
            help="Only the files changed since the merge-base with REF (committed or not); all of them "
                 "when a file of konfig.yaml's global changed (the tool, its settings).",
        ),
        jobs: int = JOBS_OPTION,
        fmt: str = format_option("text", ("text", "json")),
    ) -> None:
        """Rewrite the Konfig's YAML files in the canonical layout, keeping every comment.

        2-space indentation, list dashes indented under their key, metadata
        fields (project.yaml, stack.yaml, konfig.yaml, policies, teams.yaml) in
        a fixed order. Values, comments, quoting and blank lines stay. Files
        outside konfig.yaml, the base directory and the roots are left alone
        (so pre-commit can pass any YAML file), and so are golden files.
        Contents already known to be canonical are remembered in the cache_dir
        (.konfig-cache/fmt), so only new contents are formatted again.
        In CI, --check --changed BASE looks only at what the change touches.

        \b
        Exit: 0 formatted (or nothing to do), 1 --check/--diff found files to change, 2 bad YAML.

        \b
        Examples:
          konfig fmt
          konfig fmt --check
          konfig fmt konfig/appops/payments --diff
          konfig fmt --check --changed origin/main
        """
        from ..commands.fmt import fmt as fmt_files

        run(ctx, lambda repo, out: fmt_files(repo, names or [], out, check=check, diff=diff,
                                                   output_format=fmt, jobs=jobs, changed=changed))
