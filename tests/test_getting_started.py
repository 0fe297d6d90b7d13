"""docs/getting-started.md, run command by command in a temporary directory, so it cannot rot.

Shell blocks: ``konfig ...`` runs through the CLI (``# exit N`` after a command
is the exit code it must give, 0 otherwise), ``cd`` and ``git`` run as written,
installing is skipped (the tool under test is already installed). Python
blocks run as they are. Commands of a group that is not built yet are listed
and skipped, so the page can describe the whole path before the last piece
lands, and is checked again as each one does.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "getting-started.md"


def blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in re.finditer(r"```(sh|python)\n(.*?)```", text, re.S)]


def registered_commands() -> set[str]:
    import typer

    from konfigctl.cli import build_app

    return set(typer.main.get_command(build_app()).commands)  # type: ignore[attr-defined]


def test_getting_started_runs(cli, tmp_path: Path, monkeypatch):
    env = {"GIT_AUTHOR_NAME": "Newcomer", "GIT_AUTHOR_EMAIL": "new@example.com",
           "GIT_COMMITTER_NAME": "Newcomer", "GIT_COMMITTER_EMAIL": "new@example.com"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    known = registered_commands()
    cwd = tmp_path
    ran, skipped = [], []
    for lang, body in blocks(DOC.read_text()):
        if lang == "python":
            old = os.getcwd()
            os.chdir(cwd)
            try:
                exec(compile(body, str(DOC), "exec"), {})  # noqa: S102 - our own documentation
            finally:
                os.chdir(old)
            ran.append("python block")
            continue
        for line in body.splitlines():
            command, _, comment = line.partition("  #")
            command = command.strip()
            if not command or command.startswith("#"):
                continue
            m = re.match(r"\s*exit (\d+)", comment)
            expected = int(m.group(1)) if m else 0
            args = shlex.split(command)
            if args[0] == "cd":
                cwd = cwd / args[1]
            elif args[0] == "git":
                proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
                assert proc.returncode == expected, (command, proc.stderr)
            elif args[0] in ("python3", "pip"):
                continue  # installing: the tool under test is installed already
            elif args[0] == "konfig":
                if len(args) > 1 and not args[1].startswith("-") and args[1] not in known:
                    skipped.append(command)
                    continue
                res = cli(*args[1:], cwd=cwd)
                assert res.exit_code == expected, (command, res.output)
            else:
                raise AssertionError(f"getting-started.md runs {args[0]!r}: teach this test about it")
            ran.append(command)
    assert "konfig init my-konfig" in ran
    assert any(c.startswith("konfig set shop/cart/prod image=") for c in ran)
    # the prod change by a member of the owning team is approved by two others of it
    assert "konfig review --base main --author @example-dev --approved-by @example-lead,@example-sre" in ran
    assert not skipped, f"getting-started.md uses commands konfig does not have: {skipped}"
