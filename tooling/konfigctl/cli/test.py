from __future__ import annotations

import typer

from .common import (
    AFFECTED_OPTION, PRECISE_TARGETS_OPTION,
    ALL_OPTION,
    JOBS_OPTION,
    SELECTOR_OPTION,
    SHARD_OPTION,
    format_option,
    run,
    stacks_argument,
)


def register(app: typer.Typer) -> None:
    @app.command("test", rich_help_panel="Check")
    def test_cmd(
        ctx: typer.Context,
        stacks: list[str] = stacks_argument(),
        all_: bool = ALL_OPTION,
        affected: str = AFFECTED_OPTION,
        precise: bool = PRECISE_TARGETS_OPTION,
        selector: list[str] = SELECTOR_OPTION,
        shard: str = SHARD_OPTION,
        update: bool = typer.Option(
            False, "--update", "-u",
            help="Rewrite the golden.yaml of each stack whose rendered output changed (and says which).",
        ),
        junit: str = typer.Option(None, "--junit", metavar="FILE",
                                  help="Also write a JUnit XML report (one testcase per stack and check)."),
        no_cache: bool = typer.Option(False, "--no-cache",
                                      help="Recompute every result instead of reusing cached ones."),
        jobs: int = JOBS_OPTION,
        fmt: str = format_option("text", ("text", "json")),
    ) -> None:
        """Test stacks: validate, render, check the resources, compare with golden.yaml.

        Four checks per stack: validate (schema and policies), render (the model's
        renderer), kubernetes (every resource against the schemas of konfig.yaml's
        kubernetes_version, strict: unknown fields fail) and golden (the resources equal
        the committed golden.yaml; key order does not matter, list order does).
        A failing check prints one line naming stack, check and model, details indented
        below (a unified diff for golden). Results are cached by file content in the
        cache_dir (.konfig-cache), so unchanged stacks are not tested again.

        \b
        Exit: 0 all passed, 1 a check failed, 2 bad input (unknown stack, broken YAML).

        \b
        Examples:
          konfig test --all
          konfig test payments/checkout/prod/eu-west-1
          konfig test --all --update          regenerate the golden files that changed
          konfig test --affected origin/main --junit report.xml
          konfig test --affected origin/main --shard 2/4    one CI job's slice
        """
        from ..commands.test import test
        from ..targets import Targets

        targets = Targets(names=stacks or [], all=all_, affected=affected, selector=selector or [],
                          shard=shard, precise=precise)
        run(ctx, lambda repo, out: test(repo, targets, out, fmt=fmt, update=update, junit=junit, jobs=jobs,
                                        use_cache=not no_cache), listings=not no_cache)
