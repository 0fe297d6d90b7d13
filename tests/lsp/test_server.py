"""``konfig lsp`` as an editor sees it: diagnostics, hover, definition and completion over stdio.

Every test starts the real server (the ``konfig`` console script, in a
directory inside the Konfig) and talks to it with pytest-lsp's client. The
buffers the editor sends are never written: the work tree must be byte for
byte what it was.
"""
from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from tests.lsp.conftest import Editor

pytestmark = pytest.mark.asyncio

US = "konfig/appops/acme/api/prod/us/stack.yaml"
EU = "konfig/appops/acme/api/prod/eu/stack.yaml"
API_DEFAULTS = "konfig/appops/acme/api/defaults.yaml"
PROD_DEFAULTS = "konfig/appops/acme/api/prod/defaults.yaml"
MODEL_DEFAULTS = "konfig/base/models/app/defaults.yaml"
MODEL_PROD = "konfig/base/models/app/envs/prod.yaml"
BASE_PROD = "konfig/base/envs/prod.yaml"
SCHEMA = "konfig/base/models/app/schema.yaml"


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def messages(diags) -> list[str]:
    return [d.message for d in diags]


async def test_diagnostics_appear_and_clear_as_a_stack_buffer_is_edited(editor: Editor):
    before = tree(editor.root)
    text = editor.open(US)
    assert await editor.diagnostics(US, lambda d: True) == ()

    editor.change(US, text.replace("config:\n", "config:\n  replicas: 1\n"))
    (d,) = await editor.diagnostics(US, lambda d: len(d) > 0)
    assert d.message == "replicas: 1 is below the minimum 2 (policy prod-replicas)"
    assert (d.range.start.line, d.range.start.character, d.range.end.character) == (4, 2, 10)  # `replicas`
    assert d.severity == 1 and d.source == "konfig"

    editor.change(US, text.replace("config:\n", "config:\n  replicas: 3\n"))
    (d,) = await editor.diagnostics(US, lambda d: len(d) > 0 and "minimum" not in d[0].message)
    assert d.message == "replicas: 3 is not one of 1, 2, 4, 8 (model app)"

    editor.change(US, text)
    assert await editor.diagnostics(US, lambda d: len(d) == 0) == ()
    assert tree(editor.root) == before  # the buffers were never written


async def test_a_shared_layer_reports_each_stack_below_it_that_it_breaks(editor: Editor):
    text = editor.open(API_DEFAULTS)
    editor.change(API_DEFAULTS, text + "replicas: 1\n")
    diags = await editor.diagnostics(API_DEFAULTS, lambda d: len(d) == 2)
    assert sorted(messages(diags)) == [
        "replicas: 1 is below the minimum 2 (policy prod-replicas) [stack konfig/appops/acme/api/prod/eu]",
        "replicas: 1 is below the minimum 2 (policy prod-replicas) [stack konfig/appops/acme/api/prod/us]",
    ]  # not dev: the policy selects prod
    assert {d.range.start.line for d in diags} == {3}


async def test_an_edit_that_breaks_another_file_s_value_is_shown_there(editor: Editor):
    """Without `port` in the project defaults, mode web (also there) requires every stack to set it."""
    text = editor.open(API_DEFAULTS)
    editor.change(API_DEFAULTS, text.replace("port: 8080\n", ""))
    diags = await editor.diagnostics(EU, lambda d: len(d) > 0)
    assert messages(diags) == ["port: is required but not set (model app)"]
    editor.change(API_DEFAULTS, text)
    assert await editor.diagnostics(EU, lambda d: len(d) == 0) == ()


