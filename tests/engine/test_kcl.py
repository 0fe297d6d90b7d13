"""KCL stacks (DESIGN.md "KCL stacks"): every command on them, with real kcl-lib and real git.

The fixture is the mini Konfig (YAML stacks) with this repository's own KCL
org (konfig/appops/kusion) copied in: a mixed repository, as teams adopting
konfig have. kcl-lib is required here (the ``kcl`` extra): these tests fail,
never skip, without it.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, commit_all, copy_fixture, git_init

ORG = "konfig/appops/kusion"
DEV = f"{ORG}/guestbook/dev"
PROD = f"{ORG}/guestbook/prod"
LEDGER = f"{ORG}/ledger/dev"


def kcl_version() -> str:
    from importlib import metadata

    return metadata.version("kcl-lib")


def add_kcl_org(repo: Path) -> Path:
    """This repository's KCL org, with the teams its OWNERS files name, into ``repo``."""
    shutil.copytree(REPO_ROOT / ORG, repo / ORG)
    with open(repo / "konfig.yaml", "a", encoding="utf-8") as f:
        f.write(f"kcl:\n  version: {kcl_version()}\n")
    with open(repo / "konfig/base/teams.yaml", "a", encoding="utf-8") as f:
        f.write('  commerce: ["@jon"]\n  payments: ["@gina"]\n  kcl-reviewers: ["@bruno"]\n')
    return repo


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    return add_kcl_org(copy_fixture("mini", tmp_path / "mixed"))


@pytest.fixture
def mixed_git(mixed: Path):
    return mixed, git_init(mixed)


def test_list_shows_each_stacks_engine(cli, mixed):
    res = cli("list", "stacks", "--format", "json", repo=mixed)
    assert res.exit_code == 0, res.output
    rows = {r["path"]: r for r in json.loads(res.stdout)}
    assert rows[DEV]["engine"] == "kcl" and rows[DEV]["model"] is None
    assert {r["engine"] for p, r in rows.items() if not p.startswith(ORG)} == {"yaml"}


def test_resolve_prints_the_compile_output_with_the_test_options(cli, mixed):
    res = cli("resolve", DEV, repo=mixed)
    assert res.exit_code == 0, res.output
    from konfigctl.yamlio import load_all

    docs = load_all(res.stdout)
    deploy = next(d for d in docs if d["attributes"]["kind"] == "Deployment")
    env = deploy["attributes"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "CLUSTER", "value": "demo-cluster"} in env  # ci-test/settings.yaml's option


def test_render_is_the_kusion_form_and_out_writes_manifests(cli, mixed, tmp_path):
    res = cli("render", LEDGER, "--format", "json", repo=mixed)
    assert res.exit_code == 0, res.output
    resources = json.loads(res.stdout)
    ids = [r["id"] for r in resources]
    assert "apps/v1:Deployment:ledger:ledger" in ids
    # the project's crd/ documents are appended; [] and null keys are left out
    assert "apiextensions.k8s.io/v1:CustomResourceDefinition:ledgerbackups.acme.dev" in ids
    ns = next(r for r in resources if r["id"] == "v1:Namespace:ledger")
    assert "dependsOn" not in ns
    out = tmp_path / "out"
    res = cli("render", LEDGER, "--out", str(out), repo=mixed)
    assert res.exit_code == 0, res.output
    assert (out / LEDGER / "deployment-ledger.yaml").exists()


def test_the_repositorys_kcl_goldens_pass_and_the_mixed_repository_tests_clean(cli, mixed):
    res = cli("test", "--all", "--format", "json", repo=mixed)
    assert res.exit_code == 0, res.output


def test_validate_reports_a_failed_check_at_the_stacks_own_line(cli, mixed):
    main = mixed / DEV / "main.k"
    main.write_text(main.read_text().replace("env = {", "replicas = 0\n    env = {"))
    res = cli("validate", DEV, repo=mixed)
    assert res.exit_code == 1, res.output
    line = res.stdout.strip().splitlines()[0]
    assert line.startswith(f"{DEV}/main.k:4:12: Instance check failed"), line
    assert "replicas must be at least 1" in line and f"{ORG}/base/pkg/app/app.k:" in line
    assert line.endswith("(kcl)")


