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


# -- --changed REF: what CI checks on a pull request ---------------------------------------

OTHER = "konfig/appops/acme/api/dev/stack.yaml"


def test_changed_checks_only_what_the_change_touches(cli, mini, write):
    from tests.conftest import commit_all, git_init

    write(mini, OTHER, MESSY)  # not canonical already on main: not this change's doing
    g = git_init(mini)
    g.git.checkout("-b", "change")
    res = cli("fmt", "--check", "--changed", "main", repo=mini)
    assert res.exit_code == 0 and "0 files already formatted (the files changed since main)" in res.stderr
    write(mini, STACK, MESSY)  # uncommitted: a developer before pushing
    res = cli("fmt", "--check", "--changed", "main", repo=mini)
    assert res.exit_code == 1 and res.stdout == STACK + "\n"
    commit_all(g, "messy")  # committed: the CI checkout of a pull request
    res = cli("fmt", "--check", "--changed", "main", "-f", "json", repo=mini)
    assert res.exit_code == 1 and json.loads(res.stdout)["changed"] == [STACK]
    assert json.loads(res.stdout)["checked"] == 1
    # files outside fmt's care, deleted and new ones
    write(mini, "notes.yaml", "a:    1\n")
    (mini / "konfig/appops/acme/web/prod/stack.yaml").unlink()
    write(mini, "konfig/appops/acme/web/qa/stack.yaml", MESSY.replace("dev", "qa"))
    res = cli("fmt", "--check", "--changed", "main", "-f", "json", repo=mini)
    assert json.loads(res.stdout)["changed"] == [STACK, "konfig/appops/acme/web/qa/stack.yaml"]
    # the tool or konfig.yaml changed: the layout rules may be another version's, so all files
    write(mini, "tooling/konfig-version.txt", "2\n")
    res = cli("fmt", "--check", "--changed", "main", "-f", "json", repo=mini)
    assert OTHER in json.loads(res.stdout)["changed"]
    assert json.loads(res.stdout)["checked"] > 5


def test_changed_takes_no_paths_and_a_real_ref(cli, mini):
    from tests.conftest import git_init

    git_init(mini)
    res = cli("fmt", "--check", "--changed", "main", STACK, repo=mini)
    assert res.exit_code == 2 and "--changed" in res.stderr and "Traceback" not in res.output
    res = cli("fmt", "--check", "--changed", "no-such-ref", repo=mini)
    assert res.exit_code == 2 and "no-such-ref" in res.stderr