async def test_a_broken_buffer_is_a_diagnostic_and_the_server_keeps_answering(editor: Editor):
    text = editor.open(US)
    editor.change(US, text.replace("config:\n", "config:\n  args: [--region\n"))
    (d,) = await editor.diagnostics(US, lambda d: len(d) > 0)
    assert d.message.startswith("invalid YAML")
    assert await editor.hover(US, 0, 1) is None  # it answers: nothing to say on a buffer that does not parse
    editor.open(PROD_DEFAULTS)
    assert "1Gi" in (await editor.hover(PROD_DEFAULTS, 0, 1) or "")
    editor.change(US, "config: {replicas: 1}\nconfig: {}\n")
    (d,) = await editor.diagnostics(US, lambda d: len(d) > 0 and "duplicate" in d[0].message)
    assert d.range.start.line == 1
    editor.change(US, text)
    assert await editor.diagnostics(US, lambda d: len(d) == 0) == ()


async def test_a_broken_konfig_yaml_buffer_is_reported_and_everything_else_survives(editor: Editor):
    text = editor.open("konfig.yaml")
    editor.change("konfig.yaml", text.replace("version: 1\n", ""))
    (d,) = await editor.diagnostics("konfig.yaml", lambda d: len(d) > 0)
    assert "version: is required but not set" in d.message
    editor.open(US)
    await editor.hover(US, 4, 3)  # whatever it says, it answers
    assert await editor.complete(US, 4, 2) is not None
    editor.change("konfig.yaml", text)
    assert await editor.diagnostics("konfig.yaml", lambda d: len(d) == 0) == ()
    assert "--region" in (await editor.hover(US, 4, 3) or "")


# -- hover and definition, per kind of layer ------------------------------------------------


async def test_hover_in_stack_yaml_shows_the_value_its_layer_and_what_it_overrode(editor: Editor):
    text = editor.open(US)
    editor.change(US, text.replace("config:\n", "config:\n  memory: 2Gi\n"))
    md = await editor.hover(US, 4, 4)
    assert "**memory**" in md
    assert '= `"2Gi"` set by `konfig/appops/acme/api/prod/us/stack.yaml:5` (stack)' in md
    assert 'overrode `"256Mi"` from `konfig/base/models/app/defaults.yaml:3` (model defaults)' in md
    assert 'overrode `"1Gi"` from `konfig/appops/acme/api/prod/defaults.yaml:1` (defaults)' in md
    assert 'x-maximum `"4Gi"`' in md  # the schema's bound
    assert await editor.definition(US, 4, 4) == [(US, 5)]


async def test_hover_on_a_stack_key_shows_the_format_s_description(editor: Editor):
    editor.open(US)
    md = await editor.hover(US, 0, 1)
    assert "One of konfig.yaml envs" in md
    assert await editor.definition(US, 0, 6) == [(BASE_PROD, 1), (MODEL_PROD, 1)]
    assert await editor.definition(US, 2, 15) == [(EU, 1)]  # depends_on: [acme/api/prod/eu]


async def test_hover_in_project_defaults_shows_the_stacks_below_it(editor: Editor):
    editor.open(API_DEFAULTS)
    md = await editor.hover(API_DEFAULTS, 0, 2)
    assert "3 stacks below this file; 1 distinct value:" in md
    assert '`"example/api:2.0.0"` in 3' in md
    assert "set by `konfig/appops/acme/api/defaults.yaml:1` (defaults)" in md
    assert await editor.definition(API_DEFAULTS, 0, 2) == [(API_DEFAULTS, 1)]


async def test_hover_in_a_nested_defaults_file(editor: Editor):
    editor.open(PROD_DEFAULTS)
    md = await editor.hover(PROD_DEFAULTS, 0, 1)
    assert "2 stacks below this file" in md
    assert "overrode `\"256Mi\"` from `konfig/base/models/app/defaults.yaml:3` (model defaults)" in md


async def test_hover_in_model_defaults_counts_the_distinct_values(editor: Editor):
    editor.open(MODEL_DEFAULTS)
    md = await editor.hover(MODEL_DEFAULTS, 1, 1)  # replicas: 1
    assert "6 stacks below this file; 3 distinct values:" in md
    assert "- `2` in 3 (e.g. `konfig/appops/acme/api/prod/eu`)" in md
    assert "one of `1`, `2`, `4`, `8`" in md
    # definition: where the value each stack ends up with is set
    found = await editor.definition(MODEL_DEFAULTS, 1, 1)
    assert (MODEL_DEFAULTS, 2) in found and (MODEL_PROD, 1) in found
    assert ("konfig/appops/acme/web/prod/stack.yaml", 3) in found


