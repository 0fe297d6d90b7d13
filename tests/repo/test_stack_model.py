"""A stack of another model than its project's (``model:`` in stack.yaml), and policies
that require another stack (``requires:``) -- what an SLO stack beside a service needs.

The fixture: the two-model Konfig (models ``app`` and ``job``) plus
``acme/api/nightly``, a ``job`` stack inside the ``app`` project ``acme/api``,
and a policy "every prod app stack has a job stack in its project and env".
The api project's ``defaults.yaml`` sets keys the job model refuses (``mode``,
``port``): if it were a layer of the nightly stack, that stack would fail.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from konfigctl.change.affected import compute
from konfigctl.change.graph import Graph
from konfigctl.repo.repository import Repository

from tests import konfig_repos as k
from tests.conftest import commit_all, git_init

NIGHTLY = "konfig/appops/acme/api/nightly"
JOB_RENDER = '''"""A CronJob per stack (tests)."""


def render(config, stack):
    container = {"name": stack.project, "image": config["image"]}
    return [{"apiVersion": "batch/v1", "kind": "CronJob",
             "metadata": {"name": f"{stack.project}-{stack.name}", "namespace": stack.namespace},
             "spec": {"schedule": config["schedule"], "jobTemplate": {"spec": {"template": {
                 "spec": {"restartPolicy": "Never", "containers": [container]}}}}}}]
'''
POLICY = """\
name: prod-has-job
description: every prod app stack has a job stack beside it
severity: error
when: {env: prod, model: app}
requires:
  model: job
  same: [project, env]
