from __future__ import annotations

import json

from konfigctl.yamlio import load
from tests.conftest import REPO_ROOT
from tests.authoring.test_templates import APP_TEMPLATE, add_template


def test_new_project_is_valid_formatted_and_has_schema_lines(cli, mini):
    add_template(mini)
    res = cli("new", "project", "konfig/appops/acme/shop", "--model", "app", "--owner", "web", repo=mini)
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [
        "created konfig/appops/acme/shop/README.md",
        "created konfig/appops/acme/shop/defaults.yaml",
        "created konfig/appops/acme/shop/dev/golden.yaml",
        "created konfig/appops/acme/shop/dev/stack.yaml",
        "created konfig/appops/acme/shop/prod/golden.yaml",
        "created konfig/appops/acme/shop/prod/stack.yaml",
        "created konfig/appops/acme/shop/project.yaml",
    ]
    assert cli("validate", "konfig/appops/acme/shop", repo=mini).exit_code == 0
    assert cli("test", "konfig/appops/acme/shop", repo=mini).exit_code == 0  # golden files generated
    assert cli("fmt", "--check", repo=mini).exit_code == 0
    stack = (mini / "konfig/appops/acme/shop/prod/stack.yaml").read_text()
    assert stack.startswith("# yaml-language-server: $schema=../../../../../docs/schemas/stack.schema.json\n")
    assert load(stack).data["env"] == "prod"
    res = cli("list", "stacks", repo=mini)
    assert "konfig/appops/acme/shop/dev" in res.stdout


def test_stacks_owners_vars_and_envs(cli, mini):
    add_template(mini)
    res = cli("new", "project", "konfig/infra/data/cache", "-m", "app", "--owner", "data,@dave",
              "--stacks", "dev,prod/eu,load:prod", "--var", "image=reg/cache:3", "-f", "json", repo=mini)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["stacks"] == ["konfig/infra/data/cache/dev", "konfig/infra/data/cache/prod/eu",
                              "konfig/infra/data/cache/load"]
    assert load((mini / "konfig/infra/data/cache/load/stack.yaml").read_text()).data["env"] == "prod"
    project = load((mini / "konfig/infra/data/cache/project.yaml").read_text()).data
    assert project["owners"] == ["data", "@dave"]
    assert json.loads(cli("get", "data/cache/dev", "image", "-f", "json", repo=mini).stdout) == "reg/cache:3"


def test_refusals_are_exit_2_and_write_nothing(cli, mini, write):
    add_template(mini)
    def files():  # the cache (ignored by git, safe to delete) is not the Konfig's content
        return sorted(p for p in mini.rglob("*") if ".konfig-cache" not in p.parts and "taken" not in p.parts)

    before = files()
    cases = [
        (["konfig/appops/acme/web", "-m", "app", "--owner", "web"], "already exists"),
        (["konfig/appops/acme/web/extra", "-m", "app", "--owner", "web"], "inside the project"),
        (["konfig/appops/acme", "-m", "app", "--owner", "web"], "holds the project"),
        (["elsewhere/shop", "-m", "app", "--owner", "web"], "under a root"),
        (["konfig/appops/acme/shop", "-m", "app", "--owner", "nobody"], "unknown team 'nobody'"),
        (["konfig/appops/acme/shop", "-m", "app", "--owner", "@mallory"], "unknown user '@mallory'"),
        (["konfig/appops/acme/shop", "-m", "nope", "--owner", "web"], "unknown model 'nope'"),
        (["konfig/appops/acme/Shop", "-m", "app", "--owner", "web"], "bad project name"),
        (["konfig/appops/acme\\shop", "-m", "app", "--owner", "web"], "has a backslash"),
        (["konfig/appops/acme/shop", "-m", "app", "--owner", "web", "--stacks", "qa"], "cannot tell the env"),
        (["konfig/appops/acme/shop", "-m", "app", "--owner", "web", "--var", "x=1"], "unknown template variable"),
    ]
    for args, message in cases:
        res = cli("new", "project", *args, repo=mini)
        assert res.exit_code == 2, (args, res.output)
        assert message in res.stderr, (args, res.stderr)
    write(mini, "konfig/appops/acme/taken/notes.txt", "mine\n")
    res = cli("new", "project", "konfig/appops/acme/taken", "-m", "app", "--owner", "web", repo=mini)
    assert res.exit_code == 2 and "not empty" in res.stderr
    assert (mini / "konfig/appops/acme/taken/notes.txt").read_text() == "mine\n"
    assert files() == before


def test_invalid_result_is_exit_1_and_nothing_written(cli, mini):
    add_template(mini, {**APP_TEMPLATE, "stack/stack.yaml.tmpl": "env: ${env}\nconfig:\n  replicas: 3\n"})
    res = cli("new", "project", "konfig/appops/acme/shop", "-m", "app", "--owner", "web", repo=mini)
    assert res.exit_code == 1
    assert "replicas: 3 is not one of" in res.stdout
    assert not (mini / "konfig/appops/acme/shop").exists()
    assert not [p for p in (mini / "konfig/appops/acme").iterdir() if p.name.startswith(".konfig-new")]


