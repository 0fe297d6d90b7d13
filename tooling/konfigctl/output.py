"""Printing for people and for scripts.

Colour and progress bars only on a terminal (never in CI logs, never with
``NO_COLOR``); JSON output is stable and colourless. Commands write through an
``Output`` so tests can capture everything.
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from .errors import Problem
from .escaping import text_line

FORMATS = ("text", "json", "yaml", "markdown", "github-matrix", "gitlab")

_STYLES = {
    "red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35",
    "cyan": "36", "bold": "1", "dim": "2",
}


def _is_ci() -> bool:
    return bool(os.environ.get("CI")) or bool(os.environ.get("GITHUB_ACTIONS")) or bool(
        os.environ.get("GITLAB_CI")
    )


def want_color(choice: str, stream: IO[str]) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", lambda: False)
    return bool(isatty()) and os.environ.get("TERM") != "dumb" and not _is_ci()


class Output:
    def __init__(self, color: str = "auto", out: IO[str] | None = None, err: IO[str] | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.color = want_color(color, self.out)
        self.err_color = want_color(color, self.err)
        self.interactive = bool(getattr(self.err, "isatty", lambda: False)()) and not _is_ci()

    def style(self, text: str, *styles: str, err: bool = False) -> str:
        if not (self.err_color if err else self.color) or not styles:
            return text
        codes = ";".join(_STYLES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"

    def echo(self, text: str = "", nl: bool = True) -> None:
        self.out.write(text + ("\n" if nl else ""))

    def info(self, text: str) -> None:
        """Notes and summaries go to stderr so stdout stays parseable."""
        self.err.write(text + "\n")

    def error(self, text: str) -> None:
        self.err.write(self.style("konfig: error: ", "red", "bold", err=True) + text + "\n")

    def warn(self, text: str) -> None:
        self.err.write(self.style("konfig: warning: ", "yellow", "bold", err=True) + text + "\n")

    def json(self, data: Any) -> None:
        self.out.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")

    def yaml(self, data: Any) -> None:
        from .yamlio import dump

        self.out.write(dump(data))

    def problem(self, p: Problem) -> None:
        text = text_line(p.format())  # one line, whatever a file name holds
        if self.color:
            loc, sep, rest = text.partition(": ")
            colour = "yellow" if p.severity == "warning" else "red"
            text = self.style(loc, "bold") + sep + self.style(rest, colour) if sep else text
        self.echo(text)

    def problems(self, problems: Iterable[Problem]) -> None:
        for p in problems:
            self.problem(p)

    @contextmanager
    def progress(self, total: int, label: str) -> Iterator[Any]:
        """A progress bar on a terminal for long runs; plain lines in CI logs; nothing otherwise.

        On a terminal the bar (or, for short runs, a transient line) also names
        the stacks whose renderer is slow: a renderer that hangs until its time
        limit should not look like konfig hanging. Never in CI logs."""
        if total < 20 and self.interactive:
            with self.slow_renders():
                yield lambda n=1: None
            return
        if total < 20 or not (self.interactive or _is_ci()):
            yield lambda n=1: None
            return
        if not self.interactive:  # CI: a line at every tenth, no control characters
            done = [0, 0]  # items done, tenths reported

            def advance(n: int = 1) -> None:
                done[0] += n
                tenth = done[0] * 10 // total
                if tenth > done[1]:
                    done[1] = tenth
                    self.err.write(f"{label}: {done[0]}/{total}\n")
                    self.err.flush()

            yield advance
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from .render import runner

        console = Console(file=self.err)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task(label, total=total)
            def show(slow: dict[str, float]) -> None:
                bar.update(task, description=f"{label} · still rendering {slow_text(slow)}" if slow else label)

            with runner.watching(show):
                yield lambda n=1: bar.advance(task, n)

    @contextmanager
    def slow_renders(self) -> Iterator[None]:
        """On a terminal, while a renderer is slow: a transient line naming its stack (no
        progress bar needed: one slow stack of ``render``, ``diff`` or ``set``). Nothing
        elsewhere."""
        if not self.interactive:
            yield
            return
        from .render import runner

        status: Any = None

        def show(slow: dict[str, float]) -> None:
            nonlocal status
            if not slow:
                if status is not None:
                    status.stop()
                    status = None
                return
            text = f"still rendering {slow_text(slow)}"
            if status is None:
                from rich.console import Console
                from rich.status import Status

                status = Status(text, console=Console(file=self.err))
                status.start()
            else:
                status.update(text)

        try:
            with runner.watching(show):
                yield
        finally:
            if status is not None:
                status.stop()


def slow_text(slow: dict[str, float]) -> str:
    """``konfig/appops/x/prod (4 s)``: the slow renders, longest first (two of them named)."""
    names = sorted(slow, key=lambda p: -slow[p])
    shown = ", ".join(f"{p} ({slow[p]:.0f} s)" for p in names[:2])
    return shown + (f", +{len(names) - 2} more" if len(names) > 2 else "")


def summary(problems: list[Problem], checked: int, what: str = "stack") -> tuple[int, int, int]:
    """(errors, warnings, stacks with errors)."""
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    failed = len({p.stack for p in problems if p.is_error})
    return errors, warnings, failed


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
