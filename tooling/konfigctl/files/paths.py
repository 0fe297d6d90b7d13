"""Repository-relative paths: globs and confinement to the repository.

All paths the tool passes around are POSIX, relative to the repository root
(``konfig/appops/pay/checkout/prod``); the filesystem is touched through
``Repository`` only, which checks that nothing escapes the root.
"""
from __future__ import annotations

import functools
import os
import re

from ..errors import KonfigError


@functools.lru_cache(maxsize=4096)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a gitignore-like glob: ``*`` within a segment, ``**`` across segments.

    A pattern without a slash matches a name at any depth (``*.md``); a pattern
    ending in ``/`` or ``/**`` matches everything below that directory.
    """
    pat = pattern.strip()
    anchored = "/" in pat.rstrip("/")
    pat = pat.lstrip("/")
    if pat.endswith("/"):
        pat += "**"
    out = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("/**", i) and i + 3 == len(pat):
            out.append("(?:/.*)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pat.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pat[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    body = "".join(out)
    if not anchored:
        body = "(?:.*/)?" + body
    return re.compile(body + r"\Z", re.S)  # "**" crosses a name holding a line break too


def match(pattern: str, path: str) -> bool:
    return glob_regex(pattern).match(path) is not None


def match_any(patterns: list[str] | tuple[str, ...], path: str) -> bool:
    return any(glob_regex(p).match(path) is not None for p in patterns)


@functools.lru_cache(maxsize=1 << 16)  # every file read and layer lookup normalises its path
def normalize(path: str) -> str:
    """Normalise a repo-relative path; refuse ``..`` that leaves the repository."""
    p = path.replace("\\", "/").strip()
    if p.startswith("/"):
        raise KonfigError(f"path {path!r} must be relative to the repository")
    parts: list[str] = []
    for seg in p.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if not parts:
                raise KonfigError(f"path {path!r} leaves the repository")
            parts.pop()
            continue
        parts.append(seg)
    return "/".join(parts)


def parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def ancestors(path: str) -> list[str]:
    """``a/b/c`` -> ``["", "a", "a/b", "a/b/c"]`` (root first, the path itself last)."""
    out = [""]
    if path:
        parts = path.split("/")
        for i in range(1, len(parts) + 1):
            out.append("/".join(parts[:i]))
    return out


def join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def is_within(path: str, directory: str) -> bool:
    return not directory or path == directory or path.startswith(directory + "/")


def confine(root: str, rel: str) -> str:
    """Absolute path of ``rel`` under ``root``; error if it (or a symlink) escapes."""
    rel = normalize(rel)
    abspath = os.path.join(root, rel) if rel else root
    real = os.path.realpath(abspath)
    real_root = os.path.realpath(root)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise KonfigError(f"{rel} leads outside the repository (to {real})", file=rel)
    return abspath
