"""Which stacks a command runs on: names, --all, selectors, shards, or those below cwd."""
from __future__ import annotations

import pytest
from konfigctl.errors import UsageError
from konfigctl.repo.repository import Repository
from konfigctl.targets import Targets, select


def _paths(stacks):
    return [s.path for s in stacks]


def test_no_target_means_the_stacks_below_the_working_directory(mini):
    repo = Repository(str(mini))
    assert _paths(select(repo, Targets(), str(mini))) == _paths(repo.stacks())
    below = _paths(select(repo, Targets(), str(mini / "konfig/appops/acme/api/prod")))
    assert below == ["konfig/appops/acme/api/prod/eu", "konfig/appops/acme/api/prod/us"]
    inside = _paths(select(repo, Targets(), str(mini / "konfig/appops/acme/web/dev")))
    assert inside == ["konfig/appops/acme/web/dev"]


def test_names_are_deduplicated_in_the_order_given(mini):
    repo = Repository(str(mini))
    got = select(repo, Targets(names=["acme/web/prod", "konfig/appops/acme/api/prod", "acme/web/prod"]),
                 str(mini))
    assert _paths(got) == ["konfig/appops/acme/web/prod", "konfig/appops/acme/api/prod/eu",
                           "konfig/appops/acme/api/prod/us"]


def test_selector_then_shard(mini):
    repo = Repository(str(mini))
    prod = _paths(select(repo, Targets(all=True, selector=["env=prod"]), str(mini)))
    assert prod and all("/prod" in p for p in prod)
    halves = [_paths(select(repo, Targets(all=True, selector=["env=prod"], shard=f"{i}/2"), str(mini)))
              for i in (1, 2)]
    assert halves[0] + halves[1] == prod and halves[0] and halves[1]


def test_whole_repo_only_with_all_alone():
    assert Targets(all=True).whole_repo
    assert not Targets(all=True, affected="main").whole_repo and not Targets().whole_repo


@pytest.mark.parametrize("targets, message", [
    (Targets(names=["x"], all=True), "not both"),
    (Targets(affected="main", all=True), "--affected picks the stacks itself"),
    (Targets(all=True, shard="3/2"), "bad shard"),
])
def test_contradictions_are_usage_errors(mini, targets, message):
    with pytest.raises(UsageError, match=message):
        select(Repository(str(mini)), targets, str(mini))
