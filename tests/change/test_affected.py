"""``konfigctl.change.affected`` on real git repositories: branches, merges, renames, deletions."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from konfigctl.change.affected import affected_stacks, compute
from konfigctl.errors import KonfigError, UsageError
from konfigctl.files.source import GitTree
from konfigctl.repo.repository import Repository

from tests import konfig_repos as k
from tests.conftest import commit_all, git_init


def affected_after(root, g, *edits, base="main"):
    for e in edits:
        k.edit(root, *e) if isinstance(e, tuple) else k.edit(root, e)
    commit_all(g, "change")
    return compute(Repository(str(root)), base)


def paths(result):
    return sorted(a.path for a in result.stacks)


# -- one test per rule of DESIGN.md "Affected stacks" -------------------------------------

def test_a_stack_file_affects_its_stack(kgit):
    r = affected_after(*kgit, "konfig/appops/acme/web/dev/stack.yaml")
    assert paths(r) == ["konfig/appops/acme/web/dev"]
    assert [x.text() for x in r.stacks[0].reasons] == [
        "stack: konfig/appops/acme/web/dev/stack.yaml changed"]


def test_a_project_file_outside_stacks_affects_the_projects_stacks(kgit):
    assert paths(affected_after(*kgit, "konfig/appops/acme/web/project.yaml")) == k.WEB


def test_a_project_defaults_affects_every_stack_below(kgit):
    assert paths(affected_after(*kgit, "konfig/appops/acme/api/defaults.yaml")) == k.API


def test_a_nested_defaults_affects_only_the_stacks_below_it(kgit):
    assert paths(affected_after(*kgit, "konfig/appops/acme/api/prod/defaults.yaml")) == k.API[1:]


def test_a_model_schema_affects_every_stack_of_the_model(kgit):
    r = affected_after(*kgit, "konfig/base/models/app/schema.yaml")
    assert paths(r) == sorted(k.APP)
    assert r.stacks[0].reasons[0].text() == "model app: konfig/base/models/app/schema.yaml changed"


def test_a_shared_schema_affects_the_stacks_of_models_referencing_it(kgit):
    assert paths(affected_after(*kgit, "konfig/base/schemas/cron.yaml")) == k.BATCH
    root, g = kgit
    assert paths(affected_after(root, g, "konfig/base/schemas/units.yaml")) == sorted(k.APP + k.BATCH)


def test_a_renderer_library_affects_the_stacks_of_models_importing_it(kgit):
    root, g = kgit
    render = "konfig/base/models/app/render.py"
    k.edit(root, render, "from konfiglib import kube\n" + (root / render).read_text())
    k.edit(root, "konfig/base/lib/kube.py", "X = 1\n")
    commit_all(g, "a library")
    r = affected_after(root, g, "konfig/base/lib/kube.py", base="HEAD~1")
    assert paths(r) == sorted(k.APP)
    assert r.stacks[0].reasons[0].text() == (
        "model app: konfig/base/lib/kube.py changed (via konfig/base/models/app/render.py)")
    # deleted while the renderer still imports it: those stacks must be tested (and fail)
    r = affected_after(root, g, ("konfig/base/lib/kube.py", ""), base="HEAD~1")
    assert paths(r) == sorted(k.APP)
    assert r.stacks[0].reasons[0].change == "deleted"


def test_an_env_profile_affects_the_stacks_with_that_env(kgit):
    assert paths(affected_after(*kgit, "konfig/base/envs/prod.yaml")) == k.PROD


def test_a_model_env_profile_affects_that_model_and_env_only(kgit):
    r = affected_after(*kgit, "konfig/base/models/app/envs/prod.yaml")
    assert paths(r) == sorted(set(k.APP) & set(k.PROD))


def test_a_policy_affects_what_it_selects_in_base_or_head(kgit):
    root, g = kgit
    # small-memory selected model app at base; at head it selects model job
    r = affected_after(root, g, ("konfig/base/policies/small-memory.yaml",
                                 "name: small-memory\nseverity: warning\nwhen: {model: job}\nschema: {}\n"))
    assert paths(r) == k.ALL


def test_a_policy_change_keeping_its_selector(kgit):
    assert paths(affected_after(*kgit, "konfig/base/policies/prod-replicas.yaml")) == k.PROD


def test_a_deleted_policy_affects_what_it_selected(kgit):
    r = affected_after(*kgit, ("konfig/base/policies/prod-replicas.yaml", ""))
    assert paths(r) == k.PROD
    assert r.stacks[0].reasons[0].text() == (
        "policy prod-replicas: konfig/base/policies/prod-replicas.yaml deleted")


def test_konfig_yaml_affects_every_stack(kgit):
    r = affected_after(*kgit, "konfig.yaml")
    assert paths(r) == k.ALL
    assert {x.text() for a in r.stacks for x in a.reasons} == {"global: konfig.yaml changed"}


@pytest.mark.parametrize("path", ["konfig/base/teams.yaml", "tooling/tool.py"])
def test_global_globs_affect_every_stack(kgit, path):
    assert paths(affected_after(*kgit, path)) == k.ALL


def test_a_crd_schema_affects_every_stack(kgit):
    """Every rendered custom resource is checked against ``<base>/crds/``, as the results cache knows."""
    r = affected_after(*kgit, ("konfig/base/crds/widgets.yaml", "# a CRD schema\ntype: object\n"))
    assert paths(r) == k.ALL
    assert {x.text() for a in r.stacks for x in a.reasons} == {"global: konfig/base/crds/widgets.yaml added"}


@pytest.mark.parametrize("path", ["konfig/base/templates/project/project.yaml", "docs/index.md",
                                  "konfig/appops/acme/README.md"])
def test_files_no_stack_is_made_of_affect_nothing(kgit, path):
    r = affected_after(*kgit, path)
    assert r.stacks == [] and r.deleted == [] and len(r.change.changes) == 1


# -- deletions, renames, merges ---------------------------------------------------------

def test_a_deleted_stack_is_reported_as_deleted(kgit):
    root, g = kgit
    g.git.rm("-r", "-q", "konfig/appops/acme/web/dev")
    r = affected_after(root, g)
    assert paths(r) == []
    assert [(a.path, a.status) for a in r.deleted] == [("konfig/appops/acme/web/dev", "deleted")]
    assert r.deleted[0].reasons[0].text() == "stack: konfig/appops/acme/web/dev/stack.yaml deleted"


def test_a_deleted_project_reports_all_its_stacks_deleted(kgit):
    root, g = kgit
    g.git.rm("-r", "-q", "konfig/appops/acme/web")
    r = affected_after(root, g)
    assert [a.path for a in r.deleted] == k.WEB


def test_a_renamed_stack_dir_is_old_deleted_and_new_added(kgit):
    root, g = kgit
    g.git.mv("konfig/appops/acme/web/dev", "konfig/appops/acme/web/development")
    r = affected_after(root, g)
    assert [(a.path, a.status) for a in r.stacks] == [("konfig/appops/acme/web/development", "added")]
    assert [(a.path, a.status) for a in r.deleted] == [("konfig/appops/acme/web/dev", "deleted")]
    assert any(c.status == "R" for c in r.change.changes)
    assert ("stack: konfig/appops/acme/web/development/stack.yaml renamed from "
            "konfig/appops/acme/web/dev/stack.yaml") in [x.text() for x in r.stacks[0].reasons]
    assert r.deleted[0].reasons[0].text() == (
        "stack: konfig/appops/acme/web/dev/stack.yaml renamed to "
        "konfig/appops/acme/web/development/stack.yaml")


def test_a_rename_counts_at_both_paths(kgit):
    root, g = kgit
    # api's prod/defaults.yaml (the prod stacks' layer) becomes web/dev's: both places count
    g.git.mv("konfig/appops/acme/api/prod/defaults.yaml", "konfig/appops/acme/web/dev/defaults.yaml")
    r = affected_after(root, g)
    assert paths(r) == sorted(k.API[1:] + ["konfig/appops/acme/web/dev"])
    why = {a.path: [x.text() for x in a.reasons] for a in r.stacks}
    assert why["konfig/appops/acme/api/prod/eu"] == [
        "defaults: konfig/appops/acme/api/prod/defaults.yaml renamed to "
        "konfig/appops/acme/web/dev/defaults.yaml"]


def test_an_added_stack_is_added(kgit):
    r = affected_after(*kgit, ("konfig/appops/acme/web/staging/stack.yaml", "config: {}\n"))
    assert [(a.path, a.status) for a in r.stacks] == [("konfig/appops/acme/web/staging", "added")]


def test_changes_on_the_base_branch_do_not_count(kgit):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml")
    commit_all(g, "on the branch")
    g.git.checkout("-q", "main")
    k.edit(root, "konfig/base/models/app/schema.yaml")  # main moves on meanwhile
    commit_all(g, "on main")
    g.git.checkout("-q", "change")
    r = compute(Repository(str(root)), "main")
    assert paths(r) == ["konfig/appops/acme/web/dev"]
    assert r.change.merge_base != g.commit("main").hexsha


def test_merging_the_base_in_does_not_count_its_changes(kgit):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml")
    commit_all(g, "on the branch")
    g.git.checkout("-q", "main")
    k.edit(root, "konfig/base/models/app/schema.yaml")
    commit_all(g, "on main")
    g.git.checkout("-q", "change")
    g.git.merge("main", "-q", "--no-edit")
    r = compute(Repository(str(root)), "main")
    assert paths(r) == ["konfig/appops/acme/web/dev"]
    assert r.change.merge_base == g.commit("main").hexsha


def test_head_can_be_another_ref_without_touching_the_work_tree(kgit):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml")
    commit_all(g, "on the branch")
    g.git.checkout("-q", "main")
    r = compute(Repository(str(root)), "main", "change")
    assert paths(r) == ["konfig/appops/acme/web/dev"]
    assert isinstance(r.change.head_repo.source, GitTree)
    assert r.change.head_repo.source.commit == r.change.head_commit == g.commit("change").hexsha


# -- uncommitted files -----------------------------------------------------------------------

def test_uncommitted_staged_unstaged_and_untracked(kgit):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml")  # unstaged
    k.edit(root, "konfig/appops/acme/web/prod/stack.yaml")
    g.git.add("konfig/appops/acme/web/prod/stack.yaml")  # staged
    k.edit(root, "konfig/appops/acme/api/dev/notes.txt", "untracked\n")  # untracked
    repo = Repository(str(root))
    r = compute(repo, "main", uncommitted=True)
    assert paths(r) == ["konfig/appops/acme/api/dev", "konfig/appops/acme/web/dev",
                        "konfig/appops/acme/web/prod"]
    plain = compute(repo, "main")
    assert paths(plain) == [] and len(plain.change.not_included) == 3


def test_with_a_dirty_tree_head_is_read_from_git(kgit):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml", "env: prod\nconfig: {}\n")  # not committed
    r = compute(Repository(str(root)), "main")
    assert isinstance(r.change.head_repo.source, GitTree)  # HEAD as committed, not the edited file
    r = compute(Repository(str(root)), "main", uncommitted=True)
    assert r.change.head_repo.source.label == "work tree"


def test_uncommitted_cannot_go_with_another_head(kgit):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml")
    commit_all(g, "x")
    with pytest.raises(UsageError, match="--uncommitted"):
        compute(Repository(str(root)), "main", "main", uncommitted=True)


def test_affected_stacks_is_what_targets_select_uses(kgit):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/api/prod/defaults.yaml")
    commit_all(g, "x")
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml")  # work tree: validate checks it too
    repo = Repository(str(root))
    got = affected_stacks(repo, "main")
    assert [s.path for s in got] == ["konfig/appops/acme/api/prod/eu", "konfig/appops/acme/api/prod/us",
                                     "konfig/appops/acme/web/dev"]
    assert all(s.repo is repo for s in got)


# -- bad input --------------------------------------------------------------------------------

def test_unknown_ref_is_explained(kgit):
    root, _ = kgit
    with pytest.raises(KonfigError, match="unknown git revision 'nope'"):
        compute(Repository(str(root)), "nope")


def test_shallow_clone_without_the_base_is_explained(kgit, tmp_path):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml")
    first = g.head.commit.hexsha
    commit_all(g, "x")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "change", f"file://{root}", str(clone)],
                   check=True)
    with pytest.raises(KonfigError) as ei:
        compute(Repository(str(clone)), first)
    assert "shallow clone" in str(ei.value) and "fetch" in str(ei.value)


def test_not_a_git_repository(mini):
    with pytest.raises(KonfigError, match="not inside a git repository"):
        compute(Repository(str(mini)), "main")


def test_a_konfig_in_a_subdirectory_of_a_git_repository(tmp_path, mini):
    import shutil

    outer = tmp_path / "mono"
    shutil.copytree(mini, outer / "config")
    (outer / "README.md").write_text("monorepo\n")
    g = git_init(outer)
    g.git.checkout("-b", "change")
    k.edit(outer, "config/konfig/appops/acme/web/dev/stack.yaml")
    k.edit(outer, "README.md")  # outside the Konfig: no effect
    g.git.mv("config/konfig/appops/acme/web/prod", "config/konfig/appops/acme/web/production")
    commit_all(g, "x")
    r = compute(Repository(str(outer / "config")), "main")
    assert [(a.path, a.status) for a in r.stacks] == [
        ("konfig/appops/acme/web/dev", "changed"), ("konfig/appops/acme/web/production", "added")]
    assert [a.path for a in r.deleted] == ["konfig/appops/acme/web/prod"]
    assert Path(r.change.merge_base_repo.root) == outer / "config"


def test_depends_on_cycle_among_affected_stacks_is_an_error(kgit):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\ndepends_on: [acme/web/prod]\n")
    k.edit(root, "konfig/appops/acme/web/prod/stack.yaml",
           "env: prod\ndepends_on: [acme/web/dev]\nconfig: {replicas: 2}\n")
    commit_all(g, "cycle")
    with pytest.raises(KonfigError, match="depends_on cycle: konfig/appops/acme/web/dev -> "
                                          "konfig/appops/acme/web/prod -> konfig/appops/acme/web/dev"):
        compute(Repository(str(root)), "main")


def test_changing_the_roots_deletes_the_stacks_left_outside(kgit):
    root, g = kgit
    text = (root / "konfig.yaml").read_text().replace("roots: [konfig/appops, konfig/infra]",
                                                        "roots: [konfig/appops]")
    r = affected_after(root, g, ("konfig.yaml", text))
    assert paths(r) == sorted(k.API + k.WEB + k.BATCH)
    assert [(a.path, a.reasons[0].text()) for a in r.deleted] == [
        ("konfig/infra/data/db/prod", "global: konfig.yaml changed")]
