from __future__ import annotations

import math
import os
import stat

import pytest
from konfigctl import yamlio
from konfigctl.errors import YamlError
from konfigctl.files.transaction import atomic_write
from konfigctl.yamlio import roundtrip


def test_plain_data_and_positions():
    doc = yamlio.load("a: 1\nb:\n  c: [x, y]\n  d: 'q'\nlst:\n  - k: v\n", "f.yaml", positions=True)
    assert doc.data == {"a": 1, "b": {"c": ["x", "y"], "d": "q"}, "lst": [{"k": "v"}]}
    assert doc.position(("a",)) == (1, 1)
    assert doc.position(("b", "c")) == (3, 3)
    assert doc.position(("b", "c", 1)) == (3, 10)
    assert doc.position(("lst", 0, "k")) == (6, 5)
    # unknown paths fall back to the nearest ancestor
    assert doc.position(("b", "zzz")) == (2, 1)


def test_yaml_1_2_scalars_stay_json_compatible():
    doc = yamlio.load("on: yes\nn: 0o17\nt: 2001-12-14\nf: 1.5\nnull_: ~\nb: true\n", "f")
    assert doc.data == {"on": "yes", "n": 15, "t": "2001-12-14", "f": 1.5, "null_": None, "b": True}


def test_empty_document_is_none():
    assert yamlio.load("", "f").data is None
    assert yamlio.load("# only a comment\n", "f").data is None


def _err(text, **kw):
    with pytest.raises(YamlError) as ei:
        yamlio.load(text, "bad.yaml", **kw)
    return ei.value


def test_duplicate_key_is_located_at_second_key():
    e = _err("a: 1\nb:\n  x: 1\n  x: 2\n")
    assert (e.file, e.line, e.col) == ("bad.yaml", 4, 3)
    assert "duplicate key 'x'" in e.message
    assert str(e).startswith("bad.yaml:4:3: duplicate key")


def test_malformed_yaml_has_line_and_column():
    e = _err("a: [1, 2\nb: 3\n")
    assert e.line == 2 and e.col is not None
    assert e.message.startswith("invalid YAML")


def test_unknown_tags_rejected_including_python_objects():
    assert "unknown YAML tag" in _err("a: !!python/object/apply:os.system ['echo hi']\n").message
    assert "unknown YAML tag '!env'" in _err("a: !env HOME\n").message
    assert "unknown YAML tag" in _err("a: !!binary aGVsbG8=\n").message
    assert "unknown YAML tag" in _err("a: !!set {x, y}\n").message


def test_merge_tags_only_on_collections():
    assert "not to a scalar" in _err("a: !replace 1\n").message
    assert "unknown YAML tag '!append' on a mapping" in _err("a: !append {x: 1}\n").message
    doc = yamlio.load("a: !replace {x: 1}\nb: !append [1]\nc: !replace [2]\n", "f")
    assert isinstance(doc.data["a"], yamlio.ReplaceDict)
    assert isinstance(doc.data["b"], yamlio.AppendList)
    assert isinstance(doc.data["c"], yamlio.ReplaceList)
    assert yamlio.plain(doc.data) == {"a": {"x": 1}, "b": [1], "c": [2]}
    assert type(yamlio.plain(doc.data)["a"]) is dict


def test_alias_bomb_is_rejected_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    e = _err("\n".join(lines) + "\n")
    assert e.message == ("aliases expand the document to more than 200,000 values, the limit per YAML "
                         "document (each use of an alias counts its whole value)")


def test_a_large_document_without_aliases_names_the_value_limit_not_aliases():
    """Issue 12: "(alias bomb?)" was said of a large file that had no alias at all."""
    e = _err("x: [" + ",".join(["1"] * (yamlio.MAX_NODES + 10)) + "]\n")
    assert e.message == "document has more than 200,000 values, the limit per YAML document"
    assert (e.file, e.line) == ("bad.yaml", 1)
    # many aliases, each used once, still build fewer values than the limit: fine
    text = "".join(f"a{i}: &a{i} {i}\nb{i}: *a{i}\n" for i in range(1000))
    assert yamlio.load(text, "f").data["b999"] == 999


def test_a_file_above_the_size_limit_is_refused_at_the_file():
    big = b"x: " + b"a" * yamlio.MAX_BYTES + b"\n"
    with pytest.raises(YamlError) as ei:
        yamlio.load(big, "konfig/appops/a/b/c/stack.yaml")
    assert str(ei.value) == (f"konfig/appops/a/b/c/stack.yaml: file is {len(big):,} bytes, above the 16 MiB "
                             "limit per YAML file")
    with pytest.raises(YamlError, match="16 MiB limit"):
        yamlio.load_all(big, "golden.yaml")


@pytest.mark.parametrize("text", [
    "x: " + "[" * 100_000 + "]" * 100_000 + "\n",       # flow lists
    "x: " + "{a: " * 60_000 + "1" + "}" * 60_000 + "\n",  # flow mappings
    "x:\n" + "- " * 100_000 + "1\n",                    # compact block lists
    "".join(" " * i + "k:\n" for i in range(4_000)) + " " * 4_000 + "v\n",  # block mappings
])
def test_deep_nesting_is_an_error_not_a_crash(text):
    """ruamel's C composer recurses on the C stack: 50,000 levels killed the process (SIGSEGV).

    Run in a child process, so that a crash fails this test instead of the run.
    """
    import subprocess
    import sys

    code = ("import sys\nfrom konfigctl import yamlio\nfrom konfigctl.errors import YamlError\n"
            "try:\n    yamlio.load(sys.stdin.read(), 'f')\nexcept YamlError as e:\n    print(e)\n")
    res = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr[-500:]
    assert res.stdout.rstrip().endswith("document is nested deeper than 256 levels, the limit per YAML document")
    assert res.stdout.startswith("f:")


