"""Issue 2, item 6: every kind of bad input gives one clear line, exit 2, never a traceback."""
from __future__ import annotations

import os
import re

import pytest

STACK = "konfig/appops/acme/web/prod/stack.yaml"


def _one_error_line(res):
    assert "Traceback" not in res.output
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("konfig: error:")]
    assert len(errors) == 1, res.output
    return errors[0]


@pytest.mark.parametrize("text, pattern", [
    ("env: prod\nconfig:\n  replicas: [1\n", r"stack\.yaml:4:1: invalid YAML"),
    ("env: prod\nconfig:\n  replicas: 1\n  replicas: 2\n", r"stack\.yaml:4:3: duplicate key 'replicas'"),
    ("env: prod\nconfig:\n  image: !!python/object/apply:os.system [id]\n",
     r"stack\.yaml:3:10: unknown YAML tag"),
    ("env: prod\nconfig:\n  image: !vault secret/x\n", r"stack\.yaml:3:10: unknown YAML tag '!vault'"),
    ("- env: prod\n", r"stack\.yaml:1:1: expected a mapping of stack settings, got a list"),
    ("env: prod\nconfig: 3\n", r"stack\.yaml:2:\d+: config: expected object, got integer 3"),
    ("env: prod\nlabels: [a, b]\nconfig: {}\n", r"stack\.yaml:2:\d+: labels: expected object"),
    ("env: qa\nconfig: {}\n", r"stack\.yaml:1:\d+: env: unknown env 'qa'"),
])
def test_broken_stack_file(cli, mini, write, text, pattern):
    write(mini, STACK, text)
    res = cli("resolve", "acme/web/prod", repo=mini)
    assert res.exit_code == 2
    line = _one_error_line(res)
    assert re.search(r"konfig/appops/acme/web/prod/" + pattern, line), line


