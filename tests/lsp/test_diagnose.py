"""The diagnostics of one edited file, through the library (``konfigctl.lsp.diagnose``)."""
from __future__ import annotations

from pathlib import Path

import pytest

from konfigctl.lsp import diagnose as diagnose_mod
from konfigctl.lsp.workspace import Cancelled, Workspace
from konfigctl.repo.repository import Repository

API_DEFAULTS = "konfig/appops/acme/api/defaults.yaml"


def workspace(root: Path) -> Workspace:
    return Workspace(Repository.discover(str(root), listings=False, recover=False))


def test_a_slow_run_shows_what_it_found_so_far(mini: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(diagnose_mod, "PARTIAL_AFTER", 0.0)
    ws = workspace(mini)
    ws.set_buffer(API_DEFAULTS, (mini / API_DEFAULTS).read_text() + "replicas: 1\n")
    seen = []
    final = diagnose_mod.diagnose(ws, API_DEFAULTS, partial=lambda found, n, of: seen.append((len(found), n, of)))
    assert seen == [(0, 0, 3)]  # once, before the first of the project's three stacks
    assert sorted(p.stack for p in final) == ["konfig/appops/acme/api/prod/eu", "konfig/appops/acme/api/prod/us"]


def test_a_newer_edit_stops_a_run(mini: Path):
    ws = workspace(mini)
    ws.set_buffer(API_DEFAULTS, "replicas: 1\n")
    with pytest.raises(Cancelled):
        diagnose_mod.diagnose(ws, API_DEFAULTS, cancelled=lambda: True)


def test_a_policy_that_cannot_work_is_reported_in_its_file(mini: Path):
    ws = workspace(mini)
    rel = "konfig/base/policies/prod-replicas.yaml"
    ws.set_buffer(rel, (mini / rel).read_text().replace("{minimum: 2}", '{pattern: "(unclosed"}'))
    problems = diagnose_mod.diagnose(ws, rel)
    assert [(p.file, p.line) for p in problems if p.file == rel] == [(rel, 7)]
    assert (mini / rel).read_text().count("(unclosed") == 0  # never written


def test_a_model_schema_that_cannot_work_is_reported_once(mini: Path):
    ws = workspace(mini)
    rel = "konfig/base/models/app/schema.yaml"
    ws.set_buffer(rel, (mini / rel).read_text().replace("image: {type: string}", 'image: {type: string, pattern: "["}'))
    problems = diagnose_mod.diagnose(ws, rel)
    assert [p.line for p in problems if p.file == rel] == [8]
    assert not any(p.file != rel for p in problems)


@pytest.mark.parametrize("rel", [
    "konfig/appops/acme/api/prod/us/stack.yaml",
    "konfig/appops/acme/api/defaults.yaml",
    "konfig/base/models/app/defaults.yaml",
    "konfig/base/models/app/schema.yaml",
    "konfig.yaml",
])
def test_every_prefix_of_a_file_being_typed_is_answered(mini: Path, rel: str):
    """A buffer passes through every broken state on its way: each one gets answers, none raises."""
    from konfigctl.errors import KonfigError
    from konfigctl.lsp.complete import complete
    from konfigctl.lsp.navigate import definition, hover

    ws = workspace(mini)
    text = (mini / rel).read_text()
    for end in range(0, len(text) + 1, 3):
        buffer = text[:end]
        ws.set_buffer(rel, buffer)
        lines = buffer.split("\n")
        line, char = len(lines) - 1, len(lines[-1])
        try:
            problems = diagnose_mod.diagnose(ws, rel)
        except KonfigError:
            problems = None  # the repository itself does not load at this prefix (konfig.yaml)
        assert problems is None or all(p.message for p in problems)
        for fn in (hover, definition, complete):
            try:
                fn(ws, rel, line, char)
                fn(ws, rel, 0, 0)
            except KonfigError:
                pass  # bad input is said as such; anything else is a bug
    assert (mini / rel).read_text() == text
