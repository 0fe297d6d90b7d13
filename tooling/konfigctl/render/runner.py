"""Where and how renderer code runs: under a time limit, with what it prints kept off stdout.

Every render goes through ``run`` (``render.render_stack`` calls it). A
renderer (or a ``konfiglib`` library it imports) may loop forever or print;
neither may take the run down or corrupt konfig's YAML/JSON output:

* **The limit** (``konfig.yaml`` ``render.timeout``, default 10 s per stack).
  A ``SIGALRM`` timer interrupts the renderer at the limit: Python code, and
  the C code of the standard library that checks for signals (``re``
  backtracking, big-integer arithmetic, ``str(int)``, ``json``). It fires
  again every ``REFIRE`` seconds, so a bare ``except:`` cannot swallow it.
  Code stuck in C that never checks for signals (``any(itertools.repeat(0))``,
  ``sum()`` over a C iterator) holds the GIL: nothing in its process runs
  until it returns, not even a watchdog thread, so only another process can
  stop it. Hence renders never run in the process that has to report them:

  - in a worker of the pool (``parallel``), in the worker, which marks in
    shared memory which stack it renders since when; the pool's parent kills
    a worker still rendering at limit + ``grace`` and reruns the rest of its
    chunk in a fresh one;
  - anywhere else (the CLI process: one stack, a small run, both sides of
    ``diff``, the goldens of ``set``/``new``/``init``) in a helper process
    forked at the first render and kept for the next ones; the caller waits
    for its answer until limit + grace, then kills it (the next render forks
    another). Forking once per process, not per render, keeps the cost to
    about 1 ms per command and 0.1 ms per render, and only small runs pay it:
    large ones go to the pool, even with ``--jobs 1``;
  - where there is no ``fork``: in-process under ``SIGALRM`` (main thread only;
    elsewhere without a limit).

  Past the limit the stack fails with ``RenderTimeout`` (a ``RenderError``,
  exit 1) naming the stack, the limit and -- when the timer got to interrupt
  it -- the renderer's line; the other stacks are still checked.

* **Output.** ``sys.stdout`` and ``sys.stderr`` are redirected while renderer
  code runs (at most ``CAPTURE_LIMIT`` characters are kept per stack, and
  ``LINES_LIMIT`` lines shown); the text is shown on konfig's stderr with each
  line prefixed by the stack (``[konfig/appops/x/prod] text``). The helper and
  the workers send it back with the result and the parent prints it, so it
  shows where konfig's own messages do (and tests capture it); a render that
  had to be killed shows what it had printed through its ``Beacon``.

* **Slow renders** are reported to whoever ``watching`` installed (the
  progress display on a terminal names them; nothing in CI logs).
"""
from __future__ import annotations

import atexit
import io
import marshal
import os
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .renderer import Renderer, RenderError, RenderTimeout, execute, where

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.stack import StackInfo
    from .processes import Channel

DEFAULT_TIMEOUT = 10.0
REFIRE = 0.05  # seconds between repeated alarms once the limit has passed
CAPTURE_LIMIT = 16 * 1024  # characters of a stack's output kept (a loop that prints cannot fill memory)
LINES_LIMIT = 200  # lines of a stack's output shown
MIRROR_BYTES = 8 * 1024  # of it, what a parent can read after it had to kill the render
TICK = 0.5  # at most this long between a waiting parent's looks at the clock
HELPER_RENDERERS = 256  # distinct renderers a helper keeps before it is replaced (long-lived processes)


def limit_of(repo: "Repository") -> float:
    """``render.timeout`` of the repository, in seconds."""
    return float((repo.settings.get("render") or {}).get("timeout", DEFAULT_TIMEOUT))


def grace(limit: float) -> float:
    """How long past the limit a render may take before its process is killed: the timer
    needs a moment to interrupt it and the answer to come back (a loaded machine)."""
    return max(0.5, 0.2 * limit)


def slow_after(limit: float) -> float:
    """Renders running longer than this are shown as slow (on a terminal)."""
    return min(2.0, limit / 2)


def tick_of(limit: float) -> float:
    """How often a waiting parent looks at the clock (deadlines, slow renders)."""
    return min(TICK, slow_after(limit) / 2)


def timeout_error(renderer: Renderer, stack: str, limit: float, line: int | None = None,
                  file: str | None = None) -> RenderTimeout:
    return RenderTimeout(f"renderer ran past the time limit of {limit:g} s (render.timeout)",
                         model=renderer.model, stack=stack, file=file or renderer.file, line=line)


# -- one render, in this process -------------------------------------------------------------

class Expired(BaseException):
    """Raised into renderer code at the limit (not an ``Exception``: ``except Exception``
    in a renderer does not catch it)."""


_armed = False
_owned = False  # SIGALRM is this process's own (a worker, the helper): its handler stays installed