"""
NIGHTLY_STACK = "env: prod\nmodel: job\nconfig:\n  image: example/nightly:1.0.0\n"
API_PROD = ["konfig/appops/acme/api/prod/eu", "konfig/appops/acme/api/prod/us"]


def build(root: Path, *, nightly: bool = True, policy: str = POLICY) -> Path:
    k.two_models(root)
    files = {
        "konfig/base/models/job/render.py": JOB_RENDER,
        "konfig/base/models/job/envs/prod.yaml": "retries: 2\n",
        "konfig/base/templates/job/project.yaml.tmpl": "model: job\nowners: ${owners}\n",
        "konfig/base/templates/job/stack/stack.yaml.tmpl":
            "env: ${env}\nmodel: job\nconfig:\n  image: example/${project}:1.0.0\n",
        "konfig/base/policies/prod-has-job.yaml": policy,
    }
    if nightly:
        files[f"{NIGHTLY}/stack.yaml"] = NIGHTLY_STACK
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


@pytest.fixture
def own(mini: Path) -> Path:
    return build(mini)


@pytest.fixture
def own_git(mini: Path) -> tuple[Path, Any]:
    root = build(mini)
    g = git_init(root)
    g.git.checkout("-b", "change")
    return root, g


def problems(cli: Any, root: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    res = cli("validate", *args, "-f", "json", repo=root)
    return res.exit_code, json.loads(res.stdout)["problems"]


# -- layers and resolution -----------------------------------------------------------------

def test_its_layers_are_its_models_and_its_own_file(cli, own):
    res = cli("explain", NIGHTLY, "-f", "json", repo=own)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["model"] == "job"
    files = [layer["file"] for layer in data["layers"]]
    assert files == ["konfig/base/models/job/defaults.yaml", "konfig/base/envs/prod.yaml",
                     "konfig/base/models/job/envs/prod.yaml", f"{NIGHTLY}/stack.yaml"]
    resolved = json.loads(cli("resolve", NIGHTLY, "-f", "json", repo=own).stdout)
    # job defaults, the prod profiles, the stack; nothing of the api project's defaults.yaml
    assert resolved == {"retries": 2, "schedule": "0 * * * *", "labels": {"tier": "prod"},
                        "image": "example/nightly:1.0.0"}


def test_it_validates_renders_and_tests_as_a_stack_of_its_model(cli, own):
    assert cli("validate", NIGHTLY, repo=own).exit_code == 0
    rendered = cli("render", NIGHTLY, repo=own)
    assert rendered.exit_code == 0, rendered.output
    assert "kind: CronJob" in rendered.stdout and "name: api-nightly" in rendered.stdout
    res = cli("test", NIGHTLY, "--update", repo=own)
    assert res.exit_code == 0, res.output
    assert (own / NIGHTLY / "golden.yaml").is_file()


def test_a_stack_of_the_projects_model_keeps_the_defaults_chain(cli, own, write):
    write(own, "konfig/appops/acme/api/dev/stack.yaml", "env: dev\nmodel: app\nconfig: {}\n")
    resolved = json.loads(cli("resolve", "acme/api/dev", "-f", "json", repo=own).stdout)
    assert resolved["mode"] == "web"  # from the api project's defaults.yaml


def test_list_and_selectors_show_the_stacks_own_model(cli, own):
    rows = {r["path"]: r for r in json.loads(cli("list", "stacks", "-f", "json", repo=own).stdout)}
    assert rows[NIGHTLY]["model"] == "job"
    assert rows[NIGHTLY]["project"] == "konfig/appops/acme/api"
    long = cli("list", "stacks", "-L", repo=own).stdout
    assert any(line.split()[:3] == [NIGHTLY, "prod", "job"] for line in long.splitlines())
    jobs = cli("list", "stacks", "-l", "model=job", repo=own).stdout.split()
    assert jobs == sorted(k.BATCH + [NIGHTLY])
    assert NIGHTLY not in cli("list", "stacks", "-l", "model=app", repo=own).stdout.split()
    models = {m["name"]: m for m in json.loads(cli("list", "models", "-f", "json", repo=own).stdout)}
    assert "konfig/appops/acme/api" in models["job"]["projects"]


def test_an_unknown_model_is_bad_input_at_its_line(cli, own, write):
    write(own, f"{NIGHTLY}/stack.yaml", "env: prod\nmodel: jobs\nconfig: {}\n")
    res = cli("validate", NIGHTLY, repo=own)
    assert res.exit_code == 2
    assert f"{NIGHTLY}/stack.yaml:2:1: model: unknown model 'jobs'" in res.output


def test_its_owners_are_its_projects(cli, own):
    res = cli("owners", f"{NIGHTLY}/stack.yaml", "-f", "json", repo=own)
    assert res.exit_code == 0, res.output
    assert "web" in res.stdout and "@erin" in res.stdout


def test_set_edits_its_stack_yaml_and_refuses_the_projects_defaults(cli, own):
    res = cli("set", NIGHTLY, "retries=4", "--no-golden", repo=own)
    assert res.exit_code == 0, res.output
    assert "retries: 4" in (own / NIGHTLY / "stack.yaml").read_text()
    before = (own / "konfig/appops/acme/api/defaults.yaml").read_text()
    res = cli("set", NIGHTLY, "retries=5", "--layer", "project", repo=own)
    assert res.exit_code == 2
    assert "not a layer of" in res.stderr and "model job" in res.stderr
    assert (own / "konfig/appops/acme/api/defaults.yaml").read_text() == before


def test_new_stack_with_another_model(cli, own):
    res = cli("new", "stack", "konfig/appops/acme/web/cron", "--model", "job", "--env", "prod", repo=own)
    assert res.exit_code == 0, res.output
    repo = Repository(str(own))
    stack = repo.stack_at("konfig/appops/acme/web/cron")
    assert stack.model_name == "job" and stack.project.model_name == "app"
    assert (own / "konfig/appops/acme/web/cron/golden.yaml").is_file()
    # a template whose stack.yaml does not name its model would make a stack of the project's
    (own / "konfig/base/templates/job/stack/stack.yaml.tmpl").write_text("env: ${env}\nconfig: {}\n")
    res = cli("new", "stack", "konfig/appops/acme/web/cron2", "--model", "job", "--env", "prod", repo=own)
    assert res.exit_code == 2
    assert "does not say model: job" in res.stderr
    assert not (own / "konfig/appops/acme/web/cron2").exists()


# -- requires: another stack ---------------------------------------------------------------

def test_requires_fails_the_selected_stacks_without_one(cli, own):
    code, found = problems(cli, own, "--all")
    assert code == 1
    failing = {p["stack"] for p in found}
    # web/prod and db/prod have no job stack in their project and env; api/prod/* have nightly
    assert failing == {"konfig/appops/acme/web/prod", "konfig/infra/data/db/prod"}
    (web,) = [p for p in found if p["stack"] == "konfig/appops/acme/web/prod"]
    assert web["file"] == "konfig/appops/acme/web/prod/stack.yaml"
    assert (web["line"], web["column"]) == (1, 1)  # its `env:`, which the stacks must share
    assert web["source"] == "policy prod-has-job"
    assert web["severity"] == "error"
    assert web["message"] == "requires a stack with model=job and the same project and env: none found"
    text = cli("validate", "acme/web/prod", repo=own).stdout
    assert text.strip() == ("konfig/appops/acme/web/prod/stack.yaml:1:1: requires a stack with model=job "
                            "and the same project and env: none found (policy prod-has-job)")


def test_requires_needs_the_same_env_and_project(cli, own, write):
    write(own, f"{NIGHTLY}/stack.yaml", NIGHTLY_STACK.replace("env: prod", "env: dev"))
    _, found = problems(cli, own, *API_PROD)
    assert {p["stack"] for p in found} == set(API_PROD)
    write(own, f"{NIGHTLY}/stack.yaml", NIGHTLY_STACK)
    write(own, "konfig/appops/acme/web/nightly/stack.yaml", NIGHTLY_STACK)  # another project's
    _, found = problems(cli, own, *API_PROD, "acme/web/prod")
    assert found == []


def test_a_warning_severity_requirement_does_not_fail(cli, mini):
    root = build(mini, policy=POLICY.replace("severity: error", "severity: warning"))
    res = cli("validate", "acme/web/prod", repo=root)
    assert res.exit_code == 0
    assert "warning: requires a stack with model=job" in res.stdout


def test_requires_is_part_of_konfig_test(cli, own):
    res = cli("test", "acme/web/prod", repo=own)
    assert res.exit_code == 1
    assert "FAILED konfig/appops/acme/web/prod: validate" in res.stdout
    assert "requires a stack with model=job" in res.stdout and "prod-has-job" in res.stdout


def test_the_test_cache_follows_the_required_stacks(cli, own, write):
    assert cli("test", *API_PROD, "--update", repo=own).exit_code == 0
    (own / NIGHTLY / "stack.yaml").unlink()
    res = cli("test", *API_PROD, repo=own)
    assert res.exit_code == 1, "a cached pass must not hide the removed job stack"
    assert "prod-has-job" in res.output
    write(own, f"{NIGHTLY}/stack.yaml", NIGHTLY_STACK)
    assert cli("test", *API_PROD, repo=own).exit_code == 0


def test_the_test_cache_ignores_the_defaults_chain_of_an_own_model_stack(own, write):
    from konfigctl.check.stack_test import input_key

    def key() -> str:
        repo = Repository(str(own))
        return input_key(repo, repo.stack_at(NIGHTLY))  # type: ignore[return-value]

    before = key()
    write(own, "konfig/appops/acme/api/defaults.yaml", "image: example/api:2.0.1\nmode: web\nport: 8080\n")
    assert key() == before
    write(own, "konfig/base/models/job/defaults.yaml", "retries: 1\nschedule: '5 * * * *'\n")
    assert key() != before


@pytest.mark.parametrize("policy, message", [
    ("name: p\nwhen: {env: prod}\n", "schema"),
    ("name: p\nrequires: {model: job, same: [region]}\n", "same"),
    ("name: p\nrequires: {modle: job}\n", "modle"),
])
def test_a_bad_requires_is_bad_input_at_the_policy(cli, mini, policy, message):
    root = build(mini, policy=policy)
    res = cli("validate", "--all", repo=root)
    assert res.exit_code == 2
    assert "konfig/base/policies/prod-has-job.yaml:" in res.output
    assert message in res.output


def test_requires_can_match_on_a_label(cli, mini, write):
    root = build(mini, policy=POLICY.replace("same: [project, env]", "same: [project, label.region]"))
    write(root, f"{NIGHTLY}/stack.yaml", NIGHTLY_STACK.replace("env: prod\n", "env: prod\nlabels: {region: eu}\n"))
    _, found = problems(cli, root, *API_PROD)
    assert [p["stack"] for p in found] == ["konfig/appops/acme/api/prod/us"]
    assert "the same project and region label" in found[0]["message"]


# -- the graph -------------------------------------------------------------------------------

def test_the_graph_follows_the_stacks_own_model(own):
    g = Graph.of(Repository(str(own)))

    def hit(path: str) -> set[str]:
        return {s.path for s, _ in g.dependents(path)}

    assert NIGHTLY not in hit("konfig/appops/acme/api/defaults.yaml")
    assert NIGHTLY not in hit("konfig/appops/acme/defaults.yaml")
    assert NIGHTLY not in hit("konfig/base/models/app/schema.yaml")
    assert hit("konfig/base/models/job/schema.yaml") == set(k.BATCH + [NIGHTLY])
    assert hit("konfig/base/models/job/envs/prod.yaml") == {"konfig/appops/acme/batch/prod", NIGHTLY}
    assert hit("konfig/base/schemas/cron.yaml") == set(k.BATCH + [NIGHTLY])
    # the policy selects the prod app stacks; a job stack's stack.yaml is an input of its siblings
    assert hit(f"{NIGHTLY}/stack.yaml") == {NIGHTLY, *API_PROD}
    assert hit("konfig/appops/acme/batch/prod/stack.yaml") == {"konfig/appops/acme/batch/prod"}
    ins = {i.file: i.rule for i in g.inputs(g.repo.stack_at(API_PROD[0]))}
    assert ins[f"{NIGHTLY}/stack.yaml"] == "requires"


def test_inputs_and_dependents_agree(own):
    from tests.change.test_graph import test_inputs_and_dependents_agree as agree

    agree(Repository(str(own)))


def test_affected_adding_or_removing_the_required_stack_affects_its_siblings(mini):
    root = build(mini, nightly=False)
    g = git_init(root)
    g.git.checkout("-b", "change")
    (root / NIGHTLY).mkdir(parents=True)
    (root / NIGHTLY / "stack.yaml").write_text(NIGHTLY_STACK)
    commit_all(g, "add the job stack")
    r = compute(Repository(str(root)), "main")
    assert sorted(a.path for a in r.stacks) == sorted([NIGHTLY, *API_PROD])
    (why,) = [a for a in r.stacks if a.path == API_PROD[0]][0].reasons
    assert why.text() == f"policy prod-has-job: {NIGHTLY}/stack.yaml added"
    # and removing it again, once main has it
    g.git.checkout("-q", "main")
    g.git.merge("-q", "change")
    g.git.checkout("-q", "-b", "drop")
    (root / NIGHTLY / "stack.yaml").unlink()
    commit_all(g, "drop the job stack")
    r = compute(Repository(str(root)), "main")
    assert sorted(a.path for a in r.stacks) == API_PROD
    assert [a.path for a in r.deleted] == [NIGHTLY]


def test_affected_a_changed_required_stack_affects_siblings_only_when_it_stops_or_starts_matching(own_git):
    root, g = own_git
    k.edit(root, f"{NIGHTLY}/stack.yaml", NIGHTLY_STACK.replace("1.0.0", "1.0.1"))
    commit_all(g, "bump the job's image")
    assert [a.path for a in compute(Repository(str(root)), "main").stacks] == [NIGHTLY]
    k.edit(root, f"{NIGHTLY}/stack.yaml", NIGHTLY_STACK.replace("env: prod", "env: dev"))
    commit_all(g, "the job stack goes to dev")
    r = compute(Repository(str(root)), "main")
    # at base it met the requirement of the prod app stacks; now it does not
    assert sorted(a.path for a in r.stacks) == sorted([NIGHTLY, *API_PROD])


# -- x-merge-key: one item per key -----------------------------------------------------------

def test_two_items_with_one_merge_key_are_refused_at_the_second(cli, mini, write):
    write(mini, "konfig/appops/acme/web/dev/stack.yaml",
          "env: dev\nconfig:\n  env:\n    - name: A\n      value: '1'\n    - name: A\n      value: '2'\n")
    res = cli("validate", "acme/web/dev", repo=mini)
    assert res.exit_code == 1
    assert ("konfig/appops/acme/web/dev/stack.yaml:6:7: env[name=A].name: A is the name of an earlier "
            "item too (items merge by name: each needs its own) (model app)") in res.stdout


def test_a_layer_naming_one_key_twice_is_refused_even_over_a_lower_item(cli, mini, write):
    # the lower layer has A; this one names it twice: the second is not quietly merged into the first
    write(mini, "konfig/appops/acme/web/defaults.yaml",
          "image: example/web:1.0.0\nenv:\n  - name: A\n    value: '0'\n")
    write(mini, "konfig/appops/acme/web/dev/stack.yaml",
          "env: dev\nconfig:\n  env:\n    - name: A\n      value: '1'\n    - name: A\n      value: '2'\n")
    res = cli("validate", "acme/web/dev", repo=mini)
    assert res.exit_code == 1
    assert "stack.yaml:6:7: env[name=A].name: A is the name of an earlier item too" in res.stdout
