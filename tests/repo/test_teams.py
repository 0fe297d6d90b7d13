from __future__ import annotations

import pytest
from konfigctl.errors import KonfigError
from konfigctl.repo.repository import Repository
from konfigctl.repo.teams import Teams


def make(teams, users=None):
    return Teams.from_data({"teams": teams, "users": users or {}}, "konfig/base/teams.yaml")


def test_nested_teams_expand_transitively(mini):
    teams = Teams.load(Repository(str(mini)))
    assert teams.members("web") == {"@bob", "@carol"}
    assert teams.members("data") == {"@dave", "@bob", "@carol"}  # data includes team web
    assert teams.expand("@erin") == {"@erin"}
    assert teams.expand("nosuchteam") == frozenset()
    assert teams.expand_all(["platform", "web"]) == {"@alice", "@bob", "@carol"}


def test_three_levels_deep():
    t = make({"a": ["@x", "b"], "b": ["@y", "c"], "c": ["@z"]})
    assert t.members("a") == {"@x", "@y", "@z"}


def test_cycle_is_an_error_that_names_the_loop():
    t = make({"a": ["@x", "b"], "b": ["c"], "c": ["a", "@z"], "d": ["@w"]})
    with pytest.raises(KonfigError) as ei:
        t.members("a")
    assert "team cycle: a -> b -> c -> a" in str(ei.value)
    assert t.cycles() == [["a", "b", "c", "a"]]  # reported once, from its smallest name
    assert t.members("d") == {"@w"}  # teams outside the loop still work


def test_self_membership_is_a_cycle():
    t = make({"a": ["a"]})
    assert t.cycles() == [["a", "a"]]


def test_a_cycle_does_not_load_and_is_named_at_its_line(mini, write):
    """Issue 12: no membership can be answered through a cycle: bad input at load, not a finding."""
    write(mini, "konfig/base/teams.yaml",
          "teams:\n  z: [\"@x\"]\n  a: [b]\n  b: [a]\n")
    with pytest.raises(KonfigError) as ei:
        Teams.load(Repository(str(mini)))
    assert str(ei.value) == "konfig/base/teams.yaml:3:3: teams.a: team cycle: a -> b -> a"


def test_problems_name_file_and_line(mini, write):
    write(mini, "konfig/base/teams.yaml",
          "teams:\n  a: [\"@y\"]\n  b: [a]\n  c: [\"@x\", ghost]\n  empty: []\n")
    teams = Teams.load(Repository(str(mini)))
    lines = [p.format() for p in teams.problems()]
    assert any(ln.startswith("konfig/base/teams.yaml:4: teams.c.members: unknown member 'ghost'")
               for ln in lines)
    assert any("team empty has no members" in ln for ln in lines)


def test_teams_file_is_checked_against_its_format(mini, write):
    write(mini, "konfig/base/teams.yaml", "teams:\n  web: {members: [\"@bob\"], size: 3}\n")
    with pytest.raises(KonfigError) as ei:
        Teams.load(Repository(str(mini)))
    assert str(ei.value).startswith("konfig/base/teams.yaml:2:")


def test_no_teams_file_means_no_teams(mini):
    (mini / "konfig/base/teams.yaml").unlink()
    t = Teams.load(Repository(str(mini)))
    assert t.teams == {} and t.known_users() == set()


def test_users_found_by_name_or_handle_case_insensitively():
    t = make({"web": ["@Bob", "@carol"]}, {"carol": {"github": "carol-gh", "gitlab": "@cc"}})
    assert t.find_user("bob") == "@Bob"
    assert t.find_user("@BOB") == "@Bob"
    assert t.find_user("carol-gh") == "@carol"
    assert t.find_user("@cc") == "@carol"
    assert t.find_user("zed") is None
    assert t.find_user("zed", extra={"@zed"}) == "@zed"
    assert t.known_users() == {"@Bob", "@carol"}


def test_codeowners_handles():
    t = make({
        "platform": {"members": ["@alice"], "github": "@acme/platform", "gitlab": "@acme/plat"},
        "web": ["@bob", "@carol"],
        "data": ["@dave", "web", "platform"],
    }, {"bob": {"github": "bob-gh"}})
    assert t.handles("platform", "github") == ["@acme/platform"]
    assert t.handles("platform", "gitlab") == ["@acme/plat"]
    # no handle and no org: the members' handles, nested teams by their own handle
    assert t.handles("web", "github") == ["@bob-gh", "@carol"]
    assert t.handles("data", "github") == ["@dave", "@bob-gh", "@carol", "@acme/platform"]
    assert t.handles("web", "github", org="acme") == ["@acme/web"]
    assert t.handles("@bob", "gitlab") == ["@bob"]


def test_handles_of_a_cycle_terminate():
    t = make({"a": ["@x", "b"], "b": ["a", "@y"]})
    assert t.handles("a", "github") == ["@x", "@y"]
