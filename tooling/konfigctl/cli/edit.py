from __future__ import annotations

import typer

from .common import (OVERRIDE_OPTION, complete_keypath, complete_layer, complete_spec, format_option, run,
                     stack_argument)


def register(app: typer.Typer) -> None:
    @app.command("get", rich_help_panel="Inspect")
    def get_cmd(
        ctx: typer.Context,
        stack: str = stack_argument(),
        keypath: str = typer.Argument(..., help="Key path, e.g. image, resources.cpu, env[name=LOG_LEVEL].value.",
                                      metavar="KEYPATH", autocompletion=complete_keypath),
        explain: bool = typer.Option(False, "--explain", "-e", help="Also show the file:line that set it."),
        override: list[str] = OVERRIDE_OPTION,
        fmt: str = format_option("text", ("text", "json", "yaml")),
    ) -> None:
        """Print one value of a stack's resolved configuration.

        Strings print bare and collections as YAML, so scripts can use the
        output as it is. --explain adds where the value comes from.

        \b
        Examples:
          konfig get payments/checkout/prod/us-east-1 image
          konfig get checkout/dev resources --format json
          konfig get checkout/dev 'env[name=LOG_LEVEL].value' --explain
        """
        from ..commands.get import get

        run(ctx, lambda repo, out: get(repo, stack, keypath, override or [], fmt, out, explain=explain))

    @app.command("set", rich_help_panel="Edit")
    def set_cmd(
        ctx: typer.Context,
        stack: str = stack_argument(),
        specs: list[str] = typer.Argument(
            ..., metavar="SPEC...", help="PATH=VALUE (set), PATH- (delete), PATH+=VALUE (append to a list).",
            autocompletion=complete_spec,
        ),
        layer: str = typer.Option(
            None, "--layer", metavar="project|FILE", autocompletion=complete_layer,
            help="Edit another layer: 'project' (the project's defaults.yaml, created if missing) "
                 "or one of the stack's layer files. Default: the stack's stack.yaml.",
        ),
        force: bool = typer.Option(False, "--force", help="Write even if the change makes a stack invalid."),
        dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Print the diff; write nothing."),
        golden: bool = typer.Option(True, "--golden/--no-golden",
                                    help="Render the golden.yaml of the changed stacks anew (those that have one)."),
        fmt: str = format_option("text", ("text", "json")),
    ) -> None:
        """Change a stack's configuration, keeping every comment and the layout.

        Values are YAML (a scalar or a flow collection: 3, "1", [a, b], {k: v}).
        Key paths are those of `konfig resolve`; list items by index or by their
        merge key (env[name=LOG_LEVEL]), created if missing. Every stack the
        file feeds is validated first: a change that makes one invalid is
        refused (exit 1) and nothing is written, unless --force. The golden.yaml
        of each changed stack is rendered anew, so `konfig test` passes and the
        pull request shows the change in output too. Writes are atomic;
        concurrent sets on one file never lose an update.

        \b
        Exit: 0 written (or nothing to change), 1 refused, 2 bad spec or key path.

        \b
        Examples:
          konfig set payments/checkout/prod/us-east-1 image=registry.acme.io/checkout:2.15.0
          konfig set checkout/dev replicas=1 'env[name=LOG_LEVEL].value=debug' --dry-run
          konfig set checkout/dev args+=--verbose probes.startup-
          konfig set checkout/prod/us-east-1 --layer project resources.memory=1Gi
        """
        from ..commands.set import set_

        run(ctx, lambda repo, out: set_(repo, stack, specs, out, layer=layer, force=force,
                                        dry_run=dry_run, fmt=fmt, update_golden=golden))