async def test_hover_in_an_env_profile(editor: Editor):
    editor.open(MODEL_PROD)
    md = await editor.hover(MODEL_PROD, 0, 1)
    assert "set by `konfig/base/models/app/envs/prod.yaml:1` (model env profile)" in md
    assert "overrode `1` from `konfig/base/models/app/defaults.yaml:2` (model defaults)" in md
    editor.open(BASE_PROD)
    md = await editor.hover(BASE_PROD, 1, 3)  # labels.tier
    assert "**labels.tier**" in md and "set by `konfig/base/envs/prod.yaml:2` (env profile)" in md


async def test_hover_on_a_keyed_list_item_uses_its_merge_key(editor: Editor):
    editor.open(MODEL_DEFAULTS)
    md = await editor.hover(MODEL_DEFAULTS, 5, 5)  # env[name=LOG_LEVEL].value
    assert "**env[name=LOG_LEVEL].value**" in md
    assert '`"info"`' in md


async def test_definition_on_model_and_ref(editor: Editor):
    editor.open("konfig/appops/acme/api/project.yaml")
    assert await editor.definition("konfig/appops/acme/api/project.yaml", 0, 8) == [(SCHEMA, 1)]
    editor.open(SCHEMA)
    assert await editor.definition(SCHEMA, 10, 6) == [("konfig/base/schemas/units.yaml", 2)]


# -- completion ----------------------------------------------------------------------------------


async def test_completion_offers_schema_keys_required_first(editor: Editor):
    text = editor.open(US)
    editor.change(US, text.replace("config:\n", "config:\n  \n"))
    labels = [i.label for i in await editor.complete(US, 4, 2)]
    assert labels[:2] == ["image", "replicas"]  # required first (not `port`: only `if` mode is web)
    assert {"memory", "disk", "env", "labels", "mode", "port"} <= set(labels)
    assert "args" not in labels  # already written below


async def test_completion_offers_enums_tags_and_envs(editor: Editor):
    text = editor.open(US)
    editor.change(US, text.replace("config:\n", "config:\n  replicas: \n"))
    assert [i.label for i in await editor.complete(US, 4, 12)] == ["1", "2", "4", "8"]
    editor.change(US, text.replace("config:\n", "config:\n  env: \n"))
    assert [i.label for i in await editor.complete(US, 4, 7)] == ["!append", "!replace"]
    editor.change(US, text.replace("env: prod", "env: "))
    assert [i.label for i in await editor.complete(US, 0, 5)] == ["dev", "prod", "staging"]
    items = await editor.complete(US, 5, 0)  # a new top-level key of stack.yaml
    by_label = {i.label: i for i in items}
    assert {"name", "model", "owners"} <= set(by_label) and "config" not in by_label
    assert by_label["name"].documentation.value == "Defaults to the directory name."


async def test_completion_of_a_depends_on_item_offers_the_project_s_stacks_first(editor: Editor):
    editor.open(US)
    editor.change(US, "env: prod\ndepends_on:\n  - \nconfig: {}\n")
    labels = [i.label for i in await editor.complete(US, 2, 4)]
    assert labels == ["acme/api/dev", "acme/api/prod/eu", "acme/web/dev", "acme/web/prod"]


async def test_completion_in_a_list_item_and_in_defaults(editor: Editor):
    text = editor.open(MODEL_DEFAULTS)
    editor.change(MODEL_DEFAULTS, text.replace("    value: default\n", "    value: default\n  - \n"))
    assert [i.label for i in await editor.complete(MODEL_DEFAULTS, 8, 4)] == ["name", "value"]
    editor.open(API_DEFAULTS)
    editor.change(API_DEFAULTS, "image: x\nmode: \n")
    assert [i.label for i in await editor.complete(API_DEFAULTS, 1, 6)] == ["web", "worker"]


