"""``konfig test`` through the CLI: the checks, golden diffs and --update, JUnit, robustness, cache."""
from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

MINI_STACKS = [
    "konfig/appops/acme/api/dev",
    "konfig/appops/acme/api/prod/eu",
    "konfig/appops/acme/api/prod/us",
    "konfig/appops/acme/web/dev",
    "konfig/appops/acme/web/prod",
    "konfig/infra/data/db/prod",
]
RENDER = "konfig/base/models/app/render.py"


def failing_lines(res) -> list[str]:
    return [ln for ln in res.stdout.splitlines() if ln.startswith("FAILED ")]


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """This repository's Konfig (settings, base, stacks and their golden files), copied."""
    dest = tmp_path / "konfig-repo"
    dest.mkdir()
    shutil.copy(REPO_ROOT / "konfig.yaml", dest / "konfig.yaml")
    shutil.copytree(REPO_ROOT / "konfig", dest / "konfig")
    return dest


def test_this_repository_passes(cli):
    res = cli("test", "--all", "--no-cache", repo=REPO_ROOT)
    assert res.exit_code == 0, res.output
    assert re.search(r"\d+ stacks passed", res.stderr), res.stderr
    assert not failing_lines(res)


def test_mini_passes_with_every_check(cli, mini):
    res = cli("test", "--all", "-f", "json", repo=mini)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["ok"] and data["stacks"] == 6 and data["failed"] == 0
    for r in data["results"]:
        assert [(c["name"], c["status"]) for c in r["checks"]] == [
            ("validate", "passed"), ("render", "passed"), ("kubernetes", "passed"), ("golden", "passed")]


def test_changed_prod_value_fails_exactly_that_stack_with_a_diff_and_update_fixes_it(cli, repo_copy):
    stack = "konfig/appops/payments/checkout/prod/eu-west-1"
    f = repo_copy / stack / "stack.yaml"
    f.write_text(f.read_text().replace("value: eu-west-1", "value: eu-west-2"))
    res = cli("test", "--all", repo=repo_copy)
    assert res.exit_code == 1, res.output
    lines = failing_lines(res)
    assert lines == [f"FAILED {stack}: golden (model webapp): rendered output differs from {stack}/golden.yaml"]
    diff = [ln[4] + ln[5:].strip() if ln[5] != ln[4] else ln.strip()
            for ln in res.stdout.splitlines() if ln.startswith(("    -", "    +"))]
    assert diff == [f"--- {stack}/golden.yaml (committed)", f"+++ {stack}/golden.yaml (rendered)",
                    "-value: eu-west-1", "+value: eu-west-2"]
    assert f"--- {stack}/golden.yaml (committed)" in res.stdout
    assert re.search(r"1 of \d+ stacks failed \(1 golden\)", res.stderr), res.stderr

    res = cli("test", "--all", "--update", repo=repo_copy)
    assert res.exit_code == 0, res.output
    assert [ln for ln in res.stdout.splitlines() if ln.startswith("updated ")] == [f"updated {stack}/golden.yaml"]
    assert "eu-west-2" in (repo_copy / stack / "golden.yaml").read_text()
    res = cli("test", "--all", repo=repo_copy)
    assert res.exit_code == 0, res.output


def test_update_rewrites_only_changed_goldens(cli, mini, write):
    before = {s: (mini / s / "golden.yaml").stat().st_mtime_ns for s in MINI_STACKS}
    write(mini, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\nconfig:\n  replicas: 8\n  disk: 50Gi\n  env:\n    - name: EXTRA\n      value: \"1\"\n")
    res = cli("test", "--all", "--update", "--no-cache", repo=mini)
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == ["updated konfig/appops/acme/web/prod/golden.yaml"]
    for s in MINI_STACKS:
        changed = (mini / s / "golden.yaml").stat().st_mtime_ns != before[s]
        assert changed == (s == "konfig/appops/acme/web/prod"), s
    assert "replicas: 8" in (mini / "konfig/appops/acme/web/prod/golden.yaml").read_text()


def test_missing_golden_fails_and_update_creates_it(cli, mini):
    (mini / "konfig/appops/acme/web/dev/golden.yaml").unlink()
    res = cli("test", "acme/web/dev", repo=mini)
    assert res.exit_code == 1
    assert "no golden.yaml yet" in res.stdout
    res = cli("test", "acme/web/dev", "--update", repo=mini)
    assert res.exit_code == 0, res.output
    assert (mini / "konfig/appops/acme/web/dev/golden.yaml").exists()


