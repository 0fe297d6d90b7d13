"""The file formats: checked at the offending line, defaults filled in, names that are DNS labels."""
from __future__ import annotations

import json

import pytest
from konfigctl import formats
from konfigctl.errors import KonfigError
from konfigctl.yamlio import load

from tests.conftest import REPO_ROOT


def _doc(text, name="konfig/appops/a/web/project.yaml"):
    return load(text.encode(), name, positions=True)


def test_a_valid_file_is_its_mapping_and_an_empty_one_is_empty():
    assert formats.check("project", _doc("model: app\nowners: [web]\n")) == {"model": "app", "owners": ["web"]}
    assert formats.check("stack", _doc("", "s/stack.yaml")) == {}


def test_the_first_problem_is_reported_at_its_line():
    with pytest.raises(KonfigError) as e:
        formats.check("project", _doc("model: app\nowners: [web]\nlabels: [x]\n"))
    assert (e.value.file, e.value.line, e.value.keypath) == ("konfig/appops/a/web/project.yaml", 3, "labels")
    with pytest.raises(KonfigError, match="expected a mapping of project settings, got a list"):
        formats.check("project", _doc("- a\n"))


def test_a_default_name_must_be_a_dns_label():
    assert formats.checked_name({}, "konfig/appops/web-app", "project", "f") == {}
    assert formats.checked_name({"name": "x"}, "konfig/appops/Web_App", "project", "f") == {"name": "x"}
    with pytest.raises(KonfigError, match="not a DNS label"):
        formats.checked_name({}, "konfig/appops/Web_App", "project", "f")


def test_settings_defaults_fill_what_konfig_yaml_leaves_out():
    s = formats.settings_with_defaults({"base": "platform/", "roots": ["apps/"]})
    assert s["base"] == "platform" and s["roots"] == ["apps"]
    assert "platform/teams.yaml" in s["global"] and s["envs"] == ["dev", "staging", "prod"]
    s["envs"].append("qa")  # the defaults are copies, not shared
    assert formats.settings_with_defaults({})["envs"] == ["dev", "staging", "prod"]


def test_the_schema_comment_points_at_the_published_copy():
    line = formats.schema_comment("stack", "konfig/appops/a/web/dev/stack.yaml")
    assert line.startswith("# yaml-language-server: $schema=../../../../../docs/schemas/stack.schema.json")
    for name in formats.FORMATS:  # the packaged schema is the one konfig docs publishes
        published = json.loads((REPO_ROOT / formats.SCHEMA_DIR / f"{name}.schema.json").read_text())
        assert published == formats.format_schema(name)
