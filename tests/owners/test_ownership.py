from __future__ import annotations

import pytest
from konfigctl.errors import KonfigError
from konfigctl.owners.ownership import OwnershipMap, check, covers, literal_prefix
from konfigctl.repo.repository import Repository

from tests.conftest import REPO_ROOT, git_init

OWNED_KONFIG = """\
version: 1
roots: [konfig/appops, konfig/infra]
envs: [dev, staging, prod]
ownership:
  - path: "**"
    owners: [platform]
  - path: konfig/base/**
    owners: [platform]
  - path: konfig/base/policies/**
    owners: [platform, "@erin"]
review:
  rules:
    - name: prod-two
      when: {env: prod}
      approvals: 2
      from: owners
"""


@pytest.fixture
def owned(mini, write):
    """The mini Konfig with every file owned and every owner known."""
    write(mini, "konfig.yaml", OWNED_KONFIG)
    with open(mini / "konfig/base/teams.yaml", "a") as f:
        f.write("users:\n  erin: {github: erin-gh}\n")
    return mini


@pytest.mark.parametrize("pattern, path, expected", [
    ("**", "a/b/c.txt", True),
    ("*", "a/b/c.txt", True),
    ("konfig/base/**", "konfig/base/models/x/schema.yaml", True),
    ("konfig/base/", "konfig/base/models/x/schema.yaml", True),
    ("konfig/base", "konfig/base/models/x/schema.yaml", True),  # a plain name owns its directory
    ("docs", "a/docs/x.md", True),  # unanchored: at any depth
    ("/docs", "a/docs/x.md", False),
    ("docs/*", "docs/x.md", True),
    ("docs/*", "docs/sub/x.md", False),  # '*' does not own subdirectories (as on GitHub)
    ("*.md", "docs/sub/x.md", True),
    ("konfig.yaml", "konfig.yaml", True),
    ("/konfig.yaml", "tests/konfig.yaml", False),
    ("konfig/base/**", "konfig/baseline/x", False),
])
def test_covers(pattern, path, expected):
    assert covers(pattern, path) is expected


def test_literal_prefix():
    assert literal_prefix("konfig/base/**") == "konfig/base"
    assert literal_prefix("/konfig/*/x") == "konfig"
    assert literal_prefix("*.md") == ""
    assert literal_prefix("docs/") == ""


def test_last_matching_rule_wins(owned):
    omap = OwnershipMap(Repository(str(owned)))
    own = omap.of("konfig/base/policies/prod-replicas.yaml")
    assert own.owners == ("platform", "@erin")
    assert [s.format() for s in own.sources] == ["konfig.yaml:9: ownership[2] konfig/base/policies/**"]
    assert omap.of("konfig/base/models/app/schema.yaml").owners == ("platform",)
    assert omap.of("README.md").owners == ("platform",)


def test_project_owns_its_directory_over_path_rules(owned):
    omap = OwnershipMap(Repository(str(owned)))
    own = omap.of("konfig/appops/acme/api/prod/defaults.yaml")
    assert own.owners == ("web", "@erin")
    assert own.project == "konfig/appops/acme/api" and own.stack is None
    assert own.sources[0].format() == "konfig/appops/acme/api/project.yaml:2: owners of project api"
    # the org's defaults are outside any project: path rules
    assert omap.of("konfig/appops/acme/defaults.yaml").owners == ("platform",)