def test_golden_compare_is_semantic_key_order_free_list_order_strict(cli, mini):
    g = mini / "konfig/appops/acme/web/dev/golden.yaml"
    text = g.read_text()
    # key order of a mapping does not matter
    g.write_text(text.replace("apiVersion: apps/v1\nkind: Deployment\n", "kind: Deployment\napiVersion: apps/v1\n"))
    assert cli("test", "acme/web/dev", "--no-cache", repo=mini).exit_code == 0
    # list order does; and 1 is not "1"
    g.write_text(text.replace("replicas: 1", "replicas: '1'"))
    res = cli("test", "acme/web/dev", "--no-cache", repo=mini)
    assert res.exit_code == 1
    assert "-  replicas: '1'" in res.stdout and "+  replicas: 1" in res.stdout


def test_renderer_typo_is_caught_by_kubernetes_schema_naming_stack_and_resource(cli, mini):
    r = mini / RENDER
    r.write_text(r.read_text().replace('"replicas": config["replicas"]', '"replica": config["replicas"]'))
    res = cli("test", "--all", repo=mini)
    assert res.exit_code == 1
    lines = failing_lines(res)
    kube = [ln for ln in lines if ": kubernetes (model app)" in ln]
    assert len(kube) == 6  # every stack of the model
    # one line names the stack, the check, the model, the resource and the field
    assert ("FAILED konfig/appops/acme/web/prod: kubernetes (model app): "
            "Deployment web: spec.replica: unknown key (did you mean 'replicas'?)") in kube


def test_validation_failure_still_renders_and_compares(cli, mini, write):
    write(mini, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\nconfig:\n  replicas: 4\n  disk: 200Gi\n  env:\n    - name: EXTRA\n      value: \"1\"\n")
    res = cli("test", "acme/web/prod", "-f", "json", repo=mini)
    assert res.exit_code == 1
    (r,) = json.loads(res.stdout)["results"]
    status = {c["name"]: c["status"] for c in r["checks"]}
    assert status == {"validate": "failed", "render": "passed", "kubernetes": "passed", "golden": "passed"}
    assert "200Gi is above the maximum 100Gi" in r["checks"][0]["details"][0]


def test_failing_renderer_fails_its_stacks_only_and_names_model_and_line(cli, mini, write):
    # a second model whose renderer raises; the app model's stacks still pass
    shutil.copytree(mini / "konfig/base/models/app", mini / "konfig/base/models/broken")
    write(mini, "konfig/base/models/broken/render.py",
          "def render(config, stack):\n    raise ValueError('memory is too small for ' + stack.name)\n")
    write(mini, "konfig/appops/acme/broken/project.yaml", "model: broken\nowners: [web]\n")
    write(mini, "konfig/appops/acme/broken/dev/stack.yaml", "env: dev\nconfig: {image: 'x:1', replicas: 1}\n")
    res = cli("test", "--all", repo=mini)
    assert res.exit_code == 1
    assert failing_lines(res) == [(
        "FAILED konfig/appops/acme/broken/dev: render (model broken): "
        "konfig/base/models/broken/render.py:2: renderer failed: memory is too small for dev")]
    assert "1 of 7 stacks failed (1 render)" in res.stderr


@pytest.mark.parametrize("body, message", [
    ("return {'kind': 'x'}", "renderer must return a list of resources, got a mapping"),
    ("return ['x']", "resource 0: expected a mapping, got a string"),
    ("return [{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {}}]",
     "resource 0 (ConfigMap): metadata.name must be a non-empty string"),
    ("return [{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'a'}, 'data': {1, 2}}]",
     "ConfigMap a: data: set is not plain data"),
    ("return 1 / 0", "renderer failed: ZeroDivisionError: division by zero"),
    ("import os\n    return []", "a renderer may not import 'os'"),
    ("return [open('/etc/passwd')]", "renderer failed: NameError: name 'open' is not defined"),
])
def test_bad_renderer_results_fail_with_a_clear_message(cli, mini, write, body, message):
    write(mini, RENDER, f"def render(config, stack):\n    {body}\n")
    res = cli("test", "acme/web/dev", repo=mini)
    assert res.exit_code == 1, res.output
    (line,) = failing_lines(res)
    assert line.startswith("FAILED konfig/appops/acme/web/dev: render (model app): ")
    assert message in line


def test_renderer_syntax_error_points_at_the_line(cli, mini, write):
    write(mini, RENDER, "def render(config, stack):\n    return [\n\ndef x(:\n")
    res = cli("test", "acme/web/dev", repo=mini)
    assert res.exit_code == 1
    assert f"{RENDER}:" in failing_lines(res)[0] and "renderer does not compile" in res.stdout


