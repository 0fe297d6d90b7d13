"""Reading a buffer being typed: the key under the cursor, and what completion completes."""
from __future__ import annotations

import pytest

from konfigctl.lsp.text import context_at, key_range, path_at


def ctx(text: str):
    """The context at the ``|`` in ``text``."""
    lines = text.split("\n")
    line = next(i for i, ln in enumerate(lines) if "|" in ln)
    return context_at(text.replace("|", ""), line, lines[line].index("|"))


@pytest.mark.parametrize("text, path, key, prefix, siblings", [
    ("config:\n  repl|", ("config",), None, "repl", set()),
    ("config:\n  replicas: 2\n  |\n  image: x", ("config",), None, "", {"replicas", "image"}),
    ("config:\n  env:\n    - name: A\n      va|", ("config", "env", 0), None, "va", {"name"}),
    ("config:\n  env:\n  - name: A\n    |", ("config", "env", 0), None, "", {"name"}),  # dash at the key's column
    ("config:\n  env:\n    - |", ("config", "env", 0), None, "", set()),
    ("ports:\n  - name: http\n    port: 80\n  - |\n", ("ports", 0), None, "", set()),  # a new item
    ("config:\n  resources:\n    cpu: 1\n    memory: 1|", ("config", "resources"), "memory", "1", {"cpu"}),
    ("env: |", (), "env", "", set()),
    ("|", (), None, "", set()),
    ("a:\n  b: !replace\n    c: 1\n    |", ("a", "b"), None, "", {"c"}),  # a tagged mapping opens a block
    ("a:\n  # a comment\n\n  |", ("a",), None, "", set()),
])
def test_context(text, path, key, prefix, siblings):
    c = ctx(text)
    assert (c.path, c.key, c.prefix, c.siblings) == (path, key, prefix, siblings)


def test_no_context_in_a_comment():
    assert ctx("# a com|ment") is None
    assert ctx("a: 1  # note |") is None


def test_path_at_finds_the_key_on_the_cursor_s_line():
    text = "config:\n  env:\n    - name: A\n      value: b\nlabels: {region: us}\n"
    assert path_at(text, "f", 3, 8) == ("config", "env", 0, "value")
    assert path_at(text, "f", 3, 12) == ("config", "env", 0, "value")  # on the value
    assert path_at(text, "f", 4, 11) == ("labels", "region")  # inside a flow mapping
    assert path_at("config: [\n", "f", 0, 1) is None  # does not parse


def test_key_range_covers_the_key_token():
    lines = ["config:", "  replicas: 2", '  "a b": 1', "  - item # note"]
    assert key_range(lines, 2, 3) == (1, 2, 10)
    assert key_range(lines, 3, 3) == (2, 2, 7)
    assert key_range(lines, 4, 5) == (3, 4, 8)
    assert key_range(lines, None, None) == (0, 0, 7)