def _on_alarm(signum: int, frame: Any) -> None:
    if _armed:
        raise Expired()


def _own_alarm() -> None:
    """In a process konfig forked to render: install the handler once (``signal.signal`` costs
    more than a render's whole timer), not around every render."""
    global _owned
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGALRM, _on_alarm)
        _owned = True


@contextmanager
def _alarm(limit: float) -> Iterator[None]:
    """``Expired`` in this thread at ``limit`` and every ``REFIRE`` after, when a timer can do it
    (the main thread of a POSIX process); the previous handler and timer are restored."""
    global _armed
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, limit, REFIRE)
    started = time.monotonic()
    _armed = True
    try:
        yield
    finally:
        _armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
        if old_delay:  # someone else's timer (a test runner's): give back what is left of it
            left = old_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), old_interval)


class _Capture(io.TextIOBase):
    """What renderer code writes to ``sys.stdout``/``sys.stderr``, the first ``CAPTURE_LIMIT``
    characters of it."""

    def __init__(self, beacon: "Beacon | None" = None) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.size = 0
        self.beacon = beacon

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        room = CAPTURE_LIMIT - self.size
        if room > 0:
            self.parts.append(s[:room])
            if self.beacon is not None:
                self.beacon.mirror(s[:room])
        self.size += len(s)
        return len(s)

    def text(self) -> tuple[str, int]:
        """(what was kept, how many characters were not)."""
        return "".join(self.parts), max(0, self.size - CAPTURE_LIMIT)


# An outcome is plain data (it crosses processes): ("ok", resources, printed),
# ("error", RenderError fields, printed) or ("timeout", line, file, printed), where
# printed = (text, characters dropped).

def attempt(renderer: Renderer, config: dict[str, Any], info: "StackInfo", stack: str, limit: float,
            *, private: bool = False) -> tuple[Any, ...]:
    """Render in this process under the timer, output captured: the outcome, never raising
    for anything the renderer does."""
    capture = _Capture(_beacon)
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = capture
    try:
        if _owned:  # a worker or the helper: its handler is ours already, only the timer to set
            global _armed
            signal.setitimer(signal.ITIMER_REAL, limit, REFIRE)
            _armed = True
            try:
                resources = execute(renderer, config, info, stack, private=private)
            finally:
                _armed = False
                signal.setitimer(signal.ITIMER_REAL, 0)
        else:
            with _alarm(limit):
                resources = execute(renderer, config, info, stack, private=private)
        outcome: tuple[Any, ...] = ("ok", resources)
    except Expired as e:
        file, line = where(e, renderer.files)
        outcome = ("timeout", line, file)
    except RenderError as e:
        outcome = ("error", _fields(e))
    except (SystemExit, GeneratorExit) as e:  # `raise SystemExit` must not end konfig
        file, line = where(e, renderer.files)
        outcome = ("error", _fields(RenderError(f"renderer failed: {type(e).__name__}: {e}",
                                                model=renderer.model, stack=stack,
                                                file=file or renderer.file, line=line)))
    finally:
        sys.stdout, sys.stderr = saved
    return (*outcome, capture.text())


def _fields(e: RenderError) -> dict[str, Any]:
    return {"message": e.message, "model": e.model, "stack": e.stack, "file": e.file, "line": e.line}


def _result(outcome: tuple[Any, ...], renderer: Renderer, stack: str, limit: float) -> list[dict[str, Any]]:
    """The resources of an outcome (its output shown first), or its ``RenderError``."""
    kind = outcome[0]
    emit(stack, *outcome[-1])
    if kind == "ok":
        return outcome[1]  # type: ignore[no-any-return]
    if kind == "timeout":
        raise timeout_error(renderer, stack, limit, line=outcome[1], file=outcome[2])
    raise RenderError(**outcome[1])


# -- where a render runs ----------------------------------------------------------------------

_forced: dict[str, RenderError] = {}  # stack -> the error its render ends with (the pool's verdicts)
_worker: "Beacon | None" = None  # set in a pool worker
_beacon: "Beacon | None" = None  # where this process mirrors a render's output (a worker, the helper)
_printed: list[tuple[str, str, int]] = []  # a worker's captured output, until the pool takes it


def run(renderer: Renderer, config: dict[str, Any], info: "StackInfo", stack: str,
        limit: float) -> list[dict[str, Any]]:
    """The checked resources of one render of ``stack``, or its ``RenderError`` (see above)."""
    forced = _forced.get(stack)
    if forced is not None:
        raise forced
    if _worker is not None:
        _worker.rendering(True)
        try:
            outcome = attempt(renderer, config, info, stack, limit)
        finally:
            _worker.rendering(False)
        return _result(outcome, renderer, stack, limit)
    if not _can_fork():
        return _result(attempt(renderer, config, info, stack, limit), renderer, stack, limit)
    with _helper_lock:
        return _in_helper(renderer, config, info, stack, limit)


