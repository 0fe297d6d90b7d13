"""``konfig render`` through the CLI: stdout, JSON, and the rendered-manifests tree."""
from __future__ import annotations

import json
from pathlib import Path

from konfigctl.yamlio import load_all

from tests.conftest import REPO_ROOT

RENDER = "konfig/base/models/app/render.py"


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_render_one_stack_as_yaml_matches_its_golden(cli):
    res = cli("render", "payments/checkout/prod/us-east-1", repo=REPO_ROOT)
    assert res.exit_code == 0, res.output
    docs = load_all(res.stdout)
    assert [d["kind"] for d in docs] == ["ConfigMap", "Service", "Deployment", "HorizontalPodAutoscaler"]
    golden = load_all((REPO_ROOT / "konfig/appops/payments/checkout/prod/us-east-1/golden.yaml").read_text())
    assert docs == golden
    deploy = docs[2]
    assert deploy["metadata"]["namespace"] == "checkout"
    assert "replicas" not in deploy["spec"]  # the autoscaler owns the count
    assert docs[3]["spec"]["minReplicas"] == 4 and docs[3]["spec"]["maxReplicas"] == 16
    pod = deploy["spec"]["template"]
    assert "konfig.dev/config-hash" in pod["metadata"]["annotations"]
    c = pod["spec"]["containers"][0]
    assert c["resources"]["limits"]["memory"] == "2Gi"
    assert c["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert [p["name"] for p in docs[1]["spec"]["ports"]] == ["http"]  # metrics is not exposed


def test_render_json_and_overrides(cli, mini):
    res = cli("render", "acme/web/dev", "-O", "replicas=2", "-f", "json", repo=mini)
    assert res.exit_code == 0, res.output
    (deploy,) = json.loads(res.stdout)
    assert deploy["kind"] == "Deployment" and deploy["spec"]["replicas"] == 2


def test_config_file_change_changes_the_pod_annotation(cli, mini, write):
    def hash_of() -> str:
        out = cli("render", "payments/checkout/dev", "-f", "json", repo=REPO_ROOT).stdout
        return next(r for r in json.loads(out) if r["kind"] == "Deployment")[
            "spec"]["template"]["metadata"]["annotations"]["konfig.dev/config-hash"]

    base = hash_of()
    changed = cli("render", "payments/checkout/dev", "-f", "json", "-O",
                  "config_files={\"features.yaml\": \"x: 1\\n\"}", repo=REPO_ROOT)
    assert changed.exit_code == 0, changed.output
    dep = next(r for r in json.loads(changed.stdout) if r["kind"] == "Deployment")
    assert dep["spec"]["template"]["metadata"]["annotations"]["konfig.dev/config-hash"] != base


def test_renderer_cross_field_rule_fails_the_stack(cli):
    res = cli("render", "payments/checkout/prod/us-east-1", "-O", "resources.memory_limit=512Mi", repo=REPO_ROOT)
    assert res.exit_code == 1
    assert "resources.memory_limit 512Mi is below the request resources.memory 1Gi (model webapp)" in res.stderr


def test_render_out_writes_a_tree_and_prune_removes_what_is_gone(cli, mini, tmp_path, write):
    out = tmp_path / "rendered"
    res = cli("render", "--all", "--out", str(out), repo=mini)
    assert res.exit_code == 0, res.output
    assert tree(out) == [".konfig-rendered"] + [
        f"konfig/appops/acme/{s}/deployment-{s.split('/')[0]}.yaml"
        for s in ("api/dev", "api/prod/eu", "api/prod/us", "web/dev", "web/prod")] + [
        "konfig/infra/data/db/prod/deployment-db.yaml"]
    (doc,) = load_all((out / "konfig/appops/acme/web/prod/deployment-web.yaml").read_text())
    assert doc["spec"]["replicas"] == 4
    # unchanged files are not rewritten
    again = cli("render", "--all", "--out", str(out), repo=mini)
    assert again.stdout == "" and "0 written, 6 unchanged" in again.stderr
    # a stack removed: kept without --prune, removed with it
    import shutil

    shutil.rmtree(mini / "konfig/appops/acme/web/dev")
    cli("render", "--all", "--out", str(out), repo=mini)
    assert (out / "konfig/appops/acme/web/dev/deployment-web.yaml").exists()
    res = cli("render", "--all", "--out", str(out), "--prune", repo=mini)
    assert res.exit_code == 0
    assert "removed konfig/appops/acme/web/dev/deployment-web.yaml" in res.stdout
    assert not (out / "konfig/appops/acme/web/dev").exists()
    assert not list(out.rglob(".konfig-*.tmp"))


def test_prune_refuses_a_directory_konfig_did_not_write(cli, mini, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    res = cli("render", "--all", "--out", str(out), "--prune", repo=mini)
    assert res.exit_code == 2
    assert "refusing to prune" in res.stderr
    assert (out / "notes.txt").read_text() == "keep me"


def test_failing_stack_keeps_its_previous_files(cli, mini, tmp_path, write):
    out = tmp_path / "rendered"
    assert cli("render", "--all", "--out", str(out), repo=mini).exit_code == 0
    kept = out / "konfig/appops/acme/web/prod/deployment-web.yaml"
    before = kept.read_text()
    r = mini / RENDER
    r.write_text(r.read_text().replace("def render(config, stack):",
                                       "def render(config, stack):\n    if stack.name == 'prod' and "
                                       "stack.project == 'web':\n        raise ValueError('boom')"))
    res = cli("render", "--all", "--out", str(out), "--prune", repo=mini)
    assert res.exit_code == 1
    assert "konfig/appops/acme/web/prod: render (model app):" in res.stderr and "boom" in res.stderr
    assert kept.read_text() == before


def test_render_unknown_stack_is_bad_input(cli, mini):
    res = cli("render", "acme/nope", repo=mini)
    assert res.exit_code == 2
    assert "unknown stack" in res.stderr


def test_unwritable_out_dir_is_bad_input_not_a_crash(cli, mini, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    res = cli("render", "--all", "--out", str(a_file / "sub"), repo=mini)
    assert res.exit_code == 2, res.output
    assert f"cannot write --out {a_file / 'sub'}" in res.output and "internal error" not in res.output
    res = cli("render", "--all", "--out", str(a_file), repo=mini)
    assert res.exit_code == 2 and "is not a directory" in res.output