def test_nesting_just_under_the_limit_reads():
    assert yamlio.load("x: " + "[" * 250 + "1" + "]" * 250 + "\n" + "#" * 5000 + "\n", "f").data["x"]
    deep = "x:\n" + "".join("  " * i + f"- k{i}:\n" for i in range(1, 100)) + "  " * 100 + "- 1\n"
    assert yamlio.load(deep + "#" * 3000 + "\n", "f").data["x"]


def test_plain_aliases_still_work():
    doc = yamlio.load("base: &b {x: 1}\nuse: *b\n", "f")
    assert doc.data["use"] == {"x": 1}


def test_recursive_alias_is_an_error():
    assert "recursive alias" in _err("a: &a [1, *a]\n").message


def test_merge_keys_explicit_keys_win():
    doc = yamlio.load("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", "f")
    assert doc.data["use"] == {"x": 1, "y": 3}


def test_multiple_documents_rejected_but_load_all_reads_them():
    assert "single document" in _err("a: 1\n---\nb: 2\n").message
    assert yamlio.load_all("a: 1\n---\nb: 2\n", "f") == [{"a": 1}, {"b": 2}]


def test_not_utf8():
    with pytest.raises(YamlError, match="not UTF-8"):
        yamlio.load(b"a: \xff\xfe\n", "f")


def test_complex_keys_rejected():
    assert "plain strings" in _err("? [a, b]\n: 1\n").message


def test_deep_nesting_rejected():
    assert "nested deeper" in _err("[" * 300 + "]" * 300 + "\n").message


def test_parse_value():
    assert yamlio.parse_value("3") == 3
    assert yamlio.parse_value("[1, a]") == [1, "a"]
    assert yamlio.parse_value("{a: 1}") == {"a": 1}
    assert yamlio.parse_value("registry/x:1.2") == "registry/x:1.2"
    with pytest.raises(YamlError):
        yamlio.parse_value("[1,")


def test_dump_keeps_order_and_uses_block_literals():
    text = yamlio.dump({"z": 1, "a": "l1\nl2\n", "s": "1.0"})
    assert text.index("z:") < text.index("a:")
    assert "a: |\n  l1\n  l2\n" in text
    assert "s: '1.0'" in text
    assert yamlio.load(text, "f").data == {"z": 1, "a": "l1\nl2\n", "s": "1.0"}


def test_dump_quotes_strings_yaml11_readers_would_retype():
    # kubectl, Argo CD and Flux read YAML 1.1: unquoted `on` is a boolean and
    # `01:30` a base-60 number there, though both are strings in YAML 1.2.
    yaml = pytest.importorskip("yaml")
    data = {"flag": "on", "Off": "Off", "y": "y", "at": "01:30", "t": "1:30:00",
            "plain": "online", "ratio": "1:x", "n": 5}
    text = yamlio.dump(data)
    assert "flag: 'on'\n" in text
    assert "at: '01:30'\n" in text
    assert "plain: online\n" in text
    assert "ratio: 1:x\n" in text
    assert yaml.safe_load(text) == data
    assert yamlio.load(text, "f").data == data


def test_dump_all_round_trips():
    docs = [{"kind": "A"}, {"kind": "B", "x": [1]}]
    assert yamlio.load_all(yamlio.dump_all(docs), "f") == docs


def test_atomic_write_replaces_and_keeps_mode(tmp_path):
    p = tmp_path / "f.yaml"
    p.write_text("old\n")
    os.chmod(p, 0o600)
    atomic_write(str(p), "new\n")
    assert p.read_text() == "new\n"
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert [x.name for x in tmp_path.iterdir()] == ["f.yaml"]  # no temp file left


def test_atomic_write_failure_leaves_old_file(tmp_path, monkeypatch):
    p = tmp_path / "f.yaml"
    p.write_text("old\n")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write(str(p), "new\n")
    assert p.read_text() == "old\n"
    assert [x.name for x in tmp_path.iterdir()] == ["f.yaml"]


def test_roundtrip_preserves_comments_and_detects_indent():
    text = "# top\nconfig:\n    a: 1   # keep\n    items:\n        - x\n"
    y, data = roundtrip.load_roundtrip(text, "f")
    assert roundtrip.dump_roundtrip(y, data) == text
    assert roundtrip.detect_indent(text) == (4, 4)
    assert roundtrip.detect_indent("a:\n  - x\n") == (2, 2)


def test_roundtrip_load_still_enforces_safety():
    with pytest.raises(YamlError, match="duplicate key"):
        roundtrip.load_roundtrip("a: 1\na: 2\n", "f")
    with pytest.raises(YamlError, match="unknown YAML tag"):
        roundtrip.load_roundtrip("a: !!python/name:os.system\n", "f")


# -- the resolver built once reads YAML 1.2 exactly as ruamel's safe loader does --------
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
