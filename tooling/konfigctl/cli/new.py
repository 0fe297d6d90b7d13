from __future__ import annotations

import typer

from .common import complete_model, format_option, run

new_app = typer.Typer(
    name="new",
    help="Add a project or a stack from the model's template (konfig/base/templates/<model>/).",
    no_args_is_help=True,
)

VAR_OPTION = typer.Option(None, "--var", metavar="NAME=VALUE",
                          help="A template variable (see the template's template.yaml), e.g. --var image=reg/app:1.0.")
DRY_RUN_OPTION = typer.Option(False, "--dry-run", "-n", help="List the files; write nothing.")


def register(app: typer.Typer) -> None:
    app.add_typer(new_app, rich_help_panel="Edit")


@new_app.command("project")
def project_cmd(
    ctx: typer.Context,
    path: str = typer.Argument(..., help="The new project's directory, under a root (konfig/appops/<org>/<name>)."),
    model: str = typer.Option(..., "--model", "-m", help="The model (konfig/base/models/<model>/).",
                              autocompletion=complete_model),
    owner: list[str] = typer.Option(..., "--owner", help="Owning team of teams.yaml or @user (repeatable)."),
    stacks: list[str] = typer.Option(None, "--stacks", "-s", metavar="NAME[:ENV],...",
                                     help="Stacks to create (default: the template's, else konfig.yaml envs)."),
    description: str = typer.Option(None, "--description", "-d", help="One line about the project."),
    var: list[str] = VAR_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    fmt: str = format_option("text", ("text", "json")),
) -> None:
    """Create a project with its stacks from the model's template.

    The files are rendered from konfig/base/templates/<model>/, validated as
    if written, and only then written (all at once). The owner must be a team
    of teams.yaml (or a known @user), the path a new directory under a root.
    A stack's env is its name (dev, prod...) or NAME:ENV.

    \b
    Exit: 0 created, 1 the template gives invalid stacks (nothing written), 2 bad input.

    \b
    Examples:
      konfig new project konfig/appops/payments/refunds --model webapp --owner payments
      konfig new project konfig/appops/payments/refunds -m webapp --owner payments --stacks dev,prod
      konfig new project konfig/infra/storage/exports -m bucket --owner storage --stacks prod:prod -n
    """
    from ..commands.new import new_project

    run(ctx, lambda repo, out: new_project(repo, path, model, owner, out, stacks=stacks, variables=var,
                                           description=description, dry_run=dry_run, fmt=fmt))


@new_app.command("stack")
def stack_cmd(
    ctx: typer.Context,
    path: str = typer.Argument(..., help="The new stack's directory, inside a project (e.g. .../prod/eu-west-1)."),
    env: str = typer.Option(None, "--env", "-e", help="Its env (default: the segment of its path that is an env)."),
    model: str = typer.Option(None, "--model", "-m", autocompletion=complete_model,
                              help="Another model than the project's (e.g. slo), from that model's template."),
    var: list[str] = VAR_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    fmt: str = format_option("text", ("text", "json")),
) -> None:
    """Add a stack to an existing project, from its model's template.

    With --model, the stack uses another model than its project's (an SLO
    stack beside a service's webapp stacks): its layers are that model's
    defaults and env profiles and its own stack.yaml.

    \b
    Exit: 0 created, 1 the template gives an invalid stack (nothing written), 2 bad input.

    \b
    Examples:
      konfig new stack konfig/appops/payments/checkout/staging
      konfig new stack konfig/appops/payments/checkout/prod/ap-south-1 --env prod
      konfig new stack konfig/appops/payments/refunds/slo --model slo --env prod
    """
    from ..commands.new import new_stack

    run(ctx, lambda repo, out: new_stack(repo, path, out, env=env, variables=var, dry_run=dry_run, fmt=fmt,
                                         model=model))
