from __future__ import annotations

import json

from konfigctl import yamlio


def test_resolve_yaml_and_json(cli, mini):
    res = cli("resolve", "acme/api/prod/eu", repo=mini)
    assert res.exit_code == 0
    data = yamlio.load(res.stdout, "out").data
    assert data["memory"] == "1Gi" and data["replicas"] == 2 and data["port"] == 8080
    as_json = json.loads(cli("resolve", "acme/api/prod/eu", "-f", "json", repo=mini).stdout)
    assert as_json == data


def test_resolve_with_overrides(cli, mini):
    res = cli("resolve", "web/dev", "-O", "replicas=2", "-O", "env[name=LOG_LEVEL].value=debug",
              "-O", "labels=null", "-f", "json", repo=mini)
    data = json.loads(res.stdout)
    assert data["replicas"] == 2
    assert {"name": "LOG_LEVEL", "value": "debug"} in data["env"]
    assert "labels" not in data


def test_resolve_relative_to_cwd(cli, mini):
    res = cli("resolve", "dev", "-f", "json", cwd=mini / "konfig/appops/acme/web")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["image"] == "example/web:1.0.0"
