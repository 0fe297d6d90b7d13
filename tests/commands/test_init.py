from __future__ import annotations

import importlib.util
import json

from konfigctl.repository import Repository
from konfigctl.resolution import resolve


def test_init_creates_a_konfig_that_passes_its_own_checks(cli, tmp_path):
    target = tmp_path / "my-konfig"
    res = cli("init", str(target))
    assert res.exit_code == 0, res.output
    for rel in ("konfig.yaml", "README.md", ".gitignore", ".pre-commit-config.yaml", "konfig/base/teams.yaml",
                "konfig/base/models/webapp/schema.yaml", "konfig/base/models/webapp/render.py",
                "konfig/base/templates/webapp/project.yaml.tmpl", "konfig/appops/example/hello/project.yaml",
                "konfig/appops/example/hello/dev/stack.yaml", "konfig/appops/example/hello/prod/stack.yaml",
                "docs/models/webapp.md", "docs/schemas/stack.schema.json"):
        assert (target / rel).is_file(), rel
        assert f"created {rel}" in res.stdout
    assert (target / ".git").is_dir()
    assert "name: my-konfig\n" in (target / "konfig.yaml").read_text()
    assert cli("validate", "--all", repo=target).exit_code == 0
    assert cli("fmt", "--check", repo=target).exit_code == 0
    assert cli("docs", "--check", repo=target).exit_code == 0
    assert cli("owners", "check", repo=target).exit_code == 0
    res = cli("test", "--all", repo=target)
    assert res.exit_code == 0, res.output
    assert (target / "konfig/appops/example/hello/prod/golden.yaml").is_file()
    assert cli("owners", "codeowners", "--target", "github", "--check", repo=target).exit_code == 0
    assert cli("list", "stacks", repo=target).stdout.split() == [
        "konfig/appops/example/hello/dev", "konfig/appops/example/hello/prod"]
    # the first steps of docs/getting-started.md work on it
    assert cli("set", "example/hello/prod", "image=registry.example.com/example/hello:0.2.0", repo=target).exit_code == 0
    assert cli("new", "project", "konfig/appops/shop/cart", "--model", "webapp", "--owner", "example",
               repo=target).exit_code == 0
    assert cli("test", "--all", repo=target).exit_code == 0
    assert cli("set", "example/hello/prod", "replicas=1", repo=target).exit_code == 1  # policy


def test_the_skeleton_renderer_gives_valid_kubernetes_objects(cli, tmp_path):
    import kubernetes_validate

    target = tmp_path / "k"
    assert cli("init", str(target), "--no-git").exit_code == 0
    assert not (target / ".git").exists()
    spec = importlib.util.spec_from_file_location("skeleton_render", target / "konfig/base/models/webapp/render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    repo = Repository(str(target))
    for stack in repo.stacks():
        docs = module.render(resolve(repo, stack).config, stack.info())
        assert [d["kind"] for d in docs] == ["Deployment", "Service"]
        for doc in docs:
            kubernetes_validate.validate(doc, "1.31", strict=True)


def test_init_refuses_a_non_empty_directory(cli, tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    res = cli("init", str(tmp_path / "x"))
    assert res.exit_code == 2 and "not empty" in res.stderr
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["x"]  # no temporary directory left behind


def test_init_into_an_empty_directory_and_json(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    res = cli("init", str(tmp_path / "empty"), "--name", "acme-config", "--ci", "gitlab", "-f", "json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["stacks"] == ["konfig/appops/example/hello/dev", "konfig/appops/example/hello/prod"]
    assert "konfig.yaml" in data["files"] and ".gitlab/CODEOWNERS" in data["files"]
    assert ".github/CODEOWNERS" not in data["files"]
    assert "name: acme-config" in (tmp_path / "empty/konfig.yaml").read_text()


def test_init_emits_the_pipelines_of_its_platform(cli, tmp_path):
    target = tmp_path / "k"
    assert cli("init", str(target), "--ci", "gitlab").exit_code == 0
    assert (target / ".gitlab-ci.yml").is_file() and (target / "pipelines/gitlab/konfig.gitlab-ci.yml").is_file()
    assert not (target / ".github").exists()
    assert cli("pipeline", "emit", "--check", repo=target).exit_code == 0
    # inside another git repository, CI files cannot work: said, not failed
    import git

    outer = tmp_path / "outer"
    git.Repo.init(outer)
    res = cli("init", str(outer / "konfig"))
    assert res.exit_code == 0
    assert "no pipelines written" in res.stderr and not (outer / "konfig/pipelines").exists()
    assert not (outer / "konfig/.git").exists()
