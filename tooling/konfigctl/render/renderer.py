"""Rendering a resolved stack into runtime resources with its model's ``render.py``.

A renderer is platform code (only ``konfig/base/`` holds code) but it must be a
pure function of the repository: the same files render the same resources on
every machine, in CI and in a golden file. So:

* it is loaded from its source text (the work tree or a git revision alike),
  compiled once per repository and executed into a fresh module for every
  stack (module-level state cannot leak from one stack into another), never
  imported from disk;
* it runs with a reduced set of builtins (no ``open``, ``input``, ``exec``...)
  and may import only modules that cannot reach the clock, the network or the
  filesystem (``json``, ``hashlib``, ``re``... and ``konfigctl.quantity``),
  and the platform's shared renderer code, ``konfiglib.<name>`` from
  ``<base>/lib/`` (``renderlib``), which runs under the same rules;
* it receives copies (a deep copy of the config, the ``StackInfo``), so it
  cannot change what other checks see;
* what it returns is checked: a list of mappings of plain data, each with
  ``apiVersion``, ``kind`` and ``metadata.name``, no two alike; and put in a
  fixed order (the order ``kubectl apply`` would want: namespaces and config
  before the workloads that use them).

A renderer that fails raises ``RenderError`` (a check failure, exit 1), naming
the model, the stack and -- when it comes from the renderer's code -- the line.
It runs under a time limit (``konfig.yaml`` ``render.timeout``) with what it
prints kept off konfig's stdout: ``runner`` is where and how every render
runs; past the limit the stack fails with ``RenderTimeout``, a ``RenderError``.

Renderers are trusted code (only ``konfig/base/`` holds code, and it is
reviewed by the platform team): these rules keep them from depending on the
machine by accident; they are not a security boundary.
"""
from __future__ import annotations

import builtins
import copy
import dataclasses
import itertools
import math
import types
from typing import TYPE_CHECKING, Any

from ..errors import EXIT_FAILED, KonfigError, kind_of
from ..repo.memo import Slot
from . import libraries as renderlib

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.stack import Stack, StackInfo

# Modules a renderer may import: pure computation only.
ALLOWED_IMPORTS = frozenset({
    "__future__", "base64", "collections", "collections.abc", "copy", "dataclasses", "decimal",
    "enum", "fractions", "functools", "hashlib", "ipaddress", "itertools", "json", "math",
    "operator", "re", "string", "textwrap", "typing", "urllib.parse", "konfigctl.quantity",
})

# Builtins a renderer does not get: I/O and dynamic code.
DENIED_BUILTINS = frozenset({
    "open", "input", "exec", "eval", "compile", "breakpoint", "help", "exit", "quit",
    "globals", "vars", "memoryview", "__import__",
})

# Apply order: what others depend on first (as Helm and kubectl order them).
KIND_ORDER = (
    "Namespace", "ResourceQuota", "LimitRange", "NetworkPolicy", "ServiceAccount", "Secret",
    "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim", "Role",
    "RoleBinding", "Service", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob",
    "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress",
)
_RANK = {k: i for i, k in enumerate(KIND_ORDER)}


