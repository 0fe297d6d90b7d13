"""Each output format's escaping, read back by a real parser: text from the repository renders as itself.

Markdown is parsed with markdown-it-py (CommonMark with GFM tables, the
dialect GitHub and GitLab comments use); the properties hold for any text
hypothesis finds.
"""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from konfigctl.escaping import md_cell, md_code, md_code_span, md_fence, md_text, text_line
from tests.owners.test_review import WEB_PROD, change, konfig  # noqa: F401 - fixture

MD = MarkdownIt("commonmark").enable("table")
HOSTILE = ["a`b", "``", "x|y", "<script>alert(1)</script>", "*bold*", "_i_", "a\nb", "@admin",
           "[link](http://evil)", "&amp;", " lead", "trail ", "#1", "\\|", "~~s~~", "!1 %m $s",
           "rtl\u202eevil", "www.example.com", "\x1b[31mred", "1. list", "- item", "> quote", "|"]
# Everything but surrogates (not text) and NUL, which CommonMark replaces with U+FFFD.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


def inline(md: str) -> list[tuple[str, str]]:
    [para] = [t for t in MD.parse(md) if t.type == "inline"]
    return [(c.type, c.content) for c in para.children or []]


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_md_text_renders_as_itself(s):
    assert inline("x " + md_text(s) + " x") == [("text", "x " + text_line(s) + " x")]


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_md_code_span_renders_as_itself(s):
    if not text_line(s).strip(" "):
        return  # only spaces: CommonMark keeps them, but a paragraph would strip them
    assert inline("x " + md_code_span(s) + " x") == [("text", "x "), ("code_inline", text_line(s)),
                                                     ("text", " x")]


@given(st.lists(TEXT, min_size=1, max_size=4))
@settings(max_examples=200, deadline=None)
def test_a_table_of_hostile_cells_keeps_its_shape(cells):
    n = len(cells)
    row1 = "| " + " | ".join(md_code(c) for c in cells) + " |"
    row2 = "| " + " | ".join(md_cell(md_code_span(c)) if text_line(c).strip(" ") else "x"
                             for c in cells) + " |"
    md = "| " + " | ".join(f"h{i}" for i in range(n)) + " |\n|" + "---|" * n + f"\n{row1}\n{row2}\n"
    tokens = MD.parse(md)
    assert [t.type for t in tokens].count("tr_open") == 3
    tds = [i for i, t in enumerate(tokens) if t.type == "td_open"]
    assert len(tds) == 2 * n
    for k, c in enumerate(cells):
        kids = tokens[tds[k] + 1].children
        text = [("text", text_line(c))] if c else []
        assert [(x.type, x.content) for x in kids] == [
            ("html_inline", "<code>"), *text, ("html_inline", "</code>")]
        if text_line(c).strip(" "):
            assert [(x.type, x.content) for x in tokens[tds[n + k] + 1].children] == [
                ("code_inline", text_line(c))]


@given(TEXT)
@settings(max_examples=200, deadline=None)
def test_text_line_is_one_line_and_changes_only_what_is_invisible(s):
    t = text_line(s)
    assert len(t.splitlines()) <= 1 and "\x1b" not in t and "\u202e" not in t
    if s.isprintable():
        assert t == s


def test_md_fence_holds_any_body():
    body = "a ``` b\n````\n<b>x</b>\n"
    [fence] = [t for t in MD.parse(md_fence(body, "diff")) if t.type == "fence"]
    assert fence.content == body and fence.info == "diff"


def test_review_markdown_keeps_the_table_with_hostile_paths(cli, konfig):  # noqa: F811
    root, g = konfig
    evil = ["konfig/appops/acme/web/prod/a`b|c.yaml", "konfig/appops/acme/web/prod/<script>*x*_y_.yaml",
            "konfig/appops/acme/web/prod/@admin [l](javascript:x).yaml"]
    change(root, g, {WEB_PROD: "env: prod\nconfig: {replicas: 8}\n", **{p: "x: 1\n" for p in evil}})
    res = cli("review", "--base", "main", "--author", "dave", "--approved-by", "bob",
              "-f", "markdown", repo=root)
    assert res.exit_code == 1, res.output
    tokens = MD.parse(res.stdout)
    assert [t.type for t in tokens].count("table_open") == 1
    rows = [i for i, t in enumerate(tokens) if t.type == "tr_open"]
    tds = [i for i, t in enumerate(tokens) if t.type in ("td_open", "th_open")]
    assert len(tds) == 5 * len(rows) and len(rows) >= 3
    # the files cell of the prod rule: each path whole, as code, nothing else is markup
    cells = []
    for i in tds:
        kids = tokens[i + 1].children or []
        cells.append(kids)
        assert {k.type for k in kids} <= {"text", "html_inline", "strong_open", "strong_close"}
        assert {k.content for k in kids if k.type == "html_inline"} <= {"<code>", "</code>", "<br>"}
    shown = {k.content for kids in cells for k in kids if k.type == "text"}
    for p in evil + [WEB_PROD]:
        assert p in shown, p
    # no mention, no link, no HTML outside the table either
    prose = [t for t in tokens if t.type == "inline" and t.map and t.map[0] < tokens[rows[0]].map[0]]
    assert all(k.type in ("text", "html_inline", "softbreak") for t in prose for k in t.children or [])
    assert "@bob" not in res.stdout and "&#64;bob" in res.stdout


def test_review_json_is_unchanged_by_markdown_escaping(cli, konfig):  # noqa: F811
    root, g = konfig
    path = "konfig/appops/acme/web/prod/a`b|c.yaml"
    change(root, g, {path: "x: 1\n"})
    res = cli("review", "--base", "main", "--author", "dave", "-f", "json", repo=root)
    assert [f["path"] for f in json.loads(res.stdout)["files"]] == [path]


def test_diff_markdown_keeps_its_table_with_hostile_stack_paths(cli, kgit):
    from tests import konfig_repos as k
    from tests.conftest import commit_all

    root, g = kgit
    orgs = ["o`r|g", "nl\norg", "<b>*x*</b>", "@admin"]
    for i, org in enumerate(orgs):
        k.edit(root, f"konfig/appops/{org}/app/project.yaml", f"name: app{i}\nmodel: app\nowners: [web]\n")
        k.edit(root, f"konfig/appops/{org}/app/dev/stack.yaml",
               "env: dev\nconfig: {image: 'example/x:1.0.0'}\n")
    commit_all(g, "hostile stacks")
    res = cli("diff", "--base", "main", "--format", "markdown", repo=root)
    assert res.exit_code == 0, res.output
    tokens = MD.parse(res.stdout)
    assert [t.type for t in tokens].count("table_open") == 1
    rows = [i for i, t in enumerate(tokens) if t.type == "tr_open"]
    cells = [i for i, t in enumerate(tokens) if t.type in ("td_open", "th_open")]
    assert len(rows) == 1 + len(orgs) and len(cells) == 4 * len(rows)
    shown = [[k.content for k in tokens[i + 1].children if k.type == "text"] for i in cells[4::4]]
    assert sorted(s[0] for s in shown) == sorted(text_line(f"konfig/appops/{o}/app/dev") for o in orgs)
