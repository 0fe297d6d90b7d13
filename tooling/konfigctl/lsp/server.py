"""The protocol side of ``konfig lsp``: pygls handlers over a ``Workspace``.

Threads: pygls reads and writes the stream on its asyncio loop; every konfig
computation runs on one worker thread (``self.pool``, one thread: the
``Workspace`` and the repositories it builds are not shared between threads),
in the order requests came, so a hover after an edit sees the edit.

Diagnostics are debounced per file (``debounce``, 0.1 s by default): each
edit bumps the file's generation; a run starts only when no newer edit came
during the pause, and a run that a newer edit overtakes stops between two
stacks (``Cancelled``) and publishes nothing. A problem can be located in
another file than the edited one (a shared layer's edit breaks a value a
stack sets); a run publishes a file's diagnostics only when the stacks it
checked are all the stacks that file is part of, so a partial view never
replaces a complete one (``_complete_for``).

Any exception in a handler is logged and answered with nothing: a broken
buffer, a repository that no longer loads, or a bug must never stop the
server the editor relies on.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..errors import KonfigError, Problem
from .text import key_range
from .workspace import Cancelled, Workspace

if TYPE_CHECKING:
    from ..repo.repository import Repository

log = logging.getLogger("konfig.lsp")

DEBOUNCE = 0.1  # seconds without an edit before a file's diagnostics are computed
PROGRESS = "checking"  # the code of the note a partial publication ends with


class KonfigServer(LanguageServer):
    def __init__(self, repo: "Repository | None", debounce: float = DEBOUNCE,
                 missing: KonfigError | None = None) -> None:
        """``repo`` None: started outside a Konfig; the editor's workspace (``initialize``) says
        where it is, or the server shows ``missing`` and answers nothing."""
        super().__init__("konfig", __version__)
        self._ws = Workspace(repo) if repo is not None else None
        self.missing = missing
        self.debounce = debounce
        self.pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="konfig")
        self.generation: dict[str, int] = {}
        # file -> (the file that was edited when they were found, diagnostics): what is published
        self.board: dict[str, tuple[str, list[types.Diagnostic]]] = {}

    @property
    def ws(self) -> Workspace:
        if self._ws is None:
            raise self.missing or KonfigError("not a Konfig repository")
        return self._ws

    @property
    def rooted(self) -> bool:
        return self._ws is not None

    def find_root(self, params: types.InitializeParams) -> None:
        """Outside a Konfig, the Konfig of the editor's workspace folder (or root), if any."""
        from ..repo.repository import Repository

        if self._ws is not None:
            return
        candidates = [f.uri for f in params.workspace_folders or []] + [params.root_uri or ""]
        for uri in candidates:
            path = to_fs_path(uri) if uri else params.root_path
            if not path:
                continue
            try:
                self._ws = Workspace(Repository.discover(path, listings=False, recover=False))
                return
            except KonfigError:
                continue
        self.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Error, message=f"konfig lsp: {self.missing or 'not a Konfig repository'}"))

    # -- paths and positions ------------------------------------------------------------

    def rel_of(self, uri: str) -> str | None:
        path = to_fs_path(uri)
        return self.ws.rel(path) if path and self.rooted else None

    def uri_of(self, rel: str) -> str:
        return from_fs_path(os.path.join(self.ws.root, rel)) or ""

    def _client_position(self, lines: list[str], line: int, char: int) -> types.Position:
        return self.workspace.position_codec.position_to_client_units(lines, types.Position(line, char))

    def _range(self, text: str, line1: int | None, col1: int | None) -> types.Range:
        lines = text.split("\n")
        line, start, end = key_range(lines, line1, col1)
        return types.Range(self._client_position(lines, line, start), self._client_position(lines, line, end))

    # -- running konfig -------------------------------------------------------------------

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the worker thread; None (logged) if it fails."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.pool, fn, *args)
        except Cancelled:
            raise
        except KonfigError as e:
            log.info("%s", e)
        except Exception:  # noqa: BLE001 - a bug must not take the editor's server down
            log.error("internal error:\n%s", traceback.format_exc())
        return None

    def current_text(self, uri: str) -> str | None:
        try:
            return self.workspace.get_text_document(uri).source
        except Exception:  # noqa: BLE001 - a closed document
            return None

    def edited(self, uri: str) -> None:
        """A buffer changed (or opened): lay it over the repository and check it after the pause."""
        rel = self.rel_of(uri)
        text = self.current_text(uri)
        if rel is None or text is None:
            return
        self.pool.submit(self.ws.set_buffer, rel, text)
        self.generation[rel] = gen = self.generation.get(rel, 0) + 1
        asyncio.get_running_loop().create_task(self._diagnose_later(rel, gen))

    async def _diagnose_later(self, rel: str, gen: int) -> None:
        await asyncio.sleep(self.debounce)
        if self.generation.get(rel) != gen:
            return
        try:
            published = await self.call(self._diagnose, rel, gen, asyncio.get_running_loop())
        except Cancelled:
            return
        for uri, diags in published or []:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diags))

    def _diagnose(self, rel: str, gen: int,
                  loop: asyncio.AbstractEventLoop) -> list[tuple[str, list[types.Diagnostic]]]:
        """(uri, diagnostics) of every file whose diagnostics this run changes."""
        from .diagnose import diagnose

        cancelled = lambda: self.generation.get(rel) != gen  # noqa: E731

        def partial(problems: list[Problem], checked: int, of: int) -> None:
            # the edited file's problems so far, and a note that more stacks are being checked
            diags = [self._diagnostic(p) for p in problems if (p.file or rel) == rel]
            diags.append(types.Diagnostic(
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                message=f"checking the stacks this file is part of: {checked} of {of} so far",
                severity=types.DiagnosticSeverity.Information, source="konfig", code=PROGRESS))
            if not cancelled():
                params = types.PublishDiagnosticsParams(uri=self.uri_of(rel), diagnostics=diags)
                loop.call_soon_threadsafe(self.text_document_publish_diagnostics, params)

        problems = diagnose(self.ws, rel, cancelled, partial)
        covered = {s.path for s in self.ws.stacks_of(rel)}
        by_file: dict[str, list[types.Diagnostic]] = {}
        for p in problems:
            by_file.setdefault(p.file if p.file and not p.file.startswith("<") else rel, []).append(
                self._diagnostic(p))
        out = []
        for file in sorted(set(by_file) | {rel} | {f for f, (_src, d) in self.board.items() if d}):
            if file != rel and not self._complete_for(file, covered):
                continue
            diags = by_file.get(file, [])
            old = self.board.get(file)
            self.board[file] = (rel, diags)
            if file == rel or old is None or old[1] != diags:  # the edited file: always, it was asked
                out.append((self.uri_of(file), diags))
        return out

    def _complete_for(self, file: str, covered: set[str]) -> bool:
        """Whether checking ``covered`` found every problem located in ``file``."""
        stacks = self.ws.stacks_of(file)
        return bool(stacks) and all(s.path in covered for s in stacks)

    def _diagnostic(self, p: Problem) -> types.Diagnostic:
        file = p.file if p.file and not p.file.startswith("<") else None
        text = self.ws.text(file) if file else ""
        msg = f"{p.keypath}: {p.message}" if p.keypath else p.message
        if p.source:
            msg += f" ({p.source})"
        if p.stack and file and not file.startswith(p.stack + "/"):
            msg += f" [stack {p.stack}]"
        return types.Diagnostic(
            range=self._range(text, p.line, p.col),
            message=msg,
            severity=types.DiagnosticSeverity.Error if p.is_error else types.DiagnosticSeverity.Warning,
            source="konfig",
            code=p.source or p.check,
        )

    def closed(self, rel: str) -> list[str]:
        """Forget a buffer (on the worker: the board is the worker's); the files whose
        diagnostics came from its unsaved text are cleared."""
        self.ws.close(rel)
        cleared = [f for f, (src, _d) in self.board.items() if src == rel]
        for f in cleared:
            del self.board[f]
        return [self.uri_of(f) for f in cleared]

    def warm(self) -> None:
        """What the first edit would otherwise wait for: discovery, the graph, compiled validators."""
        from ..change.graph import Graph
        from ..check.validation import usable_policies

        view = self.ws.view()
        view.stacks()
        Graph.of(view).stacks_below("")
        usable_policies(view)
        for name in view.model_names():
            try:
                view.model(name).validator  # noqa: B018
                view.model(name).merge_spec  # noqa: B018
            except KonfigError:
                pass


