"""yamlio reads YAML 1.2 exactly as ruamel's own safe loader does (with a resolver built once)."""
from __future__ import annotations

import math

import pytest

from konfigctl import yamlio
from konfigctl.errors import YamlError

SCALARS = ["0", "-0", "+1", "012", "0o17", "-0o17", "0x1F", "0b101", "1_000", "1.5", "1e3", "1E-3", ".5",
           "-.inf", "+.inf", ".NaN", ".nan", "1.", "1_0.5", "+12e03", "true", "True", "TRUE", "false",
           "yes", "no", "on", "off", "y", "n", "~", "null", "Null", "NULL", "", "08", "09.5", "0o8",
           "1:30", "abc", "500m", "8Gi", "0.0.1", "--1", "'quoted'", '"1"', "!!str 1"]


@pytest.mark.parametrize("text", SCALARS)
def test_scalars_read_as_ruamel_reads_yaml_1_2(text):
    from ruamel.yaml import YAML

    expected = YAML(typ="safe").load(f"v: {text}\n")["v"]
    got = yamlio.load(f"v: {text}\n").data["v"]
    if isinstance(expected, float) and math.isnan(expected):
        assert isinstance(got, float) and math.isnan(got)
    else:
        assert got == expected and type(got) is type(expected), (got, expected)


@pytest.mark.parametrize("text,value", [
    ("v: 2024-01-01", "2024-01-01"),  # timestamps stay strings: data must stay JSON
    ("v: yes", "yes"),  # YAML 1.2: not a boolean
    ("%YAML 1.1\n---\nv: yes", "yes"),  # the directive does not switch the rules
])
def test_yaml_1_2_core_schema(text, value):
    assert yamlio.load(text).data["v"] == value


@pytest.mark.parametrize("text,message", [
    ("v: =", "unknown YAML tag"),
    ("v: 0b_", "invalid integer"),
    ("v: !foo x", "unknown YAML tag '!foo'"),
    ("a: 1\na: 2", "duplicate key 'a'"),
])
def test_bad_scalars_and_keys_are_errors_with_positions(text, message):
    with pytest.raises(YamlError) as e:
        yamlio.load(text, "f.yaml")
    assert message in str(e.value)
    assert e.value.line is not None


def test_merge_tags_and_positions():
    doc = yamlio.load("a: !replace\n  b: 1\nl: !append [1]\n<<: {c: 2}\n", positions=True)
    assert isinstance(doc.data["a"], yamlio.ReplaceDict)
    assert isinstance(doc.data["l"], yamlio.AppendList)
    assert doc.data["c"] == 2
    assert doc.position(("a", "b")) == (2, 3)
