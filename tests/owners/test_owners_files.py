"""Prow-style OWNERS files in ownership and review (DESIGN.md "KCL stacks")."""
from __future__ import annotations

import json

from tests.conftest import commit_all
from tests.engine.test_kcl import ORG, add_kcl_org, mixed, mixed_git  # noqa: F401 - fixtures


def _owners(cli, repo, path):
    res = cli("owners", path, "--format", "json", repo=repo)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)[0]


def test_approvers_add_up_to_no_parent_owners_and_reviewers_only_suggest(cli, mixed):
    gb = _owners(cli, mixed, f"{ORG}/guestbook/dev/main.k")
    assert set(gb["owners"]) == {"commerce", "platform"}  # its OWNERS and the org's
    assert gb["reviewers"] == ["@jon", "@bruno"]
    ledger = _owners(cli, mixed, f"{ORG}/ledger/prod/main.k")
    assert ledger["owners"] == ["payments"]  # no_parent_owners: the org's OWNERS stop here
    org = _owners(cli, mixed, f"{ORG}/kcl.mod")
    assert "platform" in org["owners"]


def test_owners_check_accepts_projects_owned_by_owners_files_and_their_users(cli, mixed):
    res = cli("owners", "check", repo=mixed)
    assert "kusion" not in res.output, res.output
    # Prow names GitHub users: one named only there is a user (teams.yaml need not list them)
    (mixed / ORG / "guestbook/OWNERS").write_text("approvers:\n  - howieyuen\n")
    res = cli("owners", "check", repo=mixed)
    assert "kusion" not in res.output, res.output
    own = _owners(cli, mixed, f"{ORG}/guestbook/prod/main.k")
    assert "@howieyuen" in own["owners"]


def test_a_broken_owners_file_is_one_line(cli, mixed):
    (mixed / ORG / "OWNERS").write_text("approvers: platform\n")
    res = cli("owners", f"{ORG}/kcl.mod", repo=mixed)
    assert res.exit_code == 2
    assert f"{ORG}/OWNERS:1:1: approvers: must be a list of names" in res.output


def test_a_user_named_only_in_owners_approves(cli, mixed_git):
    path, g = mixed_git
    (path / ORG / "ledger/OWNERS").write_text("approvers:\n  - howieyuen\noptions:\n  no_parent_owners: true\n")
    commit_all(g, "ledger OWNERS")
    base = g.head.commit.hexsha
    main = path / ORG / "ledger/dev/main.k"
    main.write_text(main.read_text().replace('"sandbox"', '"sandbox-2"'))
    commit_all(g, "ledger dev")
    ok = cli("review", "--base", base, "--author", "@jon", "--approved-by", "@howieyuen", repo=path)
    assert ok.exit_code == 0, ok.output


def test_review_counts_owners_files_approvers(cli, mixed_git):
    path, g = mixed_git
    base = g.head.commit.hexsha
    main = path / ORG / "ledger/dev/main.k"
    main.write_text(main.read_text().replace('"sandbox"', '"sandbox-2"'))
    commit_all(g, "ledger dev")
    ok = cli("review", "--base", base, "--author", "@jon", "--approved-by", "@gina", repo=path)
    assert ok.exit_code == 0, ok.output
    no = cli("review", "--base", base, "--author", "@jon", "--approved-by", "@alice", repo=path)
    assert no.exit_code == 1, no.output
