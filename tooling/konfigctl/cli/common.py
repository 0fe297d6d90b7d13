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
from typer.core import TyperGroup

try:  # typer 0.2x carries its own copy of click: its exceptions are the ones raised
    from typer._click import exceptions as _click_exc
except ImportError:  # pragma: no cover - older typer runs on click itself
    from click import exceptions as _click_exc  # type: ignore[no-redef]

_NoArgsIsHelp: Any = getattr(_click_exc, "NoArgsIsHelpError", ())  # click >= 8.2: `konfig` alone prints help

if TYPE_CHECKING:
    from ..output import Output
    from ..repo.repository import Repository


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


def run(ctx: typer.Context, fn: Callable[..., int], *, needs_repo: bool = True, listings: bool = True) -> None:
    """Call ``fn(repo, out)`` (or ``fn(out)``), print errors as one line, exit with its code.

    ``listings=False`` (``--no-cache``) opens the repository without the directory listings
    kept in its cache directory."""
    from ..errors import EXIT_INTERNAL, EXIT_SIGPIPE, KonfigError

    out = output(ctx)
    try:
        if needs_repo:
            from ..repo.repository import Repository

            repo = Repository.discover(repo=globals_of(ctx).repo, listings=listings)
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
        out.error(internal_error_line(e))
        code = EXIT_INTERNAL
    raise typer.Exit(code)


