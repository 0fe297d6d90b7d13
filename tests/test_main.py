"""The entry points: the console script's ``main`` and ``python -m konfigctl`` return the exit code."""
from __future__ import annotations

import subprocess
import sys

from konfigctl import __version__
from konfigctl.main import main

from tests.conftest import REPO_ROOT


def test_main_returns_the_exit_code_instead_of_exiting(capsys, mini):
    assert main(["--repo", str(mini), "list", "stacks"]) == 0
    assert "konfig/appops/acme/web/dev" in capsys.readouterr().out
    assert main(["--repo", str(mini), "resolve", "no/such/stack"]) == 2
    assert main(["no-such-command"]) == 2
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_python_dash_m_runs_the_same_cli(mini):
    res = subprocess.run([sys.executable, "-m", "konfigctl", "--repo", str(mini), "validate", "--all"],
                         capture_output=True, text=True, cwd=REPO_ROOT)
    assert res.returncode == 0, res.stderr
    res = subprocess.run([sys.executable, "-m", "konfigctl", "--repo", str(mini), "resolve", "nope"],
                         capture_output=True, text=True)
    assert res.returncode == 2 and res.stderr.startswith("konfig: error: ")
    assert "Traceback" not in res.stderr