def test_alias_bomb(cli, mini, write):
    lines = ["env: prod", "x0: &a0 [y, y, y, y, y, y, y, y, y, y]"]
    for i in range(1, 9):
        lines.append(f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    write(mini, STACK, "\n".join(lines) + "\n")
    res = cli("validate", "acme/web/prod", repo=mini)
    assert res.exit_code == 2
    assert "alias bomb" in res.output and "Traceback" not in res.output


def test_defaults_file_that_is_not_a_mapping(cli, mini, write):
    write(mini, "konfig/appops/acme/web/defaults.yaml", "- just\n- a list\n")
    res = cli("resolve", "acme/web/dev", repo=mini)
    assert res.exit_code == 2
    assert "konfig/appops/acme/web/defaults.yaml:1:1: expected a mapping of config values" in _one_error_line(res)


def test_unknown_model(cli, mini, write):
    write(mini, "konfig/appops/acme/web/project.yaml", "model: nope\nowners: [web]\n")
    res = cli("resolve", "acme/web/dev", repo=mini)
    assert res.exit_code == 2
    line = _one_error_line(res)
    assert "konfig/appops/acme/web/project.yaml:1:1: model: unknown model 'nope' (models: app)" in line


def test_missing_konfig_yaml(cli, tmp_path):
    res = cli("list", cwd=tmp_path)
    assert res.exit_code == 2
    assert "not a Konfig repository: no konfig.yaml" in _one_error_line(res)
    res = cli("list", repo=tmp_path)
    assert res.exit_code == 2


def test_bad_konfig_yaml(cli, mini, write):
    write(mini, "konfig.yaml", "version: 1\nroots: konfig/appops\n")
    res = cli("list", "-L", repo=mini)
    assert res.exit_code == 2
    assert "konfig.yaml:2:1: roots: expected array" in _one_error_line(res)


def test_unknown_and_ambiguous_stack(cli, mini):
    res = cli("resolve", "acme/nope/prod", repo=mini)
    assert res.exit_code == 2
    assert "unknown stack 'acme/nope/prod'" in _one_error_line(res)
    res = cli("resolve", "prod", repo=mini)
    assert res.exit_code == 2
    line = _one_error_line(res)
    assert "ambiguous stack 'prod'" in line
    assert "konfig/appops/acme/web/prod" in line and "konfig/infra/data/db/prod" in line


@pytest.mark.parametrize("args, message", [
    (("explain", "acme/web/prod", "env[name=NOPE]"), "no value at key path env[name=NOPE]"),
    (("explain", "acme/web/prod", "env[x"), "bad key path"),
    (("resolve", "acme/web/prod", "-O", "replicas"), "bad override 'replicas'"),
    (("resolve", "acme/web/prod", "-O", "replicas.x=1"), "not a mapping"),
    (("resolve", "acme/web/prod", "-O", "replicas=[1"), "cannot parse value"),
    (("list", "-l", "colour=red"), "unknown selector key 'colour'"),
])
def test_bad_key_paths_and_overrides(cli, mini, args, message):
    res = cli(*args, repo=mini)
    assert res.exit_code == 2
    assert message in _one_error_line(res)


def test_symlinked_stack_file_leading_outside(cli, mini, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("env: prod\nconfig: {}\n")
    target = mini / STACK
    target.unlink()
    os.symlink(secret, target)
    res = cli("resolve", "acme/web/prod", repo=mini)
    assert res.exit_code == 2
    assert "symlink leads outside the repository" in _one_error_line(res)


def test_symlinked_directory_leading_outside(cli, mini, tmp_path):
    outside = tmp_path / "elsewhere"
    (outside / "x").mkdir(parents=True)
    (outside / "x" / "stack.yaml").write_text("env: dev\nconfig: {}\n")
    os.symlink(outside, mini / "konfig/appops/acme/web/evil")
    res = cli("validate", "--all", repo=mini)
    assert res.exit_code == 2
    assert "konfig/appops/acme/web/evil: symlink leads outside the repository" in res.stdout
    # the other stacks were still checked
    assert "6 checked" in res.stderr


def test_one_broken_stack_does_not_stop_the_others(cli, mini, write):
    write(mini, STACK, "env: prod\nconfig:\n  replicas: 1\n  replicas: 2\n")
    write(mini, "konfig/appops/acme/api/dev/stack.yaml", "env: dev\nconfig:\n  replicas: 3\n")
    res = cli("validate", "--all", repo=mini)
    assert res.exit_code == 2  # bad input wins over failed checks
    assert "konfig/appops/acme/web/prod/stack.yaml:4:3: duplicate key 'replicas'" in res.stdout
    assert "konfig/appops/acme/api/dev/stack.yaml:3:3: replicas: 3 is not one of 1, 2, 4, 8 (model app)" in res.stdout
    assert "Traceback" not in res.output


def test_broken_policy_reported_once(cli, mini, write):
    write(mini, "konfig/base/policies/broken.yaml", "name: broken\nschema:\n  type: 12\n")
    res = cli("validate", "--all", repo=mini)
    assert res.exit_code == 2
    lines = [ln for ln in res.stdout.splitlines() if "broken.yaml" in ln]
    assert len(lines) == 1 and "invalid schema" in lines[0]


def test_nested_project_and_orphan_stack(cli, mini, write):
    write(mini, "konfig/appops/acme/web/sub/project.yaml", "model: app\nowners: [web]\n")
    write(mini, "konfig/appops/orphan/dev/stack.yaml", "env: dev\nconfig: {}\n")
    res = cli("validate", "--all", repo=mini)
    assert res.exit_code == 2
    assert "konfig/appops/acme/web/sub/project.yaml: project inside project" in res.stdout
    assert "konfig/appops/orphan/dev/stack.yaml: stack outside any project" in res.stdout


def test_ref_escaping_the_base_dir(cli, mini, write):
    write(mini, "konfig/base/models/app/schema.yaml",
          "type: object\nproperties:\n  x: {$ref: ../../../../konfig.yaml}\n")
    res = cli("validate", "acme/web/dev", repo=mini)
    assert res.exit_code == 2
    assert "schemas may only come from konfig/base/" in res.output
    assert "Traceback" not in res.output


def test_schema_ref_through_a_symlinked_directory_leading_outside(cli, mini, tmp_path):
    """A link higher up than the file's own directory is caught too (O_NOFOLLOW checks only the last part)."""
    outside = tmp_path / "outside" / "sub"
    outside.mkdir(parents=True)
    (outside / "units.yaml").write_text("$defs: {memory: {type: string}, storage: {type: string}}\n")
    os.symlink(tmp_path / "outside", mini / "konfig/base/shared")
    write_model = (mini / "konfig/base/models/app/schema.yaml")
    write_model.write_text(write_model.read_text().replace("../../schemas/units.yaml", "../../shared/sub/units.yaml"))
    res = cli("validate", "acme/web/dev", repo=mini)
    assert res.exit_code == 2
    assert "symlink leads outside the repository" in res.output


def test_broken_ref_in_a_model_is_reported_once_at_its_line(cli, mini):
    schema = mini / "konfig/base/models/app/schema.yaml"
    schema.write_text(schema.read_text().replace("units.yaml#/$defs/memory", "units.yaml#/$defs/nope"))
    res = cli("validate", "--all", repo=mini)
    assert res.exit_code == 2
    assert res.stdout.splitlines() == [
        "konfig/base/models/app/schema.yaml:11:5: $ref '../../schemas/units.yaml#/$defs/nope': "
        "no #/$defs/nope in konfig/base/schemas/units.yaml (breaks 6 stacks)"]
