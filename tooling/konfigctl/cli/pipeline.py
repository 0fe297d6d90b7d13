from __future__ import annotations

import typer

from .common import format_option, run


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="pipeline", no_args_is_help=True,
        help="CI pipelines for this Konfig (GitHub Actions, GitLab CI), emitted from konfig.yaml.",
    )

    @group.command("emit")
    def emit_cmd(
        ctx: typer.Context,
        target: list[str] = typer.Option(
            None, "--target", "-t", metavar="github|gitlab",
            help="CI system(s) to emit for (repeatable; default: konfig.yaml pipelines.targets).",
        ),
        check: bool = typer.Option(
            False, "--check", help="Write nothing; exit 1 with a diff if the files are not current "
                                   "(or a generated file is no longer emitted).",
        ),
        fmt: str = format_option("text", ("text", "json")),
    ) -> None:
        """Write the CI definitions: detect affected stacks, test them in shards, diff, review.

        GitHub: pipelines/github/*.yml, copied to .github/workflows/ (where GitHub
        reads them). GitLab: pipelines/gitlab/konfig.gitlab-ci.yml and a
        .gitlab-ci.yml including it. Settings: konfig.yaml `pipelines:`
        (docs/pipelines.md); every job installs konfig with pipelines.install.
        The files are generated: commit them, and let CI run --check so they
        never drift from konfig.yaml. A generated file that is no longer
        emitted (a job or target turned off) is removed.

        \b
        Exit: 0 written / current, 1 drift (--check), 2 bad settings.

        \b
        Examples:
          konfig pipeline emit
          konfig pipeline emit --target github
          konfig pipeline emit --check
          konfig pipeline emit --check --format json
        """
        from ..commands.pipeline import emit

        run(ctx, lambda repo, out: emit(repo, target or [], out, check=check, fmt=fmt))

    app.add_typer(group, name="pipeline", rich_help_panel="CI")
