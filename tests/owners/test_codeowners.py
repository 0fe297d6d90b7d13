"""CODEOWNERS emission, checked against the platforms' documented pattern rules.

The files are read with ``tests/codeowners_matchers.py``, an independent
reading of GitHub's and GitLab's documentation (see its docstring); the
hostile-name corpus is in ``test_codeowners_hostile.py``.
"""
from __future__ import annotations

import re

import pytest
from konfigctl.escaping import Inexpressible
from konfigctl.owners.codeowners import Item, emit, patterns, render
from konfigctl.owners.ownership import OwnershipMap, covers
from konfigctl.repo.repository import Repository

from tests import codeowners_matchers as m
from tests.owners.test_ownership import owned  # noqa: F401 - fixture

HANDLE = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9._-]+)?$")


def gh_matches(pat: str, path: str) -> bool:
    return m.github_owners(m.parse_github(f"{pat} @x\n"), path) is not None


def gl_matches(pats: list[str], path: str) -> bool:
    text = "".join(f"{p} @x\n" for p in pats)
    return bool(m.gitlab_owners(m.parse_gitlab(text), path))


GLOBS = ["**", "*", "*.md", "docs", "/docs", "docs/", "docs/*", "docs/**", "konfig/base/**",
         "konfig/base", "konfig/**/stack.yaml", "/konfig.yaml", "konfig.yaml", "a b/**", "**/logs",
         "konfig/*/x?", "!notes", "a*b/c", "x/**/y/", "?", "logs/**/*.log", "/*", "/**", "/**/*"]
PATHS = ["README.md", "docs/x.md", "docs/sub/y.md", "a/docs/z.md", "konfig.yaml", "t/konfig.yaml",
         "konfig/base/m/schema.yaml", "konfig/baseline/x", "konfig/appops/p/s/stack.yaml",
         "konfig/stack.yaml", "a b/c.txt", "build/logs/x", "logs", "konfig/q/x1", "konfig/q/x1/y",
         "!notes", "x!notes", "axxb/c", "a*b/c", "x/y/f", "x/a/b/y/f", "x", "logs/a/b.log", "logs/b.log"]


@pytest.mark.parametrize("glob", GLOBS)
def test_github_patterns_mean_what_the_glob_means(glob):
    (pat,) = patterns(Item("glob", glob), "github")
    for path in PATHS:
        assert gh_matches(pat, path) is covers(glob, path), (glob, pat, path)


@pytest.mark.parametrize("glob", GLOBS + ["konfig/[ab]*/x", "#notes", "x/[a-c0-9_]"])
def test_gitlab_patterns_mean_what_the_glob_means(glob):
    pats = patterns(Item("glob", glob), "gitlab")
    for path in PATHS + ["konfig/a1/x", "#notes", "x/b", "x/_", "x/[a-c0-9_]"]:
        assert gl_matches(pats, path) is covers(glob, path), (glob, pats, path)


@pytest.mark.parametrize("glob, base, path, expected", [
    ("prod/**", "konfig/appops/a*b/p", "konfig/appops/a*b/p/prod/x", True),
    ("prod/**", "konfig/appops/a*b/p", "konfig/appops/axb/p/prod/x", False),  # the base is literal
    ("*.md", "konfig/appops/a?b/p", "konfig/appops/a?b/p/README.md", True),
    ("*.md", "konfig/appops/a?b/p", "konfig/appops/a?b/p/sub/README.md", False),
    ("**", "konfig/appops/a?b/p", "konfig/appops/a?b/p/sub/README.md", True),
    ("**", "konfig/appops/a?b/p", "konfig/appops/axb/p/sub/README.md", False),
])
def test_a_projects_review_globs_are_relative_to_its_literal_directory(glob, base, path, expected):
    assert covers(glob, path, base) is expected
    assert gl_matches(patterns(Item("glob", glob, base), "gitlab"), path) is expected


@pytest.mark.parametrize("glob, expected", [
    ("**", "*"),
    ("konfig/base/**", "/konfig/base/"),
    ("/konfig.yaml", "/konfig.yaml"),
    ("konfig.yaml", "konfig.yaml"),
    ("*.md", "*.md"),
    ("docs/", "docs/"),
    ("konfig/appops/pay/checkout/", "/konfig/appops/pay/checkout/"),
    ("a b/**", "/a\\ b/"),
    ("!x", "\\!x"),
])
def test_github_pattern_text(glob, expected):
    assert patterns(Item("glob", glob), "github") == [expected]


