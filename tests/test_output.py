"""Output: results on stdout, notes and errors on stderr, colour only where asked for."""
from __future__ import annotations

import io
import json

from konfigctl.errors import Problem
from konfigctl.output import Output, plural, slow_text, summary, want_color


class Tty(io.StringIO):
    def isatty(self):
        return True


def _out(color="never", out=None, err=None):
    out, err = out or io.StringIO(), err or io.StringIO()
    return Output(color, out, err), out, err


def test_streams_keep_stdout_parseable():
    o, out, err = _out()
    o.json({"b": 1, "a": [1]})
    o.info("2 stacks checked")
    o.error("boom")
    o.warn("careful")
    assert json.loads(out.getvalue()) == {"b": 1, "a": [1]}
    assert list(json.loads(out.getvalue())) == ["b", "a"]  # keys in the order given
    assert err.getvalue() == "2 stacks checked\nkonfig: error: boom\nkonfig: warning: careful\n"


def test_problems_are_one_line_each_even_with_a_newline_in_a_name():
    o, out, _ = _out()
    o.problems([Problem("bad", file="a\nb.yaml", line=1), Problem("worse", file="c.yaml")])
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[1] == "c.yaml: worse"


def test_colour_follows_the_choice_the_terminal_and_the_environment(monkeypatch):
    for var in ("NO_COLOR", "FORCE_COLOR", "CI", "GITHUB_ACTIONS", "GITLAB_CI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert want_color("auto", Tty()) and not want_color("auto", io.StringIO())
    assert want_color("always", io.StringIO()) and not want_color("never", Tty())
    monkeypatch.setenv("CI", "true")
    assert not want_color("auto", Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not want_color("auto", Tty()) and want_color("always", Tty())
    o, out, _ = _out("always")
    o.problem(Problem("bad", file="a.yaml", line=1))
    assert out.getvalue() == "\033[1ma.yaml:1\033[0m: \033[31mbad\033[0m\n"


def test_summaries_count_errors_warnings_and_failed_stacks():
    ps = [Problem("e", stack="s1"), Problem("e", stack="s1"), Problem("w", stack="s2", severity="warning")]
    assert summary(ps, 3) == (2, 1, 1)
    assert plural(1, "stack") == "1 stack" and plural(0, "stack") == "0 stacks"
    assert slow_text({"a": 1.0, "b": 9.0, "c": 4.0}) == "b (9 s), c (4 s), +1 more"
