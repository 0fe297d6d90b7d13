"""Shared fixtures: real Konfig repositories in temporary git repos, and the CLI as users call it."""
from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
FIXTURES = HERE / "fixtures"


@dataclasses.dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """Run ``konfig ARGS`` in-process through typer's CliRunner.

    ``cli("validate", "--all", repo=path)`` passes ``--repo``; ``cwd=`` runs
    from another directory. Exceptions that escape the CLI fail the test: the
    tool must never print a traceback.
    """
    from typer.testing import CliRunner

    from konfigctl.cli import build_app

    def run(*args: str, repo: Any = None, cwd: Any = None, input: str | None = None,
            env: dict[str, str] | None = None) -> CliResult:
        argv = [str(a) for a in args]
        if repo is not None:
            argv = ["--repo", str(repo)] + argv
        runner = CliRunner()
        old = os.getcwd()
        if cwd is not None:
            os.chdir(cwd)
        try:
            res = runner.invoke(build_app(), argv, input=input, env={"NO_COLOR": "1", **(env or {})},
                                catch_exceptions=True)
        finally:
            os.chdir(old)
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            raise res.exception
        return CliResult(res.exit_code, res.stdout, res.stderr)

    return run


def copy_fixture(name: str, dest: Path) -> Path:
    src = FIXTURES / name
    shutil.copytree(src, dest, symlinks=True)
    return dest


def git_init(path: Path, message: str = "initial") -> Any:
    """Make ``path`` a git repository with everything committed (real git, via gitpython)."""
    import git

    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "Konfig Test")
        cw.set_value("user", "email", "test@example.com")
        cw.set_value("commit", "gpgsign", "false")
    repo.git.add(A=True)
    repo.index.commit(message)
    return repo


def commit_all(repo: Any, message: str) -> str:
    repo.git.add(A=True)
    return str(repo.index.commit(message).hexsha)


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A small Konfig (tests/fixtures/mini) in a temporary directory, not under git."""
    return copy_fixture("mini", tmp_path / "mini")


@pytest.fixture
def mini_git(mini: Path) -> tuple[Path, Any]:
    """The small Konfig as a git repository with one commit on ``main``."""
    return mini, git_init(mini)


@pytest.fixture
def kgit(mini: Path) -> tuple[Path, Any]:
    """The two-model Konfig committed on ``main``, checked out on a new branch ``change``."""
    from tests import konfig_repos

    root = konfig_repos.two_models(mini)
    g = git_init(root)
    g.git.checkout("-b", "change")
    return root, g


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """``write(root, "a/b.yaml", text)``: create a file (and its directories)."""

    def _write(root: Path, rel: str, text: str) -> Path:
        p = Path(root) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    return _write
