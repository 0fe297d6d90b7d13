"""Usage errors through the real console script, and bugs met while parsing (the corpus covers the lines)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

KONFIG = str(Path(sys.executable).parent / "konfig")


def test_a_usage_error_is_one_line_from_the_console_script(mini):
    res = subprocess.run([KONFIG, "validate", "--jobs", "0"], cwd=mini, capture_output=True, text=True,
                         timeout=60, env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr == ("konfig: error: invalid value for '--jobs' / '-j': 0 is not in the range x>=1 "
                          "(see 'konfig validate -h')\n")


def test_konfig_alone_still_prints_the_help(mini):
    res = subprocess.run([KONFIG], cwd=mini, capture_output=True, text=True, timeout=60)
    assert "Usage: konfig [OPTIONS] COMMAND [ARGS]..." in res.stdout + res.stderr
    assert "konfig: error" not in res.stderr


def test_a_bug_in_a_parameter_callback_is_an_internal_error_line_not_a_traceback(cli, mini_git, monkeypatch):
    from konfigctl.files import git

    def broken(ref):
        raise RuntimeError("boom")

    monkeypatch.setattr(git, "check_ref", broken)  # a bug planted where parsing calls konfig's code
    root, _g = mini_git
    res = cli("affected", "--base", "main", cwd=root)
    assert res.exit_code == 3
    assert "Traceback" not in res.output
    assert res.stderr.splitlines() == ["konfig: error: internal error: RuntimeError: boom (this is a bug in "
                                       "konfig; rerun with KONFIG_DEBUG=1 for the traceback and report it)"]
