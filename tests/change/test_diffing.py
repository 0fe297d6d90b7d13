"""``konfigctl.change.diff``: resolved and rendered differences between base and head, and the PR comment."""
from __future__ import annotations

import re
import sys
import types

from konfigctl.change import diff as diffing
from konfigctl.change import report
from konfigctl.repo.repository import Repository

from tests import konfig_repos as k
from tests.conftest import commit_all


def diff_after(root, g, *edits, **kw):
    for e in edits:
        k.edit(root, *e) if isinstance(e, tuple) else k.edit(root, e)
    commit_all(g, "change")
    return diffing.compute(Repository(str(root)), "main", **kw)


def by_path(d):
    return {s.path: s for s in d.stacks}


def test_resolved_config_changes_per_stack(kgit):
    d = diff_after(*kgit, ("konfig/appops/acme/api/prod/defaults.yaml", "memory: 2Gi\nport: 9090\n"))
    s = by_path(d)["konfig/appops/acme/api/prod/eu"]
    assert [(v.path, v.kind, v.old, v.new) for v in s.values] == [
        ("memory", "changed", "1Gi", "2Gi"), ("port", "changed", 8080, 9090)]
    assert "-memory: 1Gi\n+memory: 2Gi\n" in s.config_diff
    assert s.config_diff.startswith("--- a/konfig/appops/acme/api/prod/eu (resolved config)\n")
    assert s.status == "changed" and s.changed


def test_an_affected_stack_whose_config_did_not_change(kgit):
    d = diff_after(*kgit, "konfig/base/models/app/schema.yaml")  # a comment: nothing resolves differently
    assert d.stacks and all(not s.values and not s.changed for s in d.stacks)
    assert all(s.summary()[0] == "no change" for s in d.stacks)


def test_added_and_deleted_stacks(kgit):
    root, g = kgit
    g.git.rm("-r", "-q", "konfig/appops/acme/web/dev")
    d = diff_after(root, g, ("konfig/appops/acme/web/qa/stack.yaml", "config: {replicas: 2}\n"))
    s = by_path(d)
    assert s["konfig/appops/acme/web/qa"].status == "added"
    assert ("replicas", "added", None, 2) in [(v.path, v.kind, v.old, v.new)
                                               for v in s["konfig/appops/acme/web/qa"].values]
    gone = s["konfig/appops/acme/web/dev"]
    assert gone.status == "deleted"
    assert "-replicas: 1\n" in gone.config_diff and "+" not in gone.config_diff.split("@@")[-1]


def test_a_side_that_cannot_resolve_is_shown_not_fatal(kgit):
    d = diff_after(*kgit, ("konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig: [broken\n"),
                   "konfig/appops/acme/web/prod/stack.yaml")
    s = by_path(d)
    assert len(s["konfig/appops/acme/web/dev"].errors) == 1
    assert s["konfig/appops/acme/web/dev"].errors[0].startswith("head: konfig/appops/acme/web/dev/stack.yaml:")
    assert s["konfig/appops/acme/web/prod"].errors == []
    # not compared with nothing: a broken file must not read as "every value removed"
    broken = s["konfig/appops/acme/web/dev"]
    assert broken.values == [] and broken.resources is None and broken.config_diff == ""
    assert broken.summary() == ("not compared", "not compared") and broken.changed
    assert broken.notes == ["not compared: the stack does not resolve at head"]
    md = report.markdown(d)
    assert "removed" not in md and "```diff\n```" not in md  # no empty diff block either


def test_head_is_read_from_git_objects_not_the_work_tree(kgit):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig: {replicas: 2}\n")
    commit_all(g, "two")
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig: {replicas: 8}\n")  # not committed
    before = (root / "konfig/appops/acme/web/dev/stack.yaml").stat().st_mtime_ns
    d = diffing.compute(Repository(str(root)), "main")
    (s,) = d.stacks
    assert [(v.old, v.new) for v in s.values if v.path == "replicas"] == [(1, 2)]
    assert (root / "konfig/appops/acme/web/dev/stack.yaml").stat().st_mtime_ns == before
    d = diffing.compute(Repository(str(root)), "main", uncommitted=True)
    assert [(v.old, v.new) for v in d.stacks[0].values if v.path == "replicas"] == [(1, 8)]


