from __future__ import annotations

import pytest
from konfigctl.errors import UsageError
from konfigctl.repo.repository import Repository
from konfigctl.repo.selector import Selector


def test_parse_terms():
    s = Selector.parse(["env=prod|staging,model=app", "label=tier=front*", "label=region"])
    assert s.env == ("prod", "staging")
    assert s.model == ("app",)
    assert dict(s.labels) == {"tier": ("front*",), "region": ("*",)}
    assert Selector.parse(None).empty


@pytest.mark.parametrize("bad", ["env", "colour=red", "env=", "label="])
def test_parse_errors(bad):
    with pytest.raises(UsageError):
        Selector.parse([bad])


def _paths(repo, sel):
    return sorted(s.path.split("/", 2)[2] for s in repo.stacks() if sel.matches(s))


def test_matching_on_the_mini_repo(mini):
    repo = Repository(str(mini))
    assert _paths(repo, Selector.parse("env=prod")) == [
        "acme/api/prod/eu", "acme/api/prod/us", "acme/web/prod", "data/db/prod"]
    assert _paths(repo, Selector.parse("label=region=eu")) == ["acme/api/prod/eu"]
    # project labels are inherited by stacks
    assert _paths(repo, Selector.parse("label=tier=frontend,env=dev")) == ["acme/web/dev"]
    assert _paths(repo, Selector.parse("path=konfig/infra/**")) == ["data/db/prod"]
    assert _paths(repo, Selector.parse("org=data")) == ["data/db/prod"]
    assert _paths(repo, Selector.from_mapping({"env": ["dev"], "project": "konfig/appops/acme/api"})) == [
        "acme/api/dev"]
