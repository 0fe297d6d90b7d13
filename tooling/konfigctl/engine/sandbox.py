"""Compiling a KCL stack as untrusted code: no environment, no file of the work tree writable.

A KCL stack's ``main.k`` arrives in app teams' pull requests and CI compiles
it, so it is code from outside the platform team. kcl-lib 0.13 confines
``file.read`` to the module root, but ``file.read_env`` reads any variable of
the compiling process (a CI token, which ``konfig diff`` would post in a PR
comment) and ``file.write``/``mkdirs``/``delete``/``cp``/``mv`` change files
inside the module root at compile time (another stack's golden file, the
pipelines). So a compile runs

* on a copy: the files it may read (its import closure, ``kcl.mod``, the
  stack's and project's own files), taken from the revision's ``Source`` (so a
  git revision compiles as it was, and a symlink out of the repository is
  refused as on every read) and written to a fresh directory outside the
  work tree, removed afterwards -- whatever the compile writes lands there;
* in a forked child (``render.processes``) whose environment is emptied
  before kcl-lib runs (kcl-lib reads the C environment, which
  ``os.environ.clear()`` empties), under ``render.timeout``, killed past it.

The child sends back kcl-lib's YAML and error text; the parent maps the
copy's paths back to the repository's.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from typing import TYPE_CHECKING

from ..errors import KonfigError
from ..render import processes

if TYPE_CHECKING:
    from ..repo.repository import Repository


@dataclasses.dataclass
class Output:
    yaml: str = ""
    error: str = ""
    root: str = ""  # the copy's directory (error text names files in it)
    timed_out: bool = False


def _scratch() -> str | None:
    """Where copies go: memory (``/dev/shm``) where there is one -- a copy is made and removed per
    compile, ~9x faster there than on a loaded disk (docs/performance.md) -- else the temp dir."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def copy_into(repo: "Repository", files: list[str], root: str) -> None:
    for rel in files:
        data = repo.read(rel)  # confined to the repository; a git revision's own bytes
        target = os.path.join(root, *rel.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)


def compile(repo: "Repository", files: list[str], mod_root: str, stack_dir: str, compile_files: list[str],
            options: list[tuple[str, str]], timeout: float) -> Output:
    """Compile ``compile_files`` (repo-relative) with ``options``, in a copy of ``files``."""
    import kcl_lib.api  # noqa: F401 - loaded once here: every forked child shares it, none loads it again

    root = tempfile.mkdtemp(prefix="konfig-kcl-", dir=_scratch())
    try:
        copy_into(repo, files, root)
        for f in compile_files:
            if not os.path.exists(os.path.join(root, *f.split("/"))):
                raise KonfigError(f"{f}: no such file to compile (kcl.yaml lists it)", file=f)
        here = lambda rel: os.path.join(root, *rel.split("/")) if rel else root  # noqa: E731
        job = (here(stack_dir), [here(f) for f in compile_files], options)
        pid, channel = processes.fork(lambda ch: _child(ch, job, root))
        try:
            if not channel.ready(timeout):
                processes.reap(pid, kill=True)
                return Output(root=root, timed_out=True)
            try:
                yaml_text, error = channel.recv()
            except EOFError:
                status = processes.reap(pid)
                return Output(error=f"the compile ended without a result ({processes.describe_exit(status)})",
                              root=root)
            processes.reap(pid)
            return Output(yaml=yaml_text, error=error, root=root)
        finally:
            channel.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _child(channel: processes.Channel, job: tuple[str, list[str], list[tuple[str, str]]], root: str) -> None:
    """In the forked child: no environment, then kcl-lib (never returns into konfig's code)."""
    os.environ.clear()  # unsetenv() each: the C environment kcl-lib reads is empty too
    os.environ["HOME"] = root  # kcl-lib's caches go into the copy, never the user's home
    os.chdir(root)
    work_dir, compile_files, options = job
    try:
        import kcl_lib.api as api

        args = api.ExecProgramArgs(work_dir=work_dir, k_filename_list=compile_files,
                                   args=[api.Argument(name=k, value=v) for k, v in options])
        result = api.API().exec_program(args)
        channel.send((result.yaml_result, result.err_message))
    except Exception as e:  # noqa: BLE001 - kcl-lib raises plain Exception for parse and type errors
        channel.send(("", str(e) or type(e).__name__))