class UsageLine(_click_exc.ClickException):
    """A usage error (unknown option, missing argument, bad value), shown as one line like every error."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        typer.echo(f"konfig: error: {self.message}", err=True, file=file)


def usage_line(e: Any) -> UsageLine:
    """click's four-line usage error as one ``konfig: error:`` line, naming the command's help."""
    msg = e.format_message().strip().rstrip(".")
    msg = msg[:1].lower() + msg[1:] if msg[:2] != msg[:2].upper() else msg
    ctx = e.ctx
    if ctx is None:
        return UsageLine(msg)
    param = getattr(e, "param", None)
    if isinstance(e, _click_exc.MissingParameter) and getattr(param, "param_type_name", "") == "argument" \
            or "unexpected extra argument" in msg:
        usage = " ".join([ctx.command_path, *ctx.command.collect_usage_pieces(ctx)])
        return UsageLine(f"{msg} (usage: {usage}; '{ctx.command_path} -h' for help)")
    return UsageLine(f"{msg} (see '{ctx.command_path} -h')")


class InternalErrorLine(UsageLine):
    """A bug met while parsing (in a parameter callback): one line, exit 3, as ``run`` says it."""

    exit_code = 3


def internal_error_line(e: BaseException) -> str:
    if os.environ.get("KONFIG_DEBUG"):
        import traceback

        traceback.print_exception(e)
    return (f"internal error: {type(e).__name__}: {e} "
            "(this is a bug in konfig; rerun with KONFIG_DEBUG=1 for the traceback and report it)")


# exceptions that are click's control flow (exit codes, help, abort), never bugs
_CLICK_FLOW = tuple({_click_exc.ClickException, typer.Exit, typer.Abort,
                     *(getattr(_click_exc, n) for n in ("Exit", "Abort") if hasattr(_click_exc, n))})


class KonfigGroup(TyperGroup):
    """The root command: click's usage errors become one line (DESIGN: one line per problem, exit 2)."""

    def make_context(self, info_name: Any, args: Any, parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except _NoArgsIsHelp:
            raise
        except _click_exc.UsageError as e:
            raise usage_line(e) from None
        except _CLICK_FLOW:
            raise
        except Exception as e:  # noqa: BLE001 - a bug in a callback: no traceback either
            raise InternalErrorLine(internal_error_line(e)) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _NoArgsIsHelp:
            raise
        except _click_exc.UsageError as e:
            raise usage_line(e) from None
        except _CLICK_FLOW:
            raise
        except Exception as e:  # noqa: BLE001
            raise InternalErrorLine(internal_error_line(e)) from None


def check_ref(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """A git REF option: empty or option-looking text is a usage error before any git runs."""
    if value is None or ctx.resilient_parsing:
        return value
    from ..errors import KonfigError
    from ..files import git

    try:
        return git.check_ref(value)
    except KonfigError as e:
        raise typer.BadParameter(e.message) from None


def _one_of(choices: tuple[str, ...]) -> str:
    return ", ".join(choices[:-1]) + " or " + choices[-1] if len(choices) > 1 else choices[0]


def format_option(default: str, choices: tuple[str, ...]) -> Any:
    """``--format/-f``, checked against ``choices`` while parsing (one message for every command)."""

    def check(ctx: typer.Context, value: str | None) -> str | None:
        if value is None or ctx.resilient_parsing or value in choices:
            return value
        path = ctx.parent.command_path if ctx.command.hidden and ctx.parent else ctx.command_path
        command = path.partition(" ")[2] or path  # a hidden default command is its group's
        shown = value if value.strip() else repr(value)
        raise UsageLine(f"--format {shown} is not available for {command} (use {_one_of(choices)})")

    return typer.Option(
        default, "--format", "-f", metavar="|".join(choices),
        help="Output format.",
        show_default=True,
        callback=check,
        autocompletion=lambda incomplete: [c for c in choices if c.startswith(incomplete)],
    )


def stacks_argument(help_text: str = "Stacks: repo path, path relative to here, or unique suffix; "
                                     "a project or directory names every stack below it.") -> Any:
    return typer.Argument(None, help=help_text, autocompletion=complete_stacks, show_default=False,
                          metavar="[STACK]...")


def stack_argument(help_text: str = "The stack (path, path relative to here, or unique suffix).") -> Any:
    return typer.Argument(..., help=help_text, autocompletion=complete_stack, metavar="STACK")


# -- shell completion ------------------------------------------------------------
# Each completer reads only what it needs (discovery, one stack's layers), never
# validates, and never prints: an exception means "no candidates".


def _completion_repo(ctx: typer.Context) -> "Repository":
    from ..repo.repository import Repository

    return Repository.discover(repo=(ctx.find_root().params or {}).get("repo"))


def _quiet(fn: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> list[Any]:
        try:
            return fn(*args, **kwargs)
        except BaseException:  # noqa: BLE001 - completion must never fail loudly, nor exit
            return []

    return wrapper


@_quiet
def complete_stack(ctx: typer.Context, incomplete: str) -> list[str]:
    """One stack: its repo path, a path relative to here, or its shortest unique suffix."""
    from .. import completion

    return completion.stack_names(_completion_repo(ctx), incomplete, os.getcwd(), directories=False)


@_quiet
def complete_stacks(ctx: typer.Context, incomplete: str) -> list[str]:
    """STACK...: stacks as above, and the projects and directories that hold stacks."""
    from .. import completion

    return completion.stack_names(_completion_repo(ctx), incomplete, os.getcwd(), directories=True)


@_quiet
def complete_keypath(ctx: typer.Context, incomplete: str) -> list[str]:
    """Key paths of the stack named earlier on the command line (its resolved config)."""
    from .. import completion

    return completion.key_paths(_completion_repo(ctx), ctx.params.get("stack"), incomplete, os.getcwd())


@_quiet
def complete_spec(ctx: typer.Context, incomplete: str) -> list[str]:
    """``set`` specs: ``PATH=``, ``PATH-`` and, for lists, ``PATH+=`` of the stack's key paths."""
    from .. import completion

    return completion.set_specs(_completion_repo(ctx), ctx.params.get("stack"), incomplete, os.getcwd())


def _stack_before_option(ctx: typer.Context) -> str | None:
    """The STACK argument when completing an option's value.

    A command line that ends in an option without its value stops click's
    (resilient) parsing before positional arguments are assigned: they are
    left in ``ctx.args``, and parsed again here.
    """
    if ctx.params.get("stack"):
        return str(ctx.params["stack"])
    with ctx.command.make_context(ctx.info_name, list(ctx.args), parent=ctx.parent,
                                  resilient_parsing=True) as sub:
        value = sub.params.get("stack")
    return str(value) if value else None


@_quiet
def complete_layer(ctx: typer.Context, incomplete: str) -> list[str]:
    """``set --layer``: ``project`` and the stack's layer files."""
    from .. import completion

    return completion.layers(_completion_repo(ctx), _stack_before_option(ctx), incomplete, os.getcwd())


@_quiet
def complete_selector(ctx: typer.Context, incomplete: str) -> list[str]:
    """``--selector`` terms: the keys, then the values that exist (envs, models, orgs, labels...)."""
    from .. import completion

    return completion.selector_terms(_completion_repo(ctx), incomplete)


@_quiet
def complete_model(ctx: typer.Context, incomplete: str) -> list[str]:
    return [m for m in _completion_repo(ctx).model_names() if m.startswith(incomplete)]


ALL_OPTION: Any = typer.Option(False, "--all", "-a", help="Every stack of the repository.")
AFFECTED_OPTION: Any = typer.Option(
    None, "--affected", metavar="REF", callback=check_ref,
    help="The stacks affected by changes since REF (from the merge-base with HEAD to the "
         "work tree, uncommitted files included), dependencies first.",
)
PRECISE_TARGETS_OPTION: Any = typer.Option(
    False, "--precise",
    help="With --affected: only the stacks whose resolved config or rendered output really "
         "change (as `konfig affected --precise` finds them).",
)
SHARD_OPTION: Any = typer.Option(
    None, "--shard", metavar="I/N",
    help="Only the I-th of N balanced slices of the selected stacks (CI fan-out), e.g. 2/5.",
)
SELECTOR_OPTION: Any = typer.Option(
    None, "--selector", "-l", metavar="SEL", autocompletion=complete_selector,
    help="Filter stacks: env=prod,model=webapp,label=tier=web,path=konfig/appops/pay/** (repeatable).",
)
OVERRIDE_OPTION: Any = typer.Option(
    None, "-O", "--override", metavar="PATH=VALUE",
    help="Override a value on top of every layer, e.g. -O replicas=4 (repeatable).",
)
JOBS_OPTION: Any = typer.Option(
    None, "--jobs", "-j", min=1, metavar="N", help="Parallel workers (default: the number of CPUs).",
)
