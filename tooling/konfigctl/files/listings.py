"""Directory listings kept between runs (``<cache_dir>/listings.json``), for discovery.

Walking the roots lists every directory (7,000 at 5,000 stacks): most of
``konfig list``'s time. ``source.WorkTree.walk`` asks ``Listings`` first and
lists only the directories that changed. Safe to delete, like the rest of the
cache directory.
"""
from __future__ import annotations

import json
import os
from typing import Any

from .transaction import atomic_write, prepare_cache_dir


class Listings:
    """Directory listings kept between runs, each trusted while its directory is unchanged.

    Discovery lists every directory under the roots (7,000 at 5,000 stacks:
    most of ``konfig list``'s time). Adding, removing or renaming an entry
    changes its directory's mtime, so a listing is reused while the
    directory's (mtime, inode) are what they were. Listings of directories
    changed in the last few seconds are not kept (a later change could land
    on the same timestamp tick), nor those holding symlinks (their targets
    may change without the directory changing). Unlike the result cache this
    one is keyed by timestamps: it holds only names, which a stat confirms.
    """

    VERSION = 1
    SETTLE_NS = 2_000_000_000  # coarse filesystems tick in 1-2 s

    def __init__(self, path: str, root: str) -> None:
        self.path = path
        self.root = root
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            if data.get("version") == self.VERSION and data.get("root") == root:
                self.entries = data["dirs"]
        except (OSError, ValueError, AttributeError, KeyError, TypeError):
            pass  # missing or unreadable: a miss

    def get(self, rel: str, st: os.stat_result) -> tuple[list[str], list[str]] | None:
        e = self.entries.get(rel)
        if e and e[0] == st.st_mtime_ns and e[1] == st.st_ino:
            return list(e[2]), list(e[3])
        return None

    def put(self, rel: str, st: os.stat_result, dirs: list[str], files: list[str], now_ns: int) -> None:
        if now_ns - st.st_mtime_ns < self.SETTLE_NS:
            self.forget(rel)
            return
        entry = [st.st_mtime_ns, st.st_ino, list(dirs), list(files)]
        if self.entries.get(rel) != entry:
            self.entries[rel] = entry
            self.dirty = True

    def forget(self, rel: str) -> None:
        if self.entries.pop(rel, None) is not None:
            self.dirty = True

    def finish(self, top: str, seen: set[str]) -> None:
        """After a whole walk of ``top``: drop directories no longer there, save if anything changed."""
        below = top + "/"
        for rel in [r for r in self.entries if (r == top or not top or r.startswith(below)) and r not in seen]:
            self.forget(rel)
        if not self.dirty:
            return
        root = os.path.dirname(self.path)
        try:
            prepare_cache_dir(root)
            atomic_write(self.path, json.dumps({"version": self.VERSION, "root": self.root, "dirs": self.entries},
                                               separators=(",", ":")), durable=False)
            self.dirty = False
        except OSError:
            pass  # a read-only checkout still works, just not faster
