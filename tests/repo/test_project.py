"""Projects: what project.yaml says, with the defaults a missing field takes."""
from __future__ import annotations

import pytest
from konfigctl.errors import KonfigError
from konfigctl.repo.repository import Repository


def test_project_fields_and_their_defaults(mini):
    repo = Repository(str(mini))
    p = repo.project_at("konfig/appops/acme/api")
    assert (p.name, p.model_name, p.owners, p.namespace, p.org) == ("api", "app", ["web", "@erin"], "api", "acme")
    assert p.root == "konfig/appops" and p.file == "konfig/appops/acme/api/project.yaml"
    assert [s.path for s in p.stacks] == ["konfig/appops/acme/api/dev", "konfig/appops/acme/api/prod/eu",
                                          "konfig/appops/acme/api/prod/us"]
    assert p.model.name == "app" and p.labels == {} and p.review == {}


def test_a_project_directly_under_a_root_has_no_org(mini, write):
    write(mini, "konfig/infra/solo/project.yaml", "model: app\nowners: [data]\nnamespace: shared\nlabels: {tier: web}\n")
    write(mini, "konfig/infra/solo/dev/stack.yaml", "env: dev\n")
    p = Repository(str(mini)).project_at("konfig/infra/solo")
    assert p.org is None and p.namespace == "shared" and p.labels == {"tier": "web"}


def test_a_project_name_must_match_its_directory(mini, write):
    write(mini, "konfig/appops/acme/api/project.yaml", "name: other\nmodel: app\n")
    with pytest.raises(KonfigError) as e:
        Repository(str(mini)).project_at("konfig/appops/acme/api").meta
    assert e.value.file == "konfig/appops/acme/api/project.yaml"
