from __future__ import annotations

import json


def test_scalar_prints_bare(cli, mini):
    res = cli("get", "acme/web/dev", "image", repo=mini)
    assert (res.exit_code, res.stdout) == (0, "example/web:1.0.0\n")
    assert cli("get", "acme/web/dev", "replicas", repo=mini).stdout == "1\n"
    assert cli("get", "acme/web/dev", "replicas", "-O", "replicas=2", repo=mini).stdout == "2\n"


def test_collections_print_as_yaml_or_json(cli, mini):
    res = cli("get", "acme/web/dev", "env", repo=mini)
    assert res.stdout == "- name: LOG_LEVEL\n  value: warn\n- name: MODE\n  value: default\n"
    res = cli("get", "acme/web/dev", "env[name=MODE]", "-f", "json", repo=mini)
    assert json.loads(res.stdout) == {"name": "MODE", "value": "default"}


def test_explain_says_where_the_value_comes_from(cli, mini):
    res = cli("get", "acme/web/dev", "env[name=LOG_LEVEL].value", "--explain", repo=mini)
    assert res.exit_code == 0
    assert res.stdout.splitlines() == [
        "warn",
        "  set by    konfig/appops/acme/web/defaults.yaml:4:5  (defaults)",
        "  overrode  info  from konfig/base/models/app/defaults.yaml:6:5  (model defaults)",
    ]
    data = json.loads(cli("get", "acme/web/dev", "replicas", "-e", "-f", "json", repo=mini).stdout)
    assert data["value"] == 1
    assert data["values"][0]["set_by"]["file"] == "konfig/appops/acme/web/dev/stack.yaml"


def test_missing_key_or_stack_is_exit_2(cli, mini):
    for args in (("acme/web/dev", "nope"), ("acme/web/dev", "env[9]"), ("nope", "image"), ("acme/web/dev", "a..")):
        res = cli("get", *args, repo=mini)
        assert res.exit_code == 2, args
        assert res.stdout == "" and len(res.stderr.splitlines()) == 1
