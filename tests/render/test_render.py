"""The renderer loader and ``render_stack`` (the API ``konfig diff`` uses)."""
from __future__ import annotations

import pytest
from konfigctl.render.renderer import RenderError, check_resources, render_stack
from konfigctl.repo.repository import Repository

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
    from konfigctl.resolve.merge import resolve

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


# -- shared renderer libraries (konfiglib) ---------------------------------------------

CM = ("def config_map(stack, **data):\n"
      "    return {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': stack.project},\n"
      "            'data': {k: str(v) for k, v in data.items()}}\n")


@pytest.mark.parametrize("imports, call", [
    ("from konfiglib import shapes", "shapes.config_map"),
    ("import konfiglib.shapes", "konfiglib.shapes.config_map"),
    ("from konfiglib.shapes import config_map", "config_map"),
    ("from konfiglib import shapes as s", "s.config_map"),
])
def test_a_renderer_imports_a_library_every_way_python_spells_it(mini, write, imports, call):
    write(mini, "konfig/base/lib/shapes.py", CM)
    write(mini, RENDER, f"{imports}\n\ndef render(config, stack):\n"
                        f"    return [{call}(stack, replicas=config['replicas'])]\n")
    repo = Repository(str(mini))
    (cm,) = render_stack(repo, repo.find_stack("acme/web/dev"))
    assert cm["data"] == {"replicas": "1"} and cm["metadata"]["name"] == "web"


def test_library_state_is_fresh_for_every_stack(mini, write):
    write(mini, "konfig/base/lib/counter.py", "SEEN = []\n\ndef count(name):\n    SEEN.append(name)\n"
                                              "    return len(SEEN)\n")
    write(mini, "konfig/base/lib/other.py", "from konfiglib import counter\n")
    write(mini, RENDER, "from konfiglib import counter, other\n\ndef render(config, stack):\n"
                        "    assert other.counter is counter  # one module per run, shared by its importers\n"
                        "    return [{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'c'},\n"
                        "             'data': {'n': str(counter.count(stack.name))}}]\n")
    repo = Repository(str(mini))
    for name in ("acme/web/dev", "acme/web/prod", "acme/api/dev"):
        (cm,) = render_stack(repo, repo.find_stack(name))
        assert cm["data"] == {"n": "1"}


def test_libraries_run_under_the_renderers_rules(mini, write):
    write(mini, "konfig/base/lib/sneaky.py", "import os\n")
    write(mini, RENDER, "from konfiglib import sneaky\n\ndef render(config, stack):\n    return []\n")
    repo = Repository(str(mini))
    with pytest.raises(RenderError, match="may not import 'os'") as e:
        render_stack(repo, repo.find_stack("acme/web/dev"))
    assert (e.value.file, e.value.line) == ("konfig/base/lib/sneaky.py", 1)


@pytest.mark.parametrize("lib, render_src, message, where", [
    (None, "import json\nfrom konfiglib import nosuch\n",
     "konfiglib.nosuch: konfig/base/lib/nosuch.py does not exist", (RENDER, 2)),
    (None, "import konfiglib\n", "import a module of konfiglib", (RENDER, 1)),
    (None, "from konfiglib.a.b import c\n", "renderer libraries are flat", (RENDER, 1)),
    ("X = 1\ndef f(:\n", "from konfiglib import lib\n", "renderer library does not compile",
     ("konfig/base/lib/lib.py", 2)),
    ("from konfiglib import missing\n", "from konfiglib import lib\n",
     "konfig/base/lib/missing.py does not exist", ("konfig/base/lib/lib.py", 1)),
])
def test_library_problems_name_the_file_and_line(mini, write, lib, render_src, message, where):
    if lib is not None:
        write(mini, "konfig/base/lib/lib.py", lib)
    write(mini, RENDER, render_src + "\ndef render(config, stack):\n    return []\n")
    repo = Repository(str(mini))
    with pytest.raises(RenderError, match=message) as e:
        render_stack(repo, repo.find_stack("acme/web/dev"))
    assert (e.value.file, e.value.line) == where


def test_a_library_that_raises_fails_the_stack_at_its_line(mini, write):
    write(mini, "konfig/base/lib/check.py", "def positive(n):\n    if n < 2:\n"
                                            "        raise ValueError(f'{n} is too few')\n    return n\n")
    write(mini, RENDER, "from konfiglib import check\n\ndef render(config, stack):\n"
                        "    check.positive(config['replicas'])\n    return []\n")
    repo = Repository(str(mini))
    with pytest.raises(RenderError) as e:
        render_stack(repo, repo.find_stack("acme/web/dev"))
    assert str(e.value) == ("konfig/base/lib/check.py:3: renderer failed: 1 is too few (model app) "
                            "[stack konfig/appops/acme/web/dev]")


def test_a_git_revision_renders_with_that_revisions_libraries(mini_git, write):
    root, git_repo = mini_git
    write(root, "konfig/base/lib/shapes.py", CM)
    write(root, RENDER, "from konfiglib import shapes\n\ndef render(config, stack):\n"
                        "    return [shapes.config_map(stack, v=1)]\n")
    commit_all(git_repo, "v1")
    write(root, "konfig/base/lib/shapes.py", CM.replace("str(v)", "str(v + 1)"))
    commit_all(git_repo, "v2")
    old = Repository.at_revision(str(root), "HEAD~1")
    new = Repository.at_revision(str(root), "HEAD")
    assert render_stack(old, old.find_stack("acme/web/dev"))[0]["data"] == {"v": "1"}
    assert render_stack(new, new.find_stack("acme/web/dev"))[0]["data"] == {"v": "2"}
