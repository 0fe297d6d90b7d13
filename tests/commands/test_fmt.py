from __future__ import annotations

import json

STACK = "konfig/appops/acme/web/dev/stack.yaml"
MESSY = "# the web dev stack\nconfig:\n    replicas: 1   # one\nenv: dev\n"
CANONICAL = "# the web dev stack\nenv: dev\nconfig:\n  replicas: 1   # one\n"


def test_check_lists_files_and_writes_nothing(cli, mini, write):
    write(mini, STACK, MESSY)
    res = cli("fmt", "--check", repo=mini)
    assert res.exit_code == 1
    assert res.stdout == STACK + "\n"
    assert (mini / STACK).read_text() == MESSY


def test_fmt_rewrites_then_check_passes(cli, mini, write):
    write(mini, STACK, MESSY)
    res = cli("fmt", repo=mini)
    assert res.exit_code == 0
    assert res.stdout == f"formatted {STACK}\n"
    assert (mini / STACK).read_text() == CANONICAL
    assert cli("fmt", "--check", repo=mini).exit_code == 0
    assert cli("validate", "--all", repo=mini).exit_code == 0


def test_paths_limit_the_files_and_other_yaml_is_ignored(cli, mini, write):
    write(mini, STACK, MESSY)
    write(mini, ".pre-commit-config.yaml", "repos:\n- repo: local\n")
    res = cli("fmt", "--check", "konfig/appops/acme/api", ".pre-commit-config.yaml", repo=mini, cwd=mini)
    assert res.exit_code == 0
    res = cli("fmt", "--check", STACK, repo=mini, cwd=mini)
    assert res.exit_code == 1
    res = cli("fmt", "--check", "web/dev/stack.yaml", repo=mini, cwd=mini / "konfig/appops/acme")
    assert res.exit_code == 1 and res.stdout == STACK + "\n"


def test_diff_and_json(cli, mini, write):
    write(mini, STACK, MESSY)
    res = cli("fmt", "--diff", repo=mini)
    assert res.exit_code == 1
    assert f"+++ b/{STACK}" in res.stdout and "+  replicas: 1   # one" in res.stdout
    data = json.loads(cli("fmt", "--check", "-f", "json", repo=mini).stdout)
    assert data["changed"] == [STACK] and data["ok"] is False


def test_broken_yaml_is_exit_2_with_location(cli, mini, write):
    write(mini, STACK, "env: dev\nconfig:\n  a: [1\n")
    res = cli("fmt", "--check", repo=mini)
    assert res.exit_code == 2
    assert res.stdout.startswith(f"{STACK}:")
    assert "✓" not in res.output and "1 file not readable" in res.output
    res = cli("fmt", "nope.yaml", repo=mini, cwd=mini)
    assert res.exit_code == 2


def test_this_repository_is_formatted(cli):
    from tests.conftest import REPO_ROOT

    res = cli("fmt", "--check", repo=REPO_ROOT)
    assert res.exit_code == 0, res.output + "\n(run `konfig fmt` and commit)"
