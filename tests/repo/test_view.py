"""RepoView: the concepts read their revision through it, and Repository provides all of it."""
from __future__ import annotations

import ast
import inspect
import types

from konfigctl.repo import view
from konfigctl.repo.repository import Repository
from konfigctl.repo.selector import Selector

from tests.conftest import REPO_ROOT

CONCEPTS = ("stack", "project", "model", "policy", "teams", "order", "peek", "selector")


def _members(protocol):
    return {n for n in vars(protocol) if not n.startswith("_")} | set(protocol.__annotations__)


def test_repository_provides_every_member_of_the_view(mini):
    repo = Repository(str(mini))
    missing = [m for m in _members(view.RepoView) if not hasattr(repo, m)]
    assert missing == []
    for name in _members(view.RepoView) - set(view.RepoView.__annotations__):
        declared = getattr(view.RepoView, name)
        actual = getattr(Repository, name)
        if inspect.isfunction(declared):  # the same parameters, so a call through the view works
            assert list(inspect.signature(declared).parameters) == list(inspect.signature(actual).parameters)


def test_the_concepts_never_import_the_repository_class():
    for name in CONCEPTS:
        tree = ast.parse((REPO_ROOT / "tooling/konfigctl/repo" / f"{name}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "repository" not in imported, f"repo/{name}.py imports repository: type it against view.RepoView"


def test_a_selector_judges_anything_with_the_selectable_attributes():
    thing = types.SimpleNamespace(model_name="webapp", env="prod", path="konfig/appops/pay/web/prod",
                                  name="web-prod", labels={"tier": "web"},
                                  project=types.SimpleNamespace(path="konfig/appops/pay/web", org="pay"))
    assert Selector.parse(["env=prod,model=webapp,label=tier=web"]).matches(thing)
    assert Selector.parse(["org=pay"]).matches(thing)
    assert not Selector.parse(["env=dev"]).matches(thing)
