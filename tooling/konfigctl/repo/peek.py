"""What a file's bytes can say without parsing it: the pre-checks that keep wide queries fast.

Parsing thousands of ``stack.yaml`` and ``project.yaml`` files is the slow part
of a change that touches a model or an env, of ``affected`` and of the usage
warnings. A byte test that can only say "maybe" or a certain answer lets them
parse only the files that matter; the answer never differs from the parser's.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import KonfigError

if TYPE_CHECKING:
    from .view import RepoView


def may_contain(repo: "RepoView", file: str, word: str) -> bool:
    """Whether a YAML file could hold ``word`` as a key or value, judged from its bytes.

    Parsing thousands of stack.yaml files is the slow part of a wide change;
    a file whose text lacks the word (and any escape that could spell it)
    cannot hold it, so it is not parsed. Unreadable files say yes: the
    caller's own read reports them.
    """
    try:
        raw = repo.read(file)
    except KonfigError:
        return True
    return word.encode() in raw or b"\\" in raw


_MODEL_LINE = re.compile(rb"^model[ ]*:[ ]+([A-Za-z0-9][A-Za-z0-9_.-]*)[ ]*(?:#[^\n]*)?\r?$", re.M)


def peek_model(raw: bytes) -> str | None:
    """The ``model:`` of a project.yaml read from its text, when that is certain; else None.

    Certain means block-style YAML with nothing that could make a column-0
    ``model: name`` line mean anything else: no escapes, tabs or document
    markers, flow brackets and quotes closed on the line they open, and exactly
    one such line. Anything else is parsed (the caller falls back), so the
    answer never differs from the parser's -- it only skips the parse.
    """
    if b"\\" in raw or b"\t" in raw:
        return None
    found = _MODEL_LINE.findall(raw)
    if len(found) != 1:
        return None
    for line in raw.splitlines():
        if line.startswith((b"---", b"...", b"%")):
            return None
        if (line.count(b"[") != line.count(b"]") or line.count(b"{") != line.count(b"}")
                or line.count(b'"') % 2 or line.count(b"'") % 2):
            return None
    return found[0].decode()