def fake_renderer(monkeypatch, fail_on: str | None = None):
    """A stand-in for ``konfigctl.render.renderer`` (issue 3): a Deployment and a ConfigMap per stack."""
    def render_stack(repo, stack, config=None):
        from konfigctl.resolve.merge import resolve

        if fail_on and fail_on in stack.path:
            raise RuntimeError("renderer exploded")
        cfg = config if config is not None else resolve(repo, stack).config
        meta = {"name": stack.name, "namespace": stack.project.namespace}
        return [
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
             "spec": {"replicas": cfg.get("replicas")}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"image": cfg.get("image")}},
        ]

    mod = types.ModuleType("konfigctl.render.renderer")
    mod.render_stack = render_stack
    monkeypatch.setitem(sys.modules, "konfigctl.render.renderer", mod)


def test_rendered_resources_are_compared(kgit, monkeypatch):
    fake_renderer(monkeypatch)
    d = diff_after(*kgit, ("konfig/appops/acme/web/prod/stack.yaml",
                           "env: prod\nconfig:\n  replicas: 8\n  disk: 50Gi\n"
                           "  env:\n    - name: EXTRA\n      value: '1'\n"))
    (s,) = d.stacks
    assert [(r.key, r.kind) for r in s.resources] == [("Deployment/web/prod", "changed")]
    assert "-  replicas: 4\n+  replicas: 8\n" in s.resources[0].diff
    assert s.summary() == ("1 changed", "1 changed")
    assert d.notes == []


def test_a_failing_renderer_fails_that_stack_only(kgit, monkeypatch):
    fake_renderer(monkeypatch, fail_on="web/dev")
    # a real change: a stack whose config, renderer and StackInfo stay the same is not rendered
    d = diff_after(*kgit, ("konfig/appops/acme/web/defaults.yaml", "image: example/web:1.0.1\n"))
    s = by_path(d)
    assert any("renderer exploded" in e for e in s["konfig/appops/acme/web/dev"].errors)
    assert s["konfig/appops/acme/web/prod"].errors == []


def test_without_a_renderer_the_config_diff_still_works(kgit, monkeypatch):
    monkeypatch.setitem(sys.modules, "konfigctl.render.renderer", None)  # import fails
    d = diff_after(*kgit, "konfig/appops/acme/web/defaults.yaml")
    assert d.notes == [diffing.UNRENDERABLE]
    assert all(s.resources is None and s.notes == [] for s in d.stacks)


# -- markdown ----------------------------------------------------------------------------------

def well_formed(md: str) -> None:
    assert md.count("<details>") == md.count("</details>")
    fences = re.findall(r"^(`{3,})", md, re.M)
    assert len(fences) % 2 == 0


def test_markdown_has_the_summary_first_then_one_folded_section_per_stack(kgit):
    d = diff_after(*kgit, ("konfig/appops/acme/api/prod/defaults.yaml", "memory: 2Gi\n"))
    md = report.markdown(d)
    assert md.startswith("### konfig diff\n\n**2 stacks** affected")
    table = md.index("| Stack | Status | Config | Resources |")
    first = md.index("<details>")
    assert table < first
    assert md.count("<details>") == 2
    assert "<summary><code>konfig&#47;appops" not in md  # paths are kept readable
    assert "<summary><code>konfig/appops/acme/api/prod/eu</code> (changed)" in md
    assert "```diff\n--- a/konfig/appops/acme/api/prod/eu (resolved config)" in md
    well_formed(md)


def test_markdown_when_nothing_is_affected(kgit):
    md = report.markdown(diff_after(*kgit, "docs/index.md"))
    assert "No stack is affected" in md and "<details>" not in md