def _can_fork() -> bool:
    return hasattr(os, "fork") and hasattr(signal, "setitimer")


@contextmanager
def failing(errors: dict[str, RenderError]) -> Iterator[None]:
    """Renders of these stacks end with these errors without running (the pool decided them:
    a renderer that had to be killed is not run again)."""
    _forced.update(errors)
    try:
        yield
    finally:
        for k in errors:
            _forced.pop(k, None)


class Beacon:
    """A slot of memory shared by a process that renders and its parent: which stack it
    checks, since when its renderer runs (0: none) and what that render printed so far (so a
    render that has to be killed still shows it). Plain stores; the parent reads them to
    decide a kill and after one."""

    HEAD = struct.Struct("=qdq")  # stack index, render start (monotonic), output bytes
    SIZE = HEAD.size + MIRROR_BYTES

    def __init__(self, memory: Any, slot: int = 0) -> None:
        self.memory = memory
        self.offset = slot * self.SIZE

    @classmethod
    def allocate(cls, slots: int) -> Any:
        """Anonymous shared memory for ``slots`` beacons (create it before forking)."""
        import mmap

        return mmap.mmap(-1, cls.SIZE * slots)

    def checking(self, index: int) -> None:
        self.HEAD.pack_into(self.memory, self.offset, index, 0.0, 0)

    def rendering(self, on: bool) -> None:
        if on:
            struct.pack_into("=q", self.memory, self.offset + 16, 0)
        struct.pack_into("=d", self.memory, self.offset + 8, time.monotonic() if on else 0.0)

    def state(self) -> tuple[int, float]:
        """(stack index or -1, since when it renders or 0)."""
        index, since, _ = self.HEAD.unpack_from(self.memory, self.offset)
        return index, since

    def mirror(self, text: str) -> None:
        (size,) = struct.unpack_from("=q", self.memory, self.offset + 16)
        room = MIRROR_BYTES - size
        data = text.encode("utf-8", "replace")[:room] if room > 0 else b""
        if data:
            start = self.offset + self.HEAD.size + size
            self.memory[start:start + len(data)] = data
            struct.pack_into("=q", self.memory, self.offset + 16, size + len(data))  # after the bytes

    def output(self) -> str:
        """What the current (or last) render printed, as far as it got."""
        (size,) = struct.unpack_from("=q", self.memory, self.offset + 16)
        start = self.offset + self.HEAD.size
        return bytes(self.memory[start:start + min(size, MIRROR_BYTES)]).decode("utf-8", "replace")


def enter_worker(beacon: Beacon) -> None:
    """This process is a pool worker: render here, report through ``beacon``."""
    global _worker, _beacon
    _worker = _beacon = beacon
    _own_alarm()


def take_printed() -> list[tuple[str, str, int]]:
    """(stack, text, characters dropped) a worker captured since the last call."""
    out = list(_printed)
    _printed.clear()
    return out


def emit(stack: str, text: str, dropped: int = 0) -> None:
    """Show a renderer's output on stderr, each line prefixed with its stack (a worker keeps
    it for the parent instead)."""
    if not text and not dropped:
        return
    if _worker is not None:
        _printed.append((stack, text, dropped))
        return
    kept = text.splitlines()
    if len(kept) > LINES_LIMIT:
        dropped += sum(len(line) + 1 for line in kept[LINES_LIMIT:])
        kept = kept[:LINES_LIMIT]
    lines = [f"[{stack}] {line}\n" for line in kept]
    if dropped:
        lines.append(f"[{stack}] ... ({dropped} more characters not shown)\n")
    sys.stderr.write("".join(lines))
    sys.stderr.flush()


# -- the render helper -----------------------------------------------------------------------

_helper_lock = threading.RLock()


class _Helper:
    """A forked process that renders for this one, one stack at a time."""

    def __init__(self) -> None:
        from .processes import fork

        self.beacon = Beacon(Beacon.allocate(1))
        self.pid, self.channel = fork(lambda channel: _serve(channel, self.beacon))
        self.sent: set[int] = set()  # tokens of the renderers it has

    def render(self, renderer: Renderer, config: dict[str, Any], info: "StackInfo", stack: str,
               limit: float) -> tuple[Any, ...]:
        payload = None
        if renderer.token not in self.sent:
            payload = marshal.dumps((renderer.model, renderer.file, renderer.code, renderer.libs))
        self.beacon.checking(0)
        try:
            self.channel.send((renderer.token, payload, config, info, stack, limit))
        except OSError:
            raise _Gone(before=True) from None
        except Exception:  # noqa: BLE001 - a config of objects pickle cannot carry (nothing was sent)
            raise _Unsendable() from None
        self.sent.add(renderer.token)
        started = time.monotonic()
        deadline = started + limit + grace(limit)
        slow = slow_after(limit)
        tick = tick_of(limit)
        shown = False
        try:
            while True:
                now = time.monotonic()
                if self.channel.ready(min(tick, max(0.0, deadline - now))):
                    break
                now = time.monotonic()
                if now >= deadline:
                    raise _Killed()
                if now - started >= slow and _watchers:
                    _notify({stack: now - started})
                    shown = True
            try:
                return self.channel.recv()  # type: ignore[no-any-return]
            except (EOFError, OSError):
                raise _Gone(before=False) from None
        finally:
            if shown:
                _notify({})

    def stop(self) -> int | None:
        """End it; its wait status."""
        from .processes import reap

        self.channel.close()
        return reap(self.pid, kill=True)


