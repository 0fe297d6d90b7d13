"""Byte pre-checks: they may only skip a parse, never answer differently from the parser."""
from __future__ import annotations

import pytest
from konfigctl.repo.peek import may_contain, peek_model
from konfigctl.repo.repository import Repository
from konfigctl.yamlio import load


def test_may_contain_is_sure_only_when_the_word_cannot_be_there(mini, write):
    write(mini, "a.yaml", "env: dev\nconfig: {replicas: 1}\n")
    write(mini, "b.yaml", 'env: dev\n"depends\\x5fon": [x]\n')  # an escape can spell the word
    repo = Repository(str(mini))
    assert not may_contain(repo, "a.yaml", "depends_on")
    assert may_contain(repo, "a.yaml", "replicas")
    assert may_contain(repo, "b.yaml", "depends_on")
    assert load(repo.read("b.yaml"), "b.yaml").data["depends_on"] == ["x"]
    assert may_contain(repo, "missing.yaml", "anything")  # the caller's own read reports it


@pytest.mark.parametrize("text, model", [
    ("model: webapp\nowners: [a]\n", "webapp"),
    ("owners: [a]\nmodel:   cron-job  # the model\n", "cron-job"),
    ("model: a\nmodel: b\n", None),  # two lines: the parser decides
    ("---\nmodel: a\n", None),
    ('description: "an open quote\nmodel: a\n', None),
    ("x: [1,\nmodel: a]\n", None),
    ("model:\tweb\n", None),
    ("  model: nested\n", None),
    ("model: 'quoted'\n", None),
])
def test_peek_model_answers_only_when_certain(text, model):
    assert peek_model(text.encode()) == model
    if model is not None:
        assert load(text.encode(), "project.yaml").data["model"] == model