def test_stack_owners_add_to_the_projects(owned, write):
    write(owned, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\nowners: [\"@alice\"]\nconfig: {replicas: 4}\n")
    own = OwnershipMap(Repository(str(owned))).of("konfig/appops/acme/web/prod/stack.yaml")
    assert own.owners == ("@alice", "web")
    assert own.stack == "konfig/appops/acme/web/prod"
    assert [s.kind for s in own.sources] == ["stack", "project"]


def test_inherit_owners_false_replaces_the_projects(owned, write):
    write(owned, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\nowners: [platform]\ninherit_owners: false\nconfig: {replicas: 4}\n")
    omap = OwnershipMap(Repository(str(owned)))
    own = omap.of("konfig/appops/acme/web/prod/golden.yaml")
    assert own.owners == ("platform",)
    assert "inherit_owners: false" in own.sources[0].detail
    assert omap.of("konfig/appops/acme/web/dev/stack.yaml").owners == ("web",)


def test_entries_go_from_general_to_specific(owned, write):
    write(owned, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\nowners: [\"@alice\"]\nconfig: {replicas: 4}\n")
    entries = OwnershipMap(Repository(str(owned))).entries()
    assert [e.pattern for e in entries] == [
        "**", "konfig/base/**", "konfig/base/policies/**",
        "konfig/appops/acme/api/", "konfig/appops/acme/web/", "konfig/infra/data/db/",
        "konfig/appops/acme/web/prod/",
    ]
    assert entries[-1].owners == ("@alice", "web")


# -- owners check --------------------------------------------------------------


def test_check_passes_on_a_fully_owned_repository(owned):
    problems = check(Repository(str(owned)))
    assert [p.format() for p in problems if p.is_error] == []


def test_check_reports_each_problem_on_one_line(mini):
    lines = [p.format() for p in check(Repository(str(mini)))]
    assert lines == [
        "konfig/appops/acme/api/project.yaml:2:15: owners[1]: unknown user @erin: "
        "not a member of any team nor under users: in konfig/base/teams.yaml",
        "konfig.yaml: no owners: add an ownership rule in konfig.yaml (or a project)",
        "konfig/appops/acme/defaults.yaml: no owners: add an ownership rule in konfig.yaml (or a project)",
    ]


def test_check_unknown_team_and_rule_matching_nothing(owned, write):
    text = OWNED_KONFIG.replace("  - path: konfig/base/**\n    owners: [platform]\n",
                                "  - path: konfig/bsae/**\n    owners: [platfrom]\n")
    text += "    - name: models\n      paths: [konfig/base/modles/**]\n      from: [dbas]\n"
    write(owned, "konfig.yaml", text)
    write(owned, "konfig/appops/acme/web/project.yaml", "model: app\nowners: [webb]\n")
    lines = [p.format() for p in check(Repository(str(owned))) if p.is_error]
    assert "konfig.yaml:8:14: ownership[1].owners[0]: unknown team 'platfrom' " \
           "(teams: data, platform, web; write users as @name)" in lines
    assert "konfig.yaml:19:14: review.rules[1].from[0]: unknown team 'dbas' " \
           "(teams: data, platform, web; write users as @name)" in lines
    assert "konfig/appops/acme/web/project.yaml:2:10: owners[0]: unknown team 'webb' " \
           "(teams: data, platform, web; write users as @name)" in lines
    assert "konfig.yaml:7:5: ownership[1].path: ownership rule konfig/bsae/** matches no file" in lines
    assert "konfig.yaml:18:15: review.rules[1].paths[0]: review rule models: " \
           "path konfig/base/modles/** matches no file" in lines


def test_check_team_cycle_and_ownerless_stack(owned, write):
    with open(owned / "konfig/base/teams.yaml", "a") as f:
        f.write("  # nothing\n")
    write(owned, "konfig/base/teams.yaml",
          "teams:\n  platform: [\"@alice\", ops]\n  ops: [platform]\n  web: [\"@bob\"]\n"
          "  data: [\"@dave\"]\nusers:\n  erin: {}\n")
    write(owned, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\ninherit_owners: false\nconfig: {replicas: 4}\n")
    # issue 12: a cycle is a teams.yaml that does not load: bad input for ownership commands
    with pytest.raises(KonfigError, match=r"^konfig/base/teams.yaml:3:3: teams.ops: team cycle: ops -> platform -> ops$"):
        check(Repository(str(owned)))
    write(owned, "konfig/base/teams.yaml",
          "teams:\n  platform: [\"@alice\", ops]\n  ops: [\"@olga\"]\n  web: [\"@bob\"]\n"
          "  data: [\"@dave\"]\nusers:\n  erin: {}\n")
    lines = [p.format() for p in check(Repository(str(owned))) if p.is_error]
    assert "konfig/appops/acme/web/prod/stack.yaml:2:1: inherit_owners: false, but the stack names " \
           "no owners of its own: nobody owns it" in lines


def test_shadowed_rule_is_a_warning_not_an_error(owned, write):
    write(owned, "konfig.yaml", OWNED_KONFIG.replace(
        "  - path: \"**\"\n    owners: [platform]\n",
        "  - path: \"**\"\n    owners: [platform]\n  - path: konfig/appops/acme/web/**\n    owners: [web]\n"))
    problems = check(Repository(str(owned)))
    assert not [p for p in problems if p.is_error]
    warn = [p.format() for p in problems if not p.is_error]
    assert warn == ["konfig.yaml:7:5: ownership[1].path: warning: ownership rule konfig/appops/acme/web/** "
                    "decides no file: the files it matches are owned by their project or by a later rule"]


def test_check_uses_git_files_not_ignored_ones(owned, write):
    write(owned, "konfig.yaml", OWNED_KONFIG.replace("  - path: \"**\"\n    owners: [platform]\n", "")
          .replace("ownership:\n", "ownership:\n  - path: /konfig.yaml\n    owners: [platform]\n"
                   "  - path: konfig/appops/acme/defaults.yaml\n    owners: [platform]\n"
                   "  - path: .gitignore\n    owners: [platform]\n"))
    write(owned, ".gitignore", "*.log\n")
    write(owned, "build.log", "noise\n")
    git_init(owned)
    write(owned, "notes.txt", "untracked but not ignored: must be owned\n")
    lines = [p.format() for p in check(Repository(str(owned))) if p.is_error]
    assert lines == ["notes.txt: no owners: add an ownership rule in konfig.yaml (or a project)"]


def test_this_repository_is_fully_owned():
    problems = check(Repository(str(REPO_ROOT)))
    assert [p.format() for p in problems if p.is_error] == []