@pytest.mark.parametrize("item, expected", [
    (Item("dir", "konfig/appops/a b/x?y/s*t"), "/konfig/appops/a\\ b/x\\?y/s\\*t/"),
    (Item("dir", "konfig/appops/!x/trail "), "/konfig/appops/\\!x/trail\\ /"),
    (Item("file", "konfig/appops/ünï/日本/project.yaml"), "/konfig/appops/ünï/日本/project.yaml"),
])
def test_literal_paths_are_escaped(item, expected):
    assert patterns(item, "github") == [expected]


@pytest.mark.parametrize("glob, why", [
    ("a/[bc]/d", "does not support '[' ']'"),
    ("#notes", "'#' starts a comment"),
    ("a/b#c", "'#' starts a comment"),
    ("a\\b", "backslash"),
    ("a**b", "'**' inside a name"),
])
def test_github_refuses_what_it_cannot_express(glob, why):
    with pytest.raises(Inexpressible, match=re.escape(why)):
        patterns(Item("glob", glob), "github")


def test_gitlab_escapes_a_hash_and_brackets_and_keeps_plain_ranges():
    assert patterns(Item("glob", "#notes"), "gitlab") == ["\\#notes", "\\#notes/"]
    assert patterns(Item("glob", "a/[bc]/d"), "gitlab") == ["/a/[bc]/d", "/a/[bc]/d/"]
    assert patterns(Item("glob", "[bc]*.md"), "gitlab") == ["**/[bc]*.md"]  # not a section heading
    assert patterns(Item("dir", "a/[x]#y"), "gitlab") == ["/a/\\[x\\]\\#y/"]
    with pytest.raises(Inexpressible, match="character class"):
        patterns(Item("glob", "a/[!b]"), "gitlab")  # konfig's negated class matches '/', GitLab's not
    with pytest.raises(Inexpressible, match="character class"):
        patterns(Item("glob", "a/[+-9]"), "gitlab")  # a range that holds '/'
    with pytest.raises(Inexpressible, match=r"character \\t cannot be written"):
        patterns(Item("dir", "a/t\tb"), "gitlab")


def _entries(text: str) -> list[tuple[str | None, int, str, list[str]]]:
    """(section, approvals, pattern, owners) of each entry line."""
    out = []
    section, approvals = None, 1
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head = re.fullmatch(r"\^?\[([^\]]+)\](?:\[(\d+)\])?", line)
        if head:
            section, approvals = head.group(1), int(head.group(2) or 1)
            continue
        parts = re.split(r"(?<!\\) ", line)
        out.append((section, approvals, parts[0], parts[1:]))
    return out


def test_github_file_gives_every_file_its_owners(owned, write):  # noqa: F811
    write(owned, "konfig/appops/acme/web/prod/stack.yaml",
          "env: prod\nowners: [\"@alice\"]\nconfig: {replicas: 4}\n")
    write(owned, "konfig/appops/acme/api/prod/eu/stack.yaml",
          "env: prod\nowners: [platform]\ninherit_owners: false\nconfig: {args: [a]}\n")
    repo = Repository(str(owned))
    text = emit(repo, "github")
    assert text.startswith("# Generated by `konfig owners codeowners --target github`")
    entries = _entries(text)
    assert all(sec is None for sec, *_ in entries)  # GitHub has no sections
    for _, _, pat, owners in entries:
        assert "#" not in " ".join(owners), "no inline comments on GitHub"
        for h in owners:
            assert HANDLE.match(h), h
    omap = OwnershipMap(repo)
    teams = omap.teams
    for f in repo.source.files():
        last = [owners for _, _, pat, owners in entries if gh_matches(pat, f)][-1]
        want = []
        for o in omap.of(f).owners:
            want += [h for h in teams.handles(o, "github") if h not in want]
        assert last == want, f
    # data has a github handle; web does not: its members are listed; erin maps to her handle
    assert "/konfig/infra/data/db/ @acme/data" in text.splitlines()
    assert "/konfig/appops/acme/api/ @bob @carol @erin-gh" in text.splitlines()
    assert "/konfig/appops/acme/api/prod/eu/ @alice" in text.splitlines()


