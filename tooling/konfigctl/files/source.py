"""Where a repository's files come from: the work tree, or a git revision.

``konfig diff`` and ``konfig review`` read the base revision straight from git
objects (never checking it out), so everything above this module reads files
through a ``Source`` and never touches ``os`` directly.
"""
from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import KonfigError
from . import paths

if TYPE_CHECKING:
    from .listings import Listings

class Source(Protocol):
    root: str
    label: str  # "work tree" or a commit

    def read(self, rel: str) -> bytes: ...

    def exists(self, rel: str) -> bool: ...

    def isdir(self, rel: str) -> bool: ...

    def walk(self, top: str, errors: list[KonfigError] | None = None) -> Iterator[tuple[str, list[str], list[str]]]: ...

    def files(self) -> list[str]: ...


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _read_fd(fd: int) -> bytes:
    """All of an open file, and close it: ``os.read`` directly (half the time of ``open(fd)``
    and its buffered reader, per small file; a warm run reads every file of the Konfig)."""
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


class WorkTree:
    """Files on disk under ``root``; symlinks may not lead outside it."""

    label = "work tree"

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self._real_root = os.path.realpath(self.root)
        self._linked: dict[str, bool] = {}  # directory -> it or a parent is a symlink (asked once)
        self._listings: Listings | None = None

    def remember_listings(self, listings: Listings) -> None:
        """Reuse directory listings from earlier runs while their directories are unchanged."""
        self._listings = listings

    def _abs(self, rel: str) -> str:
        return os.path.join(self.root, rel) if rel else self.root

    def _check_inside(self, rel: str, abspath: str) -> None:
        real = os.path.realpath(abspath)
        if real != self._real_root and not real.startswith(self._real_root + os.sep):
            raise KonfigError(f"symlink leads outside the repository (to {real})", file=rel)

    def _dir_linked(self, directory: str) -> bool:
        """Whether ``directory`` or any directory above it (up to the root) is a symlink."""
        linked = self._linked.get(directory)
        if linked is None:
            if len(directory) <= len(self.root):
                linked = False
            else:
                linked = os.path.islink(directory) or self._dir_linked(os.path.dirname(directory))
            self._linked[directory] = linked
        return linked

    def read(self, rel: str) -> bytes:
        rel = paths.normalize(rel)
        abspath = self._abs(rel)
        linked = self._dir_linked(os.path.dirname(abspath))
        try:
            if linked or not _NOFOLLOW:
                if linked or os.path.islink(abspath):
                    self._check_inside(rel, abspath)
                fd = os.open(abspath, os.O_RDONLY)
            else:
                try:  # a symlinked file fails here (ELOOP): one open instead of lstat + open
                    fd = os.open(abspath, os.O_RDONLY | _NOFOLLOW)
                except OSError as e:
                    if e.errno != errno.ELOOP:
                        raise
                    self._check_inside(rel, abspath)
                    fd = os.open(abspath, os.O_RDONLY)
            return _read_fd(fd)
        except FileNotFoundError:
            raise KonfigError("file not found", file=rel) from None
        except IsADirectoryError:
            raise KonfigError("is a directory, expected a file", file=rel) from None
        except OSError as e:
            raise KonfigError(f"cannot read: {e.strerror}", file=rel) from None

    def file_stat(self, rel: str) -> os.stat_result | None:
        """``lstat`` of a regular file reached through no symlink (what ``read`` would read
        without following one), else None: for digests kept between runs (``cache.KeptDigests``)."""
        abspath = self._abs(paths.normalize(rel))
        try:
            st = os.lstat(abspath)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode) or self._dir_linked(os.path.dirname(abspath)):
            return None
        return st

    def exists(self, rel: str) -> bool:
        return os.path.exists(self._abs(paths.normalize(rel)))

    def isdir(self, rel: str) -> bool:
        return os.path.isdir(self._abs(paths.normalize(rel)))

    def walk(self, top: str, errors: list[KonfigError] | None = None) -> Iterator[tuple[str, list[str], list[str]]]:
        """Like ``os.walk`` with repo-relative paths; hidden and symlinked dirs are not entered.

        A symlinked directory that leads outside the repository is reported in
        ``errors`` (or raised without it); symlinked files are listed and
        checked when read.
        """
        top = paths.normalize(top)
        stack = [top]
        root = self.root
        listings = self._listings
        now_ns = time.time_ns()
        seen: set[str] = set()
        while stack:
            rel = stack.pop()
            path = f"{root}/{rel}" if rel else root
            listed = None
            if listings is not None:
                try:
                    st = os.stat(path)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                listed = listings.get(rel, st)
            if listed is not None:
                dirs, files = listed
            else:
                try:
                    dirs, files, linked = self._scan(rel, path, errors)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                if listings is not None:
                    if linked:
                        listings.forget(rel)
                    else:
                        listings.put(rel, st, dirs, files, now_ns)
            seen.add(rel)
            yield rel, dirs, files
            for d in reversed(dirs):
                stack.append(f"{rel}/{d}" if rel else d)
        if listings is not None:
            listings.finish(top, seen)

    def _scan(self, rel: str, path: str, errors: list[KonfigError] | None) -> tuple[list[str], list[str], bool]:
        """One directory's visible subdirectories and files, and whether it holds a symlink."""
        dirs: list[str] = []
        files: list[str] = []
        linked = False
        with os.scandir(path) as it:
            for entry in it:  # d_type answers is_dir/is_symlink without a stat
                name = entry.name
                if name[0] == ".":
                    continue
                if entry.is_dir(follow_symlinks=False):
                    dirs.append(name)
                elif entry.is_symlink():
                    linked = True
                    child = f"{rel}/{name}" if rel else name
                    if entry.is_dir():
                        try:
                            self._check_inside(child, entry.path)
                        except KonfigError as e:
                            if errors is None:
                                raise
                            errors.append(e)
                        continue  # a link to a directory inside the repo: walked there
                    files.append(name)
                else:
                    files.append(name)
        dirs.sort()
        files.sort()
        return dirs, files, linked

    def files(self) -> list[str]:
        out = []
        for rel, _dirs, files in self.walk(""):
            out.extend(f"{rel}/{f}" if rel else f for f in files)
        return out

    def digest_key(self, rel: str) -> tuple[int, int, int] | None:
        """A cheap change detector (mtime, size, inode) for caches."""
        try:
            st = os.stat(self._abs(rel))
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)