class _Killed(Exception):
    """The helper did not answer in time."""


class _Unsendable(Exception):
    """What the caller passed cannot go to another process (the library API allows any config)."""


class _Gone(Exception):
    """The helper's process is gone: ``before`` this render reached it, or while rendering it."""

    def __init__(self, before: bool) -> None:
        super().__init__()
        self.before = before


_helper: _Helper | None = None


def _in_helper(renderer: Renderer, config: dict[str, Any], info: "StackInfo", stack: str,
               limit: float) -> list[dict[str, Any]]:
    global _helper
    for again in (False, True):
        if _helper is None or len(_helper.sent) >= HELPER_RENDERERS:
            if _helper is not None:
                _helper.stop()
            _helper = _Helper()
        try:
            outcome = _helper.render(renderer, config, info, stack, limit)
        except _Unsendable:  # render it here, under the timer (it cannot stop C code)
            return _result(attempt(renderer, config, info, stack, limit), renderer, stack, limit)
        except _Killed:
            _helper.stop()
            emit(stack, _helper.beacon.output())
            _helper = None
            raise timeout_error(renderer, stack, limit) from None
        except _Gone as gone:
            from .processes import describe_exit

            status = _helper.stop()
            _helper = None
            if gone.before and not again:
                continue  # it had ended before (killed from outside): once more in a new one
            raise RenderError(f"renderer ended the process rendering it ({describe_exit(status)})",
                              model=renderer.model, stack=stack, file=renderer.file) from None
        return _result(outcome, renderer, stack, limit)
    raise AssertionError("unreachable")


def _serve(channel: "Channel", beacon: Beacon) -> None:
    """The helper's loop: render what the parent sends, answer with the outcome."""
    global _beacon
    _beacon = beacon
    _own_alarm()
    renderers: dict[int, Renderer] = {}
    while True:
        try:
            token, payload, config, info, stack, limit = channel.recv()
        except EOFError:
            return
        if payload is not None:
            model, file, code, libs = marshal.loads(payload)
            renderers[token] = Renderer(model, file, code, libs, token=token)
        outcome = attempt(renderers[token], config, info, stack, limit, private=True)
        channel.send(outcome, fallback=lambda: _plain_outcome(outcome))


def _plain_outcome(outcome: tuple[Any, ...]) -> tuple[Any, ...]:
    """``outcome`` with resources of exact built-in types (a ``str`` subclass of the
    renderer's module cannot be unpickled here)."""
    if outcome[0] != "ok":
        return outcome
    return (outcome[0], _exact(outcome[1]), *outcome[2:])


def _exact(data: Any) -> Any:
    if isinstance(data, dict):
        return {"".join((k,)): _exact(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_exact(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, str):
        return "".join((data,))
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return float(data)
    return data


def _forget_helper() -> None:
    """In a forked child: the parent's helper is not its own (``processes.fork`` closes its pipes)."""
    global _helper, _helper_lock
    _helper = None
    _helper_lock = threading.RLock()


def _stop_helper() -> None:
    if _helper is not None:
        _helper.stop()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helper)
atexit.register(_stop_helper)


# -- slow renders -----------------------------------------------------------------------------

_watchers: list[Callable[[dict[str, float]], None]] = []


@contextmanager
def watching(show: Callable[[dict[str, float]], None]) -> Iterator[None]:
    """While active, ``show({stack: seconds})`` is called about every ``TICK`` seconds with
    the renders running longer than ``slow_after`` (and ``{}`` when none is left)."""
    _watchers.append(show)
    try:
        yield
    finally:
        _watchers.remove(show)


def _notify(slow: dict[str, float]) -> None:
    if _watchers:
        try:
            _watchers[-1](slow)
        except Exception:  # noqa: BLE001 - a display must never fail a render
            pass


def notify(slow: dict[str, float]) -> None:
    """Report slow renders (the pool's parent calls this)."""
    _notify(slow)


def watched() -> bool:
    return bool(_watchers)

