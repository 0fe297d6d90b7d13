from __future__ import annotations

import pytest
from konfigctl.change import shards as shards_mod
from konfigctl.change.graph import Graph
from konfigctl.errors import KonfigError, UsageError
from konfigctl.repo import order
from konfigctl.repo.peek import may_contain
from konfigctl.repo.repository import Repository

from tests import konfig_repos as k
from tests.conftest import REPO_ROOT


@pytest.fixture
def repo(mini):
    return Repository(str(k.two_models(mini)))


def deps(repo, path, **kw):
    return sorted({s.path for s, _ in Graph.of(repo).dependents(path, **kw)})


def rules(repo, path):
    return {r.rule for _, r in Graph.of(repo).dependents(path)}


@pytest.mark.parametrize("path, expected, rule", [
    ("konfig/appops/acme/web/dev/stack.yaml", ["konfig/appops/acme/web/dev"], "stack"),
    ("konfig/appops/acme/web/dev/golden.yaml", ["konfig/appops/acme/web/dev"], "stack"),
    ("konfig/appops/acme/web/project.yaml", k.WEB, "project"),
    ("konfig/appops/acme/web/README.md", k.WEB, "project"),
    ("konfig/appops/acme/api/defaults.yaml", k.API, "defaults"),
    ("konfig/appops/acme/api/prod/defaults.yaml", k.API[1:], "defaults"),
    ("konfig/appops/acme/defaults.yaml", sorted(k.API + k.WEB + k.BATCH), "defaults"),
    ("konfig/base/models/app/schema.yaml", sorted(k.APP), "model"),
    ("konfig/base/models/app/defaults.yaml", sorted(k.APP), "model"),
    ("konfig/base/models/app/render.py", sorted(k.APP), "model"),
    ("konfig/base/models/app/envs/prod.yaml", sorted(set(k.PROD) & set(k.APP)), "model env"),
    ("konfig/base/models/job/envs/dev.yaml", ["konfig/appops/acme/batch/dev"], "model env"),
    ("konfig/base/schemas/units.yaml", sorted(k.APP), "schema"),
    ("konfig/base/schemas/cron.yaml", k.BATCH, "schema"),
    ("konfig/base/envs/prod.yaml", k.PROD, "env"),
    ("konfig/base/envs/dev.yaml", k.DEV, "env"),
    ("konfig/base/policies/prod-replicas.yaml", k.PROD, "policy"),
    ("konfig/base/policies/small-memory.yaml", sorted(k.APP), "policy"),
    ("konfig.yaml", k.ALL, "global"),
    ("konfig/base/teams.yaml", k.ALL, "global"),
    ("tooling/tool.py", k.ALL, "global"),
])
def test_each_rule_gives_exactly_its_stacks(repo, path, expected, rule):
    assert deps(repo, path) == sorted(expected)
    assert rules(repo, path) == {rule}


@pytest.mark.parametrize("path", [
    "konfig/base/templates/project/project.yaml",  # scaffolding only: no stack is made of it
    "konfig/appops/acme/README.md",  # under a root, outside any project
    "konfig/base/schemas/unused.yaml",
    "konfig/base/envs/README.md",
    "docs/index.md",
    "konfig/base/models/nosuch/schema.yaml",
])
def test_files_no_stack_is_made_of_affect_nothing(repo, path):
    assert deps(repo, path) == []


def test_a_file_of_a_nested_stack_belongs_to_the_nearest(mini, write):
    write(mini, "konfig/appops/acme/web/prod/canary/stack.yaml", "env: prod\nconfig: {}\n")
    repo = Repository(str(mini))
    assert deps(repo, "konfig/appops/acme/web/prod/canary/stack.yaml") == [
        "konfig/appops/acme/web/prod/canary"]
    assert deps(repo, "konfig/appops/acme/web/prod/stack.yaml") == ["konfig/appops/acme/web/prod"]


def test_a_deleted_path_still_maps_by_its_place(repo):
    # the file need not exist: rules go by path (a removed layer changes the stacks below it)
    assert deps(repo, "konfig/appops/acme/web/dev/defaults.yaml") == ["konfig/appops/acme/web/dev"]
    assert deps(repo, "konfig/base/envs/staging.yaml") == []


