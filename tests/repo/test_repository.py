from __future__ import annotations

import os

import pytest
from konfigctl.errors import KonfigError, UsageError
from konfigctl.repo.repository import Repository, find_root

from tests.conftest import commit_all


def test_discovery_by_convention(mini):
    repo = Repository(str(mini))
    assert [p.path for p in repo.projects()] == [
        "konfig/appops/acme/api", "konfig/appops/acme/web", "konfig/infra/data/db"]
    assert [s.path for s in repo.stacks()] == [
        "konfig/appops/acme/api/dev",
        "konfig/appops/acme/api/prod/eu",
        "konfig/appops/acme/api/prod/us",
        "konfig/appops/acme/web/dev",
        "konfig/appops/acme/web/prod",
        "konfig/infra/data/db/prod",
    ]
    api = repo.project_at("konfig/appops/acme/api")
    assert api.name == "api" and api.org == "acme" and api.model_name == "app"
    assert api.namespace == "api"
    us = repo.stack_at("konfig/appops/acme/api/prod/us")
    assert us.name == "us" and us.env == "prod" and us.relative_name == "prod/us"
    assert us.labels == {"region": "us"}
    assert us.depends_on == ["acme/api/prod/eu"]
    assert repo.stack_at("konfig/appops/acme/web/dev").labels == {"tier": "frontend"}
    assert "konfig/appops/acme/api/prod/defaults.yaml" in repo.defaults_files()


def test_adding_a_project_is_creating_a_directory(mini, write):
    write(mini, "konfig/appops/newco/shop/project.yaml", "model: app\nowners: [web]\n")
    write(mini, "konfig/appops/newco/shop/dev/stack.yaml", "env: dev\nconfig: {image: a/b:1}\n")
    repo = Repository(str(mini))
    assert repo.stack_at("konfig/appops/newco/shop/dev") is not None


def test_find_stack_by_path_relative_path_and_suffix(mini):
    repo = Repository(str(mini))
    full = "konfig/appops/acme/web/prod"
    assert repo.find_stack(full).path == full
    assert repo.find_stack(full + "/").path == full
    assert repo.find_stack(full + "/stack.yaml").path == full
    assert repo.find_stack("web/prod").path == full
    assert repo.find_stack("prod", cwd=str(mini / "konfig/appops/acme/web")).path == full
    assert repo.find_stack("../web/prod", cwd=str(mini / "konfig/appops/acme/api")).path == full
    with pytest.raises(UsageError) as ei:
        repo.find_stack("prod")
    assert "ambiguous" in ei.value.message and "konfig/infra/data/db/prod" in ei.value.message
    with pytest.raises(UsageError) as ei:
        repo.find_stack("acme/web/prd")
    assert "did you mean konfig/appops/acme/web/prod" in str(ei.value)


def test_find_root_walks_up(mini):
    assert find_root(str(mini / "konfig/appops/acme")) == str(mini)
    repo = Repository.discover(start=str(mini / "konfig/appops/acme/web/dev"))
    assert repo.root == str(mini)


def test_settings_defaults(mini):
    s = Repository(str(mini)).settings
    assert s["base"] == "konfig/base"
    assert s["roots"] == ["konfig/appops", "konfig/infra"]
    assert s["cache_dir"] == ".konfig-cache"


def test_reading_a_git_revision_without_touching_the_work_tree(mini_git, write):
    root, git_repo = mini_git
    first = git_repo.head.commit.hexsha
    write(root, "konfig/appops/acme/web/prod/stack.yaml", "env: prod\nconfig: {replicas: 8}\n")
    write(root, "konfig/appops/acme/new/project.yaml", "model: app\nowners: [web]\n")
    write(root, "konfig/appops/acme/new/dev/stack.yaml", "env: dev\nconfig: {}\n")
    commit_all(git_repo, "change")
    old = Repository.at_revision(str(root), first)
    new = Repository.at_revision(str(root), "HEAD")
    work = Repository(str(root))
    assert len(old.stacks()) == 6 and len(new.stacks()) == 7
    assert [s.path for s in new.stacks()] == [s.path for s in work.stacks()]
    assert old.stack_at("konfig/appops/acme/web/prod").meta["config"]["replicas"] == 4
    assert new.stack_at("konfig/appops/acme/web/prod").meta["config"]["replicas"] == 8
    with pytest.raises(KonfigError, match="unknown git revision 'nope'"):
        Repository.at_revision(str(root), "nope")


def test_git_symlink_out_of_repo_is_refused(mini_git, tmp_path):
    root, git_repo = mini_git
    target = root / "konfig/appops/acme/web/prod/stack.yaml"
    target.unlink()
    os.symlink("../../../../../../etc/passwd", target)
    commit_all(git_repo, "evil link")
    repo = Repository.at_revision(str(root), "HEAD")
    with pytest.raises(KonfigError, match="outside the repository"):
        repo.read("konfig/appops/acme/web/prod/stack.yaml")


def test_schema_closure_follows_refs(mini):
    repo = Repository(str(mini))
    assert sorted(repo.model("app").schema_files()) == [
        "konfig/base/models/app/schema.yaml", "konfig/base/schemas/units.yaml"]


def test_merge_spec_from_schema(mini):
    spec = Repository(str(mini)).model("app").merge_spec
    assert spec.props["env"].key == "name"
    assert "labels" not in spec.props  # nothing keyed under it


def test_git_revision_of_a_konfig_in_a_subdirectory(tmp_path):
    import shutil

    from tests.conftest import FIXTURES, git_init

    shutil.copytree(FIXTURES / "mini", tmp_path / "ops" / "konfig-repo")
    (tmp_path / "README").write_text("monorepo\n")
    git_init(tmp_path)
    repo = Repository.at_revision(str(tmp_path / "ops" / "konfig-repo"), "HEAD")
    assert len(repo.stacks()) == 6
    assert repo.settings["roots"] == ["konfig/appops", "konfig/infra"]


@pytest.mark.parametrize("line, message", [
    ("cache_dir: /tmp/elsewhere", "must be relative to the repository"),
    ("cache_dir: ../elsewhere", "leaves the repository"),
    ("cache_dir: .", "not the root itself"),
    ("roots: [konfig/appops, ../outside]", "leaves the repository"),
    ("base: konfig/../../base", "leaves the repository"),
    ("roots: [/abs/konfig/appops]", "must be relative to the repository"),  # was made relative silently
    ("base: /abs/konfig/base", "must be relative to the repository"),
])
def test_settings_paths_stay_inside_the_repository(mini, line, message):
    """The cache directory is written to: one outside the repository would put files anywhere."""
    key = line.split(":", 1)[0]
    text = (mini / "konfig.yaml").read_text()
    kept = [ln for ln in text.splitlines() if not ln.startswith(key + ":")]
    (mini / "konfig.yaml").write_text("\n".join(kept) + "\n" + line + "\n")
    with pytest.raises(KonfigError) as info:
        Repository(str(mini)).settings
    err = info.value
    assert message in err.message and err.file == "konfig.yaml"
    assert err.line == len(kept) + 1 and err.keypath.split(".")[0] == key
    assert not (mini.parent / "elsewhere").exists()


def test_settings_paths_are_normalised(mini):
    text = (mini / "konfig.yaml").read_text()
    (mini / "konfig.yaml").write_text(text + "cache_dir: ./build//cache/\n")
    repo = Repository(str(mini))
    assert repo.settings["cache_dir"] == "build/cache"
