"""``konfig import crd|openapi``: models from CRDs and OpenAPI documents written for these tests,
through the CLI as users call it and through the command functions."""
from __future__ import annotations

import io
import json
import shutil

import pytest

from konfigctl.commands.imports import import_crd
from konfigctl.output import Output
from konfigctl.repo.repository import Repository
from konfigctl.yamlio import load, load_all
from tests.conftest import FIXTURES

DATA = FIXTURES / "imports"
WIDGETS = DATA / "widgets.example.com.yaml"
BACKUP = DATA / "backup-api.openapi.yaml"
SWAGGER = DATA / "widgets.swagger.json"


@pytest.fixture(scope="module")
def initialised(tmp_path_factory):
    from typer.testing import CliRunner

    from konfigctl.cli import build_app

    target = tmp_path_factory.mktemp("init") / "k"
    res = CliRunner().invoke(build_app(), ["init", str(target)], env={"NO_COLOR": "1"})
    assert res.exit_code == 0, res.output
    return target


@pytest.fixture
def konfig(initialised, tmp_path):
    """A fresh `konfig init` Konfig (a copy of one made per module: init takes seconds)."""
    target = tmp_path / "k"
    shutil.copytree(initialised, target, symlinks=True)
    shutil.rmtree(target / ".konfig-cache", ignore_errors=True)
    return target


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.parts and ".konfig-cache" not in p.parts}


def passes_everything(cli, root):
    for args in (("validate", "--all"), ("docs", "--check"), ("test", "--all"), ("fmt", "--check")):
        res = cli(*args, repo=root)
        assert res.exit_code == 0, (args, res.output)


def test_a_crd_becomes_a_model_that_passes_every_check_at_once(cli, konfig):
    res = cli("import", "crd", str(WIDGETS), "--model", "widget", repo=konfig)
    assert res.exit_code == 0, res.output
    assert sorted(line.split()[1] for line in res.stdout.splitlines()) == [
        "docs/models/README.md", "docs/models/widget.md", "konfig/base/crds/example.com_widget_v1.yaml",
        "konfig/base/models/widget/defaults.yaml", "konfig/base/models/widget/render.py",
        "konfig/base/models/widget/schema.yaml", "konfig/base/templates/widget/project.yaml.tmpl",
        "konfig/base/templates/widget/stack/stack.yaml.tmpl", "konfig/base/templates/widget/template.yaml"]
    # what konfig cannot check is named by its JSON pointer, at its line
    warnings = [line for line in res.stderr.splitlines() if line.startswith("konfig: warning: ")]
    assert len(warnings) == 3, res.stderr
    assert any(":45:15: /spec/versions/1/schema/openAPIV3Schema/properties/spec/x-kubernetes-validations: "
               "1 CEL validation rule" in w for w in warnings)
    schema = load((konfig / "konfig/base/models/widget/schema.yaml").read_text()).data
    assert schema["required"] == ["size", "owner"]
    props = schema["properties"]
    assert props["size"]["minimum"] == 1 and props["size"]["maximum"] == 128
    assert props["mode"]["enum"] == ["active", "passive", "standby"]
    assert props["endpoints"]["x-merge-key"] == "name"
    assert props["tier"]["pattern"] == "^([gG][oO][lL][dD]|[sS][iI][lL][vV][eE][rR])$"
    assert load((konfig / "konfig/base/models/widget/defaults.yaml").read_text()).data == {"mode": "active"}
    passes_everything(cli, konfig)

    res = cli("new", "project", "konfig/appops/shop/widgets", "--model", "widget", "--owner", "example",
              repo=konfig)
    assert res.exit_code == 0, res.output
    passes_everything(cli, konfig)
    golden = load_all((konfig / "konfig/appops/shop/widgets/prod/golden.yaml").read_text())
    assert golden == [{"apiVersion": "example.com/v1", "kind": "Widget",
                       "metadata": {"name": "widgets", "namespace": "widgets", "labels": {
                           "app.kubernetes.io/name": "widgets", "app.kubernetes.io/instance": "widgets-prod",
                           "app.kubernetes.io/managed-by": "konfig", "env": "prod",
                           "criticality": "high"}},  # the prod profile's, as for every model
                       "spec": {"mode": "active", "size": 1, "owner": "ops@example.com"}}]


