"""The renderer loader and ``render_stack`` (the API ``konfig diff`` uses)."""
from __future__ import annotations

import pytest
from konfigctl.render import RenderError, check_resources, render_stack
from konfigctl.repository import Repository

from tests.conftest import commit_all

RENDER = "konfig/base/models/app/render.py"


def test_render_stack_from_a_git_revision_uses_that_revisions_renderer(mini_git, write):
    root, git_repo = mini_git
    base = git_repo.head.commit.hexsha
    write(root, RENDER, (root / RENDER).read_text().replace('"konfig"', '"konfig-v2"'))
    commit_all(git_repo, "renderer v2")
    old = Repository.at_revision(str(root), base)
    new = Repository.at_revision(str(root), "HEAD")
    label = "app.kubernetes.io/managed-by"
    (a,) = render_stack(old, old.find_stack("acme/web/dev"))
    (b,) = render_stack(new, new.find_stack("acme/web/dev"))
    assert a["metadata"]["labels"][label] == "konfig"
    assert b["metadata"]["labels"][label] == "konfig-v2"


def test_renderer_gets_copies(mini, write):
    write(mini, RENDER, "def render(config, stack):\n    config['replicas'] = 99\n    stack.labels['x'] = 'y'\n"
                        "    return []\n")
    repo = Repository(str(mini))
    stack = repo.find_stack("acme/web/dev")
    from konfigctl.resolution import resolve

    config = resolve(repo, stack).config
    assert render_stack(repo, stack, config) == []
    assert config["replicas"] == 1 and "x" not in stack.labels


def test_missing_renderer_is_a_render_error(mini):
    (mini / RENDER).unlink()
    repo = Repository(str(mini))
    with pytest.raises(RenderError, match="model app has no renderer"):
        render_stack(repo, repo.find_stack("acme/web/dev"))


def test_resources_are_ordered_for_apply_and_duplicates_rejected():
    res = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"}},
        {"apiVersion": "x.io/v1", "kind": "Zed", "metadata": {"name": "z"}},
        {"apiVersion": "x.io/v1", "kind": "Alpha", "metadata": {"name": "b"}},
        {"apiVersion": "x.io/v1", "kind": "Alpha", "metadata": {"name": "a"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
    ]
    ordered = check_resources(res, "m")
    assert [(r["kind"], r["metadata"]["name"]) for r in ordered] == [
        ("ConfigMap", "a"), ("Service", "a"), ("Deployment", "a"), ("Zed", "z"), ("Alpha", "a"), ("Alpha", "b")]
    with pytest.raises(RenderError, match="Service a is rendered twice"):
        check_resources(res + [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}], "m")


def test_module_state_does_not_leak_between_stacks(mini, write):
    write(mini, RENDER, "CALLS = []\n\ndef render(config, stack):\n    CALLS.append(stack.name)\n"
                        "    return [{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'c'},\n"
                        "             'data': {'calls': str(len(CALLS))}}]\n")
    repo = Repository(str(mini))
    for name in ("acme/web/dev", "acme/web/prod", "acme/api/dev"):
        (cm,) = render_stack(repo, repo.find_stack(name))
        assert cm["data"] == {"calls": "1"}