def test_markdown_stays_under_the_limit_and_says_what_was_cut(kgit):
    root, g = kgit
    # one stack with an enormous diff, and a normal one
    big = "".join(f"  - name: VAR_{i}\n    value: '{'x' * 40}'\n" for i in range(3000))
    k.edit(root, "konfig/appops/acme/web/prod/stack.yaml", "env: prod\nconfig:\n  replicas: 4\n  env:\n" + big)
    k.edit(root, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig: {replicas: 2}\n")
    d = diff_after(root, g)
    md = report.markdown(d)
    assert len(md.encode()) < 65_536
    well_formed(md)
    assert "Cut to stay under the 65,536-character comment limit" in md
    assert "more lines cut" in md
    assert "the end of the diffs of <code>konfig/appops/acme/web/prod</code>" in md
    assert "<summary><code>konfig/appops/acme/web/dev</code>" in md  # the small one is whole


def synthetic(n: int) -> diffing.Diff:
    """A Diff of ``n`` stacks built directly (the markdown layout does not need git)."""
    from konfigctl.change.changeset import ChangeSet
    from konfigctl.change.graph import Reason

    a = ChangeSet(root="/nowhere", base="main", head="HEAD", base_commit="a" * 40, head_commit="b" * 40,
                  merge_base="a" * 40, uncommitted=False, changes=[], git_repo=None, prefix="")
    stacks = []
    for i in range(n):
        path = f"konfig/appops/acme/web/s{i:04d}"
        body = diffing.unified("replicas: 1\n", f"replicas: 2\nimage: example/{'y' * 60}:{i}\n", path,
                               "resolved config")
        stacks.append(diffing.StackDiff(
            path, "changed", [Reason("stack", "stack", f"{path}/stack.yaml")],
            [diffing.ValueChange("replicas", "changed", 1, 2)], body, [], [], []))
    return diffing.Diff(a, stacks)


def test_markdown_with_many_stacks_cuts_rows_and_sections():
    md = report.markdown(synthetic(600))
    assert len(md.encode()) < 65_536
    well_formed(md)
    assert re.search(r"\| … \d+ more stacks \|", md)
    assert re.search(r"the details of \d+ stacks \(<code>konfig/appops/acme/web/s\d{4}</code>", md)
    assert "and " in md.split("the details of")[1]
    small = report.markdown(synthetic(3))
    assert "Cut to stay under" not in small and small.count("<details>") == 3


def test_markdown_escapes_what_came_from_the_repository(kgit):
    root, g = kgit
    evil = "konfig/appops/acme/web/@admin `x` <script>|*y*"
    k.edit(root, f"{evil}/stack.yaml", "name: evil\nconfig: {replicas: 2, image: 'a```b'}\n")
    d = diff_after(root, g)
    md = report.markdown(d)
    well_formed(md)
    # outside code fences (where text is literal) nothing is markup, a mention or a table cell break
    prose = re.sub(r"^(`{3,})diff\n.*?^\1\n", "", md, flags=re.M | re.S)
    assert "@admin" not in prose and "<script>" not in prose and "|*y*" not in prose
    assert "&#64;admin" in prose and "&#60;script&#62;" in prose
    # the value with backticks sits in a longer fence
    assert "````diff" in md


def test_the_comment_made_with_texts_on_demand_is_the_same(kgit):
    root, g = kgit
    k.edit(root, "konfig/appops/acme/web/defaults.yaml", "image: example/web:1.0.1\nenv:\n  - name: X\n    value: y\n")
    k.edit(root, "konfig/appops/acme/api/prod/defaults.yaml", "memory: 2Gi\n")
    g.git.rm("-r", "-q", "konfig/appops/acme/batch/dev")
    commit_all(g, "change")
    eager = diffing.compute(Repository(str(root)), "main")
    lazy = diffing.compute(Repository(str(root)), "main", texts=False)
    assert all(s.fill is not None for s in lazy.stacks)
    assert report.markdown(lazy) == report.markdown(eager)
    assert any(r.diff for s in lazy.stacks for r in s.resources or [])
    small = diffing.compute(Repository(str(root)), "main", texts=False)
    report.markdown(small, limit=2_500)  # room for the table only: no stack's texts are made
    assert all(s.fill is not None for s in small.stacks)