class RenderError(KonfigError):
    """A renderer failed or returned something that is not a list of resources (exit 1)."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, model: str, stack: str | None = None,
                 file: str | None = None, line: int | None = None) -> None:
        super().__init__(message, file=file, line=line, stack=stack)
        self.model = model

    def __str__(self) -> str:
        stack = f" [stack {self.stack}]" if self.stack else ""
        return f"{_location(self)}{self.message} (model {self.model}){stack}"


class RenderTimeout(RenderError):
    """A renderer ran past ``render.timeout`` (exit 1, like a renderer that raises).

    Not a property of the repository alone (a loaded machine is slower): test
    results with a timeout are not cached."""


def _location(err: KonfigError) -> str:
    if err.file and err.line:
        return f"{err.file}:{err.line}: "
    # the file alone where it adds something: "F does not exist" names it already
    return f"{err.file}: " if err.file and err.file not in err.message else ""


_tokens = itertools.count(1)


@dataclasses.dataclass(frozen=True)
class Renderer:
    model: str
    file: str
    code: Any  # the compiled module
    libs: dict[str, tuple[str, Any]] = dataclasses.field(default_factory=dict)  # name -> (file, code)
    # names this compiled renderer for the render helper, which keeps what it was sent
    token: int = dataclasses.field(default_factory=lambda: next(_tokens), compare=False)

    @property
    def files(self) -> tuple[str, ...]:
        """The renderer's file and its libraries' (where a failure can come from)."""
        return (self.file, *(f for f, _ in self.libs.values()))

    def function(self) -> Any:
        """``render`` of a fresh module (``RenderError`` if the module fails to run)."""
        module = types.ModuleType(f"konfig_render_{self.model.replace('-', '_')}")
        module.__file__ = self.file
        namespace = module.__dict__
        namespace["__builtins__"] = _LibImporter(self).builtins
        try:
            exec(self.code, namespace)  # noqa: S102 - trusted platform code, confined as above
        except Exception as e:  # noqa: BLE001 - any failure at load time is the renderer's
            file, line = where(e, self.files)
            raise RenderError(f"renderer failed to load: {type(e).__name__}: {e}", model=self.model,
                              file=file or self.file, line=line) from None
        fn = namespace.get("render")
        if not callable(fn):
            raise RenderError("renderer defines no function render(config, stack)", model=self.model,
                              file=self.file)
        return fn


class _LibImporter:
    """The builtins of one run of a renderer, whose ``__import__`` makes ``konfiglib`` modules
    fresh for that run (a ``sys.modules`` of its own): module-level state of a
    library cannot leak from one stack into another either."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self.package = types.ModuleType(renderlib.PACKAGE)
        self.package.__path__ = []  # a package: `from konfiglib import kube` asks for its modules
        self.builtins = {k: v for k, v in vars(builtins).items() if k not in DENIED_BUILTINS}
        self.builtins["__import__"] = self.load

    def module(self, name: str) -> types.ModuleType:
        loaded = getattr(self.package, name, None)
        if isinstance(loaded, types.ModuleType):
            return loaded
        if name not in self.renderer.libs:  # load_renderer checked every import statement
            raise ImportError(f"no renderer library {renderlib.PACKAGE}.{name}")
        file, code = self.renderer.libs[name]
        module = types.ModuleType(f"{renderlib.PACKAGE}.{name}")
        module.__file__ = file
        module.__dict__["__builtins__"] = self.builtins
        setattr(self.package, name, module)  # before running it: import cycles behave as in Python
        exec(code, module.__dict__)  # noqa: S102 - trusted platform code, confined as renderers are
        return module

    def load(self, name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
             level: int = 0) -> Any:
        if not level and (name == renderlib.PACKAGE or name.startswith(renderlib.PACKAGE + ".")):
            sub = name[len(renderlib.PACKAGE) + 1:]
            if sub:
                module = self.module(sub)
                return module if fromlist else self.package
            for item in fromlist or ():
                self.module(item)
            return self.package
        return _safe_import(name, globals, locals, fromlist, level)


def _safe_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
                 level: int = 0) -> Any:
    # `import a.b` asks for "a.b"; `from a import b` asks for "a" with fromlist ("b",)
    allowed = name in ALLOWED_IMPORTS or bool(fromlist) and all(
        f"{name}.{item}" in ALLOWED_IMPORTS for item in fromlist)
    if level or not allowed:
        raise ImportError(
            f"a renderer may not import {name!r}: renderers are pure functions of the repository "
            f"(allowed: {', '.join(sorted(ALLOWED_IMPORTS - {'__future__'}))}, "
            f"and {renderlib.PACKAGE}.NAME from the base's lib/)"
        )
    return builtins.__import__(name, globals, locals, fromlist, level)


