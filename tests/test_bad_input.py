"""The bad-input corpus: every kind of bad input gives one clear line, the right exit code, no traceback.

Each case is a file in ``tests/bad_input/`` (the format is in its README.md):
a fixture Konfig, the files to write over it, the command lines, the exit
code and the exact line(s) expected. This module runs every case and
asserts, for each command of a case:

* the exit code;
* exactly the expected ``konfig: error:`` line (one, or none when the case
  expects none) and exactly the expected stdout lines (empty unless the case
  lists them);
* no traceback and no "internal error" anywhere in the output;
* no file of the work tree changed, unless the case names the files that do.

Adding a case needs no code. Only the named fixtures below are code, because
building them (git histories, shallow clones) is not data.
"""
from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import copy_fixture, git_init

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "bad_input"
CASES = sorted(CORPUS.glob("*.yaml"))

KEYS = {
    "description", "fixture", "files", "edits", "generate", "symlinks", "git", "cwd", "env",
    "command", "commands", "exit", "error", "error_match", "stdout", "stdout_match", "stderr_match",
    "changed",
}
ERROR_PREFIX = "konfig: error: "


# -- named fixtures ------------------------------------------------------------------


def _mini(root: Path) -> None:
    copy_fixture("mini", root)


def _mini_git(root: Path) -> None:
    _mini(root)
    git_init(root)


def _kgit(root: Path) -> None:
    """The two-model Konfig committed on ``main``, checked out on a new branch ``change``."""
    from tests import konfig_repos

    _mini(root)
    konfig_repos.two_models(root)
    git_init(root).git.checkout("-b", "change")


def _shallow(root: Path) -> None:
    """A depth-1 clone of branch ``change`` with ``origin/main`` fetched at depth 1: no merge base.

    ``main`` and ``change`` each have a commit of their own after the commit
    they share, as in CI that checks out a pull request without its history.
    """
    from tests import konfig_repos

    origin = root.parent / "origin"
    _mini(origin)
    g = git_init(origin)
    g.git.checkout("-b", "change")
    konfig_repos.edit(origin, "konfig/appops/acme/web/prod/stack.yaml")
    g.git.commit("-qam", "change")
    g.git.checkout("main")
    konfig_repos.edit(origin, "konfig.yaml")
    g.git.commit("-qam", "main moves on")
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "change", f"file://{origin}", str(root)],
                   check=True)
    subprocess.run(["git", "-C", str(root), "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main"],
                   check=True)


def _none(root: Path) -> None:
    """An empty directory: not a Konfig."""
    root.mkdir(parents=True)


FIXTURES = {"mini": _mini, "mini-git": _mini_git, "kgit": _kgit, "shallow": _shallow, "none": _none}


# -- reading and preparing a case ----------------------------------------------------


def _load(path: Path) -> dict[str, Any]:
    from ruamel.yaml import YAML

    case = YAML(typ="safe", pure=True).load(path.read_text())
    assert isinstance(case, dict), f"{path.name}: a case is a mapping"
    unknown = set(case) - KEYS
    assert not unknown, f"{path.name}: unknown keys {sorted(unknown)} (see tests/bad_input/README.md)"
    for key in ("description", "exit"):
        assert key in case, f"{path.name}: '{key}' is required"
    assert ("command" in case) != ("commands" in case), f"{path.name}: give 'command' or 'commands'"
    assert not ("error" in case and "error_match" in case), f"{path.name}: 'error' or 'error_match', not both"
    assert not ("stdout" in case and "stdout_match" in case), f"{path.name}: 'stdout' or 'stdout_match'"
    return case


def _subst(value: Any, where: dict[str, str]) -> Any:
    if isinstance(value, str):
        for token, text in where.items():
            value = value.replace(token, text)
        return value
    if isinstance(value, list):
        return [_subst(v, where) for v in value]
    return value


def _argv(command: Any, where: dict[str, str]) -> list[str]:
    args = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    return _subst(args, where)


def _target(root: Path, rel: str) -> Path:
    """A path of a case: relative to the repository, or beside it with a leading ``../``."""
    return Path(os.path.normpath(root / rel))