def test_the_imported_constraints_reject_bad_stacks_at_their_key_paths(cli, konfig):
    assert cli("import", "crd", str(WIDGETS), "--model", "widget", repo=konfig).exit_code == 0
    assert cli("new", "project", "konfig/appops/shop/widgets", "-m", "widget", "--owner", "example",
               "--stacks", "prod", repo=konfig).exit_code == 0
    stack = konfig / "konfig/appops/shop/widgets/prod/stack.yaml"
    stack.write_text(stack.read_text().replace("  size: 1\n", """\
  size: 200
  tier: GOLD
  ratio: 0
  storage: {class: nvme, backup: {retain: 0}}
  endpoints:
    - {name: http, port: 70000}
    - {name: http, port: 81}
  port: [1]
  extra: {anything: [1, {goes: here}]}
  template: {kind: ConfigMap, data: {a: b}}  # an embedded resource: apiVersion and kind required
  sizee: 3
"""))
    res = cli("validate", "shop/widgets/prod", repo=konfig)
    assert res.exit_code == 1
    assert [line.split(": ", 1)[1] for line in res.stdout.splitlines()] == [
        "size: 200 is above the maximum 128 (model widget)",
        "ratio: 0 must be above 0 (model widget)",
        "storage.class: nvme is not one of ssd, hdd (model widget)",
        "storage.backup.retain: 0 is below the minimum 1 (model widget)",
        "endpoints[name=http].port: 70000 is above the maximum 65535 (model widget)",
        "endpoints[name=http].name: http is the name of an earlier item too (items merge by name: each needs its own) "
        "(model widget)",
        "port: expected integer, got array [1] (model widget)",
        "template.apiVersion: is required but not set (A resource the widget creates) (model widget)",
        "sizee: unknown key (did you mean 'size'?) (model widget)",
    ], res.stdout


def test_the_rendered_resource_is_checked_against_the_imported_crd_schema(cli, konfig):
    assert cli("import", "crd", str(WIDGETS), "--model", "widget", repo=konfig).exit_code == 0
    assert cli("new", "project", "konfig/appops/shop/widgets", "-m", "widget", "--owner", "example",
               "--stacks", "prod", repo=konfig).exit_code == 0
    # a renderer that emits a field the CRD does not have fails `konfig test`, strictly
    render = konfig / "konfig/base/models/widget/render.py"
    render.write_text(render.read_text().replace("    return [resource]", "    resource['spec']['colour'] = 'red'\n"
                                                                         "    return [resource]"))
    res = cli("test", "shop/widgets/prod", repo=konfig)
    assert res.exit_code == 1
    assert "Widget widgets: spec.colour: unknown key" in res.stdout, res.stdout


def test_version_picks_another_version_and_the_default_is_the_storage_one(cli, konfig):
    res = cli("import", "crd", str(WIDGETS), "--model", "widget-old", "--version", "v1beta1", repo=konfig)
    assert res.exit_code == 0, res.output
    assert "version v1beta1 is deprecated: example.com/v1beta1 Widget is deprecated" in res.stderr
    schema = load((konfig / "konfig/base/models/widget-old/schema.yaml").read_text()).data
    assert list(schema["properties"]) == ["size", "labels", "annotations"]
    assert (konfig / "konfig/base/crds/example.com_widget_v1beta1.yaml").is_file()
    assert cli("import", "crd", str(WIDGETS), "--model", "widget", repo=konfig).exit_code == 0
    assert (konfig / "konfig/base/crds/example.com_widget_v1.yaml").is_file()
    passes_everything(cli, konfig)


def test_an_existing_model_is_refused_unless_forced(cli, konfig):
    assert cli("import", "crd", str(WIDGETS), "--model", "widget", repo=konfig).exit_code == 0
    before = snapshot(konfig)
    res = cli("import", "crd", str(WIDGETS), "--model", "widget", repo=konfig)
    assert res.exit_code == 2
    assert res.stderr.strip() == ("konfig: error: konfig/base/models/widget: model widget exists already "
                                  "(konfig/base/models/widget/): nothing was written (--force replaces it)")
    assert snapshot(konfig) == before
    (konfig / "konfig/base/models/widget/envs").mkdir()
    (konfig / "konfig/base/models/widget/envs/prod.yaml").write_text("mode: standby\n")
    res = cli("import", "crd", str(WIDGETS), "--model", "widget", "--force", repo=konfig)
    assert res.exit_code == 0, res.output
    assert "wrote konfig/base/models/widget/schema.yaml (replaced)" in res.stdout
    assert (konfig / "konfig/base/models/widget/envs/prod.yaml").read_text() == "mode: standby\n"  # kept