def test_a_type_error_is_a_failure_and_a_syntax_error_is_bad_input(cli, mixed):
    main = mixed / DEV / "main.k"
    main.write_text(main.read_text().replace('"LOG_LEVEL" = "debug"', '"LOG_LEVEL" = 1'))
    res = cli("validate", DEV, repo=mixed)
    assert res.exit_code == 1, res.output
    assert f"{DEV}/main.k:" in res.stdout and "(kcl)" in res.stdout
    main.write_text("import base.pkg.app\nguestbook = {\n  a = \n")
    res = cli("validate", DEV, repo=mixed)
    assert res.exit_code == 2, res.output
    assert f"{DEV}/main.k:3:6:" in res.output and "(kcl)" in res.output
    assert "Traceback" not in res.output


def test_test_update_writes_the_golden_in_the_same_form_and_catches_drift(cli, mixed):
    golden = mixed / PROD / "ci-test/stdout.golden.yaml"
    committed = golden.read_text()
    main = mixed / PROD / "main.k"
    main.write_text(main.read_text().replace("replicas = 3", "replicas = 4"))
    res = cli("test", PROD, repo=mixed)
    assert res.exit_code == 1 and "-            replicas: 3" in res.stdout + res.stderr or "replicas" in res.output
    res = cli("test", PROD, "--update", repo=mixed)
    assert res.exit_code == 0, res.output
    assert golden.read_text() == committed.replace("replicas: 3", "replicas: 4")
    assert cli("test", PROD, repo=mixed).exit_code == 0


def test_golden_compare_is_semantic_lists_unordered(cli, mixed):
    from konfigctl.yamlio import dump, load

    golden = mixed / DEV / "ci-test/stdout.golden.yaml"
    resources = load(golden.read_text()).data
    # another order of the resources and of a list inside them, the era's `resources:` mapping
    resources.reverse()
    golden.write_text(dump({"resources": resources}))
    assert cli("test", DEV, "--no-cache", repo=mixed).exit_code == 0


def test_kcl_version_pin_refuses_another_version_naming_both(cli, mixed):
    text = (mixed / "konfig.yaml").read_text().replace(f"version: {kcl_version()}", "version: 0.9.0")
    (mixed / "konfig.yaml").write_text(text)
    res = cli("validate", DEV, repo=mixed)
    assert res.exit_code == 2, res.output
    assert "0.9.0" in res.output and kcl_version() in res.output and "konfig.yaml" in res.output
    # YAML stacks are not concerned
    assert cli("validate", "konfig/appops/acme", repo=mixed).exit_code == 0


def test_without_kcl_lib_a_kcl_stack_is_one_clear_line(cli, mixed, monkeypatch):
    from konfigctl.engine import kcl

    monkeypatch.setattr(kcl, "installed_version", lambda: None)  # kcl-lib absent, as pip leaves it
    res = cli("resolve", DEV, repo=mixed)
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0 and "konfigctl[kcl]" in res.output


# -- affected: through imports, at base and head -------------------------------------------

def _affected(cli, repo: Path, base: str) -> set[str]:
    res = cli("affected", "--base", base, "--format", "json", repo=repo)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    return {a["path"] for a in data["affected"]}


def test_affected_follows_imports_and_kcl_mod(cli, mixed_git):
    path, g = mixed_git
    base = g.head.commit.hexsha
    model = path / ORG / "base/pkg/app/app.k"
    model.write_text(model.read_text() + "\n")
    commit_all(g, "model")
    kcl_stacks = {f"{ORG}/{p}/{s}" for p in ("guestbook", "ledger") for s in ("dev", "prod")}
    assert _affected(cli, path, base) == kcl_stacks
    base = g.head.commit.hexsha
    (path / ORG / "guestbook/base/base.k").write_text((path / ORG / "guestbook/base/base.k").read_text() + "\n")
    commit_all(g, "project base")
    assert _affected(cli, path, base) == {DEV, PROD}
    base = g.head.commit.hexsha
    (path / ORG / "kcl.mod").write_text((path / ORG / "kcl.mod").read_text() + "\n")
    commit_all(g, "kcl.mod")
    assert _affected(cli, path, base) == kcl_stacks | {f"{ORG}/ledger/backup"}  # it imports no model


