from __future__ import annotations

import json


def test_list_stacks_paths(cli, mini):
    res = cli("list", repo=mini)
    assert res.exit_code == 0
    assert res.stdout.splitlines() == [
        "konfig/appops/acme/api/dev", "konfig/appops/acme/api/prod/eu", "konfig/appops/acme/api/prod/us",
        "konfig/appops/acme/web/dev", "konfig/appops/acme/web/prod", "konfig/infra/data/db/prod"]


def test_list_with_selectors_and_json(cli, mini):
    res = cli("list", "stacks", "-l", "env=prod", "-l", "label=region", "-f", "json", repo=mini)
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    assert [r["path"] for r in rows] == ["konfig/appops/acme/api/prod/eu", "konfig/appops/acme/api/prod/us"]
    assert rows[1]["depends_on"] == ["acme/api/prod/eu"] and rows[1]["model"] == "app"


def test_list_path_glob_selector(cli, mini):
    res = cli("list", "-l", "path=konfig/appops/*/web/**", repo=mini)
    assert res.stdout.splitlines() == ["konfig/appops/acme/web/dev", "konfig/appops/acme/web/prod"]


def test_list_projects_long(cli, mini):
    res = cli("list", "projects", "-L", repo=mini)
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["PROJECT", "MODEL", "OWNERS", "STACKS"]
    assert lines[1].split() == ["konfig/appops/acme/api", "app", "web,@erin", "3"]


def test_list_models_and_policies(cli, mini):
    assert cli("list", "models", repo=mini).stdout.split() == ["app"]
    rows = json.loads(cli("list", "policies", "-f", "json", repo=mini).stdout)
    assert {r["name"]: r["severity"] for r in rows} == {"prod-replicas": "error", "small-memory": "warning"}


def test_list_from_a_subdirectory_finds_the_repo(cli, mini):
    res = cli("list", cwd=mini / "konfig/appops/acme")
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 6


def test_list_unknown_kind(cli, mini):
    res = cli("list", "widgets", repo=mini)
    assert res.exit_code == 2 and "cannot list 'widgets'" in res.stderr