_RENDERERS: Slot[dict[str, Renderer]] = Slot("renderers", dict)  # model -> its compiled renderer


def load_renderer(repo: "Repository", model_name: str) -> Renderer:
    """The ``render`` function of a model, compiled from its source once per repository."""
    cached = repo.memo.of(_RENDERERS).get(model_name)
    if cached is not None:
        return cached
    model = repo.model(model_name)
    file = model.render_file
    if not repo.exists(file):
        raise RenderError(f"model {model_name} has no renderer: {file} does not exist",
                          model=model_name, file=file)
    source = repo.read(file)
    code = _compile(source, file, model_name)
    libs: dict[str, tuple[str, Any]] = {}
    for lib in sorted(renderlib.closure(repo, file)):
        if lib != file and repo.exists(lib):  # a missing one: _check_lib_imports says where
            libs[lib.rsplit("/", 1)[-1][: -len(".py")]] = (lib, _compile(repo.read(lib), lib, model_name))
    _check_lib_imports(repo, (file, *(f for f, _ in libs.values())), model_name)
    # Its module code runs only under the runner (it may loop too): a module that
    # does not load fails each stack at its render, as a renderer that raises does.
    renderer = Renderer(model_name, file, code, libs)
    repo.memo.of(_RENDERERS)[model_name] = renderer
    return renderer


def _compile(source: bytes, file: str, model: str) -> Any:
    try:
        return compile(source, file, "exec", dont_inherit=True)
    except SyntaxError as e:
        what = "renderer" if file.endswith("/render.py") else "renderer library"
        raise RenderError(f"{what} does not compile: {e.msg}", model=model,
                          file=file, line=e.lineno) from None


def _check_lib_imports(repo: "Repository", files: tuple[str, ...], model: str) -> None:
    """Every ``konfiglib`` import names a library that exists (else an error at the import)."""
    for file in files:
        for name, line in renderlib.file_imports(repo, file):
            problem = None
            if not name:
                problem = f"import a module of {renderlib.PACKAGE} (from {renderlib.PACKAGE} import NAME)"
            elif not renderlib.valid_name(name):
                problem = (f"{renderlib.PACKAGE}.{name}: renderer libraries are flat, one file "
                           f"{renderlib.lib_dir(repo)}/NAME.py each")
            elif not repo.exists(renderlib.lib_file(repo, name)):
                problem = f"{renderlib.PACKAGE}.{name}: {renderlib.lib_file(repo, name)} does not exist"
            if problem:
                raise RenderError(problem, model=model, file=file, line=line)


