from __future__ import annotations

import json
import re

from tests.conftest import REPO_ROOT


def test_this_repository_validates(cli):
    res = cli("validate", "--all", repo=REPO_ROOT)
    assert res.exit_code == 0, res.output
    assert "valid" in res.stderr


def test_disk_above_bound_points_at_stack_line(cli, mini, write):
    write(mini, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\nconfig:\n  replicas: 4\n  disk: 200Gi\n")
    res = cli("validate", "acme/web/prod", repo=mini)
    assert res.exit_code == 1
    line = res.stdout.strip().splitlines()[0]
    assert line == ("konfig/appops/acme/web/prod/stack.yaml:4:3: disk: "
                    "200Gi is above the maximum 100Gi (model app)")


def test_problem_in_shared_layer_is_located_there_and_names_stack(cli, mini, write):
    write(mini, "konfig/appops/acme/api/prod/defaults.yaml", "memory: 8Gi\n")
    res = cli("validate", "--all", repo=mini)
    assert res.exit_code == 1
    lines = [ln for ln in res.stdout.splitlines() if "maximum 4Gi" in ln]
    assert len(lines) == 2  # both region stacks inherit it
    for ln in lines:
        assert re.match(r"konfig/appops/acme/api/prod/defaults\.yaml:1:1: memory: 8Gi is above the maximum 4Gi "
                        r"\(model app\) \[stack konfig/appops/acme/api/prod/(eu|us)\]", ln), ln


def test_json_format(cli, mini, write):
    write(mini, "konfig/appops/acme/web/prod/stack.yaml", "env: prod\nconfig:\n  replicas: 1\n")
    res = cli("validate", "--all", "-f", "json", repo=mini)
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["ok"] is False
    (p,) = data["problems"]
    assert p["source"] == "policy prod-replicas"
    assert p["keypath"] == "replicas"
    assert p["line"] == 3


def test_disk_bound_on_this_repositorys_webapp_model(cli, tmp_path):
    """The issue's example on the real webapp model: disk 200Gi against its 100Gi bound."""
    import shutil

    root = tmp_path / "k"
    shutil.copytree(REPO_ROOT / "konfig", root / "konfig")
    shutil.copy(REPO_ROOT / "konfig.yaml", root / "konfig.yaml")
    stack = root / "konfig/appops/payments/checkout/prod/eu-west-1/stack.yaml"
    text = stack.read_text()
    assert "\nconfig:\n" in text
    stack.write_text(text.replace("\nconfig:\n", "\nconfig:\n  resources:\n    disk: 200Gi\n", 1))
    res = cli("validate", "payments/checkout/prod/eu-west-1", repo=root)
    assert res.exit_code == 1
    line_no = text.split("\nconfig:\n")[0].count("\n") + 4  # the disk: line
    assert (f"konfig/appops/payments/checkout/prod/eu-west-1/stack.yaml:{line_no}:5: resources.disk: "
            "200Gi is above the maximum 100Gi (model webapp)") in res.stdout


def test_validate_with_overrides_every_unknown_key_reported(cli, mini):
    res = cli("validate", "acme/web/dev", "-O", "replica=2", "-O", "colour=red", repo=mini)
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert len(lines) == 2
    assert any(ln.startswith("<command line>: replica: unknown key (did you mean 'replicas'?) (model app)")
               for ln in lines)
    assert any("colour: unknown key" in ln for ln in lines)


def test_validate_bad_override_is_usage_error(cli, mini):
    res = cli("validate", "--all", "-O", "nope", repo=mini)
    assert res.exit_code == 2 and "bad override 'nope'" in res.stderr


def test_unevaluated_properties_name_each_key(cli):
    res = cli("validate", "payments/checkout/dev", "-O", "imag=x", "-O", "replica=1", repo=REPO_ROOT)
    assert res.exit_code == 1
    assert "imag: unknown key (did you mean 'image'?) (model webapp)" in res.stdout
    assert "replica: unknown key (did you mean 'replicas'?) (model webapp)" in res.stdout