def test_unknown_kind_without_schema_is_an_error(cli, mini, write):
    write(mini, RENDER, "def render(config, stack):\n    return [{'apiVersion': 'example.com/v1', "
                        "'kind': 'Widget', 'metadata': {'name': 'w'}}]\n")
    res = cli("test", "acme/web/dev", repo=mini)
    assert res.exit_code == 1
    assert "Widget w: no schema for Widget example.com/v1" in res.stdout


def test_custom_resource_schema_in_base_crds(cli, mini, write):
    write(mini, RENDER, "def render(config, stack):\n    return [{'apiVersion': 'example.com/v1', "
                        "'kind': 'Widget', 'metadata': {'name': 'w'}, 'spec': {'size': config['replicas']}}]\n")
    write(mini, "konfig/base/crds/widget.yaml",
          "x-kubernetes-group-version-kind: [{group: example.com, version: v1, kind: Widget}]\n"
          "type: object\nadditionalProperties: false\n"
          "properties:\n  apiVersion: {}\n  kind: {}\n  metadata: {}\n"
          "  spec: {type: object, additionalProperties: false, properties: {size: {maximum: 2}}}\n")
    res = cli("test", "acme/web/dev", "acme/web/prod", "--update", repo=mini)
    assert res.exit_code == 1
    # --update leaves the golden file of a stack whose other checks fail alone
    assert failing_lines(res) == [
        "FAILED konfig/appops/acme/web/prod: kubernetes (model app): Widget w: spec.size: 4 is above the maximum 2",
        ("FAILED konfig/appops/acme/web/prod: golden (model app): rendered output differs from "
         "konfig/appops/acme/web/prod/golden.yaml")]
    assert res.stdout.count("updated ") == 1  # web/dev, which passes


def test_unknown_stack_is_bad_input(cli, mini):
    res = cli("test", "acme/nope", repo=mini)
    assert res.exit_code == 2
    assert "unknown stack 'acme/nope'" in res.stderr


