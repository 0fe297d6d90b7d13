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


def hash_parts(parts: Iterable[str | bytes]) -> str:
    h = hashlib.sha256()
    for p in parts:
        b = p.encode("utf-8") if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


class Digests:
    """sha256 of files read through ``read`` (``-`` for one that cannot be read), each file once.

    One per repository revision (``Memo.digests``): keys are computed in the main
    process, and many stacks share most of their files.
    """

    def __init__(self, read: Callable[[str], bytes]) -> None:
        self.read = read
        self._known: dict[str, str] = {}

    def file(self, rel: str) -> str:
        d = self._known.get(rel)
        if d is None:
            try:
                d = hashlib.sha256(self.read(rel)).hexdigest()
            except KonfigError:
                d = "-"
            self._known[rel] = d
        return d

    def files(self, files: Iterable[str]) -> str:
        """One digest of several files, their names included (a rename is a change)."""
        parts: list[str] = []
        for rel in sorted(set(files)):
            parts += [rel, self.file(rel)]
        return hash_parts(parts)


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
