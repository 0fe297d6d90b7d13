"""This repository's PrometheusRule schema is the one `konfig import crd` makes from the CRD
committed beside it, and the slo model's rendered rules are checked against it."""
from __future__ import annotations

import shutil

from tests.conftest import REPO_ROOT
from tests.test_slo import PROMETHEUS_RULE_CRD, PROMETHEUS_RULE_SCHEMA

BASE = REPO_ROOT / "konfig" / "base"


def test_the_committed_schema_is_what_the_import_writes(cli, tmp_path):
    root = tmp_path / "k"
    assert cli("init", str(root)).exit_code == 0
    (root / "konfig/base" / PROMETHEUS_RULE_SCHEMA).unlink()
    res = cli("import", "crd", str(BASE / PROMETHEUS_RULE_CRD), "--schema-only", repo=root)
    assert res.exit_code == 0, res.output
    assert res.stdout == f"wrote konfig/base/{PROMETHEUS_RULE_SCHEMA}\n"
    assert (root / "konfig/base" / PROMETHEUS_RULE_SCHEMA).read_text() == (BASE / PROMETHEUS_RULE_SCHEMA).read_text()
    # it understood the CRD whole: nothing named as unsupported
    assert "warning" not in res.stderr
    # and a second import is refused unless forced
    assert cli("import", "crd", str(BASE / PROMETHEUS_RULE_CRD), "--schema-only", repo=root).exit_code == 2
    assert cli("import", "crd", str(BASE / PROMETHEUS_RULE_CRD), "--schema-only", "--force",
               repo=root).exit_code == 0


def test_slo_stacks_render_rules_that_the_imported_schema_checks(cli, tmp_path):
    root = tmp_path / "k"
    assert cli("init", str(root)).exit_code == 0
    assert (root / "konfig/appops/example/hello/slo/stack.yaml").is_file()  # init's example SLO stack
    assert cli("test", "--all", repo=root).exit_code == 0
    # a renderer that writes a field the operator's CRD does not have (`severity` on a rule) fails the test
    render = root / "konfig/base/models/slo/render.py"
    text = render.read_text()
    assert "    return [{**KIND" in text
    render.write_text(text.replace("    return [{**KIND", "    groups[0]['rules'][0]['severity'] = 'page'\n"
                                                          "    return [{**KIND"))
    res = cli("test", "konfig/appops/example/hello/slo", repo=root)
    assert res.exit_code == 1
    assert "PrometheusRule hello-slos: spec.groups[0].rules[0].severity: unknown key" \
        in res.stdout, res.stdout
    shutil.rmtree(root)
