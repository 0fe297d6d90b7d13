"""The promises of this repository's own Konfig (konfig/appops, konfig/infra).

The example content is what newcomers copy and what konfig/README.md points
at: these tests keep its shape (orgs, projects, env stacks) and the layering
features it demonstrates from quietly disappearing in a later edit.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

ENVS = {"dev", "staging", "prod"}


@pytest.fixture(scope="module")
def repo() -> Any:
    from konfigctl.repo.repository import Repository

    return Repository.discover(repo=str(REPO_ROOT))


def _json(cli: Any, *args: str) -> Any:
    res = cli(*args, "-f", "json", repo=REPO_ROOT)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _resolve(cli: Any, stack: str) -> dict[str, Any]:
    return _json(cli, "resolve", stack)  # type: ignore[no-any-return]


def _problems(repo: Any, stack: str, *overrides: str) -> list[Any]:
    from konfigctl.check.validation import validate_stack

    return [p for p in validate_stack(repo, repo.find_stack(stack), overrides=overrides) if p.is_error]


def test_orgs_domains_and_projects(cli):
    # the YAML projects (the KCL org follows the Kusion conventions: tests/engine/test_kcl.py)
    projects = [p for p in _json(cli, "list", "projects") if p["engine"] == "yaml"]
    appops = [p for p in projects if p["path"].startswith("konfig/appops/")]
    infra = [p for p in projects if p["path"].startswith("konfig/infra/")]
    orgs = {p["org"] for p in appops}
    assert len(orgs) >= 3, orgs
    assert len(appops) >= 8
    assert len(infra) >= 2
    assert {p["model"] for p in projects} == {"webapp", "cronjob", "database", "bucket"}
    # Every org and infra domain shares a defaults.yaml among its projects.
    for p in projects:
        org_dir = p["path"].rsplit("/", 1)[0]
        assert (REPO_ROOT / org_dir / "defaults.yaml").is_file(), org_dir


def test_every_project_has_dev_staging_and_prod_stacks(cli):
    envs = defaultdict(set)
    for s in _json(cli, "list", "stacks"):
        if s["engine"] == "yaml":  # a KCL stack has no env: its options say it
            envs[s["project"]].add(s["env"])
    assert len(envs) >= 10
    for project, found in envs.items():
        assert ENVS <= found, (project, found)


def test_nested_region_stacks_share_a_prod_defaults(cli):
    stacks = _json(cli, "list", "stacks", "-l", "env=prod,label=region=*")
    nested = defaultdict(list)
    for s in stacks:
        rel = s["path"][len(s["project"]) + 1:]
        if rel.startswith("prod/"):
            nested[s["project"]].append(s["labels"]["region"])
    assert len(nested) >= 2, nested  # checkout and auth-api
    for project, regions in nested.items():
        assert len(regions) >= 2
        assert (REPO_ROOT / project / "prod" / "defaults.yaml").is_file()


def test_whole_repository_validates_without_problems(cli):
    res = cli("validate", "--all", "-f", "json", repo=REPO_ROOT)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["ok"] is True
    assert data["problems"] == []  # not even warnings: none is shown on purpose


def test_list_stacks_long_shows_every_stack(cli):
    res = cli("list", "stacks", "-L", repo=REPO_ROOT)
    assert res.exit_code == 0, res.output
    rows = [ln for ln in res.stdout.splitlines()[1:] if ln.strip()]
    assert 30 <= len(rows) <= 55


def test_append_adds_to_the_project_args(cli):
    prod = _resolve(cli, "commerce/catalog-search/prod")
    staging = _resolve(cli, "commerce/catalog-search/staging")
    assert prod["args"] == staging["args"] + ["--warmup-top-queries=5000"]
    assert staging["args"] == ["--index=catalog-v12", "--max-results=200"]


def test_null_deletes_inherited_keys(cli):
    assert "autoscaling" in _resolve(cli, "storefront/prod/stable")
    canary = _resolve(cli, "storefront/prod/canary")
    assert "autoscaling" not in canary
    assert canary["replicas"] == 2

    assert _resolve(cli, "settlement-batch/prod")["schedule"] == "30 1 * * *"
    backfill = _resolve(cli, "settlement-batch/backfill")
    assert "schedule" not in backfill  # a one-off Job...
    assert backfill["active_deadline_seconds"] == 21600  # ...bounded in time

    assert "retention_days" not in _resolve(cli, "payments-exports/dev")
    assert _resolve(cli, "payments-exports/prod")["retention_days"] == 2555


def test_replace_drops_the_model_probe_fields(cli):
    cart = _resolve(cli, "commerce/cart/dev")
    assert cart["probes"]["liveness"] == {"type": "tcp", "port": "grpc", "period_seconds": 10}
    # readiness was not replaced: still the model's http probe
    assert cart["probes"]["readiness"]["path"] == "/ready"


def test_keyed_lists_merge_by_name_across_layers(cli):
    cart = _resolve(cli, "commerce/cart/dev")
    ports = {p["name"]: p for p in cart["ports"]}
    assert [p["name"] for p in cart["ports"]] == ["http", "grpc", "metrics"]
    assert ports["metrics"] == {"name": "metrics", "port": 9102, "expose": True}

    us = _resolve(cli, "auth-api/prod/us-east-1")
    env = {e["name"]: e for e in us["env"]}
    assert env["SESSION_STORE_PASSWORD"]["secret"] == {"name": "auth-sessions-redis-us", "key": "password"}
    assert env["OIDC_ISSUER"]["value"] == "https://auth.acme.io"  # from prod/defaults.yaml
    assert env["LOG_FORMAT"]["value"] == "json"  # from the model defaults
    assert len(env) == len(us["env"])  # no duplicate names

    db = _resolve(cli, "payments-db/prod")
    users = {u["name"]: u for u in db["users"]}
    assert list(users) == ["ledger", "settlement", "reporting"]
    assert users["ledger"]["password_secret"] == {"name": "payments-db-ledger-prod", "key": "password"}
    flags = {f["name"]: f["value"] for f in db["flags"]}
    assert flags["max_connections"] == "400"
    assert flags["log_min_duration_statement"] == "500"

    media = _resolve(cli, "media-assets/dev")
    rules = {r["name"]: r["age_days"] for r in media["lifecycle"]}
    assert rules == {"to-nearline": 180, "to-coldline": 365, "expire": 14}


def test_explain_names_the_layers_of_a_region_stack(cli):
    res = cli("explain", "auth-api/prod/us-east-1", "autoscaling.min_replicas", repo=REPO_ROOT)
    assert res.exit_code == 0, res.output
    assert "konfig/appops/identity/auth-api/prod/us-east-1/stack.yaml" in res.stdout
    assert "konfig/appops/identity/auth-api/prod/defaults.yaml" in res.stdout
    assert "konfig/base/models/webapp/envs/prod.yaml" in res.stdout


@pytest.mark.parametrize("stack, override, expected", [
    # model if/then: a one-off Job must be bounded in time
    ("settlement-batch/backfill", "active_deadline_seconds=null", "active_deadline_seconds"),
    # model if/then: a LoadBalancer needs a readiness probe
    ("storefront/staging", "probes.readiness=null", "readiness"),
    # policy public-buckets-labelled
    ("media-assets/prod", "labels.exposure=null", "policy public-buckets-labelled"),
    # policy prod-database-safety
    ("payments-db/prod", "backups.point_in_time_recovery=false", "policy prod-database-safety"),
    # policy prod-min-replicas: the canary sits exactly on the floor
    ("storefront/prod/canary", "replicas=1", "policy prod-min-replicas"),
])
def test_content_sits_on_the_rules_it_demonstrates(repo, stack, override, expected):
    assert _problems(repo, stack) == []
    found = _problems(repo, stack, override)
    assert found, f"{stack} -O {override} should fail"
    assert any(expected in p.format() for p in found), [p.format() for p in found]


def test_owners_are_known_and_stack_ownership_is_shown(repo):
    teams = set(repo.document("konfig/base/teams.yaml").data["teams"])
    owners = [o for p in repo.projects() for o in p.owners] + [o for s in repo.stacks() for o in s.owners]
    for o in owners:
        assert o.startswith("@") or o in teams, o
    assert any(o.startswith("@") for o in owners)
    added = [s for s in repo.stacks() if s.owners and s.inherit_owners]
    replacing = [s for s in repo.stacks() if s.owners and not s.inherit_owners]
    assert added and replacing
    assert any(p.review.get("approvals", 0) >= 2 for p in repo.projects())
    assert any(s.depends_on for s in repo.stacks())


def test_readme_points_at_files_that_exist():
    text = (REPO_ROOT / "konfig" / "README.md").read_text()
    paths = re.findall(r"`((?:appops|infra)/[^`]+)`", text)
    assert len(paths) >= 20
    for p in paths:
        assert (REPO_ROOT / "konfig" / p).exists(), p
