"""Writing files of the work tree: every file of a change, or none of them, even across a crash.

Every file konfig writes into a repository goes through ``Transaction``
(``konfig set``: the layer and the golden files it re-renders; ``konfig new``:
the project, its goldens and the CODEOWNERS files; ``fmt`` and ``test
--update``: one file per transaction). The steps:

1. **Check** every target before anything is written: inside the repository
   (a symlink that leads out is refused), not a directory, its directory
   creatable. A symlink inside the repository is written *through*: its target
   gets the new content and the link stays (replacing the link by a regular
   file would silently fork the two paths that shared one file, and git would
   record a type change).
2. **Stage** each new content as a complete, fsynced file in a transaction
   directory ``<cache_dir>/tmp/<pid>-<random>/`` (git-ignored with the rest of
   the cache), never beside the file it replaces. The directory is locked
   (``flock``) for the owner's lifetime: the kernel drops the lock when the
   process dies, which is how a later run tells an abandoned transaction from
   a running one.
3. **Commit point**: ``journal.json`` (the renames to do) is written, fsynced
   and renamed into place. A transaction with one file needs no journal: its
   rename is atomic by itself.
4. **Apply**: each staged file is renamed over its target (existing targets are
   hard-linked into the transaction directory first, so a failure half-way is
   undone in-process), the directories are fsynced, the journal is removed.

A run killed before step 3 changed nothing; one killed after it is finished
by the next konfig run (``recover``, called when a repository is opened): the
journal is rolled forward, so every file is old or new and complete, and files
changed together (a layer and its golden file) are both old or both new once
any konfig command has run. Stale transaction directories are removed.

``rename(2)`` cannot cross filesystems: when ``cache_dir`` is on another
filesystem than a target (a tmpfs cache, a bind mount), that file is staged
beside its target as ``.konfig-txn-*.tmp`` instead, recorded in the
transaction directory *before* it is created so that a later run removes it
if the writer dies.
"""
from __future__ import annotations

import errno
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Any, Protocol

from ..errors import KonfigError
from . import paths


class Opened(Protocol):
    """What a write needs of a repository (a ``repo.repository.Repository``): where it is,
    where its cache directory is, and what it reads through (only a work tree is written)."""

    root: str
    source: Any

    @property
    def cache_dir(self) -> str: ...


STAGING = "tmp"  # under cache_dir
JOURNAL = "journal.json"
BESIDE = "beside.txt"  # temporary files staged beside their target (another filesystem)
_NAMES = itertools.count()
STALE_AFTER = 10.0  # seconds: an unlocked transaction directory this old has no owner


def _hook(point: str) -> None:
    """Test hooks: ``KONFIG_TEST_CRASH=point`` kills this process with SIGKILL there;
    ``KONFIG_TEST_PAUSE=seconds`` sleeps at every point (so a test can kill at random times)."""
    pause = os.environ.get("KONFIG_TEST_PAUSE")
    if pause:
        time.sleep(float(pause))
    if os.environ.get("KONFIG_TEST_CRASH") == point:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot fsync a directory; the rename is still atomic
    finally:
        os.close(fd)


def _lock(directory: str) -> int | None:
    """An exclusive ``flock`` on ``directory`` (None: someone holds it)."""
    import fcntl

    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _existing_ancestor(path: str) -> str:
    cur = path
    while not os.path.lexists(cur):
        up = os.path.dirname(cur)
        if up == cur:
            break
        cur = up
    return cur


class _Entry:
    __slots__ = ("rel", "target", "data", "staged", "backup", "created", "applied", "mode")

    def __init__(self, rel: str, target: str, data: bytes) -> None:
        self.rel, self.target, self.data = rel, target, data
        self.staged = self.backup = ""
        self.created = False  # the target did not exist
        self.applied = False
        self.mode = 0o644


