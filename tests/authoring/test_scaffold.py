"""Scaffolds: planned from the template, checked in memory, written whole or not at all."""
from __future__ import annotations

import os

import pytest
from konfigctl.authoring import scaffold as sc
from konfigctl.errors import KonfigError, UsageError
from konfigctl.repo.repository import Repository

from tests.authoring.test_templates import add_template

SHOP = "konfig/appops/acme/shop"


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".konfig-cache" not in p.parts)


def test_a_project_plan_writes_nothing_until_committed(mini):
    add_template(mini)
    before = _files(mini)
    repo = Repository(str(mini))
    plan = sc.plan_project(repo, SHOP, "app", ["web"], stacks=["dev", "prod/eu"])
    assert plan.stacks == [f"{SHOP}/dev", f"{SHOP}/prod/eu"]
    assert f"{SHOP}/project.yaml" in plan.files and _files(mini) == before
    assert sc.check(repo, plan) == [] and plan.ok and _files(mini) == before
    generated = sc.commit(repo, plan)
    assert generated == [f"{SHOP}/dev/golden.yaml", f"{SHOP}/prod/eu/golden.yaml"]
    assert plan.written and set(_files(mini)) == set(before) | set(plan.files) | set(generated)
    new = Repository(str(mini)).project_at(SHOP)
    assert new.owners == ["web"] and [s.path for s in new.stacks] == plan.stacks


def test_a_plan_that_would_be_invalid_is_reported_and_nothing_is_written(mini):
    add_template(mini)
    repo = Repository(str(mini))
    new = "konfig/appops/acme/web/staging"
    plan = sc.plan_stack(repo, new, env="dev")
    assert plan.stacks == [new] and plan.model == "app"
    plan.files[f"{new}/stack.yaml"] = "env: dev\nconfig:\n  replicas: -1\n"
    problems = sc.check(repo, plan)
    assert not plan.ok and {p.file for p in problems} == {f"{new}/stack.yaml"}
    assert not (mini / new).exists()


def test_write_refuses_a_file_that_appeared_meanwhile_and_writes_none(mini):
    add_template(mini)
    repo = Repository(str(mini))
    new = "konfig/appops/acme/web/staging"
    plan = sc.plan_stack(repo, new, env="dev")
    (mini / new).mkdir()
    (mini / new / "stack.yaml").write_text("env: dev\n")
    with pytest.raises(KonfigError, match="already exists: nothing was written"):
        sc.write(repo, plan)
    assert os.listdir(mini / new) == ["stack.yaml"] and not plan.written


def test_the_env_of_a_stack_is_given_or_read_from_its_name(mini):
    repo = Repository(str(mini))
    assert sc.stack_env(repo, "prod/eu", None) == "prod"
    assert sc.stack_env(repo, "eu/staging", None) == "staging"
    assert sc.stack_env(repo, "load", "prod") == "prod"
    with pytest.raises(UsageError, match="cannot tell the env"):
        sc.stack_env(repo, "load", None)
    with pytest.raises(UsageError, match="unknown env 'qa'"):
        sc.stack_env(repo, "load", "qa")


@pytest.mark.parametrize("path, owners, message", [
    (SHOP, [], "a project needs an owner"),
    (SHOP, ["wbe"], "did you mean web"),
    (SHOP, ["@nobody"], "unknown user '@nobody'"),
    ("konfig/appops/acme/api", ["web"], "already exists"),
    ("konfig/appops/acme/api/sub", ["web"], "nested projects are not supported"),
    ("konfig/appops/Shop", ["web"], "bad project name"),
    ("elsewhere/shop", ["web"], "must be in a directory under a root"),
])
def test_bad_plans_are_usage_errors_before_any_file_is_made(mini, path, owners, message):
    add_template(mini)
    with pytest.raises(UsageError, match=message):
        sc.plan_project(Repository(str(mini)), path, "app", owners)


def test_paths_are_relative_to_the_working_directory_inside_a_root(mini):
    repo = Repository(str(mini))
    assert sc.repo_path(repo, "shop", str(mini / "konfig/appops/acme")) == SHOP
    assert sc.repo_path(repo, f"{SHOP}/", str(mini)) == SHOP
    assert 0 <= sc.dir_mode() <= 0o777 and sc.dir_mode() == 0o777 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
