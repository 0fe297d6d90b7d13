from __future__ import annotations

import os
import stat

import pytest

from konfigctl import yamlio
from konfigctl.errors import YamlError


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
    assert "alias bomb" in e.message


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
    yamlio.atomic_write(str(p), "new\n")
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
        yamlio.atomic_write(str(p), "new\n")
    assert p.read_text() == "old\n"
    assert [x.name for x in tmp_path.iterdir()] == ["f.yaml"]


def test_roundtrip_preserves_comments_and_detects_indent():
    text = "# top\nconfig:\n    a: 1   # keep\n    items:\n        - x\n"
    y, data = yamlio.load_roundtrip(text, "f")
    assert yamlio.dump_roundtrip(y, data) == text
    assert yamlio.detect_indent(text) == (4, 4)
    assert yamlio.detect_indent("a:\n  - x\n") == (2, 2)


def test_roundtrip_load_still_enforces_safety():
    with pytest.raises(YamlError, match="duplicate key"):
        yamlio.load_roundtrip("a: 1\na: 2\n", "f")
    with pytest.raises(YamlError, match="unknown YAML tag"):
        yamlio.load_roundtrip("a: !!python/name:os.system\n", "f")
