from __future__ import annotations

import typer

from .common import format_option, run


def register(app: typer.Typer) -> None:
    @app.command("init", rich_help_panel="Edit")
    def init_cmd(
        ctx: typer.Context,
        directory: str = typer.Argument(..., metavar="DIR",
                                        help="A new (or empty) directory; with --adopt, an existing repository."),
        adopt: bool = typer.Option(False, "--adopt",
                                   help="Govern an existing repository (a Kusion-era Konfig): write only "
                                        "konfig.yaml and the CI files it lacks."),
        name: str = typer.Option(None, "--name", help="The Konfig's name in konfig.yaml (default: DIR's name)."),
        git: bool = typer.Option(True, "--git/--no-git", help="Run `git init` there (unless already in a git repo)."),
        ci: str = typer.Option("github", "--ci", metavar="github|gitlab",
                               help="The CI platform: its CODEOWNERS file and pipelines are generated."),
        fmt: str = format_option("text", ("text", "json")),
    ) -> None:
        """Create a new Konfig repository that passes its own checks.

        konfig.yaml, one model (webapp: schema, defaults, renderer, prod
        profile), a policy, a project template, teams.yaml, an example project
        with dev and prod stacks, the generated model docs and CODEOWNERS, a
        README and a pre-commit config. Nothing is written unless all of it
        validates.

        With --adopt, DIR is an existing repository: konfig.yaml (its roots,
        base and kcl.version detected) and the CI files that do not exist yet
        are written; no other file is touched.

        \b
        Examples:
          konfig init my-konfig
          konfig init --adopt ~/src/konfig
          konfig init ~/src/platform-config --name platform-config --ci gitlab --no-git
        """
        from ..commands.init import init

        run(ctx, lambda out: init(directory, out, name=name, git=git, ci=ci, fmt=fmt, adopt=adopt),
            needs_repo=False)
