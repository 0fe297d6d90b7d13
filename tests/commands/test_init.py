from __future__ import annotations

import importlib.util
import json

from konfigctl.repo.repository import Repository
from konfigctl.resolve.merge import resolve


def test_init_creates_a_konfig_that_passes_its_own_checks(cli, tmp_path):
    target = tmp_path / "my-konfig"
    res = cli("init", str(target))
    assert res.exit_code == 0, res.output
    for rel in ("konfig.yaml", "README.md", ".gitignore", ".pre-commit-config.yaml", "konfig/base/teams.yaml",
                "konfig/base/models/webapp/schema.yaml", "konfig/base/models/webapp/render.py",
                "konfig/base/templates/webapp/project.yaml.tmpl", "konfig/appops/example/hello/project.yaml",
                "konfig/appops/example/hello/dev/stack.yaml", "konfig/appops/example/hello/prod/stack.yaml",
                "konfig/appops/example/hello/slo/stack.yaml", "docs/models/slo.md",
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
        "konfig/appops/example/hello/dev", "konfig/appops/example/hello/prod",
        "konfig/appops/example/hello/slo"]
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
    webapp = [s for s in repo.stacks() if s.model_name == "webapp"]
    assert len(webapp) == 2  # beside them, the example service's SLO stack
    for stack in webapp:
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
    assert data["stacks"] == ["konfig/appops/example/hello/dev", "konfig/appops/example/hello/prod",
        "konfig/appops/example/hello/slo"]
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


def test_init_inside_another_konfigs_roots_or_base_is_refused_naming_it(cli, tmp_path):
    outer = tmp_path / "outer"
    assert cli("init", str(outer), "--no-git").exit_code == 0
    before = sorted(str(p.relative_to(outer)) for p in outer.rglob("*"))
    for inside in ("konfig/appops/nested", "konfig/appops/example/hello/nested", "konfig/base/nested",
                   ".konfig-cache/nested"):
        res = cli("init", str(outer / inside), "--no-git")
        assert res.exit_code == 2, (inside, res.output)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and f"{outer}/konfig.yaml" in lines[0], lines
        assert "would take the new one's files as its own" in lines[0]
    assert sorted(str(p.relative_to(outer)) for p in outer.rglob("*")) == before
    assert cli("list", "stacks", repo=outer).stdout.split() == [
        "konfig/appops/example/hello/dev", "konfig/appops/example/hello/prod",
        "konfig/appops/example/hello/slo"]
    # elsewhere in it (an examples/ directory) is fine: each Konfig finds its own konfig.yaml
    res = cli("init", str(outer / "examples" / "demo"), "--no-git")
    assert res.exit_code == 0, res.output
    assert cli("list", "stacks", repo=outer).stdout.split() == [
        "konfig/appops/example/hello/dev", "konfig/appops/example/hello/prod",
        "konfig/appops/example/hello/slo"]


def test_init_says_in_one_line_that_a_local_install_cannot_serve_ci(cli, tmp_path):
    """The tests run an editable install: CI cannot install that, so nothing is guessed."""
    res = cli("init", str(tmp_path / "k"), "--no-git", "-f", "json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["install"] is None
    assert [n for n in data["notes"] if "pipelines.install" in n] == [data["notes"][0]]
    assert "install" not in Repository(str(tmp_path / "k")).settings["pipelines"]
    res = cli("init", str(tmp_path / "k2"), "--no-git")
    assert [line for line in res.stderr.splitlines() if "pipelines.install" in line] == [
        line for line in res.stderr.splitlines() if line.startswith("konfig: warning: pipelines.install is not set")]
    # pipeline emit says the same, at konfig.yaml, naming the setting
    res = cli("pipeline", "emit", "--check", repo=tmp_path / "k")
    assert res.exit_code == 0
    (line,) = [x for x in res.stderr.splitlines() if "pipelines.install" in x]
    assert line.startswith("konfig: warning: konfig.yaml:") and ": pipelines.install: not set" in line


def test_the_starter_rules_can_be_met_for_every_stack_and_author(cli, tmp_path):
    """Each member of each team, changing each stack: the suggested reviewers satisfy the verdict."""
    import git

    target = tmp_path / "k"
    assert cli("init", str(target)).exit_code == 0
    g = git.Repo(target)
    with g.config_writer() as cw:
        cw.set_value("user", "name", "t")
        cw.set_value("user", "email", "t@example.com")
    g.git.add("-A")
    g.git.commit("-q", "-m", "init")
    teams = {"example": ["@example-dev", "@example-lead", "@example-sre"],
             "platform": ["@platform-lead", "@platform-dev", "@platform-sre"]}
    changes = {"konfig/appops/example/hello/prod": "example", "konfig/appops/example/hello/dev": "example",
               "konfig/base/models/webapp/defaults.yaml": "platform"}
    for i, (path, team) in enumerate(changes.items()):
        g.git.checkout("-q", "-b", f"change-{i}", "main")
        if path.endswith(".yaml"):
            f = target / path
            f.write_text(f.read_text() + "# reviewed\n")
        else:
            assert cli("set", path, f"image=registry.example.com/hello:{i}", repo=target).exit_code == 0
        g.git.commit("-q", "-am", f"change {i}")
        for author in teams[team]:
            res = cli("review", "--base", "main", "--author", author, "-f", "json", repo=target)
            assert res.exit_code == 1, res.output
            suggested = json.loads(res.stdout)["suggested_reviewers"]
            assert author not in suggested and suggested
            res = cli("review", "--base", "main", "--author", author, "--approved-by", ",".join(suggested),
                      repo=target)
            assert res.exit_code == 0, (path, author, res.output)
