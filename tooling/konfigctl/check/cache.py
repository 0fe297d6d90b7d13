"""A content-addressed cache of check results, under the repository's ``cache_dir``.

Entries are keyed by a hash of everything a result depends on (file contents,
never timestamps), so a hit is always right and nothing ever needs to be
invalidated: a change to any input makes a new key. The directory holds a
``.gitignore`` of its own (``*``), may be deleted at any time, and is written
atomically, so concurrent runs and interrupted ones leave no broken entry
(a broken one is a miss anyway).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..files.transaction import atomic_write

if TYPE_CHECKING:
    from ..repo.repository import Repository

FORMAT = "1"  # bump when the shape of entries changes


class Cache:
    """One namespace (``test``...) of the cache directory; ``directory=None`` disables it."""

    def __init__(self, directory: str | None, namespace: str) -> None:
        self.root = directory
        self.dir = os.path.join(directory, namespace) if directory else None
        self.hits = 0
        self.misses = 0
        self._dirs: set[str] = set()  # entry directories known to exist

    @property
    def enabled(self) -> bool:
        return self.dir is not None

    def _path(self, key: str) -> str:
        assert self.dir is not None
        return os.path.join(self.dir, key[:2], key + ".json")

    def get(self, key: str | None) -> Any:
        if self.dir is None or key is None:
            return None
        try:
            with open(self._path(key), encoding="utf-8") as f:
                value = json.load(f)
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str | None, value: Any) -> None:
        if self.dir is None or key is None or self.root is None:
            return
        try:
            self._write(self._path(key), json.dumps(value, separators=(",", ":"), sort_keys=False))
        except OSError:
            pass  # a read-only checkout still works, just not faster

    def _write(self, path: str, text: str) -> None:
        """Write one entry atomically (temporary file, rename), cheaply: a cold run writes one
        per stack from the parent process. No fsync (a lost entry is a miss, ~2 ms each), and
        the directories are made once per run."""
        d = os.path.dirname(path)
        if d not in self._dirs:
            assert self.root is not None
            _prepare(self.root)
            os.makedirs(d, exist_ok=True)
            self._dirs.add(d)
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


def _prepare(root: str) -> None:
    """Create the cache directory, ignored by git and marked as a cache for backup tools."""
    if os.path.isfile(os.path.join(root, ".gitignore")):
        return
    os.makedirs(root, exist_ok=True)
    atomic_write(os.path.join(root, ".gitignore"), "# konfig's cache: safe to delete\n*\n")
    atomic_write(os.path.join(root, "CACHEDIR.TAG"),
                 "Signature: 8a477f597d28d172789f06886806bc55\n"
                 "# konfig's cache of check results (https://bford.info/cachedir/)\n")


def hash_parts(parts: Iterable[str | bytes]) -> str:
    h = hashlib.sha256()
    for p in parts:
        b = p.encode("utf-8") if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def file_digest(repo: "Repository", rel: str) -> str:
    """sha256 of a repository file (``-`` when it does not exist), once per repository."""
    memo = repo.memo.setdefault("cache.digests", {})
    d = memo.get(rel)
    if d is None:
        from ..errors import KonfigError

        try:
            d = hashlib.sha256(repo.read(rel)).hexdigest()
        except KonfigError:
            d = "-"
        memo[rel] = d
    return d  # type: ignore[no-any-return]


def files_digest(repo: "Repository", files: Iterable[str]) -> str:
    """One digest of several files, their names included (a rename is a change)."""
    parts: list[str] = []
    for rel in sorted(set(files)):
        parts += [rel, file_digest(repo, rel)]
    return hash_parts(parts)


# Libraries whose behaviour is part of a result: schemas, validation, YAML.
LIBRARIES = {"kubernetes_validate": "kubernetes_validate", "jsonschema": "jsonschema",
             "referencing": "referencing", "ruamel.yaml": "ruamel_yaml", "regress": "regress"}


def library_versions() -> list[str]:
    """``name-version`` of the libraries above, from their dist-info directory names.

    One directory listing instead of ``importlib.metadata`` (which scans every
    installed distribution: ~0.1 s, a third of a run served from cache).
    """
    import importlib.util

    wanted = set(LIBRARIES.values())
    found: set[str] = set()
    dirs: set[str] = set()
    for module in LIBRARIES:
        spec = importlib.util.find_spec(module.split(".")[0])  # a top-level package: not imported
        if spec is None:  # pragma: no cover - declared dependencies
            continue
        if spec.submodule_search_locations:  # the package's directory (namespace packages too)
            pkg_dir = next(iter(spec.submodule_search_locations))
        elif spec.origin:
            pkg_dir = os.path.dirname(spec.origin)
        else:  # pragma: no cover
            continue
        dirs.add(os.path.dirname(pkg_dir))
    for d in sorted(dirs):
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for n in names:
            if n.endswith((".dist-info", ".egg-info")) and n.split("-", 1)[0].lower() in wanted:
                found.add(n)
    return sorted(found)


@functools.lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """The tool's own code and the versions of the libraries whose checks it runs.

    Hashing the source (not only ``__version__``) keeps the cache right while
    the tool is developed, and costs a few milliseconds once per process.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    parts: list[str | bytes] = [FORMAT]
    for dirpath, dirnames, filenames in os.walk(here):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".py", ".json")):
                path = os.path.join(dirpath, name)
                parts.append(os.path.relpath(path, here))
                with open(path, "rb") as f:
                    parts.append(f.read())
    parts.extend(library_versions())
    return hash_parts(parts)


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
            _prepare(root)
            atomic_write(self.path, json.dumps({"version": self.VERSION, "root": self.root, "dirs": self.entries},
                                               separators=(",", ":")), durable=False)
            self.dirty = False
        except OSError:
            pass  # a read-only checkout still works, just not faster
