"""The command functions called directly, as the CLI calls them: ``(repo, ..., out) -> exit code``.

Each gets an ``Output`` on two buffers and its effect is asserted -- what it
printed where, what it wrote, its exit code (pre-commit's
``tests/commands/clean_test.py`` style). The CLI tests beside them go through
typer; these pin the contract of the layer under it.
"""
from __future__ import annotations

import io
import json

import pytest
from konfigctl.commands import affected, fmt, get, list as list_cmd, render, resolve, review, set as set_cmd
from konfigctl.commands import test as test_cmd
from konfigctl.commands import validate
from konfigctl.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, UsageError
from konfigctl.output import Output
from konfigctl.repo.repository import Repository
from konfigctl.targets import Targets

from tests import konfig_repos as k
from tests.conftest import commit_all

WEB_DEV = "konfig/appops/acme/web/dev"


class Buffers:
    def __init__(self):
        self.out, self.err = io.StringIO(), io.StringIO()
        self.output = Output("never", self.out, self.err)

    @property
    def stdout(self):
        return self.out.getvalue()

    @property
    def stderr(self):
        return self.err.getvalue()


@pytest.fixture
def b():
    return Buffers()


def test_list_resolve_and_get_print_results_on_stdout_only(mini, b):
    repo = Repository(str(mini))
    assert list_cmd.list_(repo, "stacks", ["env=prod"], "json", False, b.output) == EXIT_OK
    prod = json.loads(b.stdout)
    assert [s["path"] for s in prod] == [s.path for s in repo.stacks() if s.env == "prod"]
    b2 = Buffers()
    assert resolve.resolve(repo, "acme/web/dev", ["replicas=4"], "json", b2.output) == EXIT_OK
    assert json.loads(b2.stdout)["replicas"] == 4 and b2.stderr == ""
    b3 = Buffers()
    assert get.get(repo, "acme/web/dev", "disk", [], "text", b3.output) == EXIT_OK
    assert b3.stdout == "10Gi\n"


def test_validate_exit_codes_and_problem_lines(mini, write, b):
    assert validate.validate(Repository(str(mini)), Targets(all=True), "text", b.output) == EXIT_OK
    write(mini, f"{WEB_DEV}/stack.yaml", "env: dev\nconfig:\n  replicas: -1\n  disk: 10Gi\n")
    b2 = Buffers()
    assert validate.validate(Repository(str(mini)), Targets(all=True), "text", b2.output) == EXIT_FAILED
    assert b2.stdout.startswith(f"{WEB_DEV}/stack.yaml:3:")
    write(mini, f"{WEB_DEV}/stack.yaml", "env: dev\nconfig: [\n")
    b3 = Buffers()
    assert validate.validate(Repository(str(mini)), Targets(names=["acme/web/dev"]), "json", b3.output,
                             cwd=str(mini)) == EXIT_BAD_INPUT
    assert json.loads(b3.stdout)["problems"][0]["check"] == "input"


def test_test_without_cache_writes_no_cache_and_update_fixes_goldens(mini, write, b):
    write(mini, f"{WEB_DEV}/stack.yaml", "env: dev\nconfig:\n  replicas: 2\n  disk: 10Gi\n")
    code = test_cmd.test(Repository(str(mini)), Targets(all=True), b.output, fmt="json", use_cache=False)
    assert code == EXIT_FAILED and not (mini / ".konfig-cache" / "test").exists()
    failed = [s for s in json.loads(b.stdout)["results"] if not s["ok"]]
    assert [s["stack"] for s in failed] == [WEB_DEV]
    b2 = Buffers()
    assert test_cmd.test(Repository(str(mini)), Targets(all=True), b2.output, update=True) == EXIT_OK
    assert "replicas: 2" in (mini / WEB_DEV / "golden.yaml").read_text()
    assert (mini / ".konfig-cache" / "test").is_dir()


def test_set_edits_the_layer_keeping_comments_and_refuses_an_invalid_value(mini, b):
    repo = Repository(str(mini))
    assert set_cmd.set_(repo, "acme/web/dev", ["replicas=4"], b.output) == EXIT_OK
    text = (mini / WEB_DEV / "stack.yaml").read_text()
    assert text.startswith("# the web dev stack\n") and "replicas: 4  # one is enough" in text
    assert "replicas: 4" in (mini / WEB_DEV / "golden.yaml").read_text()  # re-rendered
    b2 = Buffers()
    assert set_cmd.set_(Repository(str(mini)), "acme/web/dev", ["replicas=3"], b2.output) == EXIT_FAILED
    assert b2.stdout.startswith(f"{WEB_DEV}/stack.yaml:4:3: replicas: 3 is not one of 1, 2, 4, 8")
    assert "refused" in b2.stderr and (mini / WEB_DEV / "stack.yaml").read_text() == text


def test_render_to_a_tree_and_fmt_check(mini, tmp_path, b):
    repo = Repository(str(mini))
    out_dir = tmp_path / "manifests"
    assert render.render(repo, Targets(all=True), b.output, out_dir=str(out_dir)) == EXIT_OK
    written = [line.removeprefix("wrote ") for line in b.stdout.splitlines()]
    assert written and all((out_dir / w).is_file() for w in written)
    assert "rendered to" in b.stderr
    b2 = Buffers()
    assert fmt.fmt(Repository(str(mini)), [], b2.output, check=True) == EXIT_OK


def test_affected_and_review_on_one_change(kgit, b):
    root, g = kgit
    k.edit(root, "konfig/base/models/job/schema.yaml")
    commit_all(g, "job schema")
    repo = Repository(str(root))
    assert affected.affected(repo, "main", None, "json", b.output, why=True) == EXIT_OK
    data = json.loads(b.stdout)
    assert [s["path"] for s in data["affected"]] == k.BATCH
    assert data["affected"][0]["reasons"][0]["rule"] == "model"
    assert data["changed_files"] == [{"status": "M", "path": "konfig/base/models/job/schema.yaml",
                                      "old_path": None}]
    b2 = Buffers()
    code = review.review(repo, "main", None, "@erin", [], "json", b2.output)
    assert code == EXIT_FAILED and json.loads(b2.stdout)["satisfied"] is False


def test_a_format_a_command_lacks_is_a_usage_error(mini, b):
    with pytest.raises(UsageError, match="--format yaml is not available for validate"):
        validate.validate(Repository(str(mini)), Targets(all=True), "yaml", b.output)
    assert b.stdout == b.stderr == ""