def build(repo: "Repository | None", debounce: float = DEBOUNCE,
          missing: KonfigError | None = None) -> KonfigServer:
    """The server, its handlers registered."""
    server = KonfigServer(repo, debounce, missing)

    @server.feature(types.INITIALIZE)
    def initialize(ls: KonfigServer, params: types.InitializeParams) -> None:
        ls.find_root(params)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: KonfigServer, params: types.InitializedParams) -> None:
        if not ls.rooted:
            return
        caps = ls.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps else None
        if watched and watched.dynamic_registration:
            # a checkout or a pull changes files without a save: read the work tree again then
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                    types.Registration(
                        id="konfig-yaml-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=[types.FileSystemWatcher(glob_pattern="**/*.{yaml,yml}")]))]))
            except Exception:  # noqa: BLE001 - a client that refuses: saves still refresh
                log.info("file watching refused:\n%s", traceback.format_exc())
        await ls.call(ls.warm)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: KonfigServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.edited(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: KonfigServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.edited(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: KonfigServer, params: types.DidSaveTextDocumentParams) -> None:
        if not ls.rooted:
            return
        ls.pool.submit(ls.ws.refresh)  # the file on disk changed: read the work tree again
        ls.edited(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: KonfigServer, params: types.DidCloseTextDocumentParams) -> None:
        rel = ls.rel_of(params.text_document.uri)
        if rel is None:
            return
        ls.generation[rel] = ls.generation.get(rel, 0) + 1  # a run still going for it publishes nothing
        for uri in await ls.call(ls.closed, rel) or []:
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched(ls: KonfigServer, params: types.DidChangeWatchedFilesParams) -> None:
        if not ls.rooted:
            return
        ls.pool.submit(ls.ws.refresh)
        for uri in list(ls.workspace.text_documents):  # what they are part of may have changed
            ls.edited(uri)

    def _at(ls: KonfigServer, params: Any) -> tuple[str, int, int] | None:
        uri = params.text_document.uri
        rel = ls.rel_of(uri)
        text = ls.current_text(uri)
        if rel is None or text is None:
            return None
        ls.pool.submit(ls.ws.set_buffer, rel, text)
        pos = ls.workspace.position_codec.position_from_client_units(text.split("\n"), params.position)
        return rel, pos.line, pos.character

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: KonfigServer, params: types.HoverParams) -> types.Hover | None:
        from .navigate import hover as hover_text

        at = _at(ls, params)
        if at is None:
            return None
        md = await ls.call(hover_text, ls.ws, *at)
        if not md:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=md))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(ls: KonfigServer, params: types.DefinitionParams) -> list[types.Location] | None:
        from .navigate import definition as find

        at = _at(ls, params)
        if at is None:
            return None

        def locations() -> list[types.Location]:
            out = []
            for file, line, col in find(ls.ws, *at):
                out.append(types.Location(uri=ls.uri_of(file), range=ls._range(ls.ws.text(file), line, col)))
            return out

        return await ls.call(locations) or None

    kinds = {"key": types.CompletionItemKind.Property, "value": types.CompletionItemKind.Value,
             "tag": types.CompletionItemKind.Keyword}

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[" ", ":", "-"]))
    async def completion(ls: KonfigServer, params: types.CompletionParams) -> types.CompletionList | None:
        from .complete import complete

        at = _at(ls, params)
        if at is None:
            return None
        items = await ls.call(complete, ls.ws, *at) or []
        return types.CompletionList(is_incomplete=False, items=[
            types.CompletionItem(
                label=i.label, kind=kinds.get(i.kind), detail=i.detail or None,
                documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=i.documentation)
                if i.documentation else None,
                insert_text=i.insert, sort_text=i.sort or None,
            ) for i in items
        ])

    return server
