"""Generated CODEOWNERS files under hostile directory names, read by independent matchers.

A real Konfig whose org, project and stack directories hold every character
the platforms read as syntax (at the start, in the middle, at the end, two at
once), a trailing space, tabs, line breaks and unicode. For every file, the
owners that GitHub and GitLab give it -- as ``tests/codeowners_matchers.py``
reads their documentation, not as konfig does -- are the owners ``konfig
owners PATH`` says, or konfig reported that path as one the platform cannot
express, and left its line out.
"""
from __future__ import annotations

import json
import os
import subprocess
import unicodedata
from pathlib import Path

import pytest
from konfigctl.repo.repository import Repository
from konfigctl.repo.teams import Teams

from tests import codeowners_matchers as m
from tests.conftest import FIXTURES, git_init
from tests.owners.test_ownership import OWNED_KONFIG

SPECIALS = ["#", "?", "*", "[", "]", "!", " ", "@", "`", "|", "$", "~", "^", "%", "&", "'", "{", "}"]
TWO = ["a#[b", "*?", "[x]", "!#x", " lead", "trail ", "two  spaces", "**"]
ODD = ["ünï", "日本", "e\u0301", "rtl\u202eevil", "tab\tx", "nl\nx", "zw\u200bsp"]


def names(stem: str) -> list[str]:
    out = []
    for c in SPECIALS:
        out += [f"{c}{stem}", f"{stem[0]}{c}{stem[1:]}", f"{stem}{c}"]
    return out + TWO + ODD


def sibling(name: str) -> str:
    """A plain name that the name, read as a glob, would also match ('o?g' -> 'oZg')."""
    return "".join("Z" if c in "?*" else c for c in name if c not in "[]") + "-sib"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    import shutil

    root = tmp_path_factory.mktemp("hostile") / "k"
    shutil.copytree(FIXTURES / "mini", root)
    konfig = OWNED_KONFIG.replace(
        "review:\n",
        '  - path: "konfig/base/[ab]*"\n    owners: [data]\n'
        '  - path: "docs dir/**"\n    owners: [web]\n'
        "review:\n")
    (root / "konfig.yaml").write_text(konfig)
    with open(root / "konfig/base/teams.yaml", "a") as f:
        f.write("users:\n  erin: {github: erin-gh}\n")

    def w(rel: str, text: str) -> None:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)

    w("docs dir/x.md", "x\n")
    w("konfig/base/a-notes.md", "x\n")
    image = "config: {image: 'example/x:1.0.0'}\n"
    # orgs: not checked at all
    for i, org in enumerate(names("org")):
        d = f"konfig/appops/{org}"
        w(f"{d}/notes.md", "org\n")
        w(f"{d}/app/project.yaml", f"name: app{i}\nmodel: app\nowners: [web]\n")
        w(f"{d}/app/dev/stack.yaml", "env: dev\n" + image)
        w(f"{d}/app/prod/stack.yaml", "env: prod\n" + image)
        w(f"konfig/appops/{sibling(org)}/notes.md", "sibling\n")
    # projects and stacks: any directory name, with name: set
    for i, name in enumerate(names("proj")):
        d = f"konfig/appops/plain/{name}"
        w(f"{d}/project.yaml", f"name: p{i}\nmodel: app\nowners: [data]\n")
        w(f"{d}/dev/stack.yaml", "env: dev\n" + image)
        w(f"{d}/README.md", "p\n")
        w(f"konfig/appops/plain/{sibling(name)}/README.md", "sibling\n")
    w("konfig/appops/plain/app2/project.yaml", "name: app2\nmodel: app\nowners: [web]\n")
    w("konfig/appops/plain/app2/README.md", "x\n")
    for i, name in enumerate(names("stk")):
        d = f"konfig/appops/plain/app2/{name}"
        own = "owners: ['@alice']\n" + ("inherit_owners: false\n" if i % 2 else "")
        w(f"{d}/stack.yaml", f"name: s{i}\nenv: {'prod' if i % 3 == 0 else 'dev'}\n{own}" + image)
        w(f"{d}/golden.yaml", "[]\n")
        w(f"konfig/appops/plain/app2/{sibling(name)}/notes.md", "sibling\n")
    # a stack inside a stack with owners of its own: the inner one has its project's owners
    w("konfig/appops/plain/app2/o#uter/stack.yaml", "name: outer\nenv: dev\nowners: ['@alice']\n" + image)
    w("konfig/appops/plain/app2/o#uter/inner/stack.yaml", "name: inner\nenv: dev\n" + image)
    w("konfig/appops/plain/app2/outer2/stack.yaml", "name: outer2\nenv: dev\nowners: ['@alice']\n" + image)
    w("konfig/appops/plain/app2/outer2/in*ner/stack.yaml", "name: inner2\nenv: dev\n" + image)
    git_init(root)
    return root