def test_dry_run_writes_nothing(cli, mini):
    add_template(mini)
    res = cli("new", "project", "konfig/appops/acme/shop", "-m", "app", "--owner", "web", "-n", repo=mini)
    assert res.exit_code == 0 and "would create konfig/appops/acme/shop/project.yaml" in res.stdout
    assert not (mini / "konfig/appops/acme/shop").exists()


def test_new_stack(cli, mini):
    add_template(mini)
    res = cli("new", "stack", "konfig/appops/acme/web/staging", repo=mini)
    assert res.exit_code == 0, res.output
    assert res.stdout == ("created konfig/appops/acme/web/staging/golden.yaml\n"
                          "created konfig/appops/acme/web/staging/stack.yaml\n")
    assert cli("test", "acme/web/staging", repo=mini).exit_code == 0
    assert cli("get", "acme/web/staging", "replicas", repo=mini).stdout == "2\n"
    # relative to the working directory; the env from the path (api/prod is a directory, not a stack)
    res = cli("new", "stack", "ap", repo=mini, cwd=mini / "konfig/appops/acme/api/prod")
    assert res.exit_code == 0, res.output
    assert cli("get", "acme/api/prod/ap", "memory", repo=mini).stdout == "1Gi\n"  # prod/defaults.yaml
    res = cli("new", "stack", "canary", "--env", "prod", repo=mini, cwd=mini / "konfig/appops/acme/web")
    assert res.exit_code == 0, res.output
    assert (mini / "konfig/appops/acme/web/canary/stack.yaml").exists()
    for args, message in (
        (["konfig/appops/acme/web/dev"], "already exists"),
        (["konfig/appops/acme/api/prod", "--env", "prod"], "holds the stack"),
        (["konfig/appops/acme/web/dev/x", "--env", "dev"], "inside the stack"),
        (["konfig/appops/acme/web"], "is the project directory"),
        (["konfig/appops/acme/nowhere/dev"], "not inside a project"),
        (["konfig/appops/acme/web/qa"], "cannot tell the env"),
    ):
        res = cli("new", "stack", *args, repo=mini)
        assert res.exit_code == 2, (args, res.output)
        assert message in res.stderr, (args, res.stderr)


def test_every_template_of_this_repository_makes_a_valid_project(cli, tmp_path):
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "konfig", repo / "konfig")
    shutil.copy(REPO_ROOT / "konfig.yaml", repo / "konfig.yaml")
    for model in ("webapp", "cronjob", "database", "bucket"):
        res = cli("new", "project", f"konfig/infra/data/new-{model}", "--model", model, "--owner", "data",
                  repo=repo)
        assert res.exit_code == 0, (model, res.output)
        assert "warning" not in res.output
    assert cli("validate", "--all", repo=repo).exit_code == 0
    assert cli("fmt", "--check", repo=repo).exit_code == 0
    res = cli("test", "konfig/infra/data", repo=repo)
    assert res.exit_code == 0, res.output


def test_new_project_keeps_the_codeowners_files_current(cli, mini):
    add_template(mini)
    assert cli("owners", "codeowners", "--target", "github", repo=mini).exit_code == 0
    res = cli("new", "project", "konfig/appops/acme/shop", "-m", "app", "--owner", "web", repo=mini)
    assert res.exit_code == 0
    assert "updated .github/CODEOWNERS" in res.stdout
    assert "/konfig/appops/acme/shop/" in (mini / ".github/CODEOWNERS").read_text()
    assert cli("owners", "codeowners", "--target", "github", "--check", repo=mini).exit_code == 0
    assert not (mini / ".gitlab/CODEOWNERS").exists()  # only the files the repository keeps


def test_new_project_says_which_codeowners_line_it_leaves_out(cli, mini):
    add_template(mini)
    assert cli("owners", "codeowners", "--target", "github", repo=mini).exit_code == 0
    (mini / "konfig/appops/c[1]").mkdir(parents=True)
    res = cli("new", "project", "konfig/appops/c[1]/shop", "-m", "app", "--owner", "web", repo=mini)
    assert res.exit_code == 0, res.output  # written, as `owners codeowners` writes it
    warnings = [line for line in res.stdout.splitlines() if ": warning: " in line]
    assert len(warnings) == 1, res.stdout
    assert warnings[0].startswith("konfig/appops/c[1]/shop/project.yaml: warning: GitHub CODEOWNERS cannot name")
    assert "left out of .github/CODEOWNERS" in warnings[0]
    lines = (mini / ".github/CODEOWNERS").read_text().splitlines()
    assert not [line for line in lines if "c[1]" in line and not line.startswith("# left out, ")]
    assert any(line.startswith("# left out, ") and "c[1]/shop/" in line for line in lines)
    assert (mini / "konfig/appops/c[1]/shop/dev/stack.yaml").is_file()