class GitTree:
    """Files of one commit, read from git objects (``git ls-tree`` once, blobs on demand)."""

    def __init__(self, root: str, rev: str, repo: Any | None = None) -> None:
        from . import git

        self.root = os.path.abspath(root)
        self.repo = repo or git.open_repo(self.root)
        self._pid = os.getpid()
        self._inherited: list[Any] = []
        self.commit = git.resolve_commit(self.repo, rev)
        self.label = f"{rev} ({self.commit[:12]})"
        # a Konfig in a subdirectory of the git repository sees only its own files
        self.prefix = git.prefix_of(self.repo, self.root)
        self._entries = git.ls_tree(self.repo, self.commit, self.prefix)  # path -> (mode, sha)
        dirs: dict[str, tuple[set[str], list[str]]] = {"": (set(), [])}
        for path in self._entries:
            parent, _, name = path.rpartition("/")
            dirs.setdefault(parent, (set(), []))[1].append(name)
            while parent:
                grand, _, pname = parent.rpartition("/")
                entry = dirs.setdefault(grand, (set(), []))
                if pname in entry[0]:
                    break
                entry[0].add(pname)
                parent = grand
        self._dirs = {d: (sorted(sub), sorted(fs)) for d, (sub, fs) in dirs.items()}

    def _target(self, rel: str, depth: int = 0) -> str:
        mode, sha = self._entries[rel]
        if mode != "120000":
            return rel
        from . import git

        link = git.read_blob(self._git(), sha).decode("utf-8", "replace")
        if link.startswith("/") or depth > 16:
            raise KonfigError(f"symlink leads outside the repository (to {link})", file=rel)
        try:
            target = paths.normalize(paths.join(paths.parent(rel), link))
        except KonfigError:
            raise KonfigError(f"symlink leads outside the repository (to {link})", file=rel) from None
        if target not in self._entries:
            raise KonfigError(f"symlink target {link} does not exist", file=rel)
        return self._target(target, depth + 1)

    def read(self, rel: str) -> bytes:
        from . import git

        rel = paths.normalize(rel)
        if rel not in self._entries:
            raise KonfigError(f"file not found at {self.label}", file=rel)
        target = self._target(rel)
        return git.read_blob(self._git(), self._entries[target][1])

    def _git(self) -> Any:
        """The git repository to read blobs through, this process's own: a forked worker (the
        pool ``diff`` and ``affected --precise`` render in) must not talk to its parent's
        ``git cat-file`` process, so it opens its own. The inherited object stays referenced,
        so its processes are never reaped from the child."""
        if self._pid != os.getpid():
            from . import git

            self._inherited.append(self.repo)
            self.repo = git.open_repo(self.root)
            self._pid = os.getpid()
        return self.repo

    def exists(self, rel: str) -> bool:
        rel = paths.normalize(rel)
        return rel in self._entries or rel in self._dirs

    def isdir(self, rel: str) -> bool:
        return paths.normalize(rel) in self._dirs

    def walk(self, top: str, errors: list[KonfigError] | None = None) -> Iterator[tuple[str, list[str], list[str]]]:
        top = paths.normalize(top)
        stack = [top]
        while stack:
            rel = stack.pop()
            if rel not in self._dirs:
                continue
            dirs, files = self._dirs[rel]
            dirs = [d for d in dirs if not d.startswith(".")]
            files = [f for f in files if not f.startswith(".")]
            yield rel, list(dirs), list(files)
            for d in reversed(dirs):
                stack.append(f"{rel}/{d}" if rel else d)

    def files(self) -> list[str]:
        return sorted(self._entries)

    def digest_key(self, rel: str) -> str | None:
        e = self._entries.get(paths.normalize(rel))
        return e[1] if e else None


