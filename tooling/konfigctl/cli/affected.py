from __future__ import annotations

import typer

from .common import JOBS_OPTION, check_ref, format_option, run

BASE_OPTION = typer.Option(..., "--base", "-b", metavar="REF", callback=check_ref,
                           help="The branch or commit the change goes into (e.g. origin/main).")
HEAD_OPTION = typer.Option(None, "--head", metavar="REF", callback=check_ref, help="The change's tip (default: HEAD).")
UNCOMMITTED_OPTION = typer.Option(
    False, "--uncommitted", "-u",
    help="Also count staged, unstaged and untracked files (compare the work tree).",
)


def register(app: typer.Typer) -> None:
    @app.command("affected", rich_help_panel="CI")
    def affected_cmd(
        ctx: typer.Context,
        base: str = BASE_OPTION,
        head: str = HEAD_OPTION,
        uncommitted: bool = UNCOMMITTED_OPTION,
        why: bool = typer.Option(False, "--why", "-w", help="Give each stack's reasons."),
        precise: bool = typer.Option(
            False, "--precise", "-p",
            help="Resolve and render each stack at both revisions: changed, unchanged, added, deleted "
                 "or error, with the changed keys and resources; the matrix formats shard only what "
                 "is not unchanged."),
        jobs: int = JOBS_OPTION,
        shard_size: int = typer.Option(None, "--shard-size", min=1, metavar="N",
                                       help="github-matrix/gitlab: at most N stacks a shard "
                                            "(default: konfig.yaml pipelines.shard_size)."),
        max_shards: int = typer.Option(None, "--max-shards", min=1, metavar="N",
                                       help="github-matrix/gitlab: at most N shards "
                                            "(default: pipelines.max_shards; GitHub 256, GitLab 200)."),
        fmt: str = format_option("text", ("text", "json", "github-matrix", "gitlab")),
    ) -> None:
        """List the stacks a git change affects, and why.

        The change is what HEAD (or --head) adds to its merge-base with --base,
        as in a pull request; renames count at both paths. A file affects the
        stack holding it, a project's stacks, the stacks below a defaults.yaml,
        the users of a model, schema, env profile or policy, and every stack
        for konfig.yaml and the `global` globs. Stacks gone at head are listed
        as deleted.

        \b
        Formats: text (one stack a line), json, github-matrix (shards for a
        GitHub Actions matrix), gitlab (a child pipeline that tests the shards).

        \b
        --precise compares each stack at the merge-base and at head (resolved
        config and rendered resources): a comment, a reordered mapping or a
        default every stack overrides leaves it unchanged; one that does not
        resolve or render on a side is an error, treated as changed. JSON then
        lists the changed keys (env[name=LOG_LEVEL].value) and resources
        (Kind/namespace/name) of each stack.

        \b
        Examples:
          konfig affected --base origin/main --why
          konfig affected --base origin/main --uncommitted
          konfig affected --base "$BASE_SHA" -f github-matrix
          konfig affected --base origin/main --precise -f json
          konfig validate --affected origin/main
        """
        from ..commands.affected import affected

        run(ctx, lambda repo, out: affected(repo, base, head, fmt, out, uncommitted=uncommitted,
                                            why=why, shard_size=shard_size, max_shards=max_shards,
                                            precise=precise, jobs=jobs))
