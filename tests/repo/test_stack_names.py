"""Naming stacks: a stack, or a project / org / any directory of stacks for commands that take STACK...

Issue 12: a unique suffix named a stack but not a project (`konfig test
payments/checkout` was "unknown stack"). The errors of these lookups are in
the bad-input corpus (tests/bad_input/stack-*.yaml); here the selections.
"""
from __future__ import annotations

import json

import pytest
from konfigctl.errors import UsageError
from konfigctl.repo.repository import Repository

API = ["konfig/appops/acme/api/dev", "konfig/appops/acme/api/prod/eu", "konfig/appops/acme/api/prod/us"]
WEB = ["konfig/appops/acme/web/dev", "konfig/appops/acme/web/prod"]
DB = ["konfig/infra/data/db/prod"]


def _tested(res) -> list[str]:
    assert res.exit_code == 0, res.output
    return sorted(r["stack"] for r in json.loads(res.stdout)["results"])


@pytest.mark.parametrize("name, cwd, expected", [
    ("acme/api", ".", API),                        # a project by unique suffix
    ("api", ".", API),                             # ... by its shortest suffix
    ("konfig/appops/acme/api", ".", API),          # ... by repo path
    ("konfig/appops/acme/api/", ".", API),
    ("api/prod", ".", API[1:]),                    # a directory inside a project
    ("acme", ".", sorted(API + WEB)),              # an org
    ("data", ".", DB),
    ("konfig/infra", ".", DB),                     # a root
    ("konfig", ".", sorted(API + WEB + DB)),
    (".", ".", sorted(API + WEB + DB)),            # the working directory
    (".", "konfig/appops/acme/web", WEB),
    ("prod", "konfig/appops/acme/api", API[1:]),   # relative to the working directory first
    ("../web", "konfig/appops/acme/api", WEB),
    ("web/prod", ".", ["konfig/appops/acme/web/prod"]),  # a stack is still one stack
])
def test_find_stacks_by_stack_project_or_directory(mini, name, cwd, expected):
    repo = Repository(str(mini))
    assert sorted(s.path for s in repo.find_stacks(name, cwd=str(mini / cwd))) == expected


def test_a_stack_path_wins_over_the_stacks_nested_below_it(mini, write):
    write(mini, "konfig/appops/acme/web/prod/canary/stack.yaml", "env: prod\nconfig: {}\n")
    repo = Repository(str(mini))
    assert [s.path for s in repo.find_stacks("web/prod", cwd=str(mini))] == ["konfig/appops/acme/web/prod"]
    assert [s.path for s in repo.find_stacks("canary", cwd=str(mini))] == ["konfig/appops/acme/web/prod/canary"]


def test_a_suffix_of_a_stack_and_of_a_directory_is_ambiguous_where_both_could_be_meant(mini, write):
    """`prod` is a stack (web/prod, db/prod) and a directory (api/prod): for STACK... it is ambiguous;
    for one stack only stacks count (and there it is ambiguous between the two stacks)."""
    write(mini, "konfig/infra/data/db/prod/stack.yaml", "env: prod\nconfig: {}\n")
    repo = Repository(str(mini))
    with pytest.raises(UsageError, match=r"konfig/appops/acme/api/prod/ \(give more"):
        repo.find_stacks("prod", cwd=str(mini))
    with pytest.raises(UsageError) as e:
        repo.find_stack("prod", cwd=str(mini))
    assert "api/prod/" not in str(e.value)


def test_one_stack_commands_still_take_a_unique_stack_suffix_that_is_also_a_directory_suffix(mini, write):
    write(mini, "konfig/appops/acme/web/eu/x/stack.yaml", "env: dev\nconfig: {}\n")  # a directory `eu`
    repo = Repository(str(mini))
    assert repo.find_stack("prod/eu", cwd=str(mini)).path == "konfig/appops/acme/api/prod/eu"
    with pytest.raises(UsageError, match="ambiguous stack 'eu'"):
        repo.find_stacks("eu", cwd=str(mini))


def test_test_a_project_by_suffix(cli, mini):
    assert _tested(cli("test", "acme/api", "-f", "json", cwd=mini)) == API


def test_validate_a_project_by_suffix(cli, mini):
    res = cli("validate", "acme/api", "-f", "json", cwd=mini)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["stacks"] == len(API)


def test_test_a_project_from_the_issue(cli):
    """The example of issue 12 (`konfig test payments/checkout`), on this repository's own Konfig."""
    from tests.conftest import REPO_ROOT

    assert _tested(cli("test", "payments/checkout", "-f", "json", "--no-cache", cwd=REPO_ROOT)) == [
        "konfig/appops/payments/checkout/dev", "konfig/appops/payments/checkout/prod/eu-west-1",
        "konfig/appops/payments/checkout/prod/us-east-1", "konfig/appops/payments/checkout/slo",
        "konfig/appops/payments/checkout/slo-staging", "konfig/appops/payments/checkout/staging"]


def test_render_an_org_and_one_of_its_stacks_renders_each_stack_once(cli, mini):
    res = cli("render", "acme", "web/prod", "-f", "json", cwd=mini)
    assert res.exit_code == 0, res.output
    assert sorted(json.loads(res.stdout)) == sorted(API + WEB)


def test_a_selector_narrows_a_project(cli, mini):
    assert _tested(cli("test", "acme", "-l", "env=prod", "-f", "json", cwd=mini)) == sorted(API[1:] + WEB[1:])
