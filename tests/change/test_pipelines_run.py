"""The emitted GitLab pipeline, run for real by gitlab-ci-local (shell executor) on a `konfig init` repository.

A merge request's pipeline: detect, the child pipeline from its artifact with
`parallel:` shards, test, diff (its note posted, then updated on the next
push), review (approvals read from the API), owners, fmt and drift. Every job
installs konfig with the emitted line: `konfigctl @ git+file:///...@COMMIT`,
the way `konfig init` wrote it from a konfig installed from that repository.
The GitLab API is a local fake (tests/fake_gitlab.py) on 127.0.0.1.

The shell executor runs every job on this machine, in one venv: jobs run one
at a time (`--concurrency 1`), so that two installs never race; the first
job's install is the real one.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from konfigctl.yamlio import load
from tests.ci_tools import gitlab_ci_local, konfig_source, pip_into, sh, venv
from tests.fake_gitlab import FakeGitLab

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
JOBS = ["konfig-detect", "konfig-test", "konfig-diff", "konfig-review", "konfig-owners", "konfig-fmt",
        "konfig-drift"]


def git(*args: str, cwd: Path) -> str:
    return sh("git", *args, cwd=cwd, env=GIT_ENV).strip()


def run_pipeline(repo: Path, home: Path, py: Path, api: FakeGitLab, base: str,
                 *jobs: str) -> tuple[int, str]:
    """One merge-request pipeline (or only ``jobs`` and what they need); its exit code and log."""
    variables = {
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
        "CI_MERGE_REQUEST_IID": str(api.mr),
        "CI_PROJECT_ID": str(api.project),
        "CI_API_V4_URL": api.url,
        "KONFIG_GITLAB_TOKEN": api.token,
    }
    args = [*gitlab_ci_local(), "--force-shell-executor", "--concurrency", "1", "--no-artifacts-to-source",
            "--home", str(home), "--no-color", "--ignore-predefined-vars", ",".join(sorted(variables))]
    for k, v in variables.items():
        args += ["--variable", f"{k}={v}"]
    if jobs:
        args += [*jobs, "--needs"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KONFIG_", "CI_", "GITLAB_"))}
    env.update({"PATH": f"{py.parent}:{env['PATH']}", "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1", "NO_COLOR": "1", "HOME": str(home)})
    proc = subprocess.run(args, cwd=repo, capture_output=True, text=True, timeout=600, env=env)
    return proc.returncode, proc.stdout + proc.stderr


def verdicts(log: str) -> dict[str, str]:
    return {m.group(2): m.group(1) for m in re.finditer(r"^\s*(PASS|FAIL|WARN)\s+(konfig-[\w-]+)\s*$", log, re.M)}


@pytest.mark.slow
def test_the_emitted_gitlab_pipeline_runs_a_merge_request_end_to_end(cli, tmp_path):
    src, commit = konfig_source(tmp_path)
    tool = venv(tmp_path / "tool")
    pip_into(tool, f"konfigctl @ git+{src.as_uri()}@{commit}")
    repo = tmp_path / "k"
    proc = subprocess.run([str(tool.parent / "konfig"), "init", str(repo), "--ci", "gitlab"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    requirement = f"konfigctl @ git+{src.as_uri()}@{commit}"
    assert load((repo / "konfig.yaml").read_text(), "k").data["pipelines"]["install"] == requirement
    # one stack a shard, so that the two changed stacks run as `parallel: 2`
    text = (repo / "konfig.yaml").read_text().replace("  default_branch: main\n",
                                                      "  default_branch: main\n  shard_size: 1\n")
    (repo / "konfig.yaml").write_text(text)
    assert cli("pipeline", "emit", repo=repo).exit_code == 0
    git("remote", "add", "origin", "https://gitlab.example.com/platform/k.git", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "konfig init", cwd=repo)
    base = git("rev-parse", "HEAD", cwd=repo)
    git("checkout", "-q", "-b", "bump", cwd=repo)
    for stack in ("dev", "prod"):
        assert cli("set", f"example/hello/{stack}", "image=registry.example.com/hello:2.0",
                   repo=repo).exit_code == 0
    git("commit", "-q", "-am", "hello 2.0", cwd=repo)

    jobs_env = venv(tmp_path / "jobs")  # what the jobs run: konfig not installed until they install it
    home = tmp_path / "home"
    home.mkdir()
    with FakeGitLab(token="glpat-test", project=5, mr=7, author="example-dev",
                    approved_by=["example-lead", "example-sre"]) as api:
        code, log = run_pipeline(repo, home, jobs_env, api, base)
        assert code == 0, log[-6000:]
        assert verdicts(log) == dict.fromkeys(JOBS, "PASS"), log[-6000:]
        assert "Successfully installed konfigctl" in log
        assert "[1/2]" in log and "[2/2]" in log  # the child pipeline's shards
        assert log.count("✓ 1 stack passed") == 2
        assert "✓ review satisfied" in log
        (note,) = api.notes
        assert note["body"].startswith("<!-- konfig-diff -->\n")
        assert "example/hello/prod" in note["body"] and "registry.example.com/hello:2.0" in note["body"]
        # the next push updates the note instead of adding one (only the diff job, and detect it needs)
        assert cli("set", "example/hello/prod", "image=registry.example.com/hello:2.1", repo=repo).exit_code == 0
        git("commit", "-q", "-am", "hello 2.1", cwd=repo)
        code, log = run_pipeline(repo, home, jobs_env, api, base, "konfig-diff")
        assert code == 0, log[-6000:]
        assert verdicts(log) == {"konfig-detect": "PASS", "konfig-diff": "PASS"}, log[-6000:]
        (note,) = api.notes
        assert "registry.example.com/hello:2.1" in note["body"]
