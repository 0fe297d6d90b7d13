from __future__ import annotations

import typer

from .common import (AFFECTED_OPTION, ALL_OPTION, JOBS_OPTION, OVERRIDE_OPTION, PRECISE_TARGETS_OPTION,
                     SELECTOR_OPTION, SHARD_OPTION, format_option, run, stacks_argument)


def register(app: typer.Typer) -> None:
    @app.command("validate", rich_help_panel="Check")
    def validate_cmd(
        ctx: typer.Context,
        stacks: list[str] = stacks_argument(),
        all_: bool = ALL_OPTION,
        affected: str = AFFECTED_OPTION,
        precise: bool = PRECISE_TARGETS_OPTION,
        selector: list[str] = SELECTOR_OPTION,
        override: list[str] = OVERRIDE_OPTION,
        shard: str = SHARD_OPTION,
        no_cache: bool = typer.Option(False, "--no-cache",
                                      help="Recompute every result instead of reusing cached ones."),
        jobs: int = JOBS_OPTION,
        fmt: str = format_option("text", ("text", "json")),
    ) -> None:
        """Check stacks against their model schema and the policies that select them.

        Each problem is one line, at the layer file and line that set the value:
        FILE:LINE:COL: KEY.PATH: MESSAGE (model M | policy P). Warnings do not fail.
        Without stacks or --all: the stacks below the current directory.
        Results are cached by file content in the cache_dir (.konfig-cache), so a
        run with nothing changed only reads and hashes the files.

        \b
        Exit: 0 valid, 1 problems found, 2 bad input (broken YAML, unknown stack...).

        \b
        Examples:
          konfig validate --all
          konfig validate payments/checkout/prod/eu-west-1
          konfig validate --affected origin/main -f json
          konfig validate payments/checkout/prod/eu-west-1 -O replicas=1   what if?
          konfig validate --affected origin/main --shard 2/4
        """
        from ..commands.validate import validate
        from ..targets import Targets

        targets = Targets(names=stacks or [], all=all_, affected=affected, selector=selector or [],
                          shard=shard, precise=precise)
        run(ctx, lambda repo, out: validate(repo, targets, fmt, out, jobs=jobs, overrides=override or [],
                                            use_cache=not no_cache), listings=not no_cache)