def repo_files(root: Path) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    return sorted(p for p in out.decode().split("\0") if p)


def konfig_owners(cli, root: Path, files: list[str]) -> dict[str, list[str]]:
    res = cli("owners", *files, "-f", "json", repo=root)
    assert res.exit_code in (0, 1), res.output
    return {r["path"]: r["owners"] for r in json.loads(res.stdout)}


def generated(cli, root: Path, target: str) -> dict:
    res = cli("owners", "codeowners", "-t", target, "--stdout", "-f", "json", repo=root)
    assert res.exit_code in (0, 1), res.output
    data = json.loads(res.stdout)
    assert res.exit_code == (0 if data["ok"] else 1)
    return data["files"][0]


def reported(unexpressed: list[dict], path: str) -> bool:
    for u in unexpressed:
        if u["kind"] in ("dir", "file") and (path == u["path"] or path.startswith(u["path"] + "/")):
            return True
        if u["kind"] == "glob":
            from konfigctl.owners.ownership import covers

            if covers(u["path"], path, u["base"] or ""):
                return True
    return False


def handles(teams: Teams, owners: list[str], target: str) -> list[str]:
    out: list[str] = []
    for o in owners:
        out += [h for h in teams.handles(o, target) if h not in out]
    return out


@pytest.mark.parametrize("target", ["github", "gitlab"])
def test_every_file_has_the_owners_konfig_says_or_is_reported(cli, hostile, target):
    files = repo_files(hostile)
    assert len(files) > 400
    want = konfig_owners(cli, hostile, files)
    data = generated(cli, hostile, target)
    teams = Teams.load(Repository(str(hostile)))
    text, unexpressed = data["text"], data["unexpressed"]
    if target == "github":
        rules = m.parse_github(text)

        def got(f: str) -> list[str]:
            return m.github_owners(rules, f) or []
    else:
        sections = m.parse_gitlab(text)
        assert [s.name for s in sections][:2] == ["", "Owners"]

        def got(f: str) -> list[str]:
            return m.gitlab_owners(sections, f).get("Owners", (0, []))[1]
    wrong = [f for f in files if got(f) != handles(teams, want[f], target) and not reported(unexpressed, f)]
    assert wrong == [], repr([(f, got(f), want[f]) for f in wrong])
    # what was left out is what the platform cannot say, and all of it
    cannot = set("#[]") if target == "github" else set()

    def inexpressible(p: str) -> bool:
        return bool(set(p) & cannot) or any(unicodedata.category(c) in ("Cc", "Cf") for c in p)

    left_out = {u["path"] for u in unexpressed}
    assert all(inexpressible(p) for p in left_out), left_out
    entries = json.loads(cli("owners", "-f", "json", repo=hostile).stdout)
    expected = {e["pattern"].rstrip("/") if e["kind"] != "path" else e["pattern"] for e in entries
                if inexpressible(e["pattern"])}
    assert expected and expected <= left_out


@pytest.mark.parametrize("target", ["github", "gitlab"])
def test_the_check_names_each_path_left_out_once(cli, hostile, target):
    data = generated(cli, hostile, target)
    res = cli("owners", "codeowners", "--check", "-t", target, repo=hostile)
    assert res.exit_code == 1
    lines = [ln for ln in res.stdout.splitlines() if "cannot name" in ln]
    assert len(lines) == len(data["unexpressed"]) > 0
    assert len(set(lines)) == len(lines)
    platform = {"github": "GitHub", "gitlab": "GitLab"}[target]
    for ln in lines:
        assert f"{platform} CODEOWNERS cannot name " in ln and "left out" in ln
    # a name with a line break is still one line, shown escaped
    assert not any("nl" in ln and "x" not in ln.split("nl", 1)[1][:3] for ln in lines)


def test_owners_check_reports_what_the_kept_files_cannot_express(cli, hostile, tmp_path):
    import shutil

    root = tmp_path / "k"
    shutil.copytree(hostile, root, symlinks=True)
    res = cli("owners", "check", repo=root)
    assert "CODEOWNERS" not in res.stdout  # no file kept yet: nothing to express
    assert cli("owners", "codeowners", "-t", "github", repo=root).exit_code == 1
    res = cli("owners", "check", repo=root)
    assert res.exit_code == 1
    gh = [ln for ln in res.stdout.splitlines() if "GitHub CODEOWNERS cannot name" in ln]
    assert gh and not [ln for ln in res.stdout.splitlines() if "GitLab CODEOWNERS" in ln]
    assert len(gh) == len(set(gh))
    assert any(ln.startswith("konfig/appops/plain/a#[b/project.yaml: GitHub CODEOWNERS cannot name the "
                             "directory konfig/appops/plain/a#[b/:") for ln in gh)
    assert any(ln.startswith("konfig.yaml:") and "konfig/base/[ab]*" in ln for ln in gh)


