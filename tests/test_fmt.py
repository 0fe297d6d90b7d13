"""The canonical layout: indentation, metadata key order, comments kept, idempotent."""
from __future__ import annotations

import pytest

from konfigctl import fmt
from konfigctl.repository import Repository
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
