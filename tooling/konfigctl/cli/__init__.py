"""The ``konfig`` command line (typer). Each module registers one command group.

The CLI parses arguments, opens the repository and prints; each command's
logic is a plain function in ``commands/``. ``common.run`` is the one place a
``KonfigError`` becomes its line and exit code.

May import (tests/test_architecture.py checks it): ``konfigctl`` (its version), ``errors``,
``files``, ``repo``, ``output``, ``targets``, ``commands``, ``lsp``, ``completion``.
"""
from __future__ import annotations

import importlib
from typing import Any

import typer

from .common import Globals, KonfigGroup

HELP = """\
Govern a configuration monorepo (a Konfig).

Platform teams write models in konfig/base/; app teams fill in stacks
(konfig/appops/<org>/<project>/<stack>/stack.yaml); konfig resolves every
stack through its layers, validates it, renders it, tests it against its
golden output, and tells CI which stacks a change affects and who must review it.

\b
Start here:
  konfig list stacks -l env=prod           what exists
  konfig explain pay/checkout/prod         where each value comes from
  konfig validate --all                    schema and policy checks
  konfig set pay/checkout/prod image=...   edit a stack, comments kept

Exit codes: 0 ok, 1 checks failed, 2 bad input or usage.
Docs: docs/getting-started.md
"""

# Command groups, in the order `konfig --help` shows them.
MODULES = (
    "list",
    "resolve",
    "explain",
    "edit",
    "validate",
    "render",
    "test",
    "affected",
    "diff",
    "owners",
    "review",
    "pipeline",
    "new",
    "fmt",
    "docs",
    "imports",
    "init",
    "lsp",
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"konfig {__version__}")
        raise typer.Exit(0)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="konfig",
        cls=KonfigGroup,
        help=HELP,
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
        rich_markup_mode=None,
    )

    @app.callback()
    def _main(
        ctx: typer.Context,
        repo: str = typer.Option(
            None, "--repo", "-C", metavar="DIR", envvar="KONFIG_REPO",
            help="The Konfig repository (default: the nearest directory up with konfig.yaml).",
        ),
        color: str = typer.Option(
            "auto", "--color", metavar="WHEN",
            help="Colour output: auto (on a terminal, not in CI), always, never.",
        ),
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version and exit.",
        ),
    ) -> None:
        if color not in ("auto", "always", "never"):
            raise typer.BadParameter("choose auto, always or never", param_hint="--color")
        ctx.obj = Globals(repo=repo, color=color)

    for name in MODULES:
        module: Any = importlib.import_module(f"{__name__}.{name}")
        module.register(app)
    return app
