"""The canonical layout: indentation, metadata key order, comments kept, idempotent."""
from __future__ import annotations

import pytest
from konfigctl.authoring import fmt
from konfigctl.repo.repository import Repository
from konfigctl.yamlio import load

from tests.conftest import REPO_ROOT

MESSY = """\
# A stack written by hand, 4-space indented, lists not indented.
config:
    # the image
    image: "example/web:1.0.0"   # pinned
    env:
    - name: A   # first
      # about the value
      value: "1"
    # the second one
    - name: B
      value: x
    resources:
        cpu: 500m

        # memory after a blank line
        memory: 1Gi
# env comes first in a stack
env: prod
labels: {tier: web}
"""

CANONICAL = """\
# A stack written by hand, 4-space indented, lists not indented.
# env comes first in a stack
env: prod
labels: {tier: web}
config:
  # the image
  image: "example/web:1.0.0"   # pinned
  env:
    - name: A   # first
      # about the value
      value: "1"
    # the second one
    - name: B
      value: x
  resources:
    cpu: 500m

    # memory after a blank line
    memory: 1Gi
"""


def test_messy_stack_becomes_canonical_with_every_comment():
    out = fmt.format_text(MESSY, "stack.yaml", "stack")
    assert out == CANONICAL
    assert load(out).data == load(MESSY).data


def test_idempotent():
    once = fmt.format_text(MESSY, "stack.yaml", "stack")
    assert fmt.format_text(once, "stack.yaml", "stack") == once


def test_canonical_files_are_untouched_byte_for_byte():
    assert fmt.format_text(CANONICAL, "stack.yaml", "stack") == CANONICAL
    assert fmt.format_text("# just a comment\n", "x.yaml") == "# just a comment\n"
    assert fmt.format_text("", "x.yaml") == ""


def test_key_order_of_project_and_the_header_stays_on_top():
    text = "# header\n\nowners: [web]\n# the model\nmodel: app\nlabels: {a: b}\nname: api\nextra_x: 1\n"
    out = fmt.format_text(text, "project.yaml", "project")
    assert out == "# header\n\nname: api\n# the model\nmodel: app\nowners: [web]\nlabels: {a: b}\nextra_x: 1\n"


def test_config_files_keep_their_key_order():
    text = "zeta: 1\nalpha: 2\n"
    assert fmt.format_text(text, "defaults.yaml", None) == text


@pytest.mark.parametrize("text", [
    "a:\n- 1\n- 2\n",
    "a:\n      b:\n            c: 1\n",
    "l:\n  - a: 1\n    b:\n    - x\n",
    "s: |\n    keep   \n      this\n",
    "x: !replace\n    a: 1\ny: !append [1]\n",
])
def test_data_never_changes_and_output_is_stable(text):
    out = fmt.format_text(text, "x.yaml")
    assert load(out).data == load(text).data
    assert fmt.format_text(out, "x.yaml") == out


def test_every_file_of_this_repository_is_stable():
    repo = Repository(str(REPO_ROOT))
    files = fmt.konfig_files(repo)
    assert "konfig.yaml" in files and any(f.endswith("/stack.yaml") for f in files)
    for rel in files:
        before, after = fmt.format_file(repo, rel)
        text = after.decode()
        assert fmt.format_text(text, rel, fmt.kind_of(repo, rel)) == text, rel
        assert load(text).data == load(before).data, rel


def test_which_files_and_kinds(mini, write):
    write(mini, "konfig/appops/acme/web/dev/golden.yaml", "a: 1\n")
    write(mini, "notes/other.yaml", "a: 1\n")
    repo = Repository(str(mini))
    files = fmt.konfig_files(repo)
    assert "konfig/appops/acme/web/dev/golden.yaml" not in files
    assert "notes/other.yaml" not in files
    assert {"konfig.yaml", "konfig/base/teams.yaml", "konfig/base/models/app/schema.yaml"} <= set(files)
    assert fmt.kind_of(repo, "konfig.yaml") == "konfig"
    assert fmt.kind_of(repo, "konfig/appops/acme/web/project.yaml") == "project"
    assert fmt.kind_of(repo, "konfig/appops/acme/web/dev/stack.yaml") == "stack"
    assert fmt.kind_of(repo, "konfig/base/policies/prod-replicas.yaml") == "policy"
    assert fmt.kind_of(repo, "konfig/base/teams.yaml") == "teams"
    assert fmt.kind_of(repo, "konfig/appops/acme/defaults.yaml") is None
    assert fmt.konfig_files(repo, ["konfig/appops/acme/web"]) == [
        "konfig/appops/acme/web/defaults.yaml", "konfig/appops/acme/web/dev/stack.yaml",
        "konfig/appops/acme/web/prod/stack.yaml", "konfig/appops/acme/web/project.yaml"]


def test_check_files_caches_canonical_contents_and_uses_the_cores(mini, write, monkeypatch):
    repo = Repository(str(mini))
    files = fmt.konfig_files(repo)
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "config:\n    replicas: 1\nenv: dev\n")
    monkeypatch.setattr(fmt, "PARALLEL_MIN", 2)  # the fork pool, on a small repository
    changed, errors = fmt.check_files(repo, files, jobs=2)
    assert list(changed) == ["konfig/appops/acme/web/dev/stack.yaml"] and errors == []
    assert changed["konfig/appops/acme/web/dev/stack.yaml"][1] == b"env: dev\nconfig:\n  replicas: 1\n"
    # the canonical ones are remembered by content: the second run formats only the other one
    calls = []
    real = fmt._format_one
    monkeypatch.setattr(fmt, "_format_one", lambda root, rel: calls.append(rel) or real(root, rel))
    changed, errors = fmt.check_files(Repository(str(mini)), files, jobs=1)
    assert calls == ["konfig/appops/acme/web/dev/stack.yaml"]
    assert list(changed) == ["konfig/appops/acme/web/dev/stack.yaml"]


def _yaml_text(data, mapping: int, offset: int, comments: list[int]) -> str:
    """``data`` written with the given indentation, with comment lines inserted before some lines."""
    import io

    from ruamel.yaml import YAML

    y = YAML()
    y.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    buf = io.StringIO()
    y.dump(data, buf)
    lines = buf.getvalue().splitlines(keepends=True)
    out = []
    for i, line in enumerate(lines):
        if i in comments:
            ind = len(line) - len(line.lstrip(" "))
            out.append(" " * ind + f"# note {i}\n")
        out.append(line.rstrip("\n") + (f"  # eol {i}\n" if i + 1 in comments else "\n"))
    return "".join(out)


def test_fmt_is_idempotent_and_keeps_data_and_comments_on_generated_files():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    keys = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
    scalars = st.one_of(st.integers(-5, 500), st.booleans(), st.from_regex(r"[a-z][a-z0-9 ./:-]{0,10}", fullmatch=True))
    values = st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3), st.dictionaries(keys, inner, min_size=1, max_size=3)), max_leaves=8)
    docs_ = st.dictionaries(keys, values, min_size=1, max_size=4)

    @settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(docs_, st.sampled_from([2, 3, 4]), st.sampled_from([0, 2]), st.lists(st.integers(0, 30), max_size=5))
    def check(data, mapping, offset, comments):
        text = _yaml_text(data, mapping, offset, comments)
        once = fmt.format_text(text, "x.yaml")
        assert load(once).data == load(text).data
        assert fmt.format_text(once, "x.yaml") == once
        for n in comments:  # every comment is still there
            if f"# note {n}" in text:
                assert f"# note {n}" in once
            if f"# eol {n - 1}" in text:
                assert f"# eol {n - 1}" in once

    check()
