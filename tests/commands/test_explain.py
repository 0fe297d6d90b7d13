from __future__ import annotations

import json


def test_explain_one_key_shows_setter_and_overridden_values(cli, mini):
    res = cli("explain", "acme/api/prod/us", "replicas", repo=mini)
    assert res.exit_code == 0
    assert res.stdout.splitlines() == [
        "replicas = 2",
        "    set by    konfig/base/models/app/envs/prod.yaml:1:1  (model env profile)",
        "    overrode  1  from konfig/base/models/app/defaults.yaml:2:1  (model defaults)",
    ]


def test_explain_whole_stack_lists_layers(cli, mini):
    res = cli("explain", "acme/web/prod", repo=mini)
    out = res.stdout
    assert "layers, lowest first:" in out
    assert "1. model defaults     konfig/base/models/app/defaults.yaml" in out
    assert "env[name=LOG_LEVEL].value = warn" in out
    assert "konfig/appops/acme/web/defaults.yaml:4:5" in out
    assert "env[name=EXTRA].value = \"1\"" in out  # a string that reads like a number is quoted


def test_explain_json(cli, mini):
    data = json.loads(cli("explain", "acme/web/dev", "env", "-f", "json", repo=mini).stdout)
    by_key = {v["keypath"]: v for v in data["values"]}
    lvl = by_key["env[name=LOG_LEVEL].value"]
    assert lvl["value"] == "warn"
    assert lvl["set_by"] == {"file": "konfig/appops/acme/web/defaults.yaml", "line": 4, "column": 5,
                             "layer": "defaults"}
    assert [o["value"] for o in lvl["overrode"]] == ["info"]
    assert "env[name=LOG_LEVEL].name" not in by_key  # the merge key names the item


def test_explain_override(cli, mini):
    res = cli("explain", "acme/web/dev", "replicas", "-O", "replicas=8", repo=mini)
    assert "set by    <command line>" in res.stdout
    assert "overrode  1  from konfig/base/models/app/defaults.yaml:2:1" in res.stdout


def test_explain_a_deleted_key_names_the_null(cli, mini, write):
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig:\n  labels: null\n")
    res = cli("explain", "acme/web/dev", "labels.team", repo=mini)
    assert res.exit_code == 0
    assert res.stdout.splitlines() == [
        "labels.team is not set",
        "    deleted by  konfig/appops/acme/web/dev/stack.yaml:3:3  (stack)",
        "    overrode    unknown  from konfig/base/models/app/defaults.yaml:10:3  (model defaults)",
    ]


def test_explain_appended_items_have_their_own_origin(cli, mini, write):
    write(mini, "konfig/appops/acme/api/prod/eu/stack.yaml",
          "env: prod\nconfig:\n  args: !append [--verbose]\n")
    write(mini, "konfig/appops/acme/api/defaults.yaml",
          "image: example/api:2.0.0\nmode: web\nport: 8080\nargs: [--serve]\n")
    out = cli("explain", "acme/api/prod/eu", "args", repo=mini).stdout
    assert "args[0] = --serve\n    set by    konfig/appops/acme/api/defaults.yaml:4:8" in out
    assert "args[1] = --verbose\n    set by    konfig/appops/acme/api/prod/eu/stack.yaml:3:18" in out


def test_explain_values_replaced_wholesale(cli, mini, write):
    write(mini, "konfig/appops/acme/web/dev/stack.yaml",
          "env: dev\nconfig:\n  labels: !replace\n    team: web\n")
    out = cli("explain", "acme/web/dev", "labels", repo=mini).stdout
    assert out.splitlines() == [
        "labels.team = web",
        "    set by    konfig/appops/acme/web/dev/stack.yaml:4:5  (stack)",
        "    overrode  unknown  from konfig/base/models/app/defaults.yaml:10:3  (model defaults)",
    ]