def test_stdin_json_output_and_dry_run(cli, konfig):
    before = snapshot(konfig)
    res = cli("import", "crd", "-", "--model", "widget", "--dry-run", "-f", "json", input=WIDGETS.read_text(),
              repo=konfig)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["kind"] == "Widget" and data["apiVersion"] == "example.com/v1" and data["dry_run"] is True
    assert data["crd"] == "konfig/base/crds/example.com_widget_v1.yaml"
    assert data["warnings"][0].startswith("<stdin>:45:15: /spec/versions/1/")
    assert snapshot(konfig) == before


def test_an_openapi_v3_definition_renders_the_resource_named_on_the_command_line(cli, konfig):
    res = cli("import", "openapi", str(BACKUP), "--definition", "BackupPolicy", "--model", "backup",
              "--api-version", "backup.example.com/v1", "--kind", "BackupPolicy", repo=konfig)
    assert res.exit_code == 0, res.output
    schema = load((konfig / "konfig/base/models/backup/schema.yaml").read_text()).data
    assert sorted(schema["$defs"]) == ["Credentials", "Folder", "Schedule", "Target", "Window"]
    assert schema["properties"]["schedule"] == {"$ref": "#/$defs/Schedule", "unevaluatedProperties": False}
    passes_everything(cli, konfig)
    assert cli("new", "project", "konfig/appops/shop/backups", "-m", "backup", "--owner", "example",
               "--stacks", "prod", repo=konfig).exit_code == 0
    passes_everything(cli, konfig)
    golden = load_all((konfig / "konfig/appops/shop/backups/prod/golden.yaml").read_text())[0]
    assert golden["apiVersion"] == "backup.example.com/v1" and golden["kind"] == "BackupPolicy"
    assert golden["spec"] == {"compression": "zstd", "schedule": {"cron": "0 3 * * *"},
                              "targets": [{"name": "example-name", "url": "https://example.com"}]}
    stack = konfig / "konfig/appops/shop/backups/prod/stack.yaml"
    stack.write_text(stack.read_text() + """\
  retention: {days: 0}
  folder: {children: [{name: a, children: [{nme: b}]}]}
  note: null
""")
    stack.write_text(stack.read_text().replace("url: https://example.com", "url: https://example.com\n"
                                                                           "      credentials: {secretNam: s}"))
    res = cli("validate", "shop/backups/prod", repo=konfig)
    assert [line.split(": ", 1)[1] for line in res.stdout.splitlines()] == [
        "targets[0].credentials.secretNam: unknown key (model backup)",
        "retention.days: 0 is below the minimum 1 (model backup)",
        "folder.children[0].children[0].nme: unknown key (model backup)",
    ], res.stdout


def test_a_kubernetes_shaped_swagger_definition_gives_its_spec(cli, konfig):
    res = cli("import", "openapi", str(SWAGGER), "-d", "com.example.v1.Widget", "--model", "widget", repo=konfig)
    assert res.exit_code == 0, res.output
    schema = load((konfig / "konfig/base/models/widget/schema.yaml").read_text()).data
    # the spec's definition inlined; its `labels` field renamed: labels are the resource's metadata
    assert list(schema["properties"]) == ["size", "containers", "spec_labels", "priority", "labels", "annotations"]
    assert schema["properties"]["size"]["exclusiveMaximum"] == 10
    assert schema["properties"]["containers"]["x-merge-key"] == "name"  # patch-merge-key, merge strategy
    strict = load((konfig / "konfig/base/crds/example.com_widget_v1.yaml").read_text()).data
    assert strict["x-kubernetes-group-version-kind"] == [{"group": "example.com", "version": "v1", "kind": "Widget"}]
    assert cli("new", "project", "konfig/appops/shop/widgets", "-m", "widget", "--owner", "example",
               "--stacks", "prod", repo=konfig).exit_code == 0
    stack = konfig / "konfig/appops/shop/widgets/prod/stack.yaml"
    stack.write_text(stack.read_text() + "  spec_labels: {tier: web}\n  labels: {team: shop}\n")
    assert cli("test", "shop/widgets/prod", "--update", repo=konfig).exit_code == 0
    passes_everything(cli, konfig)
    golden = load_all((konfig / "konfig/appops/shop/widgets/prod/golden.yaml").read_text())[0]
    assert golden["spec"]["labels"] == {"tier": "web"} and golden["metadata"]["labels"]["team"] == "shop"


