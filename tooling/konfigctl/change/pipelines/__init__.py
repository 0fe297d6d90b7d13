"""CI definitions for GitHub Actions and GitLab CI, emitted from ``konfig.yaml`` (``konfig pipeline emit``).

One module per target (:mod:`.github`, :mod:`.gitlab`) behind one interface
(``NAME``, ``DIRS``, ``ROOT_FILES``, ``files(repo, conf, read)``), registered in
:data:`TARGETS` like pre-commit's languages; :mod:`.base` has what they share.

What runs, on a pull/merge request (and on pushes to the default branch):

* **detect** -- ``konfig affected`` against the request's base; fans out
  * GitHub: a dynamic matrix (``fromJSON(needs.detect.outputs.matrix)``), skipped when empty;
  * GitLab: a child pipeline written by ``konfig affected --format gitlab`` as an
    artifact and triggered with ``trigger: include: artifact:`` (``parallel`` <= 200);
* **test** shards -- ``konfig test --affected BASE --shard I/N``: each job selects its
  slice itself, so only numbers travel through the matrix;
* **diff** -- ``konfig diff --format markdown`` posted as the PR/MR comment;
* **review**, **owners**, **fmt**, **drift** -- ``konfig review``, ``konfig owners check``,
  ``konfig fmt --check``, ``konfig pipeline emit --check``,
  ``konfig owners codeowners --check`` and ``konfig docs --check``;
* GitHub: one ``konfig`` job that needs all the others, the single check to require.

Untrusted text (branch names, PR titles, stack paths) never reaches a shell
line or a ``${{ }}`` inside ``run:``: GitHub context values go through
``env:`` and are used quoted (``"$KONFIG_BASE"``); stack names never appear
at all. Values from ``konfig.yaml`` that reach a command are shell-quoted.

Files (``pipelines/`` holds the emitted definitions; the CI systems read them where they must):

* ``pipelines/github/konfig.yml``, ``pipelines/github/konfig-review.yml``, and identical
  copies in ``.github/workflows/`` (GitHub reads workflows only there);
* ``pipelines/gitlab/konfig.gitlab-ci.yml``, and ``.gitlab-ci.yml`` including it
  (an existing ``.gitlab-ci.yml`` of your own is left alone; it must include the file).

A file that carries the generated header but is no longer emitted (a job or a
target turned off) is stale: ``emit`` removes it and ``--check`` fails on it,
since GitHub would still run a stale workflow.

Every job installs konfig with exactly ``pipelines.install`` (shell-quoted),
and nothing else: ``konfig init`` writes it from how the running konfig was
installed (:func:`running_install`); unset, the install step fails with a line
naming the setting rather than guess a package name nobody configured.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import UsageError
from . import github, gitlab
from .base import (GITHUB_MAX_JOBS, JOBS, Emitted, InstallSource, _install, install_hint,
                   install_problem, running_install, settings, write)
from .github import DIFF_SCRIPT
from .gitlab import GITLAB_MAX_PARALLEL, GITLAB_NOTE_SCRIPT, GITLAB_REVIEW_SCRIPT, gitlab_child

if TYPE_CHECKING:
    from ...repo.repository import Repository

# the registry: a target's name -> its module
TARGETS = {github.NAME: github, gitlab.NAME: gitlab}

__all__ = ["DIFF_SCRIPT", "GITHUB_MAX_JOBS", "GITLAB_MAX_PARALLEL", "GITLAB_NOTE_SCRIPT",
           "GITLAB_REVIEW_SCRIPT", "JOBS", "TARGETS", "Emitted", "InstallSource", "_install",
           "gitlab_child", "install_hint", "install_problem", "render", "running_install",
           "settings", "write"]


def render(repo: "Repository", targets: list[str] | None = None) -> list[Emitted]:
    """The files ``konfig pipeline emit`` writes for ``targets`` (default: konfig.yaml's).

    With the default targets, generated files of every target are looked at
    (a target dropped from konfig.yaml leaves stale files); with explicit
    ``targets``, only theirs.
    """
    from .base import check_top_of_git, generated_files, read

    conf = settings(repo)
    chosen = targets or list(conf["targets"])
    for t in chosen:
        if t not in TARGETS:
            raise UsageError(f"unknown pipeline target {t!r} (use {' or '.join(TARGETS)})")
    check_top_of_git(repo)
    files: list[Emitted] = []
    for name in TARGETS:  # registry order, whatever order they were asked in
        if name in chosen:
            files.extend(TARGETS[name].files(repo, conf, read))
    emitted = {f.path for f in files}
    for name in (chosen if targets else TARGETS):
        for rel in generated_files(repo, TARGETS[name]):
            if rel not in emitted:
                files.append(Emitted(rel, "", read(repo, rel), stale=True))
                emitted.add(rel)
    return files
