"""init.py: the skeleton a new Konfig starts from."""
from __future__ import annotations

from konfigctl import init


def test_skeleton_renders_init_files_and_keeps_template_placeholders():
    files = init.skeleton_files("acme")
    assert ".gitignore" in files and ".pre-commit-config.yaml" in files
    assert not any(rel.endswith(".init") or "/dot-" in rel or rel.startswith("dot-") for rel in files)
    assert b"name: acme\n" in files["konfig.yaml"]
    assert files["konfig.yaml"].startswith(b"# yaml-language-server: $schema=docs/schemas/konfig.schema.json\n")
    # the template's own placeholders are for `konfig new`, not for init
    assert b"${project}" in files["konfig/base/templates/webapp/project.yaml.tmpl"]


def test_repo_name_from_directory():
    assert init.repo_name("/x/My Konfig") == "my-konfig"
    assert init.repo_name("/x/___") == "konfig"
