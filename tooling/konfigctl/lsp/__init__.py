"""``konfig lsp``: a language server for a Konfig's YAML files, on the unsaved buffers.

``workspace`` lays the editor's buffers over the work tree (an ``Overlay``
source: nothing is ever written) and knows what each file is to the stacks;
``diagnose`` is ``konfig validate`` for the stacks an edited file is part of;
``navigate`` is hover (``konfig explain``'s chain, the schema's word) and go
to definition; ``complete`` offers what the schema allows at the cursor;
``text`` finds keys and contexts in a buffer being typed; ``server`` is the
pygls binding (threads, debounce, cancellation). Only ``server`` imports
pygls and lsprotocol, the optional ``konfigctl[lsp]`` extra; ``serve`` says
how to install it when they are missing.

May import (tests/test_architecture.py checks it): ``konfigctl`` (its version), ``errors``,
``files``, ``yamlio``, ``keypath``, ``formats``, ``repo``, ``resolve``, ``check``, ``change``,
``commands``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import EXIT_OK, KonfigError

if TYPE_CHECKING:
    from ..repo.repository import Repository

INSTALL = "the language server needs the lsp extra: pip install 'konfigctl[lsp]'"


def available() -> bool:
    """Whether pygls and lsprotocol (``konfigctl[lsp]``) import."""
    try:
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401
    except ImportError:
        return False
    return True


def serve(repo: "Repository | None", debounce: float | None = None,
          missing: KonfigError | None = None) -> int:
    """Speak LSP on stdin/stdout until the editor says ``exit``.

    ``repo`` None: started outside a Konfig (``missing`` says so). The editor's
    ``initialize`` names its workspace; the Konfig there is served, else the
    editor is shown ``missing`` and, once it closes the stream, it is bad
    input (exit 2) like anywhere else. stdout belongs to the protocol: anything
    else that prints goes to stderr instead of corrupting a message.
    """
    import logging
    import sys

    if not available():
        raise KonfigError(INSTALL)
    from .server import DEBOUNCE, build

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="konfig lsp: %(message)s")
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    server = build(repo, DEBOUNCE if debounce is None else debounce, missing)
    server.start_io(stdin, stdout)
    if not server.rooted:
        raise missing or KonfigError("not a Konfig repository")
    return EXIT_OK
