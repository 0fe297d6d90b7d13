from __future__ import annotations

import sys

import typer

from .common import globals_of, run


def register(app: typer.Typer) -> None:
    @app.command("lsp", rich_help_panel="Edit")
    def lsp_cmd(
        ctx: typer.Context,
        debounce: float = typer.Option(
            None, "--debounce", metavar="SECONDS", min=0.0,
            help="Quiet time after an edit before its diagnostics are computed (default 0.1).",
        ),
    ) -> None:
        """Language server (LSP over stdio) for this Konfig's YAML files.

        Editors start it in the Konfig (or with --repo). On the unsaved buffers:
        diagnostics (what `konfig validate` says about the stacks an edited file is
        part of), hover (the resolved value, the layer that set it and what it
        overrode), go to definition, completion from the model schema. It never
        writes a file. Needs the lsp extra: pip install 'konfigctl[lsp]'.
        See docs/editors.md.
        """

        def serve_here(out: object) -> int:
            from ..errors import KonfigError
            from ..lsp import INSTALL, available, serve
            from ..repo.repository import Repository

            if not available():  # before looking for the repository: the fix is the install
                raise KonfigError(INSTALL)
            where = globals_of(ctx).repo
            try:  # read-only: no listings cache written, no killed run's writes finished
                repo = Repository.discover(repo=where, listings=False, recover=False)
            except KonfigError as e:
                if where or sys.stdin.isatty():
                    raise  # a wrong --repo, or a person at a terminal: say it now
                # an editor that started it elsewhere: its workspace folder may be the Konfig
                return serve(None, debounce, missing=e)
            return serve(repo, debounce)

        run(ctx, serve_here, needs_repo=False)
