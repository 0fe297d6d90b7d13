"""What konfig writes means the same to YAML 1.1 readers: strings they would retype are quoted.

konfig reads YAML 1.2 (``on`` is a string); PyYAML, yamllint and go-yaml v2
(kubectl, Helm, Argo CD, Flux) read YAML 1.1, where ``on`` is true, ``010`` is
8 and ``1:30`` is 90. Each test reads konfig's output with PyYAML's
``safe_load`` (an independent YAML 1.1 reader) and checks it yields the data
konfig meant.
"""
from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from konfigctl import yamlio
from konfigctl.authoring.edit import apply_text, parse_spec
from konfigctl.authoring.fmt import format_text

from tests.authoring.test_templates import APP_TEMPLATE, add_template

RETYPED = ["on", "off", "yes", "no", "y", "n", "true", "false", "On", "OFF", "Yes", "NO", "Y", "N", "True",
           "FALSE", "~", "null", "Null", "NULL", "0o17", "0x1F", "010", "0755", "1_000", "1e3", "1E+3", ".inf",
           "-.Inf", ".NaN", "1:30", "1:30:00", "-1:30.5", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
           "2001-12-14 21:59:43.10", "=", "<<", "0b101", "+12", "1.", ".5", "1.10", ""]
KEPT = ["abc", "1.2.3", "v1", "x:1", "on-call", "yes please", "n/a", "2001-12", "a=b", "<<a"]


def pyyaml(text: str):
    return yaml.safe_load(text)


@pytest.mark.parametrize("value", RETYPED)
def test_each_retyped_string_is_quoted_by_set(value):
    text = "# a stack\nenv: dev\nconfig:\n  replicas: 1\n"
    spec = parse_spec(f"value={json.dumps(value)}")
    out = apply_text(text, "stack.yaml", ("config",), [spec])
    assert yamlio.load(out).data["config"]["value"] == value  # konfig reads what it meant
    assert pyyaml(out)["config"]["value"] == value, out  # and so does a YAML 1.1 reader


@pytest.mark.parametrize("value", KEPT)
def test_strings_no_reader_retypes_stay_plain(value):
    out = apply_text("config: {}\n", "stack.yaml", ("config",), [parse_spec(f"value={json.dumps(value)}")])
    assert f"value: {value}\n" in out and pyyaml(out)["config"]["value"] == value


def test_set_quotes_new_keys_list_items_and_nested_values_but_leaves_other_lines():
    text = "config:\n  mode: on  # written by hand, not by konfig\n"
    out = apply_text(text, "stack.yaml", ("config",), [
        parse_spec("labels.on=yes"), parse_spec("args=[y, n, '1:30', x]"), parse_spec("env+={name: A, value: off}")])
    assert "  mode: on  # written by hand, not by konfig\n" in out  # an edit touches only what it changes
    data = pyyaml(out)["config"]
    assert data["labels"] == {"on": "yes"}
    assert data["args"] == ["y", "n", "1:30", "x"]
    assert data["env"] == [{"name": "A", "value": "off"}]


def test_set_through_the_cli_writes_what_pyyaml_reads_back(cli, mini):
    res = cli("set", "acme/web/dev", "labels.tier=on", "labels.window=1:30", repo=mini)
    assert res.exit_code == 0, res.output
    stack = pyyaml((mini / "konfig/appops/acme/web/dev/stack.yaml").read_text())
    assert stack["config"]["labels"] == {"tier": "on", "window": "1:30"}
    # the golden file it re-rendered (yamlio.dump) too
    golden = pyyaml((mini / "konfig/appops/acme/web/dev/golden.yaml").read_text())
    assert golden["metadata"]["labels"]["tier"] == "on" and golden["metadata"]["labels"]["window"] == "1:30"