class Transaction:
    """A set of whole-file writes into the work tree of ``root``, applied all together.

    ``add(rel, data)`` plans a write; ``commit()`` checks, stages and applies
    them (see the module docstring) and returns the repo-relative paths
    written (files whose content is already ``data`` are left alone). Any
    failure is one ``KonfigError`` line naming the file, and then no file was
    changed.
    """

    def __init__(self, root: str, cache_dir: str) -> None:
        self.root = os.path.abspath(root)
        self.cache_dir = cache_dir
        self.files: dict[str, bytes] = {}

    def add(self, rel: str, data: str | bytes) -> None:
        self.files[paths.normalize(rel)] = data.encode("utf-8") if isinstance(data, str) else data

    def __len__(self) -> int:
        return len(self.files)

    # -- the steps ------------------------------------------------------------------

    def _entries(self) -> list[_Entry]:
        """Check every target; those whose content changes (nothing is touched here)."""
        out: list[_Entry] = []
        seen: dict[str, str] = {}
        mask = _umask()
        for rel, data in self.files.items():
            abspath = paths.confine(self.root, rel)  # refuses a symlink leading out
            target = os.path.realpath(abspath)  # a symlink inside: write through to its target
            other = seen.get(target)
            if other is not None:
                if self.files[other] != data:
                    raise KonfigError(f"is the same file as {other} (a symlink), with other content; "
                                      "nothing was changed", file=rel)
                continue
            seen[target] = rel
            entry = _Entry(rel, target, data)
            try:
                st = os.stat(target)
            except (FileNotFoundError, NotADirectoryError):
                entry.created, entry.mode = True, 0o666 & ~mask
                anc = _existing_ancestor(os.path.dirname(target))
                if not os.path.isdir(anc):
                    shown = os.path.relpath(anc, os.path.realpath(self.root)).replace(os.sep, "/")
                    raise KonfigError(f"cannot create it: {shown} is not a directory; nothing was changed",
                                      file=rel) from None
            except OSError as e:
                raise KonfigError(f"cannot write: {e.strerror}; nothing was changed", file=rel) from None
            else:
                import stat

                if stat.S_ISDIR(st.st_mode):
                    raise KonfigError("is a directory, expected a file; nothing was changed", file=rel)
                if not stat.S_ISREG(st.st_mode):
                    raise KonfigError("is not a regular file; nothing was changed", file=rel)
                try:
                    with open(target, "rb") as f:
                        if f.read() == data:
                            continue  # already so
                except OSError as e:
                    raise KonfigError(f"cannot read: {e.strerror}; nothing was changed", file=rel) from None
                entry.mode = st.st_mode & 0o7777
            out.append(entry)
        return out

    def commit(self) -> list[str]:
        entries = self._entries()
        if not entries:
            return []
        try:
            session = _session(self.cache_dir)
            # one file: staged in the session directory, its rename is the whole transaction;
            # several: a directory of their own for the journal
            txn = tempfile.mkdtemp(dir=session) if len(entries) > 1 else session
        except OSError as e:
            raise KonfigError(f"cannot write into the cache directory: {e.strerror}; nothing was changed",
                              file=os.path.relpath(self.cache_dir, self.root)) from None
        current = entries[0]
        try:
            try:
                dev = os.stat(txn).st_dev
                for entry in entries:
                    current = entry
                    self._stage(txn, entry, dev, backup=len(entries) > 1)
                _hook("staged")
                if len(entries) > 1:
                    self._journal(txn, entries)
                    _hook("journal")
            except OSError as e:
                raise KonfigError(f"cannot write: {e.strerror}; nothing was changed", file=current.rel) from None
            try:
                for n, entry in enumerate(entries, 1):
                    current = entry
                    _apply(entry)
                    entry.applied = True
                    _hook(f"renamed:{n}")
                if len(entries) > 1:  # the renames are durable before the journal goes
                    for d in sorted({os.path.dirname(e.target) for e in entries}):
                        _fsync_dir(d)
            except OSError as e:
                _undo(entries)
                raise KonfigError(f"cannot write: {e.strerror}; nothing was changed", file=current.rel) from None
            _hook("done")
        except BaseException:
            if any(e.applied for e in entries) and os.path.exists(os.path.join(txn, JOURNAL)):
                raise  # committed (an interrupt half-way): the next run rolls the journal forward
            self._end(txn, session, entries)
            raise
        self._end(txn, session, entries)
        return [e.rel for e in entries]

    @staticmethod
    def _end(txn: str, session: str, entries: list[_Entry]) -> None:
        if txn == session:
            _discard(txn, [e.staged for e in entries if e.staged and not e.applied])
        else:
            _discard(txn)

    @staticmethod
    def _stage(txn: str, entry: _Entry, dev: int, backup: bool) -> None:
        n = next(_NAMES)  # unique in the session directory, which one-file transactions share
        entry.staged = os.path.join(txn, f"{n}.new")
        parent = os.path.dirname(entry.target)
        if os.stat(_existing_ancestor(parent)).st_dev != dev:
            # another filesystem: rename(2) cannot bring a file from the cache; stage beside it,
            # after saying so in the transaction directory (a later run removes it if we die)
            os.makedirs(parent, exist_ok=True)
            entry.staged = os.path.join(parent, f".konfig-txn-{os.path.basename(txn)}-{n}.tmp")
            with open(os.path.join(txn, BESIDE), "a", encoding="utf-8") as f:
                f.write(entry.staged + "\n")
                f.flush()
                os.fsync(f.fileno())
        fd = os.open(entry.staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(entry.data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(entry.staged, entry.mode)
        if backup and not entry.created:  # one file needs no undo: its rename is all or nothing
            entry.backup = os.path.join(txn, f"{n}.old")
            try:
                os.link(entry.target, entry.backup)
            except OSError:  # another filesystem: a copy does for undoing in-process
                shutil.copy2(entry.target, entry.backup)

    @staticmethod
    def _journal(txn: str, entries: list[_Entry]) -> None:
        doc = {"version": 1, "pid": os.getpid(),
               "renames": [{"staged": e.staged, "target": e.target, "backup": e.backup or None}
                           for e in entries]}
        tmp = os.path.join(txn, JOURNAL + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(txn, JOURNAL))
        _fsync_dir(txn)


def _apply(entry: _Entry) -> None:
    os.makedirs(os.path.dirname(entry.target), exist_ok=True)
    _rename(entry.staged, entry.target)


def _rename(staged: str, target: str) -> None:
    try:
        os.replace(staged, target)
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise
        # same device number yet another mount (a bind mount): copy beside, then rename
        beside = os.path.join(os.path.dirname(target), f".konfig-txn-{os.getpid()}-copy.tmp")
        try:
            shutil.copy2(staged, beside)
            with open(beside, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(beside, target)
        except BaseException:
            try:
                os.unlink(beside)
            except OSError:
                pass
            raise
        os.unlink(staged)


def _undo(entries: list[_Entry]) -> None:
    """Put back what was already renamed (in-process failure half-way through)."""
    for entry in reversed([e for e in entries if e.applied]):
        try:
            if entry.backup:
                _rename(entry.backup, entry.target)
            else:
                os.unlink(entry.target)
        except OSError:
            pass
        entry.applied = False


def _discard(txn: str, staged: list[str] | None = None) -> None:
    """Remove what a transaction staged, and the files it staged beside their targets.

    ``staged`` given: a one-file transaction in the session directory (remove
    those files only); otherwise ``txn`` is a transaction's own directory.
    """
    manifest = os.path.join(txn, BESIDE)
    try:
        with open(manifest, encoding="utf-8") as f:
            beside = [ln.strip() for ln in f if ln.strip()]
    except OSError:
        beside = []
    for p in beside + list(staged or ()):
        try:
            os.unlink(p)
        except OSError:
            pass
    if staged is None:
        shutil.rmtree(txn, ignore_errors=True)
    elif beside:
        try:
            os.unlink(manifest)
        except OSError:
            pass


# -- the session directory --------------------------------------------------------------

_SESSIONS: dict[str, tuple[int, str, int]] = {}  # cache_dir -> (pid, directory, locked fd)


def _session(cache_dir: str) -> str:
    """This process's staging directory ``<cache_dir>/tmp/<pid>-<random>/``, locked while it lives.

    Made once per process (a forked worker makes its own) and removed at exit; a
    killed process leaves it locked by nobody, which is how ``recover`` knows.
    """
    found = _SESSIONS.get(cache_dir)
    if found is not None and found[0] == os.getpid() and os.path.isdir(found[1]):
        return found[1]
    prepare_cache_dir(cache_dir)  # the cache directory, its .gitignore ("*") and CACHEDIR.TAG
    staging = os.path.join(cache_dir, STAGING)
    os.makedirs(staging, exist_ok=True)
    directory = tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=staging)
    fd = _lock(directory)
    if fd is None:  # pragma: no cover - a directory nobody else knows yet
        raise OSError(errno.EAGAIN, "cannot lock the staging directory")
    if not _SESSIONS:
        import atexit

        atexit.register(_end_sessions)
    while len(_SESSIONS) >= 16:  # a long-lived process (a bot, a test run) opening many repositories
        _end_session(next(iter(_SESSIONS)))
    _SESSIONS[cache_dir] = (os.getpid(), directory, fd)
    return directory


def _end_session(cache_dir: str) -> None:
    pid, directory, fd = _SESSIONS.pop(cache_dir)
    if pid != os.getpid():
        return  # a forked worker's copy: the parent's to end
    if not any(os.path.exists(os.path.join(directory, n, JOURNAL)) for n in _listdir(directory)):
        shutil.rmtree(directory, ignore_errors=True)
    os.close(fd)


def _end_sessions() -> None:
    for cache_dir in list(_SESSIONS):
        _end_session(cache_dir)


def _listdir(directory: str) -> list[str]:
    try:
        return os.listdir(directory)
    except OSError:
        return []


# -- recovery ---------------------------------------------------------------------------

def _roll_forward(txn: str) -> int:
    """Finish the renames of a committed transaction; the number done."""
    with open(os.path.join(txn, JOURNAL), encoding="utf-8") as f:
        doc = json.load(f)
    done = 0
    for r in doc["renames"]:
        if os.path.exists(r["staged"]):
            os.makedirs(os.path.dirname(r["target"]), exist_ok=True)
            _rename(r["staged"], r["target"])
            done += 1
    for d in sorted({os.path.dirname(r["target"]) for r in doc["renames"]}):
        _fsync_dir(d)
    return done


def recover(root: str, cache_dir: str) -> list[str]:
    """Finish or remove the transactions of runs that died (a line for each one finished)."""
    staging = os.path.join(cache_dir, STAGING)
    try:
        names = os.listdir(staging)
    except OSError:
        return []
    notes = []
    for name in names:
        txn = os.path.join(staging, name)
        if not os.path.isdir(txn) or os.path.islink(txn):
            continue
        pid, _, _ = name.partition("-")
        try:
            young = time.time() - os.stat(txn).st_mtime < STALE_AFTER
        except OSError:
            continue
        if young and pid.isdigit() and _alive(int(pid)):
            continue  # between mkdtemp and its lock, or a live writer
        lock = _lock(txn)
        if lock is None:
            continue  # its writer is running
        try:
            stuck = False
            for sub in [os.path.join(txn, n) for n in _listdir(txn)] + [txn]:  # its transactions first
                if not os.path.isdir(sub) or os.path.islink(sub):
                    continue
                if os.path.exists(os.path.join(sub, JOURNAL)):
                    try:
                        n = _roll_forward(sub)
                    except (OSError, ValueError, KeyError) as e:
                        notes.append(f"could not finish an interrupted write ({sub}): {e}; "
                                     "its files are listed in journal.json there")
                        stuck = True
                        continue
                    if n:
                        notes.append(f"finished an interrupted write of {n} file(s) (konfig was stopped "
                                     "while writing)")
                    os.unlink(os.path.join(sub, JOURNAL))
                _discard(sub)  # also the files it staged beside their targets
            if not stuck:
                shutil.rmtree(txn, ignore_errors=True)
        finally:
            os.close(lock)
    return notes


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


_WORK_TREES: dict[str, str] = {}  # real root of an opened work tree -> its cache_dir


def recover_repo(repo: Opened) -> None:
    """``recover`` for an opened work tree; never fails (a broken konfig.yaml is reported later).

    The work tree is remembered, so that ``atomic_write`` into it (CODEOWNERS,
    pipelines, docs, ``render --out``) goes through a ``Transaction`` too.
    """
    from .source import WorkTree

    if not isinstance(repo.source, WorkTree):
        return
    try:
        cache_dir = repo.cache_dir
    except KonfigError:
        return
    _WORK_TREES[os.path.realpath(repo.root)] = cache_dir
    for note in recover(repo.root, cache_dir):
        print(f"konfig: {note}", file=sys.stderr)


def work_tree_of(path: str) -> tuple[str, str, str] | None:
    """(root, cache_dir, repo-relative path) if ``path`` is in an opened work tree, outside its cache."""
    if not _WORK_TREES:
        return None
    real = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.basename(path))
    for root, cache_dir in _WORK_TREES.items():
        if real.startswith(root + os.sep):
            cache = os.path.realpath(cache_dir)
            if real == cache or real.startswith(cache + os.sep):
                return None  # the cache's own files: a lost entry is a miss
            return root, cache_dir, os.path.relpath(real, root).replace(os.sep, "/")
    return None


def write_files(repo: Opened, files: dict[str, str | bytes]) -> list[str]:
    """Write ``files`` (repo-relative path -> content) into the work tree as one transaction."""
    txn = Transaction(repo.root, repo.cache_dir)
    for rel, data in files.items():
        txn.add(rel, data)
    return txn.commit()


# -- one file, atomically -----------------------------------------------------------

def atomic_write(path: str, text: str | bytes, durable: bool = True) -> None:
    """Replace ``path`` with ``text`` all at once: readers see the old or the new file.

    A file of a work tree konfig has opened (``Repository.discover``) goes
    through ``transaction.Transaction``: staged in the cache directory, a
    symlink inside the repository written through, errors as one
    ``KonfigError``. Other files (the cache's own, ``--junit`` reports outside
    the repository) get a temporary file beside them.

    ``durable=False`` skips the fsync, for files that may be lost in a crash
    but never seen half-written (cache entries: a missing one is a miss; one
    fsync costs ~2 ms here, 10 s over 5,000 stacks).
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    from ..files.transaction import Transaction, work_tree_of

    inside = work_tree_of(path)
    if inside is not None:  # a repository's file: staged in its cache directory, never beside it
        root, cache_dir, rel = inside
        txn = Transaction(root, cache_dir)
        txn.add(rel, data)
        txn.commit()
        return
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".konfig-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        try:
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def prepare_cache_dir(root: str) -> None:
    """Create the cache directory, ignored by git and marked as a cache for backup tools."""
    if os.path.isfile(os.path.join(root, ".gitignore")):
        return
    os.makedirs(root, exist_ok=True)
    atomic_write(os.path.join(root, ".gitignore"), "# konfig's cache: safe to delete\n*\n")
    atomic_write(os.path.join(root, "CACHEDIR.TAG"),
                 "Signature: 8a477f597d28d172789f06886806bc55\n"
                 "# konfig's cache of check results (https://bford.info/cachedir/)\n")
