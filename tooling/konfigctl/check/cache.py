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
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import KonfigError
from ..files.transaction import prepare_cache_dir

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
            prepare_cache_dir(self.root)
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


    def pack(self, name: str) -> "Pack":
        """Many small entries in one file of this namespace (see ``Pack``)."""
        return Pack(self, name)


class Pack:
    """Entries keyed like ``Cache``'s, kept together in one file (``<namespace>/<name>.json``).

    For results that are many and small (a stack's validation problems: mostly
    none): a run reads and writes one file instead of one per stack (5,000 entry
    files cost a cold ``validate --all`` ~0.5 s of system time). Each entry is
    keyed by the hash of its inputs, so a hit is as right as ``Cache``'s; the
    file is rewritten whole and atomically by ``save`` (two runs at once: the
    last one's entries are kept, the other's become misses). Entries no run
    used are dropped once the pack outgrows ``limit``.
    """

    def __init__(self, cache: Cache, name: str, limit: int = 200_000) -> None:
        self.cache = cache
        self.path = os.path.join(cache.dir, name + ".json") if cache.dir else None
        self.limit = limit
        self.entries: dict[str, Any] = {}
        self.used: set[str] = set()
        self.dirty = False
        if self.path is not None:
            try:
                with open(self.path, encoding="utf-8") as f:
                    data = json.load(f)
                if isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("entries"), dict):
                    self.entries = data["entries"]
            except (OSError, ValueError):
                pass  # missing or broken: every entry a miss

    def get(self, key: str | None) -> Any:
        if self.path is None or key is None or key not in self.entries:
            self.cache.misses += self.path is not None
            return None
        self.cache.hits += 1
        self.used.add(key)
        return self.entries[key]

    def put(self, key: str | None, value: Any) -> None:
        if self.path is None or key is None:
            return
        self.entries[key] = value
        self.used.add(key)
        self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        entries = self.entries
        if len(entries) > self.limit:
            entries = {k: v for k, v in entries.items() if k in self.used}
        try:
            self.cache._write(self.path, json.dumps({"format": FORMAT, "entries": entries},
                                                    separators=(",", ":")))
        except OSError:
            pass  # a read-only checkout still works, just not faster
        self.dirty = False


def hash_parts(parts: Iterable[str | bytes]) -> str:
    """sha256 of the parts, each preceded by its length (no two lists hash alike)."""
    chunks = []
    for p in parts:
        b = p.encode("utf-8") if isinstance(p, str) else p
        chunks.append(len(b).to_bytes(8, "little"))
        chunks.append(b)
    return hashlib.sha256(b"".join(chunks)).hexdigest()  # one update: a run hashes 10,000s


NEEDLES = (b"depends_on", b"\\")  # byte checks of keys, answered from kept digests too


class Digests:
    """sha256 of files read through ``read`` (``-`` for one that cannot be read), each file once.

    One per repository revision (``keys.digests``): keys are computed in the main
    process, and many stacks share most of their files. With ``kept`` (a work
    tree's ``KeptDigests``) and ``stat``, a file whose size, mtime, ctime and
    inode are what they were when it was last hashed is not read again.
    """

    def __init__(self, read: Callable[[str], bytes], stat: Callable[[str], Any] | None = None,
                 kept: "KeptDigests | None" = None) -> None:
        self.read = read
        self.stat = stat
        self.kept = kept
        self._known: dict[str, tuple[str, int]] = {}

    def _entry(self, rel: str) -> tuple[str, int]:
        e = self._known.get(rel)
        if e is None:
            st = self.stat(rel) if self.stat is not None and self.kept is not None else None
            e = self.kept.get(rel, st) if st is not None and self.kept is not None else None
            if e is None:
                try:
                    data = self.read(rel)
                except KonfigError:
                    e = ("-", 0)
                else:
                    e = (hashlib.sha256(data).hexdigest(),
                         sum(1 << i for i, n in enumerate(NEEDLES) if n in data))
                    if st is not None and self.kept is not None:
                        self.kept.put(rel, st, e)
            self._known[rel] = e
        return e

    def file(self, rel: str) -> str:
        return self._entry(rel)[0]

    def contains(self, rel: str, needle: bytes) -> bool:
        """Whether the file's bytes hold ``needle`` (one of ``NEEDLES``: no read when kept)."""
        return bool(self._entry(rel)[1] & (1 << NEEDLES.index(needle)))

    def files(self, files: Iterable[str]) -> str:
        """One digest of several files, their names included (a rename is a change)."""
        parts: list[str] = []
        for rel in sorted(set(files)):
            parts += [rel, self.file(rel)]
        return hash_parts(parts)


class KeptDigests:
    """File digests kept between runs (``<cache_dir>/digests.json``), as git's index keeps them.

    An entry holds the size, mtime, ctime and inode the file had when it was
    hashed; while all four are the same, the digest is the file's (a write
    changes the ctime, which no tool can set back). A file changed in the last
    2 seconds is not kept (a second change could land on the same timestamp
    tick). Keys stay hashes of content: this only spares reading a file to
    find a hash it already had. Safe to delete.
    """

    VERSION = 1
    SETTLE_NS = 2_000_000_000

    def __init__(self, path: str, root: str) -> None:
        import time

        self.path = path
        self.root = root
        self.now_ns = time.time_ns()
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            if data.get("version") == self.VERSION and data.get("root") == root:
                self.entries = data["files"]
        except (OSError, ValueError, AttributeError, KeyError, TypeError):
            pass  # missing or unreadable: every file is read

    def get(self, rel: str, st: Any) -> tuple[str, int] | None:
        e = self.entries.get(rel)
        if e and e[0] == st.st_size and e[1] == st.st_mtime_ns and e[2] == st.st_ctime_ns \
                and e[3] == st.st_ino:
            return e[4], e[5]
        return None

    def put(self, rel: str, st: Any, entry: tuple[str, int]) -> None:
        if self.now_ns - max(st.st_mtime_ns, st.st_ctime_ns) < self.SETTLE_NS:
            if self.entries.pop(rel, None) is not None:
                self.dirty = True
            return
        self.entries[rel] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, entry[0], entry[1]]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        from ..files.transaction import atomic_write

        try:
            prepare_cache_dir(os.path.dirname(self.path))
            atomic_write(self.path, json.dumps({"version": self.VERSION, "root": self.root,
                                                "files": self.entries}, separators=(",", ":")),
                         durable=False)
            self.dirty = False
        except OSError:
            pass  # a read-only checkout still works, just not faster


# Libraries whose behaviour is part of a result: schemas, validation, YAML.
LIBRARIES = {"kubernetes_validate": "kubernetes_validate", "jsonschema": "jsonschema",
             "referencing": "referencing", "ruamel.yaml": "ruamel_yaml", "regress": "regress",
             "jsonschema_rs": "jsonschema_rs"}


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