def test_shared_schema_reason_names_the_ref_chain(repo, write):
    write(repo.root, "konfig/base/schemas/units.yaml",
          "$defs:\n  memory: {$ref: quantity.yaml#/$defs/q}\n  storage: {$ref: quantity.yaml#/$defs/q}\n")
    write(repo.root, "konfig/base/schemas/quantity.yaml", "$defs:\n  q: {type: [string, integer]}\n")
    repo = Repository(repo.root)
    found = Graph.of(repo).dependents("konfig/base/schemas/quantity.yaml")
    assert sorted({s.path for s, _ in found}) == sorted(k.APP)
    reason = found[0][1]
    assert reason.text() == (
        "model app: konfig/base/schemas/quantity.yaml changed (via "
        "konfig/base/models/app/schema.yaml -> konfig/base/schemas/units.yaml)")


def test_policy_schema_refs_count(repo, write):
    write(repo.root, "konfig/base/policies/cron-sane.yaml",
          "name: cron-sane\nwhen: {env: dev}\nschema:\n  properties:\n"
          "    schedule: {$ref: ../schemas/cron.yaml#/$defs/schedule}\n")
    repo = Repository(repo.root)
    # the job model's stacks (its schema) and every dev stack (the policy's)
    assert deps(repo, "konfig/base/schemas/cron.yaml") == sorted(set(k.BATCH) | set(k.DEV))


def test_extra_policy_selector_adds_what_base_selected(repo):
    from konfigctl.repo.selector import Selector

    got = deps(repo, "konfig/base/policies/prod-replicas.yaml",
               extra_selectors=[Selector.from_mapping({"model": "job"})])
    assert got == sorted(set(k.PROD) | set(k.BATCH))


def test_unreadable_metadata_counts_as_a_match(repo, write):
    write(repo.root, "konfig/appops/acme/web/dev/stack.yaml", "env: [prod, dev]\n")
    repo = Repository(repo.root)
    assert "konfig/appops/acme/web/dev" in deps(repo, "konfig/base/envs/prod.yaml")


def test_inputs_and_dependents_agree(repo):
    """The forward map (stack -> files) and the reverse rules give the same graph."""
    g = Graph.of(repo)
    files = repo.source.files()
    forward = {s.path: {i.file for i in g.inputs(s)} for s in repo.stacks()}
    for f in files:
        back = {s.path for s, _ in g.dependents(f)}
        users = {p for p, ins in forward.items() if f in ins}
        assert back == users, f


def test_inputs_name_each_file_with_its_rule(repo):
    g = Graph.of(repo)
    ins = {i.file: i.rule for i in g.inputs(repo.stack_at("konfig/appops/acme/api/prod/us"))}
    assert ins["konfig/appops/acme/api/prod/us/stack.yaml"] == "stack"
    assert ins["konfig/appops/acme/api/project.yaml"] == "project"
    assert ins["konfig/appops/acme/api/prod/defaults.yaml"] == "defaults"
    assert ins["konfig/base/models/app/envs/prod.yaml"] == "model env"
    assert ins["konfig/base/envs/prod.yaml"] == "env"
    assert ins["konfig/base/schemas/units.yaml"] == "schema"
    assert ins["konfig/base/policies/prod-replicas.yaml"] == "policy"
    assert ins["konfig.yaml"] == "global"
    assert "konfig/appops/acme/api/dev/stack.yaml" not in ins
    assert "konfig/base/envs/dev.yaml" not in ins


def test_order_puts_dependencies_first(repo):
    us = repo.stack_at("konfig/appops/acme/api/prod/us")
    eu = repo.stack_at("konfig/appops/acme/api/prod/eu")
    dev = repo.stack_at("konfig/appops/acme/api/dev")
    assert [s.path for s in order.in_order(repo, [us, dev, eu])] == [dev.path, eu.path, us.path]
    assert order.dependencies(repo, us) == [eu]