def test_broken_stack_yaml_is_bad_input_but_others_still_tested(cli, mini, write):
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig: [\n")
    res = cli("test", "--all", "-f", "json", repo=mini)
    assert res.exit_code == 2
    data = json.loads(res.stdout)
    assert data["stacks"] == 6 and data["failed"] == 1
    broken = next(r for r in data["results"] if r["stack"] == "konfig/appops/acme/web/dev")
    assert [c["status"] for c in broken["checks"]] == ["failed", "skipped", "skipped", "skipped"]


def test_junit_names_every_stack_and_check(cli, mini, tmp_path, write):
    write(mini, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\nconfig:\n  replicas: 8\n  env:\n    - name: EXTRA\n      value: \"1\"\n")
    report = tmp_path / "report.xml"
    res = cli("test", "--all", "--junit", str(report), repo=mini)
    assert res.exit_code == 1
    root = ET.parse(report).getroot()
    cases = root.findall(".//testcase")
    assert {(c.get("classname"), c.get("name")) for c in cases} == {
        (s, check) for s in MINI_STACKS for check in ("validate", "render", "kubernetes", "golden")}
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "24" and suite.get("failures") == "1"
    (failed,) = [c for c in cases if c.find("failure") is not None]
    assert failed.get("classname") == "konfig/appops/acme/web/prod" and failed.get("name") == "golden"
    assert "+  replicas: 8" in (failed.find("failure").text or "")


def test_second_run_reads_the_cache_and_changes_invalidate_it(cli, mini, write):
    first = cli("test", "--all", "-f", "json", repo=mini)
    assert json.loads(first.stdout)["cached"] == 0
    assert (mini / ".konfig-cache" / ".gitignore").read_text().strip().endswith("*")
    second = cli("test", "--all", "-f", "json", repo=mini)
    assert json.loads(second.stdout)["cached"] == 6
    assert [r["checks"] for r in json.loads(second.stdout)["results"]] == \
        [r["checks"] for r in json.loads(first.stdout)["results"]]
    # a model file affects every stack of the model; a stack file only its stack
    write(mini, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\nconfig:\n  replicas: 8\n  env:\n    - name: EXTRA\n      value: \"1\"\n")
    third = json.loads(cli("test", "--all", "-f", "json", repo=mini).stdout)
    assert third["cached"] == 5 and third["failed"] == 1
    r = mini / RENDER
    r.write_text(r.read_text() + "\n# a comment changes the renderer's hash\n")
    assert json.loads(cli("test", "--all", "-f", "json", repo=mini).stdout)["cached"] == 0
    # so does a library the renderer imports (konfiglib), and only one it imports
    write(mini, "konfig/base/lib/util.py", "X = 1\n")
    write(mini, "konfig/base/lib/other.py", "X = 1\n")
    r.write_text("from konfiglib import util\n" + r.read_text())
    assert json.loads(cli("test", "--all", "-f", "json", repo=mini).stdout)["cached"] == 0
    write(mini, "konfig/base/lib/other.py", "X = 2\n")
    assert json.loads(cli("test", "--all", "-f", "json", repo=mini).stdout)["cached"] == 6
    write(mini, "konfig/base/lib/util.py", "X = 2\n")
    assert json.loads(cli("test", "--all", "-f", "json", repo=mini).stdout)["cached"] == 0
    # safe to delete; --no-cache neither reads nor writes
    shutil.rmtree(mini / ".konfig-cache")
    nocache = json.loads(cli("test", "--all", "--no-cache", "-f", "json", repo=mini).stdout)
    assert nocache["cached"] == 0 and not (mini / ".konfig-cache").exists()


def test_cached_failure_still_reports_its_diff(cli, mini, write):
    write(mini, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\nconfig:\n  replicas: 8\n  env:\n    - name: EXTRA\n      value: \"1\"\n")
    first = cli("test", "acme/web/prod", repo=mini)
    second = cli("test", "acme/web/prod", repo=mini)
    assert first.exit_code == second.exit_code == 1
    assert first.stdout == second.stdout and "+  replicas: 8" in second.stdout
    assert cli("test", "acme/web/prod", "--update", repo=mini).exit_code == 0
    third = cli("test", "acme/web/prod", "-f", "json", repo=mini)
    assert third.exit_code == 0 and json.loads(third.stdout)["cached"] == 1


@pytest.mark.slow
def test_many_stacks_in_parallel_same_results_and_plain_progress_in_ci(cli, mini, write):
    for i in range(70):
        write(mini, f"konfig/appops/acme/api/extra/s{i:02d}/stack.yaml",
              f"env: dev\nconfig:\n  replicas: {2 if i % 2 else 1}\n")
    update = cli("test", "--all", "--update", "--no-cache", "-j", "1", repo=mini)
    assert update.exit_code == 0, update.output
    write(mini, "konfig/appops/acme/api/extra/s07/stack.yaml", "env: dev\nconfig:\n  replicas: 4\n")
    serial = cli("test", "--all", "--no-cache", "-j", "1", "-f", "json", repo=mini)
    parallel = cli("test", "--all", "--no-cache", "-j", "2", "-f", "json", repo=mini, env={"CI": "true"})
    assert serial.exit_code == parallel.exit_code == 1
    strip = lambda out: [(r["stack"], [(c["name"], c["status"], c["diff"]) for c in r["checks"]])
                         for r in json.loads(out)["results"]]
    assert strip(serial.stdout) == strip(parallel.stdout)
    assert json.loads(parallel.stdout)["failed"] == 1
    assert "testing: " in parallel.stderr and "/76" in parallel.stderr


def test_selector_and_json_format(cli, mini):
    res = cli("test", "--all", "-l", "env=prod", "-f", "json", repo=mini)
    assert res.exit_code == 0
    assert sorted(r["stack"] for r in json.loads(res.stdout)["results"]) == [
        "konfig/appops/acme/api/prod/eu", "konfig/appops/acme/api/prod/us",
        "konfig/appops/acme/web/prod", "konfig/infra/data/db/prod"]


def test_unwritable_junit_path_is_bad_input_not_a_crash(cli, mini, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for target in (tmp_path, a_file / "report.xml"):  # a directory; below a file
        res = cli("test", "acme/web/dev", "--junit", str(target), repo=mini)
        assert res.exit_code == 2, res.output
        assert f"cannot write the JUnit report {target}" in res.output and "internal error" not in res.output
    # a missing parent directory is made, as CI report paths expect
    res = cli("test", "acme/web/dev", "--junit", str(tmp_path / "reports" / "konfig.xml"), repo=mini)
    assert res.exit_code == 0 and (tmp_path / "reports" / "konfig.xml").is_file()


def test_a_whole_run_is_kept_and_a_golden_file_alone_invalidates_it(cli, mini):
    """The second run is one entry (check/keys.run_key); the golden files are in its key."""
    assert cli("test", "--all", repo=mini).exit_code == 0
    second = json.loads(cli("test", "--all", "-f", "json", repo=mini).stdout)
    assert second["cached"] == 6 and second["failed"] == 0
    golden = mini / "konfig/appops/acme/web/dev/golden.yaml"
    golden.write_text(golden.read_text().replace("replicas: 1", "replicas: 2"))
    third = json.loads(cli("test", "--all", "-f", "json", repo=mini).stdout)
    assert third["cached"] == 5 and third["failed"] == 1
    fourth = json.loads(cli("test", "--all", "-f", "json", repo=mini).stdout)
    assert fourth["cached"] == 6 and fourth["failed"] == 1
    assert [r["checks"] for r in fourth["results"]] == [r["checks"] for r in third["results"]]
