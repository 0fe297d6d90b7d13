from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from .common import format_option, run

HELP = """\
Who owns what: owners of paths, the ownership check, generated CODEOWNERS.

Owners come from, most specific first: a stack's owners (stack.yaml; added to
the project's, or replacing them with inherit_owners: false), the project's
owners (project.yaml), and konfig.yaml ownership rules for everything outside
projects (the last matching rule wins, as in CODEOWNERS). Owners are teams
from konfig/base/teams.yaml or @users.

\b
Examples:
  konfig owners konfig/base/models/webapp/schema.yaml   owners of a path, and why
  konfig owners                                          the whole ownership map
  konfig owners check                                    is everything owned?
  konfig owners pay/checkout/prod --key resources.cpu    which review rules govern a key
  konfig owners codeowners --target github --check       is .github/CODEOWNERS current?
"""


class _PathsByDefault(TyperGroup):
    """``konfig owners PATH...`` runs the hidden ``show`` command; ``check``/``codeowners`` are commands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["show", *args]
        return super().parse_args(ctx, args)  # type: ignore[no-any-return]


def register(app: typer.Typer) -> None:
    owners = typer.Typer(cls=_PathsByDefault, help=HELP, rich_markup_mode=None,
                         context_settings={"help_option_names": ["-h", "--help"]})

    @owners.command("show", hidden=True)
    def show_cmd(
        ctx: typer.Context,
        paths: list[str] = typer.Argument(
            None, show_default=False,
            help="Files or directories (need not exist); a path that does not exist may be a "
                 "unique suffix of a stack or project directory (checkout/prod/stack.yaml)."),
        key: list[str] = typer.Option(
            None, "--key", "-k", metavar="KEYPATH",
            help="With one STACK: the review rules a change of KEYPATH there meets (repeatable)."),
        fmt: str = format_option("text", ("text", "json")),
    ) -> None:
        """The owners of each PATH and where they come from; without PATH, the ownership map.

        With --key, PATH is one stack and the answer is which review rules govern a
        change of that key there (rules on key paths and paths, authors, exemptions).

        \b
        Exit: 0 every path has owners, 1 some path has none, 2 bad input.

        \b
        Examples:
          konfig owners konfig/appops/payments/checkout/prod/us-east-1/stack.yaml
          konfig owners konfig/base -f json
          konfig owners pay/checkout/prod --key resources.cpu
        """
        from ..commands.owners import key_rules, show

        if key:
            run(ctx, lambda repo, out: key_rules(repo, paths or [], key, fmt, out))
            return
        run(ctx, lambda repo, out: show(repo, paths or [], fmt, out))

    @owners.command("check")
    def check_cmd(
        ctx: typer.Context,
        fmt: str = format_option("text", ("text", "json")),
    ) -> None:
        """Check ownership: every project has owners, every owner is a known team or
        user, teams have no cycles, no file is unowned, no rule's glob matches nothing,
        and the CODEOWNERS files the repository keeps can say all of it.

        Files are what git tracks or would add (untracked, not ignored); outside
        git, the work tree. One line per problem, each once.

        \b
        Exit: 0 complete, 1 problems found, 2 bad input.

        \b
        Examples:
          konfig owners check
          konfig owners check -f json
        """
        from ..commands.owners import check

        run(ctx, lambda repo, out: check(repo, fmt, out))

    @owners.command("codeowners")
    def codeowners_cmd(
        ctx: typer.Context,
        target: list[str] = typer.Option(
            None, "--target", "-t", metavar="github|gitlab",
            help="Which file (repeatable; default: both)."),
        check: bool = typer.Option(False, "--check", help="Do not write: print a diff and exit 1 "
                                   "if the committed file differs."),
        stdout: bool = typer.Option(False, "--stdout", help="Print instead of writing the file."),
        fmt: str = format_option("text", ("text", "json")),
    ) -> None:
        """Generate CODEOWNERS from the ownership map and the review rules.

        github writes .github/CODEOWNERS (last match wins, so general to specific;
        team handles from teams.yaml). gitlab writes .gitlab/CODEOWNERS with an
        [Owners] section and one [Rule][N] section per review rule with its
        approval count. Paths and an org for teams without a handle are set in
        konfig.yaml review.codeowners.<target>.{path,org}.

        Characters of names that a platform reads as syntax (a space, '*',
        '?'...) are escaped with a backslash where it allows. A path it cannot
        express (on GitHub a '#', '[' or ']' in a directory name) is left out
        of the file, never written with another meaning, and reported in one
        line naming it and why (exit 1).

        \b
        Exit: 0 written or current, 1 out of date (--check) or a path left
        out, 2 bad input.

        \b
        Examples:
          konfig owners codeowners                       write both files
          konfig owners codeowners --target github --check
          konfig owners codeowners -t gitlab --stdout
          konfig owners codeowners --check -f json       which files, current or not, problems
        """
        from ..commands.owners import codeowners

        targets = target or ["github", "gitlab"]
        run(ctx, lambda repo, out: codeowners(repo, targets, check, stdout, out, fmt))

    app.add_typer(owners, name="owners", rich_help_panel="Review")