class Overlay:
    """Another source with some files replaced, added or removed in memory.

    ``konfig set`` and ``konfig new`` check the repository *as it would be*
    before they write anything: the pending files are read from here, every
    other file from the underlying source, and discovery sees new files (a
    new project, a new ``defaults.yaml``) as if they were on disk.
    ``None`` as content means the file is deleted.
    """

    def __init__(self, base: Source, changes: dict[str, bytes | None]) -> None:
        self.base = base
        self.root = base.root
        self.label = f"{base.label} with pending changes"
        self.changes = {paths.normalize(k): v for k, v in changes.items()}
        # directories that exist only because a pending file is in them
        self._dirs: dict[str, tuple[set[str], set[str]]] = {}
        for rel, content in self.changes.items():
            if content is None:
                continue
            parent, _, name = rel.rpartition("/")
            self._dirs.setdefault(parent, (set(), set()))[1].add(name)
            while parent:
                grand, _, pname = parent.rpartition("/")
                self._dirs.setdefault(grand, (set(), set()))[0].add(pname)
                parent = grand

    def read(self, rel: str) -> bytes:
        rel = paths.normalize(rel)
        if rel in self.changes:
            content = self.changes[rel]
            if content is None:
                raise KonfigError("file not found", file=rel)
            return content
        return self.base.read(rel)

    def exists(self, rel: str) -> bool:
        rel = paths.normalize(rel)
        if rel in self.changes:
            return self.changes[rel] is not None
        return rel in self._dirs or self.base.exists(rel)

    def isdir(self, rel: str) -> bool:
        rel = paths.normalize(rel)
        return rel in self._dirs or self.base.isdir(rel)

    def walk(self, top: str, errors: list[KonfigError] | None = None) -> Iterator[tuple[str, list[str], list[str]]]:
        """The underlying walk with pending files added (and deleted ones left out), in the same order."""
        top = paths.normalize(top)
        walked: dict[str, tuple[list[str], list[str]]] = {}
        error: KonfigError | None = None
        try:
            for rel, dirs, files in self.base.walk(top, errors):
                walked[rel] = (dirs, files)
        except KonfigError as e:  # re-raised after what could be walked, like the base walk
            error = e
        todo = [top] if top in walked or top in self._dirs else []
        while todo:
            rel = todo.pop()
            dirs, files = walked.get(rel, ([], []))
            extra_dirs, extra_files = self._dirs.get(rel, (set(), set()))
            all_dirs = sorted(set(dirs) | {d for d in extra_dirs if not d.startswith(".")})
            all_files = set(files) | {f for f in extra_files if not f.startswith(".")}
            yield rel, all_dirs, sorted(
                f for f in all_files if self.changes.get(paths.join(rel, f), b"") is not None
            )
            for d in reversed(all_dirs):
                todo.append(paths.join(rel, d))
        if error is not None:
            raise error

    def files(self) -> list[str]:
        out = set(self.base.files())
        for rel, content in self.changes.items():
            if content is None:
                out.discard(rel)
            else:
                out.add(rel)
        return sorted(out)

    def digest_key(self, rel: str) -> Any:
        rel = paths.normalize(rel)
        if rel in self.changes:
            import hashlib

            content = self.changes[rel]
            return None if content is None else "overlay:" + hashlib.sha1(content).hexdigest()
        digest = getattr(self.base, "digest_key", None)
        return digest(rel) if digest else None