def test_github_org_setting_names_teams_without_a_handle(owned, write):  # noqa: F811
    text = (owned / "konfig.yaml").read_text().replace(
        "review:\n", "review:\n  codeowners:\n    github: {org: acme, path: CODEOWNERS}\n")
    write(owned, "konfig.yaml", text)
    repo = Repository(str(owned))
    assert "/konfig/appops/acme/web/ @acme/web" in emit(repo, "github").splitlines()


def test_gitlab_file_has_sections_with_approval_counts(owned, write):  # noqa: F811
    text = (owned / "konfig.yaml").read_text() + (
        "    - name: base-platform\n      paths: [konfig/base/**]\n      from: [platform]\n")
    write(owned, "konfig.yaml", text)
    write(owned, "konfig/appops/acme/web/project.yaml",
          "name: web\nmodel: app\nowners: [web]\nreview: {approvals: 2}\n")
    gl = emit(Repository(str(owned)), "gitlab")
    headers = [ln for ln in gl.splitlines() if ln.startswith("[")]
    assert headers == ["[Owners]", "[prod-two][2]", "[base-platform]",
                       "[konfig/appops/acme/web approvals][2]"]
    sections = m.parse_gitlab(gl)

    def sections_for(path: str) -> dict[str, tuple[int, list[str]]]:
        return {name: (n or 1, owners) for name, (n, owners) in m.gitlab_owners(sections, path).items()}

    assert sections_for("konfig/appops/acme/api/prod/eu/stack.yaml") == {
        "Owners": (1, ["@bob", "@carol", "@erin"]),
        "prod-two": (2, ["@bob", "@carol", "@erin"]),
    }
    # a project's defaults.yaml configures its prod stacks: the prod rule covers it
    assert "prod-two" in sections_for("konfig/appops/acme/api/prod/defaults.yaml")
    assert set(sections_for("konfig/appops/acme/api/dev/stack.yaml")) == {"Owners"}
    assert sections_for("konfig/base/models/app/schema.yaml") == {
        "Owners": (1, ["@alice"]), "base-platform": (1, ["@alice"])}
    assert sections_for("konfig/appops/acme/web/dev/stack.yaml") == {
        "Owners": (1, ["@bob", "@carol"]), "konfig/appops/acme/web approvals": (2, ["@bob", "@carol"])}


def test_names_and_descriptions_cannot_add_lines_or_sections(owned, write):  # noqa: F811
    text = (owned / "konfig.yaml").read_text()
    text = text.replace('  - path: konfig/base/**\n',
                        '  - path: konfig/base/**\n    description: "base\\n* @mallory"\n')
    text += ('    - name: "x][9] @mallory\\n* @mallory"\n      description: "d\\n* @mallory"\n'
             '      paths: [konfig/base/**]\n      from: [platform]\n')
    write(owned, "konfig.yaml", text)
    repo = Repository(str(owned))
    for target in ("github", "gitlab"):
        res = render(repo, target)
        assert res.problems == []
        assert not [ln for ln in res.text.splitlines() if "@mallory" in ln and ln[:1] not in "#["]
    gl = m.parse_gitlab(emit(repo, "gitlab"))
    assert [(s.name, s.approvals, s.default_owners) for s in gl[2:]] == [
        ("prod-two", 2, []), ("x)(9) @mallory\\n* @mallory", 0, [])]


def test_a_handle_that_is_not_an_owner_token_is_left_out_and_reported(owned, write):  # noqa: F811
    teams = (owned / "konfig/base/teams.yaml").read_text().replace(
        "erin: {github: erin-gh}", 'erin: {github: "erin #x\\n* @mallory"}')
    write(owned, "konfig/base/teams.yaml", teams)
    res = render(Repository(str(owned)), "github")
    assert [p.format() for p in res.problems] == [
        "konfig/base/teams.yaml: GitHub CODEOWNERS cannot name the owner '@erin #x\\n* @mallory' of "
        "@erin (not @name, @org/team or an email): it is left out of .github/CODEOWNERS"]
    assert "/konfig/appops/acme/api/ @bob @carol" in res.text.splitlines()
    assert "mallory" not in res.text
