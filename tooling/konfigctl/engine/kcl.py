"""The KCL engine: a stack directory holding ``kcl.yaml``, compiled with kcl-lib (DESIGN.md "KCL stacks").

A stack's compile is ``kcl.yaml``'s ``kcl_cli_configs.file`` (or ``files``;
``${KCL_MOD}`` is the directory of the nearest ``kcl.mod`` above the stack,
other paths are relative to the stack directory) with ``kcl_options`` as
``-D`` options, overlaid by ``ci-test/settings.yaml``'s ``kcl_options`` -- the
options its golden file was written with, so ``render`` prints what ``test``
compares. It is compiled once per revision (``repo.memo``), in ``sandbox``:
a copy of the files outside the work tree, with no environment variable of
konfig's process.

What the compile prints is the stack's resolved configuration (kcl-lib's YAML
documents). Its resources are those documents in ``kusion compile``'s form:
each document that is a resource (``id``, ``type``, ``attributes``) as it is,
a Kubernetes manifest wrapped as ``type: Kubernetes`` with the id
``apiVersion:Kind[:namespace]:name``, then the project's ``crd/*.yaml``
documents wrapped the same way; keys whose value is ``[]`` or ``null`` are
left out everywhere (empty mappings are kept). The golden file
``ci-test/stdout.golden.yaml`` is one YAML list of them (a mapping with
``resources:`` is read too), compared semantically with lists unordered,
as the era's own tests did.

kcl-lib is the ``kcl`` extra; the version in ``konfig.yaml`` ``kcl.version`` is
the one the Konfig is checked with, and another installed one is bad input
(KCL has changed meaning between versions without an error).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import re
from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import KonfigError, Problem
from ..files import paths
from ..render.renderer import RenderError
from ..repo.memo import Slot
from . import imports
from .base import Engine

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.stack import Stack

KCL_MOD = "${KCL_MOD}"
INSTALL_HINT = "pip install 'konfigctl[kcl]'"


# -- kcl-lib and its version ----------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def installed_version() -> str | None:
    """The installed kcl-lib's version, or None (read from its metadata: importing it costs)."""
    from importlib import metadata

    try:
        return metadata.version("kcl-lib")
    except metadata.PackageNotFoundError:
        return None


def pinned_version(repo: "Repository") -> str | None:
    kcl = repo.settings.get("kcl") or {}
    v = kcl.get("version")
    return str(v) if v is not None else None


def require(repo: "Repository", stack: "Stack | None" = None) -> str:
    """The kcl-lib version to compile with; ``KonfigError`` (exit 2, one line) when it is
    missing or is not the one ``konfig.yaml`` pins."""
    have = installed_version()
    where = f"KCL stack {stack.path}" if stack is not None else "this Konfig's KCL stacks"
    if have is None:
        raise KonfigError(f"{where} needs kcl-lib, which is not installed: {INSTALL_HINT}")
    want = pinned_version(repo)
    if want is None:
        raise KonfigError(f"konfig.yaml pins no kcl.version for {where}: add `kcl: {{version: {have}}}` "
                          f"(the installed kcl-lib)", file=formats.KONFIG_FILE, keypath="kcl.version")
    if want.lstrip("v") != have:
        line, col = repo.position(formats.KONFIG_FILE, ("kcl", "version"))
        raise KonfigError(f"kcl-lib {have} is installed but this Konfig is checked with kcl-lib {want}: "
                          f"install kcl-lib=={want} (KCL changes meaning between versions)",
                          file=formats.KONFIG_FILE, line=line, col=col, keypath="kcl.version")
    return have


# -- the stack's compile settings -----------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Settings:
    mod_root: str  # the directory of the nearest kcl.mod ("" at the repository root)
    files: tuple[str, ...]  # repo-relative, in compile order
    options: tuple[tuple[str, str], ...]  # -D key=value, later ones win


def mod_root(repo: "Repository", stack: "Stack") -> str:
    for d in _upwards(stack.path):
        if repo.exists(paths.join(d, formats.KCL_MOD_FILE)):
            return d
    raise KonfigError(f"no {formats.KCL_MOD_FILE} in the stack's directory or above it: a KCL stack "
                      "needs its module root", file=paths.join(stack.path, formats.KCL_FILE), stack=stack.path)


def _upwards(path: str) -> list[str]:
    out = [path]
    while path:
        path = paths.parent(path)
        out.append(path)
    return out


