from __future__ import annotations

import json

from tests.owners.test_review import WEB_DEV, WEB_PROD, change, konfig  # noqa: F401 - fixture


def test_satisfied_exits_0(cli, konfig):  # noqa: F811
    root, g = konfig
    change(root, g, {WEB_DEV: "env: dev\nconfig: {replicas: 2}\n"})
    res = cli("review", "--base", "main", "--author", "dave", "--approved-by", "carol", repo=root)
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("✓ review satisfied: 1 requirement met")


def test_not_satisfied_lists_unmet_rules_files_and_reviewers(cli, konfig):  # noqa: F811
    root, g = konfig
    change(root, g, {WEB_PROD: "env: prod\nconfig: {replicas: 8}\n",
                     "konfig/base/models/app/defaults.yaml": "image: example/app:2\nreplicas: 1\n"})
    res = cli("review", "--base", "main", "--head", "change", "--author", "dave",
              "--approved-by", "bob,mallory", repo=root)
    assert res.exit_code == 1
    out = res.stdout
    assert out.startswith("✗ review not satisfied: 3 of 4 requirements unmet")
    assert "✗ owners: 1 more approval from platform (@al, @alice)\n" in out
    assert "    konfig/base/models/app/defaults.yaml\n" in out
    assert ("✗ prod-two: 1 more approval from owners web (@carol); 2 needed, approved by @bob\n"
            "    Production stacks need two owner approvals. (konfig.yaml:9)\n"
            f"    {WEB_PROD}\n") in out
    assert "✗ base-platform: 1 more approval from platform (@al, @alice)" in out
    assert out.rstrip().endswith("Suggested reviewers: @al, @carol")
    assert "konfig: warning: ignoring approval by mallory" in res.stderr


def test_json_is_stable(cli, konfig):  # noqa: F811
    root, g = konfig
    change(root, g, {WEB_PROD: "env: prod\nconfig: {replicas: 8}\n"})
    res = cli("review", "--base", "main", "--author", "@dave", "--approved-by", "bob",
              "--approved-by", "@bob", "-f", "json", repo=root)
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert list(data) == ["satisfied", "base", "base_commit", "head", "head_commit", "merge_base",
                          "author", "approved_by", "ignored_approvals", "files", "requirements",
                          "unmet", "suggested_reviewers", "suggestion_minimal", "warnings", "exemptions"]
    assert data["satisfied"] is False and data["author"] == "@dave"
    assert data["approved_by"] == ["@bob"]
    assert data["files"] == [{"path": WEB_PROD, "status": "M", "owners": ["web"],
                              "sources": ["konfig/appops/acme/web/project.yaml:3: owners of project web"]}]
    [u] = data["unmet"]
    assert u["rule"] == "prod-two" and u["missing"] == 1 and u["approvals"] == 2
    assert u["from"] == ["web"] and u["eligible"] == ["@bob", "@carol"] and u["files"] == [WEB_PROD]
    assert data["suggested_reviewers"] == ["@carol"] and data["suggestion_minimal"] is True


def test_markdown_for_a_pr_comment(cli, konfig):  # noqa: F811
    root, g = konfig
    change(root, g, {WEB_PROD: "env: prod\nconfig: {replicas: 8}\n"})
    res = cli("review", "--base", "main", "--author", "dave", "--approved-by", "bob", "-f", "markdown",
              repo=root)
    assert res.exit_code == 1
    md = res.stdout
    assert md.startswith("### ❌ konfig review: not satisfied\n")
    assert "| | Rule | Needs | Approved by | Files |" in md
    # names are escaped as in `konfig diff` (no @mention pings anyone from a comment)
    assert ("| ❌ | <code>prod&#45;two</code> | **1 more** of 2 from owners web &#40;&#64;carol&#41; | "
            "&#64;bob | <code>konfig/appops/acme/web/prod/stack&#46;yaml</code> |") in md
    assert "**Suggested reviewers:** &#64;carol" in md


def test_unknown_ref_is_exit_2_in_one_line(cli, konfig):  # noqa: F811
    root, _ = konfig
    res = cli("review", "--base", "origin/nope", "--author", "dave", repo=root)
    assert res.exit_code == 2
    assert res.stderr.startswith("konfig: error: unknown git revision 'origin/nope'")
    assert len(res.stderr.strip().splitlines()) == 1


def test_author_is_required(cli, konfig):  # noqa: F811
    root, _ = konfig
    res = cli("review", "--base", "main", repo=root)
    assert res.exit_code == 2
    assert "--author" in res.output


def test_not_a_git_repository_is_exit_2(cli, mini):
    res = cli("review", "--base", "main", "--author", "dave", repo=mini)
    assert res.exit_code == 2
    assert "not inside a git repository" in res.stderr
