from __future__ import annotations

import typer

from .common import check_ref, format_option, run


def register(app: typer.Typer) -> None:
    @app.command("review", rich_help_panel="Review")
    def review_cmd(
        ctx: typer.Context,
        base: str = typer.Option(..., "--base", metavar="REF", callback=check_ref,
                                 help="The target branch: rules and owners are read from it."),
        head: str = typer.Option(None, "--head", metavar="REF", callback=check_ref, help="The change (default: HEAD)."),
        author: str = typer.Option(..., "--author", metavar="USER",
                                   help="Who wrote the change; their approval never counts."),
        approved_by: list[str] = typer.Option(
            None, "--approved-by", metavar="USER,...",
            help="Who approved (comma list, repeatable; names or GitHub/GitLab handles)."),
        fmt: str = format_option("text", ("text", "json", "markdown")),
    ) -> None:
        """Judge a change against the review rules: is it approved by the right people?

        Rules, owners and teams are read from --base, never from the change, so
        a change cannot loosen its own rules or make its author an owner. Every
        changed file (both paths of a rename) needs an approval from one of its
        owners; konfig.yaml and project.yaml review rules add counts and
        reviewers by path and by stack (e.g. prod stacks: 2 owner approvals).
        Unknown approvers are ignored with a warning. Prints each unmet rule with
        its files, how many more approvals from whom, and a smallest set of
        reviewers that would satisfy all of them.

        \b
        Exit: 0 satisfied, 1 not satisfied, 2 bad input (unknown ref...).

        \b
        Examples:
          konfig review --base origin/main --author gina --approved-by hiro,ines
          konfig review --base main --head feature --author @bob -f markdown
        """
        from ..commands.review import review

        run(ctx, lambda repo, out: review(repo, base, head, author, approved_by or [], fmt, out))