def where(exc: BaseException, files: tuple[str, ...]) -> tuple[str | None, int | None]:
    """The file and line of the innermost frame of ``exc``'s traceback in one of ``files``."""
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in files:
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def render_stack(repo: "Repository", stack: "Stack", config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The resources of ``stack`` (its resolved config unless ``config`` is given), in apply order.

    Raises ``RenderError`` when the renderer fails, runs past ``render.timeout``
    (``RenderTimeout``) or returns something that is not a list of resources;
    ``KonfigError`` when the stack does not resolve. What the renderer prints
    goes to stderr, prefixed with the stack (``runner``).
    """
    from . import runner

    model_name = stack.model_name
    renderer = load_renderer(repo, model_name)
    if config is None:
        from ..resolve.merge import resolve

        config = resolve(repo, stack).config
    return runner.run(renderer, config, stack.info(), stack.path, runner.limit_of(repo))


def execute(renderer: Renderer, config: dict[str, Any], info: "StackInfo", stack: str, *,
            private: bool = False) -> list[dict[str, Any]]:
    """One run of ``renderer`` for ``stack`` in this process, its result checked (``runner``
    decides where and under which limit). ``private``: ``config`` and ``info`` are this
    run's own already (the helper unpickled them), so they are not copied again."""
    if not private:
        config = copy.deepcopy(config)
        info = dataclasses.replace(info, labels=copy.deepcopy(info.labels))
    try:
        fn = renderer.function()
    except RenderError as e:
        e.stack = stack
        raise
    try:
        result = fn(config, info)
    except RecursionError:
        raise RenderError("renderer recursed too deeply", model=renderer.model, stack=stack,
                          file=renderer.file) from None
    except Exception as e:  # noqa: BLE001 - a renderer that raises fails only its stack
        msg = str(e) or type(e).__name__
        if not isinstance(e, ValueError):
            msg = f"{type(e).__name__}: {msg}"
        file, line = where(e, renderer.files)
        raise RenderError(f"renderer failed: {msg}", model=renderer.model, stack=stack,
                          file=file or renderer.file, line=line) from None
    return check_resources(result, renderer.model, stack)


def check_resources(result: Any, model: str, stack: str | None = None) -> list[dict[str, Any]]:
    """``result`` as a list of resources in apply order, or a ``RenderError`` saying what is wrong."""

    def fail(msg: str) -> RenderError:
        return RenderError(msg, model=model, stack=stack)

    if not isinstance(result, list):
        raise fail(f"renderer must return a list of resources, got {kind_of(result)}")
    seen: dict[tuple[str, str, str, str], int] = {}
    for i, res in enumerate(result):
        if not isinstance(res, dict):
            raise fail(f"resource {i}: expected a mapping, got {kind_of(res)}")
        for field in ("apiVersion", "kind"):
            if not isinstance(res.get(field), str) or not res[field]:
                raise fail(f"resource {i}: {field} must be a non-empty string")
        meta = res.get("metadata")
        if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
            raise fail(f"resource {i} ({res['kind']}): metadata.name must be a non-empty string")
        bad = _not_plain(res)
        if bad is not None:
            path, value = bad
            raise fail(f"{res['kind']} {meta['name']}: {path}: {kind_of(value)} is not plain data "
                       "(use strings, numbers, booleans, null, lists and mappings)")
        ident = (_group(res["apiVersion"]), res["kind"], str(meta.get("namespace") or ""), meta["name"])
        if ident in seen:
            raise fail(f"{res['kind']} {meta['name']} is rendered twice (resources {seen[ident]} and {i})")
        seen[ident] = i
    return in_apply_order(result)


def in_apply_order(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Known kinds in apply order; other kinds (custom resources) after them, in the order
    the renderer first produced each kind; within a kind by namespace and name."""
    first: dict[str, int] = {}
    for res in resources:
        first.setdefault(res["kind"], len(first))

    def key(res: dict[str, Any]) -> tuple[Any, ...]:
        kind = res["kind"]
        meta = res["metadata"]
        return (_RANK.get(kind, len(_RANK)), first[kind], res["apiVersion"],
                str(meta.get("namespace") or ""), meta["name"])

    return sorted(resources, key=key)


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def _not_plain(data: Any, path: str = "") -> tuple[str, Any] | None:
    """The first value that YAML/JSON cannot carry as is (a set, a tuple, an object...)."""
    if isinstance(data, dict):
        for k, v in data.items():
            p = f"{path}.{k}" if path else str(k)
            if not isinstance(k, str):
                return p, k
            found = _not_plain(v, p)
            if found is not None:
                return found
        return None
    if type(data) is list:
        for i, v in enumerate(data):
            found = _not_plain(v, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    if data is None or isinstance(data, (str, bool, int)):
        return None
    if isinstance(data, float):
        return None if math.isfinite(data) else (path, data)
    return path, data


def render_problem_message(err: KonfigError) -> str:
    """A render failure as one line for reports (without the stack, which the report names)."""
    if isinstance(err, RenderError):
        return f"{_location(err)}{err.message}"
    return str(err)