async def test_files_changed_on_disk_are_read_again(editor: Editor):
    """A checkout or a save by another program: the client says so, the open buffers are checked again."""
    from lsprotocol import types

    text = editor.open(US)
    editor.change(US, text.replace("config:\n", "config:\n  replicas: 2\n"))
    assert await editor.diagnostics(US, lambda d: len(d) == 0) == ()
    policy = editor.root / "konfig/base/policies/prod-replicas.yaml"
    policy.write_text(policy.read_text().replace("minimum: 2", "minimum: 4"))
    editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=policy.as_uri(), type=types.FileChangeType.Changed)]))
    (d,) = await editor.diagnostics(US, lambda d: len(d) > 0)
    assert d.message == "replicas: 2 is below the minimum 4 (policy prod-replicas)"


async def test_a_save_reads_the_work_tree_again(editor: Editor):
    from lsprotocol import types

    text = editor.open(PROD_DEFAULTS)
    (editor.root / PROD_DEFAULTS).write_text(text + "replicas: 1\n")  # the editor writes the file, then says so
    editor.change(PROD_DEFAULTS, text + "replicas: 1\n")
    editor.client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=editor.uri(PROD_DEFAULTS))))
    diags = await editor.diagnostics(PROD_DEFAULTS, lambda d: len(d) == 2)
    assert {d.range.start.line for d in diags} == {1}
    md = await editor.hover(PROD_DEFAULTS, 1, 1)
    assert "= `1` set by `konfig/appops/acme/api/prod/defaults.yaml:2` (defaults)" in md


async def test_files_outside_the_konfig_and_closed_buffers(editor: Editor, tmp_path: Path):
    from lsprotocol import types

    other = tmp_path / "elsewhere.yaml"
    other.write_text("a: [\n")
    editor.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=other.as_uri(), language_id="yaml", version=1, text="a: [\n")))
    assert await editor.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=other.as_uri()), position=types.Position(0, 0))) is None
    text = editor.open(US)
    editor.change(US, text.replace("config:\n", "config:\n  replicas: 1\n"))
    await editor.diagnostics(US, lambda d: len(d) == 1)
    editor.client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=editor.uri(US))))
    assert await editor.diagnostics(US, lambda d: len(d) == 0) == ()  # the unsaved text's problems go with it
    assert other.as_uri() not in editor.client.diagnostics  # nothing said about a file of no Konfig


async def test_started_elsewhere_it_serves_the_konfig_of_the_editor_s_workspace(mini: Path, tmp_path: Path):
    """Some editors start servers in their own directory: the workspace folder names the Konfig."""
    from lsprotocol import types
    from pytest_lsp import client_capabilities

    from tests.lsp.conftest import start

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    client = await start(mini, cwd=elsewhere)
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("neovim"), root_uri=(mini / "konfig").as_uri()))
    editor = Editor(client, mini)
    text = editor.open(US)
    editor.change(US, text.replace("config:\n", "config:\n  replicas: 1\n"))
    (d,) = await editor.diagnostics(US, lambda d: len(d) > 0)
    assert "below the minimum 2" in d.message
    await client.shutdown_session()


async def test_a_workspace_that_is_no_konfig_is_shown_as_an_error(tmp_path: Path):
    from lsprotocol import types
    from pytest_lsp import client_capabilities

    from tests.lsp.conftest import start

    client = await start(tmp_path, cwd=tmp_path)
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri()))
    if not client.messages:  # sent while initializing: it may be here already
        await asyncio.wait_for(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE), 30)
    (msg,) = client.messages
    assert msg.type == types.MessageType.Error and "not a Konfig repository" in msg.message
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=(tmp_path / "a.yaml").as_uri(), language_id="yaml", version=1, text="a: 1\n")))
    assert await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=(tmp_path / "a.yaml").as_uri()),
        position=types.Position(0, 0))) is None  # it answers, with nothing
    await client.shutdown_session()