def test_an_import_in_a_docstring_ties_nothing(cli, mixed_git):
    path, g = mixed_git
    (path / ORG / "base/pkg/extra.k").write_text("x = 1\n")
    main = path / LEDGER / "main.k"
    main.write_text('"""The ledger dev stack: an example reads\n    import base.pkg.extra\n"""\n' + main.read_text())
    commit_all(g, "docstring")
    base = g.head.commit.hexsha
    (path / ORG / "base/pkg/extra.k").write_text("x = 2\n")
    commit_all(g, "extra")
    assert _affected(cli, path, base) == set()


def test_affected_on_renames_and_deletions_of_imported_modules(cli, mixed_git):
    path, g = mixed_git
    pkg = path / ORG / "base/pkg/tags"
    pkg.mkdir()
    (pkg / "tags.k").write_text('team = "ledger"\n')
    main = path / LEDGER / "main.k"
    main.write_text("import base.pkg.tags\n" + main.read_text())
    commit_all(g, "ledger dev imports tags")
    base = g.head.commit.hexsha
    g.git.mv(str(pkg / "tags.k"), str(pkg / "labels.k"))  # a rename inside the package
    commit_all(g, "rename")
    assert _affected(cli, path, base) == {LEDGER}
    base = g.head.commit.hexsha
    g.git.rm("-r", str(pkg))  # deleted: only the base revision knew who imported it
    commit_all(g, "delete")
    assert _affected(cli, path, base) == {LEDGER}


def test_the_graph_ties_a_kcl_stack_to_its_imports_both_ways(mixed):
    from konfigctl.change.graph import KCL, Graph
    from konfigctl.repo.repository import Repository

    repo = Repository(str(mixed))
    g = Graph.of(repo)
    stack = repo.stack_at(DEV)
    inputs = {i.file for i in g.inputs(stack) if i.rule == KCL}
    assert f"{ORG}/base/pkg/app/app.k" in inputs and f"{ORG}/kcl.mod" in inputs
    for file in inputs:
        assert DEV in {s.path for s, _r in g.dependents(file, rules=(KCL,))}


# -- the sandbox: a hostile stack reads no environment and writes no file ----------------------

