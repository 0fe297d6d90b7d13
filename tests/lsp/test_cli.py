"""``konfig lsp`` where it cannot serve: one line, exit 2, as every command says bad input."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.lsp.conftest import konfig_command

WITHOUT_PYGLS = (
    "import sys; sys.modules['pygls'] = None; from konfigctl.main import main; sys.exit(main(sys.argv[1:]))"
)


def test_outside_a_konfig_it_says_so_in_one_line(tmp_path: Path):
    res = subprocess.run([*konfig_command(), "lsp"], cwd=tmp_path, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert res.stdout == ""
    (line,) = res.stderr.splitlines()
    assert "not a Konfig repository" in line


def test_without_the_extra_it_says_how_to_install_it(mini: Path):
    res = subprocess.run([sys.executable, "-c", WITHOUT_PYGLS, "lsp"], cwd=mini, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr.splitlines() == [
        "konfig: error: the language server needs the lsp extra: pip install 'konfigctl[lsp]'"]


def test_the_other_commands_do_not_need_it(mini: Path):
    res = subprocess.run([sys.executable, "-c", WITHOUT_PYGLS, "validate", "--all"], cwd=mini,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert res.returncode in (0, 1), res.stderr
    assert "lsp" not in res.stderr