def test_api_override_file_quotes(mini):
    from konfigctl import api

    path = mini / "konfig/appops/acme/web/defaults.yaml"
    api.override_file(path, ["labels.flag=no"])
    assert pyyaml(path.read_text())["labels"] == {"flag": "no"}


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.text(alphabet="0123456789.:-+_eExXoObB~<=", max_size=8),
    st.sampled_from(RETYPED + KEPT),
    st.text(max_size=12),
    st.text(alphabet="a \t\r\n\x85\u2028\x1f\x7f:#'\"", max_size=6),
))
def test_dump_and_set_mean_the_same_to_pyyaml(value):
    data = {"k": value, value: "v"} if value != "k" else {"k": value}
    assert pyyaml(yamlio.dump(data)) == data
    out = apply_text("config: {}\n", "stack.yaml", ("config",), [_set("value", value)])
    assert pyyaml(out)["config"]["value"] == value
    assert yamlio.load(out).data["config"]["value"] == value


def _set(path: str, value: str):
    from konfigctl.authoring.edit import SET, Spec
    from konfigctl.keypath import parse

    return Spec(SET, parse(path), value, f"{path}=...")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.:-+_eExXoObB~<=aflnoNOrstuyY ", min_size=1, max_size=8))
def test_every_plain_scalar_pyyaml_retypes_is_flagged(value):
    """The predicate against PyYAML's own resolver: what PyYAML reads as another type is quoted."""
    try:
        read = yaml.safe_load(f"k: {value}\n")
    except (yaml.YAMLError, ValueError):  # PyYAML's int constructor crashes on `0b_`
        return  # not a plain scalar PyYAML can read at all (konfig refuses and quotes it)
    if not isinstance(read, dict) or "k" not in read:
        return
    try:
        as_konfig = yamlio.load(f"k: {value}\n").data["k"]
    except yamlio.YamlError:
        return  # konfig refuses it (`-_` looks like an integer): nothing it would write plain
    if isinstance(as_konfig, str) and read["k"] != as_konfig:
        assert yamlio.yaml11_retyped(as_konfig), (value, read["k"])


def test_fmt_quotes_what_yaml11_readers_retype_and_is_idempotent():
    text = "# top\nmode: on   # keep\nlist: [yes, x]\nwhen: 1:30\nn: 010\nok: plain\n"
    out = format_text(text, "defaults.yaml")
    assert out == "# top\nmode: 'on'   # keep\nlist: ['yes', x]\nwhen: '1:30'\n'n': 010\nok: plain\n"
    assert format_text(out, "defaults.yaml") == out
    assert pyyaml(out)["mode"] == "on"


def test_new_from_a_template_quotes_a_var_that_yaml11_retypes(cli, mini):
    add_template(mini, {**APP_TEMPLATE, "defaults.yaml.tmpl": "image: ${image}\nlabels:\n  debug: ${debug}\n",
                        "template.yaml": APP_TEMPLATE["template.yaml"] + "  debug: {default: 'off'}\n"})
    res = cli("new", "project", "konfig/infra/data/cache", "-m", "app", "--owner", "data", "--var", "debug=on",
              repo=mini)
    assert res.exit_code == 0, res.output
    assert pyyaml((mini / "konfig/infra/data/cache/defaults.yaml").read_text())["labels"] == {"debug": "on"}


def test_owner_names_yaml11_would_retype_are_quoted_in_templates():
    from konfigctl.authoring.templates import flow_list

    assert yaml.safe_load(flow_list(["on", "data", "y"])) == ["on", "data", "y"]


def test_a_new_konfig_means_the_same_to_pyyaml(cli, tmp_path):
    """Every YAML file `konfig init` writes (skeleton, templates, goldens, pipelines) reads alike."""
    target = tmp_path / "k"
    assert cli("init", str(target), "--no-git").exit_code == 0
    files = sorted(p for p in target.rglob("*") if p.suffix in (".yaml", ".yml") and ".konfig-cache" not in p.parts)
    assert len(files) >= 15
    for p in files:
        text = p.read_text()
        assert yamlio.load_all(text, str(p)) == list(yaml.safe_load_all(text)), p