def test_read_env_sees_no_variable_of_konfigs_process(cli, mixed, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret_value")
    main = mixed / DEV / "main.k"
    main.write_text("import file\n" + main.read_text()
                    + 'token = file.read_env("GITHUB_TOKEN")\npath = file.read_env("PATH")\n')
    res = cli("resolve", DEV, "--format", "json", repo=mixed)
    assert res.exit_code == 0, res.output
    assert "ghp_secret_value" not in res.output
    assert not any("token" in d or "path" in d for d in json.loads(res.stdout))
    assert os.environ["GITHUB_TOKEN"] == "ghp_secret_value"  # konfig's own environment is intact


def test_file_write_changes_no_file_of_the_work_tree(cli, mixed_git):
    path, g = mixed_git
    main = path / DEV / "main.k"
    hostile = ("import file\n" + main.read_text()
               + 'a = file.write("ci-test/stdout.golden.yaml", "pwned")\n'
               + f'b = file.write("{path}/{PROD}/ci-test/stdout.golden.yaml", "pwned")\n'
               + 'c = file.mkdirs("evil")\n'
               + 'd = file.delete("stack.yaml")\n')
    main.write_text(hostile)
    commit_all(g, "hostile")
    for args in (("resolve", DEV), ("test", DEV), ("validate", DEV), ("render", DEV)):
        cli(*args, repo=path)
    assert g.git.status("--porcelain") == ""  # nothing changed, nothing added
    assert not (path / DEV / "evil").exists()



# -- the rest of the commands: diff, explain, JUnit, names of that era ------------------------

def test_diff_shows_a_kcl_stacks_config_and_manifest_changes(cli, mixed_git):
    path, g = mixed_git
    base = g.head.commit.hexsha
    main = path / PROD / "main.k"
    main.write_text(main.read_text().replace("replicas = 3", "replicas = 4"))
    commit_all(g, "more replicas")
    res = cli("diff", "--base", base, repo=path)
    assert res.exit_code == 0, res.output
    assert PROD in res.stdout and "-  replicas: 3" in res.stdout and "+  replicas: 4" in res.stdout
    assert "Deployment/guestbook/guestbook" in res.stdout


def test_explain_says_what_to_use_instead(cli, mixed):
    res = cli("explain", DEV, repo=mixed)
    assert res.exit_code == 2 and "konfig get STACK PATH" in res.output and "Traceback" not in res.output


def test_junit_reports_kcl_stacks_like_any_other(cli, mixed, tmp_path):
    report = tmp_path / "junit.xml"
    main = mixed / DEV / "main.k"
    main.write_text(main.read_text().replace("env = {", "replicas = 0\n    env = {"))
    res = cli("test", ORG, "--junit", str(report), repo=mixed)
    assert res.exit_code == 1
    import xml.etree.ElementTree as ET

    cases = ET.parse(report).getroot().iter("testcase")
    failed = {c.get("classname") for c in cases if c.find("failure") is not None}
    assert any(DEV.replace("/", ".") in (f or "") or DEV in (f or "") for f in failed), failed


def test_a_stack_name_that_is_not_a_dns_label(cli, mixed):
    src = mixed / ORG / "ledger/dev"
    dst = mixed / ORG / "ledger/alicloud_oss"
    shutil.copytree(src, dst)
    (dst / "stack.yaml").write_text("name: alicloud_oss\n")
    rows = json.loads(cli("list", "stacks", "--format", "json", repo=mixed).stdout)
    assert any(r["name"] == "alicloud_oss" for r in rows)
    assert cli("test", f"{ORG}/ledger/alicloud_oss", repo=mixed).exit_code == 0


def test_custom_resources_checked_by_the_projects_crd_unknown_kinds_warn_terraform_passes(cli, mixed):
    backup = f"{ORG}/ledger/backup"
    res = cli("test", backup, repo=mixed)
    assert res.exit_code == 0, res.output
    assert f"warning: {backup}: PagerRoute ledger: no schema for PagerRoute" in res.stderr
    main = mixed / backup / "main.k"
    main.write_text(main.read_text().replace('spec.schedule = "0 3 * * *"', "spec.schedule = 3"))
    res = cli("test", backup, repo=mixed)
    assert res.exit_code == 1
    assert "kubernetes" in res.stdout and "LedgerBackup ledger-nightly: spec.schedule:" in res.stdout


def test_file_read_reaches_no_file_beyond_the_stacks_own_and_cp_mv_change_nothing(cli, mixed_git):
    path, g = mixed_git
    secret = path / ORG / "ledger/prod/secret.txt"  # another project's file
    secret.write_text("s3cr3t\n")
    commit_all(g, "a file of another project")
    main = path / DEV / "main.k"
    main.write_text("import file\n" + main.read_text()
                    + f'leak = file.read("{secret}")\n')
    res = cli("resolve", DEV, repo=path)
    assert "s3cr3t" not in res.output
    main.write_text(main.read_text().replace(f'leak = file.read("{secret}")\n',
                                             'a = file.cp("stack.yaml", "copied.yaml")\n'
                                             'b = file.mv("kcl.yaml", "moved.yaml")\n'))
    commit_all(g, "cp and mv")
    cli("test", DEV, repo=path)
    assert g.git.status("--porcelain") == ""


def test_an_override_is_a_kcl_option(cli, mixed):
    res = cli("resolve", DEV, "-O", "cluster=eu-central", "--format", "json", repo=mixed)
    assert res.exit_code == 0, res.output
    deploy = next(d for d in json.loads(res.stdout) if d["attributes"]["kind"] == "Deployment")
    env = deploy["attributes"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "CLUSTER", "value": "eu-central"} in env
    assert cli("resolve", DEV, "-O", "no-equals-sign", repo=mixed).exit_code == 2
