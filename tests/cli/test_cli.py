from __future__ import annotations

import subprocess
import sys

from konfigctl import __version__
from tests.conftest import REPO_ROOT


def test_help_teaches(cli):
    res = cli("--help")
    assert res.exit_code == 0
    for word in ("list", "resolve", "explain", "validate", "Exit codes"):
        assert word in res.stdout
    res = cli("validate", "--help")
    assert "Examples:" in res.stdout and "--affected" in res.stdout


def test_version(cli):
    assert cli("--version").stdout.strip() == f"konfig {__version__}"


def test_usage_error_exit_2(cli, mini):
    res = cli("validate", "--no-such-flag", repo=mini)
    assert res.exit_code == 2
    res = cli("--color", "purple", "list", repo=mini)
    assert res.exit_code == 2


def test_module_entry_point_and_lazy_imports(mini):
    """`python -m konfigctl` works, and `list` does not import the heavy modules."""
    code = (
        "import sys, runpy; sys.argv = ['konfig', '--repo', sys.argv[1], 'list'];\n"
        "try:\n    runpy.run_module('konfigctl', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "heavy = [m for m in ('git', 'rich', 'kubernetes_validate', 'typer.rich_utils') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(mini)], capture_output=True, text=True, check=True)
    assert "konfig/appops/acme/web/dev" in out.stdout
    assert "HEAVY []" in out.stdout


def test_internal_errors_are_one_line_not_tracebacks(cli, mini, monkeypatch):
    from konfigctl.commands import list as listing

    def boom(*a, **k):
        raise RuntimeError("kaput")

    monkeypatch.setattr(listing, "list_", boom)
    res = cli("list", repo=mini)
    assert res.exit_code == 3
    assert "internal error: RuntimeError: kaput" in res.stderr
    assert "Traceback" not in res.output


def test_stdout_closed_early_is_not_a_pass():
    """`konfig ... | head -1` under pipefail: a verdict cut short exits 141, silently."""
    proc = subprocess.Popen([sys.executable, "-m", "konfigctl", "--repo", str(REPO_ROOT), "render", "--all"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.read(100)
    proc.stdout.close()  # the reader goes away; the rest (well over a pipe buffer) cannot be written
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141
    assert b"Traceback" not in err and b"internal error" not in err