def test_the_gitlab_rule_sections_hold_each_prod_stack_with_its_owners(cli, hostile):
    files = repo_files(hostile)
    want = konfig_owners(cli, hostile, files)
    data = generated(cli, hostile, "gitlab")
    sections = m.parse_gitlab(data["text"])
    repo = Repository(str(hostile))
    teams = Teams.load(repo)
    checked = 0
    for f in files:
        stack = repo.stack_of(f)
        if stack is None or stack.env != "prod" or reported(data["unexpressed"], f):
            continue
        checked += 1
        assert m.gitlab_owners(sections, f).get("prod-two") == (2, handles(teams, want[f], "gitlab")), f
    assert checked > 40


def test_the_matchers_read_unescaped_names_as_the_issue_saw_them():
    """The matchers can fail: the lines konfig wrote before escaping mean something else to them."""
    old = ("* @platform\n/konfig/appops/x?y/proj/ @web\n/konfig/appops/a#b/proj/ @web\n"
           "/konfig/appops/sp ace/proj/ @web\n")
    rules = m.parse_github(old)
    assert m.github_owners(rules, "konfig/appops/xzy/proj/f") == ["@web"]  # a wildcard
    assert m.github_owners(rules, "konfig/appops/a/x") == []  # the comment cut the line
    assert m.github_owners(rules, "konfig/appops/sp ace/proj/f") == ["@platform"]
    gl = m.parse_gitlab("[Owners]\n* @platform\n/konfig/[ab]/ @web\n[x]y/ @web\n")
    assert m.gitlab_owners(gl, "konfig/a/f")["Owners"] == (0, ["@web"])  # a class
    assert [s.name for s in gl] == ["", "Owners", "x"]  # a heading, not an entry


@pytest.mark.parametrize("path, owners", [
    ("src/app.js", ["@js-owner"]),
    ("README.md", ["@global-owner1", "@global-owner2"]),
    ("build/logs/x.log", ["@octocat"]),  # **/logs comes later than /build/logs/
    ("docs/getting-started.md", ["@doctocat"]),
    ("docs/build-app/troubleshooting.md", ["@doctocat"]),
    ("x/docs/a.md", ["@global-owner1", "@global-owner2"]),  # a slash in the middle anchors docs/*
    ("x/a.go", ["docs@example.com"]),
    ("apps/github/readme.md", []),
    ("lib/apps/x.txt", ["@octocat"]),
    ("scripts/run.sh", ["@doctocat", "@octocat"]),
])
def test_the_github_matcher_reads_githubs_example_as_documented(path, owners):
    example = """\
# This is a comment.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/* docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
"""
    assert m.github_owners(m.parse_github(example), path) == owners


def test_the_gitlab_matcher_reads_gitlabs_examples_as_documented():
    text = """\
* @admin

[README Owners]
README.md @user1 @user2
internal/README.md @user4

[README other owners]
README.md @user3

[Documentation] @docs-team
docs/
\\#file_with_pound.rb @pound
path\\ with\\ spaces/ @space-owner
!docs/generated/
"""
    secs = m.parse_gitlab(text)
    assert m.gitlab_owners(secs, "README.md") == {
        "": (0, ["@admin"]), "README Owners": (0, ["@user1", "@user2"]),
        "README other owners": (0, ["@user3"])}
    assert m.gitlab_owners(secs, "internal/README.md")["README Owners"] == (0, ["@user4"])
    assert m.gitlab_owners(secs, "docs/internal/README.md")["README Owners"] == (0, ["@user4"])
    assert m.gitlab_owners(secs, "a/docs/x.md")["Documentation"] == (0, ["@docs-team"])
    assert m.gitlab_owners(secs, "x/#file_with_pound.rb")["Documentation"] == (0, ["@pound"])
    assert m.gitlab_owners(secs, "path with spaces/f")["Documentation"] == (0, ["@space-owner"])
    assert "Documentation" not in m.gitlab_owners(secs, "docs/generated/x")
    assert "Documentation" not in m.gitlab_owners(m.parse_gitlab("[Documentation]\n/docs @d\n"), "docs/x")