def test_order_follows_dependencies_outside_the_set(mini, write):
    # a -> b -> c with only a and c asked for: c still comes first
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\ndepends_on: [acme/web/prod]\n")
    write(mini, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\ndepends_on: [konfig/infra/data/db/prod]\nconfig: {replicas: 2}\n")
    repo = Repository(str(mini))
    got = order.in_order(repo, [repo.stack_at("konfig/appops/acme/web/dev"), repo.stack_at("konfig/infra/data/db/prod")])
    assert [s.path for s in got] == ["konfig/infra/data/db/prod", "konfig/appops/acme/web/dev"]


def test_cycle_is_an_error_naming_it(mini, write):
    write(mini, "konfig/appops/acme/api/prod/eu/stack.yaml",
          "env: prod\nlabels: {region: eu}\ndepends_on:\n  - acme/api/dev\n")
    write(mini, "konfig/appops/acme/api/dev/stack.yaml", "env: dev\ndepends_on: [acme/api/prod/us]\n")
    repo = Repository(str(mini))
    with pytest.raises(KonfigError) as ei:
        order.in_order(repo, repo.stacks())
    msg = str(ei.value)
    assert "depends_on cycle: " in msg
    cycle = msg.split("depends_on cycle: ")[1].split(" -> ")
    assert cycle[0] == cycle[-1] and len(cycle) == 4
    assert set(cycle) == {"konfig/appops/acme/api/prod/eu", "konfig/appops/acme/api/dev",
                          "konfig/appops/acme/api/prod/us"}
    assert msg.startswith(f"{cycle[0]}/stack.yaml:")  # at the entry that starts it


def test_cycle_from_is_none_without_a_cycle(repo):
    assert order.cycle_from(repo, repo.stack_at("konfig/appops/acme/api/prod/us")) is None


def test_dependency_by_suffix_must_be_unique(repo):
    assert order.dependency(repo, "web/prod").path == "konfig/appops/acme/web/prod"
    assert order.dependency(repo, "prod") is None  # ambiguous: validate reports it
    assert order.dependency(repo, "nosuch") is None


@pytest.mark.parametrize("n, size, limit, sizes", [
    (0, 25, 256, []),
    (1, 25, 256, [1]),
    (10, 4, 256, [4, 3, 3]),
    (25, 25, 256, [25]),
    (26, 25, 256, [13, 13]),
    (10, 1, 3, [4, 3, 3]),  # past the shard limit, shards grow
    (1000, 1, 256, [4] * 232 + [3] * 24),
])
def test_shards_are_balanced_and_bounded(n, size, limit, sizes):
    parts = shards_mod.shards(list(range(n)), size, limit)
    assert [len(p) for p in parts] == sizes
    assert [x for p in parts for x in p] == list(range(n))
    assert len(parts) <= limit
    for i in range(1, len(parts) + 1):
        assert shards_mod.shard(list(range(n)), f"{i}/{len(parts)}") == parts[i - 1]


@pytest.mark.parametrize("bad", ["0/3", "4/3", "x/2", "2", "1/0", ""])
def test_bad_shard_is_a_usage_error(bad):
    with pytest.raises(UsageError, match="bad shard"):
        shards_mod.parse_shard(bad)


def test_validate_reports_a_cycle_on_each_stack_of_it(cli, mini, write):
    write(mini, "konfig/appops/acme/web/dev/stack.yaml",
          "env: dev\ndepends_on: [acme/web/prod]\nconfig: {replicas: 1}\n")
    write(mini, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\ndepends_on: [acme/web/dev]\nconfig: {replicas: 2}\n")
    res = cli("validate", "--all", repo=mini)
    assert res.exit_code == 1
    lines = [ln for ln in res.stdout.splitlines() if "cycle" in ln]
    assert lines == [
        "konfig/appops/acme/web/dev/stack.yaml:2:14: depends_on[0]: depends_on cycle: konfig/appops/acme/web/dev"
        " -> konfig/appops/acme/web/prod -> konfig/appops/acme/web/dev (stack.yaml)",
        "konfig/appops/acme/web/prod/stack.yaml:2:14: depends_on[0]: depends_on cycle: konfig/appops/acme/web/prod"
        " -> konfig/appops/acme/web/dev -> konfig/appops/acme/web/prod (stack.yaml)",
    ]


def test_byte_precheck_never_misses_an_escaped_value(repo, write):
    # "pr\x6fd" is prod: a file with an escape is always parsed
    write(repo.root, "konfig/appops/acme/web/dev/stack.yaml", 'env: "pr\\x6fd"\nconfig: {}\n')
    write(repo.root, "konfig/appops/acme/web/prod/stack.yaml",
          '"depends\\x5fon": [acme/api/dev]\nenv: prod\nconfig: {replicas: 2}\n')
    repo = Repository(repo.root)
    assert "konfig/appops/acme/web/dev" in deps(repo, "konfig/base/envs/prod.yaml")
    assert [s.path for s in order.dependencies(repo, repo.stack_at("konfig/appops/acme/web/prod"))] == [
        "konfig/appops/acme/api/dev"]
    assert may_contain(repo, "konfig/appops/acme/api/dev/stack.yaml", "depends_on") is False


@pytest.mark.parametrize("text, expected", [
    ("model: webapp\nowners: [payments]\n", "webapp"),
    ("name: x\nmodel : cronjob  # the batch model\n", "cronjob"),
    ("model: webapp\r\nowners: [a]\r\n", "webapp"),
    # anything the parser could read differently is left to the parser
    ('model: "webapp"\n', None),
    ("model:\n  webapp\n", None),
    ("model: webapp\nmodel: cronjob\n", None),
    ("description: \"a\nmodel: webapp\"\nmodel: cronjob\n", None),
    ("labels: {a: b,\nmodel: webapp}\nmodel: cronjob\n", None),
    ("---\nmodel: webapp\n", None),
    ("model: web\\x61pp\n", None),
    ("model:\twebapp\n", None),
    ("# model: webapp\nmodel: cronjob\n", "cronjob"),
    ("model:webapp\n", None),
])
def test_peek_model(text, expected):
    from konfigctl.repo.peek import peek_model

    assert peek_model(text.encode()) == expected


def test_peek_model_agrees_with_the_parser_on_this_repository():
    from konfigctl.repo.peek import peek_model

    repo = Repository(str(REPO_ROOT))
    peeked = 0
    for p in repo.projects():
        got = peek_model(repo.read(p.file))
        if got is not None:
            peeked += 1
            assert got == p.model_name, p.path
    assert peeked >= len(repo.projects()) // 2


@pytest.fixture
def lib_repo(repo, write):
    """``two_models`` with the app renderer importing ``konfiglib.labels``, which imports ``names``."""
    render = repo.root + "/konfig/base/models/app/render.py"
    with open(render) as f:
        text = f.read()
    write(repo.root, "konfig/base/models/app/render.py", "from konfiglib import labels\n" + text)
    write(repo.root, "konfig/base/lib/labels.py", "from konfiglib import names\n")
    write(repo.root, "konfig/base/lib/names.py", "NAME = 'x'\n")
    write(repo.root, "konfig/base/lib/unused.py", "NAME = 'y'\n")
    return Repository(repo.root)


def test_a_library_affects_the_stacks_of_models_whose_renderer_reaches_it(lib_repo):
    assert deps(lib_repo, "konfig/base/lib/labels.py") == sorted(k.APP)
    found = Graph.of(lib_repo).dependents("konfig/base/lib/names.py")
    assert sorted({s.path for s, _ in found}) == sorted(k.APP)
    assert {r.text() for _, r in found} == {
        "model app: konfig/base/lib/names.py changed (via "
        "konfig/base/models/app/render.py -> konfig/base/lib/labels.py)"}
    assert rules(lib_repo, "konfig/base/lib/names.py") == {"library"}
    assert deps(lib_repo, "konfig/base/lib/unused.py") == []


def test_a_deleted_library_still_affects_its_importers(lib_repo):
    import os

    os.unlink(lib_repo.root + "/konfig/base/lib/names.py")
    assert deps(Repository(lib_repo.root), "konfig/base/lib/names.py") == sorted(k.APP)


def test_inputs_and_dependents_agree_with_libraries(lib_repo):
    test_inputs_and_dependents_agree(lib_repo)
    ins = {i.file: i.rule for i in Graph.of(lib_repo).inputs(lib_repo.stack_at("konfig/appops/acme/web/dev"))}
    assert ins["konfig/base/lib/names.py"] == ins["konfig/base/lib/labels.py"] == "library"
    assert "konfig/base/lib/unused.py" not in ins
    batch = {i.file for i in Graph.of(lib_repo).inputs(lib_repo.stack_at("konfig/appops/acme/batch/dev"))}
    assert not any(f.startswith("konfig/base/lib/") for f in batch)