def _prepare(case: dict[str, Any], root: Path, name: str) -> None:
    FIXTURES[case.get("fixture", "mini")](root)
    for rel, text in (case.get("files") or {}).items():
        p = _target(root, rel)
        if text is None:
            assert p.exists() or p.is_symlink(), f"{name}: files: {rel} does not exist to delete"
            if p.is_dir() and not p.is_symlink():
                import shutil

                shutil.rmtree(p)
            else:
                p.unlink()
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.is_symlink():
            p.unlink()
        p.write_text(text)
    for rel, edits in (case.get("edits") or {}).items():
        p = _target(root, rel)
        text = p.read_text()
        for old, new in edits:
            assert old in text, f"{name}: edits: {old!r} is not in {rel} (did the fixture change?)"
            text = text.replace(old, new)
        p.write_text(text)
    for rel, gen in (case.get("generate") or {}).items():
        p = _target(root, rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(gen.get("head", "") + gen["repeat"] * int(gen["times"]) + gen.get("tail", ""))
    for rel, dest in (case.get("symlinks") or {}).items():
        p = _target(root, rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.exists() or p.is_symlink():
            p.unlink()
        os.symlink(_target(root, dest), p)
    for args in case.get("git") or []:
        subprocess.run(["git", "-C", str(root), *[str(a) for a in args]], check=True,
                       capture_output=True)


def _snapshot(root: Path) -> dict[str, str]:
    """Every file of the work tree (not .git, not the cache) -> a digest of its bytes or link."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".git", ".konfig-cache")]
        for f in filenames:
            p = Path(dirpath) / f
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


# -- the test ---------------------------------------------------------------------


@pytest.mark.parametrize("case_file", CASES, ids=[p.stem for p in CASES])
def test_case(case_file: Path, tmp_path: Path, cli: Any) -> None:
    case = _load(case_file)
    name = case_file.name
    root = tmp_path / "repo"
    _prepare(case, root, name)
    where = {"{repo}": str(root), "{tmp}": str(tmp_path)}
    cwd = _target(root, _subst(case.get("cwd", "."), where))
    env = {k: _subst(str(v), where) for k, v in (case.get("env") or {}).items()}
    commands = case.get("commands") or [case["command"]]
    before = _snapshot(root)
    for command in commands:
        argv = _argv(command, where)
        shown = f"{name}: konfig {shlex.join(argv)}"
        res = cli(*argv, cwd=cwd, env=env)
        assert "Traceback" not in res.output, f"{shown}\n{res.output}"
        assert "internal error" not in res.output, f"{shown}\n{res.output}"
        errors = [ln[len(ERROR_PREFIX):] for ln in res.stderr.splitlines() if ln.startswith(ERROR_PREFIX)]
        if "error" in case:
            assert errors == [_subst(case["error"], where)], f"{shown}\n{res.output}"
        elif "error_match" in case:
            pattern = _subst(case["error_match"], where)
            assert len(errors) == 1 and re.search(pattern, errors[0]), f"{shown}: /{pattern}/\n{res.output}"
        else:
            assert errors == [], f"{shown}\n{res.output}"
        lines = res.stdout.splitlines()
        if "stdout_match" in case:
            patterns = _subst(case["stdout_match"], where)
            assert len(lines) == len(patterns) and all(re.search(p, ln) for p, ln in zip(patterns, lines)), \
                f"{shown}\n{res.output}"
        else:
            assert lines == _subst(case.get("stdout") or [], where), f"{shown}\n{res.output}"
        for pattern in _subst(case.get("stderr_match") or [], where):
            assert re.search(pattern, res.stderr, re.M), f"{shown}: stderr /{pattern}/\n{res.output}"
        assert res.exit_code == case["exit"], f"{shown}: exit {res.exit_code}\n{res.output}"
    after = _snapshot(root)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert changed == sorted(case.get("changed") or []), f"{name}: files changed: {changed}"


def test_every_case_says_what_it_is() -> None:
    """A case without a description, or with a typo in a key, would test something nobody knows."""
    assert CASES, "the corpus is empty"
    for path in CASES:
        case = _load(path)
        assert str(case["description"]).strip(), f"{path.name}: empty description"
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*\.yaml", path.name), f"{path.name}: name cases in kebab-case"
