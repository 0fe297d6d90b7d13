"""Forked child processes and the pipes to them: length-prefixed pickles both ways.

What ``runner``'s render helper and the check pool's workers
(``check.parallel``) are made of. A child ignores Ctrl-C (the parent handles
it and ends its children), dies with its parent on Linux (a renderer stuck in
C code must not outlive ``kill`` of konfig), and holds the only copy of its
ends of the pipes, so the parent sees EOF when it dies.
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import sys
from collections.abc import Callable
from typing import Any

_parent_ends: set[int] = set()  # this process's ends of pipes to its children


class Channel:
    """This side of a pair of pipes to another process: length-prefixed pickles."""

    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd, self.wfd = rfd, wfd
        self._poll = select.poll()
        self._poll.register(rfd, select.POLLIN)

    def send(self, obj: Any, fallback: Callable[[], Any] | None = None) -> None:
        try:
            data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - e.g. a class that lives in a renderer's module
            if fallback is None:
                raise
            data = pickle.dumps(fallback(), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(len(data).to_bytes(8, "little") + data)
        while view:
            view = view[os.write(self.wfd, view):]

    def recv(self) -> Any:
        """The next message (``EOFError`` when the other side is gone)."""
        size = int.from_bytes(self._read(8), "little")
        return pickle.loads(self._read(size))

    def _read(self, n: int) -> bytes:
        parts = []
        while n:
            chunk = os.read(self.rfd, min(n, 1 << 20))
            if not chunk:
                raise EOFError
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)

    def ready(self, timeout: float) -> bool:
        """Whether a message (or the end) can be read within ``timeout`` seconds."""
        return bool(self._poll.poll(max(0, int(timeout * 1000))))

    def fileno(self) -> int:
        return self.rfd

    def close(self) -> None:
        for fd in (self.rfd, self.wfd):
            _parent_ends.discard(fd)
            try:
                os.close(fd)
            except OSError:
                pass
        self.rfd = self.wfd = -1


def fork(main: Callable[[Channel], None]) -> tuple[int, Channel]:
    """A child process running ``main(channel)`` (then it exits); (its pid, the parent's channel).

    The child ignores Ctrl-C (the parent handles it and ends its children) and
    closes the parent's ends of other children's pipes (so each child's end of
    the pipes is the only one: the parent sees EOF when it dies)."""
    import threading

    to_child_r, to_child_w = os.pipe()
    to_parent_r, to_parent_w = os.pipe()
    parent, from_main = os.getpid(), threading.current_thread() is threading.main_thread()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child (coverage does not follow it)
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            if from_main:  # (the signal comes when the forking *thread* ends)
                _die_with_parent(parent)
            for fd in list(_parent_ends) + [to_child_w, to_parent_r]:
                try:
                    os.close(fd)
                except OSError:
                    pass
            _parent_ends.clear()
            main(Channel(to_child_r, to_parent_w))
        except BaseException:  # noqa: BLE001 - a child never returns into the parent's code
            code = 70
            if os.environ.get("KONFIG_DEBUG"):
                import traceback

                traceback.print_exc()
        finally:
            os._exit(code)
    os.close(to_child_r)
    os.close(to_parent_w)
    _parent_ends.update((to_parent_r, to_child_w))
    return pid, Channel(to_parent_r, to_child_w)


def _die_with_parent(parent: int) -> None:
    """Linux: SIGKILL this process when its parent ends, however it ends (``kill`` of konfig
    alone must not leave a renderer stuck in C code burning a core)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it ended before that took effect
        os._exit(0)


def reap(pid: int, kill: bool = False) -> int | None:
    """Wait for a child to end (after SIGKILL when ``kill``); its wait status."""
    if kill:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


def describe_exit(status: int | None) -> str:
    if status is None:
        return "no exit status"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return f"killed by {name}" + (": out of memory?" if sig == signal.SIGKILL else "")
    return f"exit code {os.waitstatus_to_exitcode(status)}"
