"""Comment-aware changes to round-trip data: no comment is lost or moved away from what it describes."""
from __future__ import annotations

from konfigctl.yamlio import roundtrip as rt
from konfigctl.yamlio.roundtrip import dump_roundtrip, load_roundtrip


def edit(text: str, fn) -> str:
    y, data = load_roundtrip(text, "t.yaml")
    fn(data)
    return dump_roundtrip(y, data)


def test_deleting_a_key_keeps_the_comment_above_the_next_key_and_drops_its_own():
    text = "a: 1  # about a\n# about b\nb: 2\n\n# section\nc: 3\n"
    assert edit(text, lambda d: rt.delete_item(d, "a")) == "# about b\nb: 2\n\n# section\nc: 3\n"
    # the comment right above b documents b: it goes with it; a separated one stays
    assert edit(text, lambda d: rt.delete_item(d, "b")) == "a: 1  # about a\n\n# section\nc: 3\n"
    # comments above the first entry introduce the block: they stay
    text = "# header\n\n# about the settings\na: 1\nb: 2\n"
    assert edit(text, lambda d: rt.delete_item(d, "a")) == "# header\n\n# about the settings\nb: 2\n"


def test_deleting_the_first_nested_key_keeps_the_next_keys_comment():
    text = "m:\n  # first\n  k1: 1  # eol k1\n  # before k2\n  k2: 2\nz: 0\n"
    out = edit(text, lambda d: rt.delete_item(d["m"], "k1", d, "m"))
    assert out == "m:\n  # first\n  # before k2\n  k2: 2\nz: 0\n"


def test_deleting_the_only_key_leaves_an_empty_flow_mapping_and_keeps_outer_comments():
    text = "m:\n  # inside\n  k1: 1\n# about z\nz: 0\n"
    out = edit(text, lambda d: rt.delete_item(d["m"], "k1", d, "m"))
    assert out.startswith("m: {}\n")
    assert "# about z\nz: 0\n" in out
    from konfigctl.yamlio import load

    assert load(out).data == {"m": {}, "z": 0}


def test_deleting_the_only_item_of_a_nested_list_keeps_valid_yaml_and_the_comment():
    from konfigctl.yamlio import load

    for eol in ("", "  # trailing"):
        text = f"c:\n  env:\n    # about the item\n    - name: A\n      value: x{eol}\n  replicas: 1\n"
        out = edit(text, lambda d: rt.delete_item(d["c"]["env"], 0, d["c"], "env"))
        assert out == "c:\n  env: []\n    # about the item\n  replicas: 1\n"
        assert load(out).data == {"c": {"env": [], "replicas": 1}}


def test_deleting_a_block_value_drops_its_inner_comments_only():
    text = "a:\n  x: 1\n  # inner, about a\n# about b\nb: 2\n"
    out = edit(text, lambda d: rt.delete_item(d, "a"))
    assert out == "# about b\nb: 2\n"


def test_deleting_list_items_shifts_their_comments():
    text = "l:\n  - a  # eol a\n  # before b\n  - b  # eol b\n  - c  # eol c\n"
    out = edit(text, lambda d: rt.delete_item(d["l"], 0, d, "l"))
    assert out == "l:\n  # before b\n  - b  # eol b\n  - c  # eol c\n"
    out = edit(text, lambda d: rt.delete_item(d["l"], 1, d, "l"))
    assert out == "l:\n  - a  # eol a\n  - c  # eol c\n"
    out = edit(text, lambda d: rt.delete_item(d["l"], 2, d, "l"))
    assert out == "l:\n  - a  # eol a\n  # before b\n  - b  # eol b\n"


def test_appending_keeps_a_trailing_outdented_comment_after_the_block():
    text = "config:\n  a: 1\n  # about a, still inside\n# end of config\nother: 1\n"
    out = edit(text, lambda d: rt.set_item(d["config"], "b", 2, d, "config"))
    assert out == "config:\n  a: 1\n  # about a, still inside\n  b: 2\n# end of config\nother: 1\n"


def test_appending_to_an_empty_flow_collection_makes_it_a_block():
    out = edit("config: {}\nz: 1\n", lambda d: rt.set_item(d["config"], "a", {"b": [1, 2]}, d, "config"))
    assert out == "config:\n  a:\n    b:\n      - 1\n      - 2\nz: 1\n"


def test_flow_collections_stay_flow_and_quotes_stay():
    text = 'labels: {a: "x"}\nargs: [1, 2]\nimage: "reg/app:1"  # pinned\n'
    out = edit(text, lambda d: (rt.set_item(d["labels"], "a", "y"), rt.set_item(d, "args", [3]),
                                rt.set_item(d, "image", "reg/app:2")))
    assert out == 'labels: {a: "y"}\nargs: [3]\nimage: "reg/app:2"  # pinned\n'


def test_replacing_a_block_keeps_the_comment_that_introduces_the_next_key():
    text = "a:\n  x: 1\n  y: 2\n# about b\nb: 2\n"
    out = edit(text, lambda d: rt.set_item(d, "a", 5))
    assert out == "a: 5\n# about b\nb: 2\n"


def test_replacing_a_mapping_with_a_mapping_keeps_comments_of_kept_keys():
    text = "r:\n  cpu: 1  # cores\n  memory: 1Gi\n"
    out = edit(text, lambda d: rt.set_item(d, "r", {"cpu": 2, "disk": "1Gi"}))
    assert out == "r:\n  cpu: 2  # cores\n  disk: 1Gi\n"


def test_reorder_moves_comments_with_their_keys_and_keeps_the_header():
    text = ("# header\n\n# about owners\nowners: [a]  # eol owners\n# about model\nmodel: webapp\n"
            "name: x\n# trailing\n")
    y, d = load_roundtrip(text, "t.yaml")
    assert rt.reorder(d, ["name", "model", "owners"])
    out = dump_roundtrip(y, d)
    assert out == ("# header\n\n" "name: x\n# about model\nmodel: webapp\n# about owners\n"
                   "owners: [a]  # eol owners\n# trailing\n")


def test_commented_converts_nested_values_and_multiline_strings():
    v = rt.commented({"a": [{"b": "x\ny\n"}]})
    assert isinstance(v, rt.CommentedMap) and isinstance(v["a"], rt.CommentedSeq)
    out = edit("k: 1\n", lambda d: rt.set_item(d, "k", {"a": "x\ny\n"}))
    assert out == "k:\n  a: |\n    x\n    y\n"
