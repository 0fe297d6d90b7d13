from __future__ import annotations

import pytest
from konfigctl.errors import KonfigError
from konfigctl.files import paths


@pytest.mark.parametrize("pattern, path, expected", [
    ("konfig/base/**", "konfig/base/models/x/schema.yaml", True),
    ("konfig/base/**", "konfig/base", True),
    ("konfig/base/**", "konfig/baseline/x", False),
    ("*.md", "docs/a/b.md", True),
    ("/README.md", "docs/README.md", False),
    ("konfig/*/x", "konfig/a/x", True),
    ("konfig/*/x", "konfig/a/b/x", False),
    ("konfig/**/stack.yaml", "konfig/stack.yaml", True),
    ("konfig/**/stack.yaml", "konfig/a/b/stack.yaml", True),
    ("docs/", "docs/x/y", True),
    ("a/[bc]/d", "a/c/d", True),
])
def test_globs(pattern, path, expected):
    assert paths.match(pattern, path) is expected


def test_normalize_refuses_escape():
    assert paths.normalize("./a//b/../c/") == "a/c"
    with pytest.raises(KonfigError, match="leaves the repository"):
        paths.normalize("a/../../etc/passwd")
    with pytest.raises(KonfigError, match="relative"):
        paths.normalize("/etc/passwd")


def test_ancestors():
    assert paths.ancestors("a/b/c") == ["", "a", "a/b", "a/b/c"]


def test_confine_rejects_symlink_out(tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "outside").write_text("secret")
    (tmp_path / "repo" / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(KonfigError, match="outside the repository"):
        paths.confine(str(tmp_path / "repo"), "link")