def _options(data: Any, file: str) -> list[tuple[str, str]]:
    opts = data.get("kcl_options") if isinstance(data, dict) else None
    if opts is None:
        return []
    if not isinstance(opts, list):
        raise KonfigError("kcl_options must be a list of {key, value}", file=file, keypath="kcl_options")
    out = []
    for i, o in enumerate(opts):
        if not isinstance(o, dict) or "key" not in o:
            raise KonfigError("each kcl_options item needs key and value", file=file, keypath=f"kcl_options[{i}]")
        value = o.get("value")
        out.append((str(o["key"]), value if isinstance(value, str) else json.dumps(value)))
    return out


def settings(repo: "Repository", stack: "Stack") -> Settings:
    file = paths.join(stack.path, formats.KCL_FILE)
    data = repo.document(file).data or {}
    if not isinstance(data, dict):
        raise KonfigError("kcl.yaml must be a mapping", file=file)
    cli = data.get("kcl_cli_configs") or {}
    listed = cli.get("files", cli.get("file")) if isinstance(cli, dict) else None
    if isinstance(listed, str):
        listed = [listed]
    if not listed or not isinstance(listed, list) or not all(isinstance(f, str) for f in listed):
        raise KonfigError("kcl_cli_configs.file must list the files to compile", file=file,
                          keypath="kcl_cli_configs.file")
    root = mod_root(repo, stack)
    files = []
    for i, f in enumerate(listed):
        rel = paths.join(root, f[len(KCL_MOD):].lstrip("/")) if f.startswith(KCL_MOD) else paths.join(stack.path, f)
        try:
            rel = paths.normalize(rel)
        except KonfigError as e:
            raise KonfigError(e.message, file=file, keypath=f"kcl_cli_configs.file[{i}]") from None
        if not repo.exists(rel):
            raise KonfigError(f"no such file to compile: {rel}", file=file, keypath=f"kcl_cli_configs.file[{i}]")
        files.append(rel)
    options = _options(data, file)
    test_file = paths.join(stack.path, formats.KCL_SETTINGS_FILE)
    if repo.exists(test_file):
        options += _options(repo.document(test_file).data, test_file)
    return Settings(root, tuple(files), tuple(options))


def closure(repo: "Repository", stack: "Stack") -> dict[str, tuple[str, ...]]:
    """Every ``.k`` file the stack's compile reads -> the files it was imported through."""
    found = repo.memo.of(_CLOSURES)
    c = found.get(stack.path)
    if c is None:
        s = settings(repo, stack)
        c = found[stack.path] = imports.closure(repo, list(s.files), s.mod_root)
    return c


def project_crds(repo: "Repository", stack: "Stack") -> list[str]:
    crd_dir = paths.join(stack.project.path, "crd")
    for _rel, _dirs, files in repo.source.walk(crd_dir):
        return sorted(paths.join(crd_dir, f) for f in files if f.endswith((".yaml", ".yml")))
    return []


# -- errors -------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_AT = re.compile(r"^\s*-->\s*(.+?):(\d+)(?::(\d+))?\s*$")
_GUTTER = re.compile(r"^\s*\d*\s*\|(.*)$")
_HEAD = re.compile(r"^(?:error\[(E\w+)\]:\s*)?(\w*Error|\w+)\s*$")


@dataclasses.dataclass
class Spot:
    file: str | None
    line: int | None
    col: int | None
    message: str


def parse_error(text: str, sandbox: str) -> tuple[str, list[Spot]]:
    """(error kind, the located messages) of kcl-lib's error text; paths made repo-relative."""
    text = _ANSI.sub("", text).replace(sandbox.rstrip("/") + "/", "")
    kind = ""
    spots: list[Spot] = []
    current: Spot | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        m = _AT.match(line)
        if m:
            current = Spot(m.group(1), int(m.group(2)), int(m.group(3)) if m.group(3) else None, "")
            spots.append(current)
            continue
        h = _HEAD.match(line.strip())
        if h and not current and not kind:
            kind = (h.group(1) or "") + ":" + h.group(2)
            continue
        g = _GUTTER.match(line)
        if g and current is not None:
            body = g.group(1)
            if "^" in body or (not current.message and body.strip() and not re.match(r"^\s*\d+\s", raw)):
                msg = body.strip().lstrip("^").strip()
                if msg and not current.message:
                    current.message = msg
            continue
        if line.strip() and current is None and kind and not spots:
            spots.append(Spot(None, None, None, line.strip()))
    spots = [s for s in spots if s.message] or [Spot(None, None, None, " ".join(text.split())[:300] or kind)]
    # each block repeats for every parse attempt: keep the first of each
    seen, out = set(), []
    for s in spots:
        key = (s.file, s.line, s.col, s.message)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return kind, out


