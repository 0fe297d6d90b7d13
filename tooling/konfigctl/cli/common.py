"""What every command's CLI shares: global options, error handling, completion.

The CLI only parses arguments and prints; each command's logic is a plain
function in ``konfigctl.commands`` that returns its exit code.
"""
from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from ..output import Output
    from ..repository import Repository


@dataclasses.dataclass
class Globals:
    repo: str | None = None
    color: str = "auto"


def globals_of(ctx: typer.Context) -> Globals:
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, Globals):
        obj = Globals()
        root.obj = obj
    return obj


def output(ctx: typer.Context) -> "Output":
    from ..output import Output

    return Output(color=globals_of(ctx).color)


def run(ctx: typer.Context, fn: Callable[..., int], *, needs_repo: bool = True) -> None:
    """Call ``fn(repo, out)`` (or ``fn(out)``), print errors as one line, exit with its code."""
    from ..errors import EXIT_INTERNAL, EXIT_SIGPIPE, KonfigError

    out = output(ctx)
    try:
        if needs_repo:
            from ..repository import Repository

            repo = Repository.discover(repo=globals_of(ctx).repo)
            with out.slow_renders():  # on a terminal: which stack a slow renderer is at
                code = fn(repo, out)
        else:
            code = fn(out)
    except KonfigError as e:
        out.error(str(e))
        code = e.exit_code  # 2 for bad input; a check that fails as an error (a renderer) says 1
    except KeyboardInterrupt:
        out.error("interrupted")
        code = 130
    except BrokenPipeError:  # `konfig list | head`: the reader left before the verdict
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        code = EXIT_SIGPIPE  # not 0: a check cut short must not pass under `set -o pipefail`
    except (typer.Exit, typer.Abort):
        raise
    except Exception as e:  # a bug, not bad input: say so, keep the traceback opt-in
        if os.environ.get("KONFIG_DEBUG"):
            import traceback

            traceback.print_exc()
        out.error(
            f"internal error: {type(e).__name__}: {e} "
            "(this is a bug in konfig; rerun with KONFIG_DEBUG=1 for the traceback and report it)"
        )
        code = EXIT_INTERNAL
    raise typer.Exit(code)


def complete_stack(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of stack names (repo-relative paths)."""
    try:
        from ..repository import Repository

        repo = Repository.discover(repo=(ctx.find_root().params or {}).get("repo"))
        return [s.path for s in repo.stacks() if incomplete in s.path]
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        return []


def complete_model(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        from ..repository import Repository

        repo = Repository.discover(repo=(ctx.find_root().params or {}).get("repo"))
        return [m for m in repo.model_names() if m.startswith(incomplete)]
    except Exception:  # noqa: BLE001
        return []


def format_option(default: str, choices: tuple[str, ...]) -> Any:
    return typer.Option(
        default, "--format", "-f", metavar="|".join(choices),
        help="Output format.",
        show_default=True,
    )


def stacks_argument(help_text: str = "Stacks: repo path, path relative to here, or unique suffix.") -> Any:
    return typer.Argument(None, help=help_text, autocompletion=complete_stack, show_default=False)


ALL_OPTION: Any = typer.Option(False, "--all", "-a", help="Every stack of the repository.")
AFFECTED_OPTION: Any = typer.Option(
    None, "--affected", metavar="REF",
    help="The stacks affected by changes since REF (from the merge-base with HEAD to the "
         "work tree, uncommitted files included), dependencies first.",
)
SHARD_OPTION: Any = typer.Option(
    None, "--shard", metavar="I/N",
    help="Only the I-th of N balanced slices of the selected stacks (CI fan-out), e.g. 2/5.",
)
SELECTOR_OPTION: Any = typer.Option(
    None, "--selector", "-l", metavar="SEL",
    help="Filter stacks: env=prod,model=webapp,label=tier=web,path=konfig/appops/pay/** (repeatable).",
)
OVERRIDE_OPTION: Any = typer.Option(
    None, "-O", "--override", metavar="PATH=VALUE",
    help="Override a value on top of every layer, e.g. -O replicas=4 (repeatable).",
)
JOBS_OPTION: Any = typer.Option(
    None, "--jobs", "-j", min=1, metavar="N", help="Parallel workers (default: the number of CPUs).",
)