def test_the_command_function_writes_nothing_when_the_input_is_bad(konfig, tmp_path):
    repo = Repository.discover(str(konfig))
    out = Output(out=io.StringIO(), err=io.StringIO())
    before = snapshot(konfig)
    bad = tmp_path / "deployment.yaml"
    bad.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n")
    from konfigctl.errors import KonfigError

    with pytest.raises(KonfigError) as e:
        import_crd(repo, str(bad), "widget", out)
    assert str(e.value) == f"{bad}:1:1: not a CustomResourceDefinition (kind 'Deployment')"
    assert snapshot(konfig) == before
    assert import_crd(repo, str(WIDGETS), "widget", out) == 0
    assert (konfig / "konfig/base/models/widget/render.py").is_file()


CLUSTER_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: quotas.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {kind: Quota, plural: quotas}
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          required: [limits]
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            limits:
              type: object
              required: [cpu]
              properties:
                cpu: {x-kubernetes-int-or-string: true, pattern: '^[0-9]+m?$'}
            owners:
              type: array
              minItems: 2
              items: {type: string, pattern: '^@[a-z]+$'}
            status: {type: object, properties: {used: {type: string}}}
"""


def test_a_cluster_scoped_kind_without_spec_renders_its_fields_at_the_top(cli, konfig, tmp_path):
    crd = tmp_path / "quotas.yaml"
    crd.write_text(CLUSTER_CRD)
    res = cli("import", "crd", str(crd), "--model", "quota", repo=konfig)
    assert res.exit_code == 0, res.output
    schema = load((konfig / "konfig/base/models/quota/schema.yaml").read_text()).data
    assert list(schema["properties"]) == ["limits", "owners", "labels", "annotations"]  # no status
    assert cli("new", "project", "konfig/infra/platform/quotas", "-m", "quota", "--owner", "example",
               "--stacks", "prod", repo=konfig).exit_code == 0
    passes_everything(cli, konfig)
    (golden,) = load_all((konfig / "konfig/infra/platform/quotas/prod/golden.yaml").read_text())
    assert "namespace" not in golden["metadata"]
    assert golden["limits"] == {"cpu": 1} and "spec" not in golden
    res = cli("set", "platform/quotas/prod", 'owners=["@a", bob]', "limits.cpu=2x", repo=konfig)
    assert res.exit_code == 1
    assert [line.split(": ", 1)[1] for line in res.stdout.splitlines()] == [
        "limits.cpu: 2x does not match the pattern ^[0-9]+m?$ (model quota)",
        "owners[1]: bob does not match the pattern ^@[a-z]+$ (model quota)",
    ], res.stdout


@pytest.mark.slow  # ~15 s: 862 real definitions, a 4,000-line schema, its docs page
def test_a_builtin_kind_from_the_kubernetes_definitions_is_checked_by_the_builtin_schemas(cli, konfig, tmp_path):
    """The real thing: kubernetes-validate's definitions (862 of them, $ref chains everywhere,
    patch merge keys, map lists, int-or-string) as a swagger document."""
    import os
    import re

    from konfigctl.render.kubernetes import schema_root, shipped_versions

    v = shipped_versions()[-1]
    with open(os.path.join(schema_root(), f"v{v}-local-strict", "_definitions.json")) as f:
        text = re.sub(r'"\$ref": "[^"#]*#/\$defs/', '"$ref": "#/definitions/', json.dumps(json.load(f)["$defs"]))
    swagger = tmp_path / "swagger.json"
    swagger.write_text(json.dumps({"swagger": "2.0", "info": {"title": "k", "version": v}, "paths": {},
                                   "definitions": json.loads(text)}))
    res = cli("import", "openapi", str(swagger), "-d", "io.k8s.api.apps.v1.Deployment", "--model", "deploy",
              repo=konfig)
    assert res.exit_code == 0, res.output
    assert not any("crds/" in line for line in res.stdout.splitlines())  # the built-in schema checks it
    assert "/definitions/io.k8s.api.core.v1.Container/properties/ports/x-kubernetes-list-type: a map list " \
           "keyed by ['containerPort', 'protocol']" in res.stderr
    schema = load((konfig / "konfig/base/models/deploy/schema.yaml").read_text()).data
    container = schema["$defs"]["io.k8s.api.core.v1.Container"]
    assert container["properties"]["env"]["x-merge-key"] == "name"
    assert cli("new", "project", "konfig/appops/shop/deploy", "-m", "deploy", "--owner", "example",
               "--stacks", "dev", repo=konfig).exit_code == 0
    passes_everything(cli, konfig)
    res = cli("set", "shop/deploy/dev", "replicas=many", "minReadySecondz=1", repo=konfig)
    assert res.exit_code == 1
    assert ": replicas: expected integer" in res.stdout, res.stdout
    assert "minReadySecondz: unknown key (did you mean 'minReadySeconds'?)" in res.stdout, res.stdout


@pytest.mark.parametrize("point, written", [("staged", False), ("renamed:3", True)])
def test_an_import_killed_while_writing_lands_whole_or_not_at_all(konfig, point, written):
    """A real SIGKILL in the writer (the transaction's test hook): the next konfig run leaves
    every file of the model there, or none of them."""
    import os
    import signal
    import subprocess
    import sys

    before = snapshot(konfig)

    def run(*args, **env):
        return subprocess.run([sys.executable, "-m", "konfigctl", "--repo", str(konfig), *args],
                              capture_output=True, text=True, env={**os.environ, **env})

    res = run("import", "crd", str(WIDGETS), "--model", "widget", KONFIG_TEST_CRASH=point)
    assert res.returncode == -signal.SIGKILL, res.stderr
    assert run("list").returncode == 0  # any command that opens the repository finishes or undoes it
    model = konfig / "konfig/base/models/widget"
    new = sorted(set(snapshot(konfig)) - set(before))
    if written:
        assert len(new) == 8 and (model / "render.py").is_file() and (model / "schema.yaml").is_file()
        assert snapshot(konfig)["docs/models/README.md"] != before["docs/models/README.md"]
        assert run("test", "--all").returncode == 0
    else:
        assert new == [] and not model.exists() and snapshot(konfig) == before


def test_kind_picks_one_crd_of_a_file_of_several(cli, konfig, tmp_path):
    both = tmp_path / "operator.crds.yaml"
    both.write_text(CLUSTER_CRD + "---\n" + WIDGETS.read_text())
    res = cli("import", "crd", str(both), "--kind", "Widget", "--model", "widget", repo=konfig)
    assert res.exit_code == 0, res.output
    assert "Widget example.com/v1 from CRD widgets.example.com, version v1" in res.stderr
    # several documents: which one, and the pointer in it (no line numbers)
    assert "operator.crds.yaml (document 2): /spec/versions/1/schema/openAPIV3Schema/properties/spec/x-kubernetes-validations" \
        in res.stderr
    passes_everything(cli, konfig)


def test_an_example_konfig_cannot_make_up_is_a_warning_naming_what_to_fill_in(cli, konfig, tmp_path):
    crd = tmp_path / "hards.yaml"
    crd.write_text(CLUSTER_CRD.replace("quotas", "hards").replace("Quota", "Hard").replace(
        "cpu: {x-kubernetes-int-or-string: true, pattern: '^[0-9]+m?$'}",
        "cpu: {type: string, pattern: '^(?=.*[0-9])[a-z0-9]{8}$'}"))  # exrex reads no lookahead
    res = cli("import", "crd", str(crd), "--model", "hard", repo=konfig)
    assert res.exit_code == 0, res.output
    assert ("konfig: warning: konfig/base/templates/hard/stack/stack.yaml.tmpl: limits.cpu: the example does not "
            "validate ('example-cpu' does not match '^(?=.*[0-9])[a-z0-9]{8}$'): fill it in before "
            "`konfig new project`") in res.stderr, res.stderr
    passes_everything(cli, konfig)  # the model itself is fine
    res = cli("new", "project", "konfig/infra/platform/hards", "-m", "hard", "--owner", "example", repo=konfig)
    assert res.exit_code == 1 and not (konfig / "konfig/infra/platform/hards").exists()