def is_syntax(kind: str) -> bool:
    """Whether kcl-lib's error kind is bad input (the files do not parse or import)."""
    code = kind.split(":", 1)[0]
    return code.startswith("E1") or "Syntax" in kind or "CannotFindModule" in kind


class KclError(RenderError):
    """The stack does not compile (a check, an assertion, a type error): it fails, exit 1."""

    def __init__(self, spots: list[Spot], stack: str) -> None:
        self.spots = spots
        first = spots[0]
        super().__init__(_message(spots), model="kcl", stack=stack, file=first.file, line=first.line)
        self.col = first.col

    def __str__(self) -> str:
        return problem_line(self.spots)


def _message(spots: list[Spot]) -> str:
    """The first message, and the second's with its place (the failed condition of a check)."""
    first, rest = spots[0], spots[1:2]
    msg = first.message
    for s in rest:
        msg += f"; {s.message}" + (f" at {s.file}:{s.line}" + (f":{s.col}" if s.col else "") if s.file else "")
    return msg


def problem_line(spots: list[Spot]) -> str:
    first = spots[0]
    loc = f"{first.file}:{first.line}" + (f":{first.col}" if first.col else "") + ": " if first.file else ""
    return f"{loc}{_message(spots)} (kcl)"


def _own_first(spots: list[Spot], stack: "Stack") -> list[Spot]:
    """The stack's own file's spot first (the instance in main.k): that is what its author edits."""
    own = [s for s in spots if s.file and paths.is_within(s.file, stack.path)]
    return own[:1] + [s for s in spots if s is not (own[0] if own else None)]


# -- compiling ------------------------------------------------------------------------------

@dataclasses.dataclass
class Compiled:
    documents: list[Any] | None = None
    failure: KclError | None = None
    broken: KonfigError | None = None  # bad input: exit 2


_COMPILED: Slot[dict[tuple[str, tuple[str, ...]], Compiled]] = Slot("kcl compiles", dict)
_CLOSURES: Slot[dict[str, dict[str, tuple[str, ...]]]] = Slot("kcl closures", dict)
_PROJECT_CRDS: Slot[dict[str, dict[tuple[str, str], Any]]] = Slot("kcl project crds", dict)


def compiled(repo: "Repository", stack: "Stack", overrides: tuple[str, ...] = ()) -> Compiled:
    """The stack's compile (once per revision and overrides); never raises for the stack's files."""
    memo = repo.memo.of(_COMPILED)
    key = (stack.path, tuple(overrides))
    c = memo.get(key)
    if c is None:
        c = memo[key] = _compile(repo, stack, tuple(overrides))
    return c


def _compile(repo: "Repository", stack: "Stack", overrides: tuple[str, ...]) -> Compiled:
    from ..render.runner import limit_of
    from ..yamlio import load_all
    from . import sandbox

    try:
        require(repo, stack)
        s = settings(repo, stack)
        files = set(closure(repo, stack))
        files.update(_module_files(repo, stack, s))
        options = list(s.options)
        for o in overrides:
            key, sep, value = o.partition("=")
            if not sep or not key:
                raise KonfigError(f"-O {o!r}: expected key=value (a KCL option)")
            options.append((key, value))
        out = sandbox.compile(repo, sorted(files), s.mod_root, stack.path, list(s.files), options,
                              limit_of(repo))
    except KonfigError as e:
        return Compiled(broken=e)
    if out.timed_out:
        return Compiled(failure=KclError([Spot(None, None, None,
                                               f"the compile ran past render.timeout ({limit_of(repo):g} s)")],
                                         stack.path))
    if out.error:
        kind, spots = parse_error(out.error, out.root)
        if is_syntax(kind):
            first = spots[0]
            return Compiled(broken=KonfigError(f"{first.message} (kcl)", file=first.file, line=first.line,
                                               col=first.col, stack=stack.path))
        return Compiled(failure=KclError(_own_first(spots, stack), stack.path))
    try:
        docs = [d for d in load_all(out.yaml, f"{stack.path} (compiled)") if d is not None]
    except KonfigError as e:
        return Compiled(broken=e)
    return Compiled(documents=docs)


