"""Policies: a name, a severity, the stacks they select, and their compiled schema."""
from __future__ import annotations

import pytest
from konfigctl.errors import KonfigError
from konfigctl.repo.repository import Repository


def _policy(repo, name):
    (p,) = [p for p in repo.policies if p.name == name]
    return p


def test_a_policy_selects_by_its_when(mini):
    repo = Repository(str(mini))
    p = _policy(repo, "prod-replicas")
    assert (p.severity, p.description) == ("error", "prod runs at least two replicas")
    assert {s.path for s in repo.stacks() if p.selects(s)} == {
        s.path for s in repo.stacks() if s.env == "prod"}
    assert p.validator is not None and p.requirement is None


def test_defaults_name_from_the_file_and_severity_error(mini, write):
    write(mini, "konfig/base/policies/no-name.yaml", "schema: {properties: {replicas: {maximum: 9}}}\n")
    p = _policy(Repository(str(mini)), "no-name")
    assert p.severity == "error" and p.description == ""
    assert all(p.selects(s) for s in Repository(str(mini)).stacks())  # no when: every stack


def test_a_requires_policy_has_a_requirement_and_no_schema(mini, write):
    write(mini, "konfig/base/policies/needs-db.yaml",
          "when: {model: app, env: prod}\nrequires: {model: app, same: [project]}\n")
    p = _policy(Repository(str(mini)), "needs-db")
    assert p.validator is None
    assert p.requirement.same == ("project",)


def test_a_policy_outside_its_format_is_bad_input(mini, write):
    write(mini, "konfig/base/policies/bad.yaml", "severity: fatal\n")
    repo = Repository(str(mini))
    with pytest.raises(KonfigError) as e:
        _policy(repo, "bad").meta
    assert e.value.file == "konfig/base/policies/bad.yaml"
