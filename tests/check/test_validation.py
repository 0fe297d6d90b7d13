from __future__ import annotations

import pytest
from konfigctl.check.validation import exit_code, validate, validate_stack
from konfigctl.repo.repository import Repository


def _problems(root, name, **kw):
    repo = Repository(str(root))
    return validate_stack(repo, repo.find_stack(name), **kw)


def test_clean_stacks_have_no_problems(mini):
    repo = Repository(str(mini))
    assert validate(repo, repo.stacks()) == []


def test_unknown_key_suggests_the_close_one(mini, write):
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig:\n  replica: 1\n")
    (p,) = _problems(mini, "acme/web/dev")
    assert p.format() == ("konfig/appops/acme/web/dev/stack.yaml:3:3: replica: unknown key "
                          "(did you mean 'replicas'?) (model app)")


def test_if_then_rule(mini, write):
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig:\n  mode: web\n")
    (p,) = _problems(mini, "acme/web/dev")
    assert p.keypath == "port" and "is required but not set" in p.message
    assert p.file == "konfig/appops/acme/web/dev/stack.yaml" and p.line == 2


def test_keyed_list_items_are_named_by_key(mini, write):
    write(mini, "konfig/appops/acme/web/dev/stack.yaml",
          "env: dev\nconfig:\n  env:\n    - name: LOG_LEVEL\n      value: 3\n")
    (p,) = _problems(mini, "acme/web/dev")
    assert p.keypath == "env[name=LOG_LEVEL].value"
    assert (p.line, p.col) == (5, 7)
    assert p.message == "expected string, got integer 3"


def test_warnings_do_not_fail(mini, write):
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig:\n  memory: 3Gi\n")
    (p,) = _problems(mini, "acme/web/dev")
    assert p.severity == "warning" and p.source == "policy small-memory"
    assert exit_code([p]) == 0
    assert "warning: 3Gi is above the maximum 2Gi" in p.format()


def test_policy_selects_by_env(mini, write):
    write(mini, "konfig/appops/acme/web/prod/stack.yaml", "env: prod\nconfig:\n  replicas: 1\n")
    (p,) = _problems(mini, "acme/web/prod")
    assert p.source == "policy prod-replicas" and p.message == "1 is below the minimum 2"
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig:\n  replicas: 1\n")
    assert _problems(mini, "acme/web/dev") == []


def test_depends_on_unknown_stack(mini, write):
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\ndepends_on: [acme/nope]\nconfig: {}\n")
    (p,) = _problems(mini, "acme/web/dev")
    assert p.keypath == "depends_on[0]" and "unknown stack 'acme/nope'" in p.message
    assert p.line == 2


def test_overrides_are_validated(mini):
    (p,) = _problems(mini, "acme/web/dev", overrides=["disk=101Gi"])
    assert p.file == "<command line>" and p.message == "101Gi is above the maximum 100Gi"


@pytest.mark.parametrize("directory, what", [
    ("konfig/appops/acme/web/$(touch pwn)", "stack"),
    ("konfig/appops/acme/web/Prod_EU", "stack"),
    ("konfig/appops/acme/Web_App", "project"),
])
def test_a_default_name_that_is_not_a_dns_label_is_an_error(cli, mini, write, directory, what):
    if what == "stack":
        write(mini, f"{directory}/stack.yaml", "env: prod\nconfig: {}\n")
        file = f"{directory}/stack.yaml"
    else:
        write(mini, f"{directory}/project.yaml", "model: app\nowners: [web]\n")
        write(mini, f"{directory}/dev/stack.yaml", "env: dev\nconfig: {image: 'example/x:1.0.0'}\n")
        file = f"{directory}/project.yaml"
    res = cli("validate", "--all", repo=mini)
    assert res.exit_code == 2, res.output
    assert f"{file}: name: the {what}'s name defaults to its directory name" in res.output
    # the other stacks are still checked; an explicit name: makes it valid
    assert "konfig/appops/acme/web/dev" not in res.stdout.replace(directory, "")
    write(mini, file, "name: fine\n" + (mini / file).read_text())
    assert cli("validate", "--all", repo=mini).exit_code == 0