def _module_files(repo: "Repository", stack: "Stack", s: Settings) -> list[str]:
    """What the sandbox holds besides the imports: kcl.mod and the stack's and project's own
    files (``file.read`` of a file beside main.k works as it did)."""
    out = [paths.join(s.mod_root, n) for n in (formats.KCL_MOD_FILE, "kcl.mod.lock")
           if repo.exists(paths.join(s.mod_root, n))]
    skip = [x.path for x in stack.project.stacks if x.path != stack.path]
    for top in (stack.path, stack.project.path):
        for rel, _dirs, names in repo.source.walk(top):
            if any(paths.is_within(rel, other) for other in skip):
                continue
            if top == stack.project.path and paths.is_within(rel, stack.path):
                continue
            out.extend(paths.join(rel, n) for n in names)
    return out


# -- the kusion compile form ------------------------------------------------------------------

def kube_id(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{doc.get('apiVersion')}:{doc.get('kind')}:" + (f"{ns}:" if ns else "") + f"{meta.get('name')}"


def drop_empty(value: Any) -> Any:
    """``kusion compile``'s output: keys whose value is ``[]`` or ``null`` left out, everywhere."""
    if isinstance(value, dict):
        return {k: drop_empty(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    return value


def as_resource(doc: Any) -> dict[str, Any] | None:
    if isinstance(doc, dict) and "id" in doc and "type" in doc:
        return doc
    if isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc:
        return {"id": kube_id(doc), "type": "Kubernetes", "attributes": doc}
    return None


def canonical(value: Any) -> Any:
    """A form in which semantically equal values are equal: mappings and lists unordered,
    types strict (``True`` is not ``1``)."""
    if isinstance(value, dict):
        return ("map", tuple(sorted((str(k), canonical(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("list", tuple(sorted((canonical(v) for v in value), key=repr)))
    kind = "bool" if isinstance(value, bool) else "number" if isinstance(value, (int, float)) else type(value).__name__
    return (kind, value)


def by_id(resources: list[Any]) -> list[Any]:
    return sorted(resources, key=lambda r: str(r.get("id")) if isinstance(r, dict) else "")


class KclEngine(Engine):
    name = "kcl"
    golden_name = formats.KCL_GOLDEN_FILE
    resolved_documents = True
    unexplained = ("a KCL stack has no layers to explain: its values are its code (`konfig get STACK "
                   "PATH` reads what its main.k sets, `konfig resolve STACK` prints the compile output)")

    def resolve(self, repo: "Repository", stack: "Stack", overrides: list[str] | tuple[str, ...] = ()) -> Any:
        c = compiled(repo, stack, tuple(overrides))
        if c.broken is not None:
            raise c.broken
        if c.failure is not None:
            raise c.failure
        return c.documents

    def render(self, repo: "Repository", stack: "Stack", config: Any = None) -> list[dict[str, Any]]:
        from ..yamlio import load_all

        docs = self.resolve(repo, stack) if config is None else config
        out = []
        for i, doc in enumerate(docs):
            res = as_resource(doc)
            if res is None:
                raise RenderError(f"document {i + 1} of the compile output is neither a resource "
                                  "{id, type, attributes} nor a Kubernetes manifest", model="kcl",
                                  stack=stack.path)
            out.append(res)
        for file in project_crds(repo, stack):
            for doc in load_all(repo.read(file), file):
                if isinstance(doc, dict):
                    out.append({"id": kube_id(doc), "type": "Kubernetes", "attributes": doc})
        return [drop_empty(r) for r in out]

    def problems(self, repo: "Repository", stack: "Stack",
                 overrides: list[str] | tuple[str, ...] = ()) -> list[Problem]:
        """The compile's failure as problem lines; bad input (a syntax error) raises."""
        c = compiled(repo, stack, tuple(overrides))
        if c.broken is not None:
            raise c.broken
        if c.failure is None:
            return []
        first = c.failure.spots[0]
        return [Problem(_message(c.failure.spots), file=first.file, line=first.line, col=first.col,
                        stack=stack.path, source="kcl")]

    def manifests(self, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r["attributes"] for r in resources
                if r.get("type") == "Kubernetes" and isinstance(r.get("attributes"), dict)]

    def unknown_kind_is_warning(self, stack: "Stack", resource: dict[str, Any]) -> bool:
        return True

    def crd_kinds(self, repo: "Repository", stack: "Stack") -> dict[tuple[str, str], Any]:
        """(apiVersion, kind) -> the validator of its ``openAPIV3Schema``, for the CRDs in the
        project's ``crd/`` (built once per project and revision; None: the version has no schema)."""
        from ..schema.validator import build
        from ..yamlio import load_all

        known = repo.memo.of(_PROJECT_CRDS)
        out = known.get(stack.project.path)
        if out is not None:
            return out
        out = {}
        for file in project_crds(repo, stack):
            for doc in load_all(repo.read(file), file):
                if not (isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"):
                    continue
                spec = doc.get("spec") or {}
                group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
                for v in spec.get("versions") or []:
                    if isinstance(v, dict):
                        schema = (v.get("schema") or {}).get("openAPIV3Schema")
                        out[(f"{group}/{v.get('name')}", str(kind))] = (
                            build(schema) if isinstance(schema, dict) else None)
        known[stack.project.path] = out
        return out

    def inputs(self, repo: "Repository", stack: "Stack") -> list[str]:
        s = settings(repo, stack)
        files = set(closure(repo, stack)) | set(_module_files(repo, stack, s))
        files.discard(self.golden_file(stack))
        return sorted(f for f in files if repo.exists(f))

    def golden_parse(self, data: bytes, file: str) -> list[Any]:
        from ..yamlio import load_all

        docs = [d for d in load_all(data, file) if d is not None]
        if len(docs) == 1 and isinstance(docs[0], dict) and isinstance(docs[0].get("resources"), list):
            return list(docs[0]["resources"])
        if len(docs) == 1 and isinstance(docs[0], list):
            return docs[0]
        return docs

    def golden_same(self, expected: list[Any], actual: list[Any]) -> bool:
        return canonical(expected) == canonical(actual)

    def golden_diff(self, expected: list[Any], actual: list[Any], file: str) -> str:
        from ..render import golden

        return golden.diff(by_id(expected), by_id(actual), file)

    def golden_text(self, stack: "Stack", resources: list[dict[str, Any]]) -> str:
        from ..yamlio import dump

        return dump(resources, indent=4)


ENGINE = KclEngine()


# -- get and set: override specs on main.k, through kcl-lib --------------------------------------

MAIN_FILE = "main.k"
_SPEC = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(=|-$)(.*)$", re.S)


def main_file(stack: "Stack") -> str:
    return paths.join(stack.path, MAIN_FILE)


def _key(key: str) -> str:
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$", key):
        raise KonfigError(f"{key!r} is not a KCL override path (names joined by dots, as `kcl -O` "
                          "takes them: app.resource.disk)")
    return key


def _in_a_copy(repo: "Repository", stack: "Stack", work: Any) -> Any:
    """Run ``work(path)`` on a copy of the stack's main.k outside the work tree (kcl-lib only
    parses and prints it here: nothing is evaluated)."""
    import os
    import shutil
    import tempfile

    require(repo, stack)
    file = main_file(stack)
    if not repo.exists(file):
        raise KonfigError(f"a KCL stack's get and set work on its {MAIN_FILE}, and it has none", file=file)
    root = tempfile.mkdtemp(prefix="konfig-kcl-edit-")
    try:
        copy = os.path.join(root, MAIN_FILE)
        with open(copy, "wb") as f:
            f.write(repo.read(file))
        return work(copy)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def get_value(repo: "Repository", stack: "Stack", key: str) -> str:
    """The KCL source of what ``main.k`` sets at the override path ``key``."""
    import kcl_lib.api as api

    key = _key(key)

    def work(copy: str) -> str:
        res = api.API().list_variables(api.ListVariablesArgs(files=[copy], specs=[key]))
        found = res.variables.get(key)
        if found is None or not found.variables:
            raise KonfigError(f"{key}: main.k sets no such value", file=main_file(stack), keypath=key)
        return str(found.variables[0].value)

    return _in_a_copy(repo, stack, work)


def set_text(repo: "Repository", stack: "Stack", specs: list[str]) -> str:
    """``main.k`` with ``specs`` applied (``path=KCL value`` or ``path-``), comments kept."""
    import kcl_lib.api as api

    for spec in specs:
        m = _SPEC.match(spec)
        if m is None or (m.group(2) == "=" and not m.group(3).strip()):
            raise KonfigError(f"{spec!r}: a KCL set spec is path=value (a KCL literal) or path- (delete)")
        _key(m.group(1))

    def work(copy: str) -> str:
        try:
            api.API().override_file(api.OverrideFileArgs(file=copy, specs=list(specs), import_paths=[]))
        except Exception as e:  # noqa: BLE001 - kcl-lib raises plain Exception for a bad spec
            raise KonfigError(f"{' '.join(_ANSI.sub('', str(e)).split())[:300]} (kcl)",
                              file=main_file(stack)) from None
        with open(copy, encoding="utf-8") as f:
            return f.read()

    return str(_in_a_copy(repo, stack, work))
