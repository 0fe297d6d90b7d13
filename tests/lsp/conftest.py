"""``konfig lsp`` driven as an editor drives it: pytest-lsp's client over the server's stdio."""
from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest_asyncio
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities, make_test_lsp_client

TIMEOUT = 30.0  # seconds a test waits for the server (two loaded cores, six test workers)


def konfig_command() -> list[str]:
    """The ``konfig`` console script of this Python, as an editor's configuration names it."""
    script = Path(sys.executable).with_name("konfig")
    if script.exists():
        return [str(script)]
    found = shutil.which("konfig")
    return [found] if found else [sys.executable, "-m", "konfigctl"]


class Editor:
    """A client with a Konfig open: documents by repo-relative path, waits on diagnostics."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.versions: dict[str, int] = {}

    def uri(self, rel: str) -> str:
        return (self.root / rel).as_uri()

    def open(self, rel: str, text: str | None = None) -> str:
        text = (self.root / rel).read_text() if text is None else text
        self.versions[rel] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=self.uri(rel), language_id="yaml", version=1, text=text)))
        return text

    def change(self, rel: str, text: str) -> None:
        """Replace the whole buffer (unsaved)."""
        self.versions[rel] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri(rel), version=self.versions[rel]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    async def diagnostics(self, rel: str, until: Callable[[Sequence[types.Diagnostic]], bool],
                          timeout: float = TIMEOUT) -> Sequence[types.Diagnostic]:
        """The diagnostics of ``rel`` once they satisfy ``until`` (the server publishes after a pause)."""
        uri = self.uri(rel)

        async def wait() -> Sequence[types.Diagnostic]:
            while True:
                got = self.client.diagnostics.get(uri)
                if got is not None and until(got):
                    return got
                await self.client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

        return await asyncio.wait_for(wait(), timeout)

    async def hover(self, rel: str, line: int, char: int) -> str | None:
        h = await asyncio.wait_for(self.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri(rel)),
            position=types.Position(line=line, character=char))), TIMEOUT)
        return None if h is None else h.contents.value  # type: ignore[union-attr]

    async def definition(self, rel: str, line: int, char: int) -> list[tuple[str, int]]:
        """(repo-relative file, 1-based line) of each location."""
        found = await asyncio.wait_for(self.client.text_document_definition_async(types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri(rel)),
            position=types.Position(line=line, character=char))), TIMEOUT)
        out = []
        for loc in found or []:
            path = Path(loc.uri.removeprefix("file://"))  # type: ignore[union-attr]
            out.append((path.relative_to(self.root.resolve()).as_posix(), loc.range.start.line + 1))  # type: ignore[union-attr]
        return out

    async def complete(self, rel: str, line: int, char: int) -> list[types.CompletionItem]:
        got = await asyncio.wait_for(self.client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri(rel)),
            position=types.Position(line=line, character=char))), TIMEOUT)
        if got is None:
            return []
        items = got.items if isinstance(got, types.CompletionList) else got
        return sorted(items, key=lambda i: i.sort_text or i.label)


async def start(root: Path, *args: str, cwd: Path | None = None) -> LanguageClient:
    client = make_test_lsp_client()
    await client.start_io(*konfig_command(), *args, "lsp", "--debounce", "0.05", cwd=str(cwd or root))
    return client


@pytest_asyncio.fixture
async def editor(mini: Path) -> Any:
    """The small Konfig open in an editor: ``konfig lsp`` started in one of its directories."""
    client = await start(mini, cwd=mini / "konfig" / "appops")
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=mini.as_uri(), workspace_folders=[types.WorkspaceFolder(uri=mini.as_uri(), name="mini")]))
    yield Editor(client, mini)
    await client.shutdown_session()
