"""A model: the schema, defaults, env profiles and renderer a platform team ships once.

``konfig/base/models/<name>/``:

* ``schema.yaml``  -- JSON Schema 2020-12 (may ``$ref`` files in ``konfig/base/``);
* ``defaults.yaml`` -- the lowest layer of every stack using the model;
* ``envs/<env>.yaml`` -- this model's env profile;
* ``render.py`` -- ``render(config, stack) -> list[dict]``.
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin

from ..errors import KonfigError, Problem, clip, quote
from ..files import paths
from ..schema import ecma
from .memo import Slot

if TYPE_CHECKING:
    from .view import RepoView

URI_PREFIX = "file:///"


def uri_of(rel: str) -> str:
    return URI_PREFIX + rel


def rel_of(uri: str) -> str | None:
    """The repo-relative path of a schema URI, or None for anything that is not a repo file."""
    if not uri.startswith(URI_PREFIX):
        return None
    return paths.normalize(uri[len(URI_PREFIX):])


class MergeSpec:
    """Where a schema puts ``x-merge-key`` arrays: a tree shaped like the config."""

    __slots__ = ("key", "props", "additional", "items")

    def __init__(self) -> None:
        self.key: str | None = None
        self.props: dict[str, MergeSpec] = {}
        self.additional: MergeSpec | None = None
        self.items: MergeSpec | None = None

    def child(self, key: str) -> "MergeSpec | None":
        return self.props.get(key) or self.additional

    @property
    def empty(self) -> bool:
        return self.key is None and not self.props and self.additional is None and self.items is None


class Model:
    def __init__(self, repo: "RepoView", name: str) -> None:
        self.repo = repo
        self.name = name
        self.dir = paths.join(repo.base, "models", name)

    def __repr__(self) -> str:
        return f"Model({self.name!r})"

    @property
    def schema_file(self) -> str:
        return paths.join(self.dir, "schema.yaml")

    @property
    def defaults_file(self) -> str:
        return paths.join(self.dir, "defaults.yaml")

    @property
    def render_file(self) -> str:
        return paths.join(self.dir, "render.py")

    def env_file(self, env: str) -> str:
        return paths.join(self.dir, "envs", f"{env}.yaml")

    @cached_property
    def schema(self) -> dict[str, Any]:
        """The schema document; one that cannot work (``check_usable``) is bad input here,
        for every command that reads it, not only once a value reaches the broken part."""
        data = self.repo.schema_document(self.schema_file)
        if not isinstance(data, dict):
            raise KonfigError("a model schema must be a mapping", file=self.schema_file)
        check_usable(self.repo, self.schema_file, data)
        return data

    @cached_property
    def validator(self) -> Any:
        return self.repo.build_validator(self.schema, self.schema_file)

    @cached_property
    def description(self) -> str:
        return str(self.schema.get("description") or self.schema.get("title") or "")

    def schema_files(self) -> list[str]:
        """The schema file and every file it references, transitively."""
        return self.repo.schema_closure(self.schema_file)

    @cached_property
    def merge_spec(self) -> MergeSpec:
        return build_merge_spec(self.repo, self.schema, uri_of(self.schema_file))

    def types_at(self, path: tuple[Any, ...]) -> set[str]:
        """The JSON types the schema allows at a config key path (empty if it does not say)."""
        return value_types(schemas_at(self.repo, self.schema, uri_of(self.schema_file), path))

    def files(self) -> list[str]:
        """Every file of the model directory."""
        out = []
        for rel, _dirs, files in self.repo.source.walk(self.dir):
            out.extend(paths.join(rel, f) for f in files)
        return out


_FINDINGS: Slot[dict[tuple[str, tuple[Any, ...]], list[Problem]]] = Slot("schema findings", dict)


def schema_findings(repo: "RepoView", file: str, schema: Any,
                    prefix: tuple[Any, ...] = ()) -> list[Problem]:
    """What keeps a schema (a model's, a policy's, at ``prefix`` in ``file``) from working,
    and the keywords it writes that JSON Schema ignores, each at its own file:line:col
    (a shared schema it references included). Found once per repository."""
    from ..schema.validator import lint

    known = repo.memo.of(_FINDINGS)
    key = (file, prefix)
    done = known.get(key)
    if done is not None:
        return done

    def load(uri: str) -> tuple[Any, tuple[Any, ...]] | None:
        rel = rel_of(uri)
        if rel is None:
            return None
        try:
            return repo.schema_document(rel), ()
        except KonfigError:
            return None  # reported where references are resolved (Repository.schema_closure)

    out = []
    for f in lint(schema, uri_of(file), load, prefix):
        rel = rel_of(f.uri) or file
        line, col = repo.position(rel, f.path)
        out.append(Problem(f.message, file=rel, line=line, col=col, severity=f.severity, check="schema",
                           source=f"schema of {file}" if rel != file else ""))
    out.sort(key=lambda p: (not p.is_error, p.file or "", p.line or 0, p.col or 0))
    known[key] = out
    return out


def check_usable(repo: "RepoView", file: str, schema: Any, prefix: tuple[Any, ...] = ()) -> None:
    """A ``KonfigError`` at the first thing that keeps a schema from working (see ``schema.lint``)."""
    for p in schema_findings(repo, file, schema, prefix):
        if p.is_error:
            raise KonfigError(p.message, file=p.file, line=p.line, col=p.col)


def build_merge_spec(repo: "RepoView", schema: Any, base_uri: str) -> MergeSpec:
    """Walk a schema (following ``$ref`` and combinators) and record the arrays that merge by key."""
    memo: dict[tuple[int, str], MergeSpec] = {}

    def walk(node: Any, uri: str, depth: int = 0) -> MergeSpec:
        spec = MergeSpec()
        if not isinstance(node, dict) or depth > 64:
            return spec
        key = (id(node), uri)
        if key in memo:
            return memo[key]
        memo[key] = spec
        for part, puri in subschemas(repo, node, uri):
            if isinstance(part.get("x-merge-key"), str):
                spec.key = spec.key or part["x-merge-key"]
            props = part.get("properties")
            for name, sub in props.items() if isinstance(props, dict) else ():  # else: the meta-schema says
                child = walk(sub, puri, depth + 1)
                if name in spec.props:
                    _absorb(spec.props[name], child)
                elif not child.empty:
                    spec.props[name] = child
            for kw in ("additionalProperties", "items"):
                if isinstance(part.get(kw), dict):
                    child = walk(part[kw], puri, depth + 1)
                    if not child.empty:
                        setattr(spec, "additional" if kw == "additionalProperties" else "items", child)
        return spec

    return walk(schema, base_uri)


def _absorb(into: MergeSpec, other: MergeSpec) -> None:
    if other is into:
        return
    into.key = into.key or other.key
    for k, v in other.props.items():
        into.props.setdefault(k, v)
    into.additional = into.additional or other.additional
    into.items = into.items or other.items


def resolve_ref(repo: "RepoView", ref: str, base_uri: str, root: Any = None) -> tuple[Any, str]:
    """(target schema node, its document URI) of a ``$ref`` written in ``base_uri``.

    ``root``: the schema ``base_uri`` names, when it is not the whole document
    (a policy's ``schema:``): references into that document resolve in it.
    """
    full = urljoin(base_uri, ref)
    doc_uri, fragment = urldefrag(full)
    rel = rel_of(doc_uri)
    if rel is None:
        raise KonfigError(f"$ref {quote(ref)} must point to a file of the repository", file=rel_of(base_uri))
    node: Any = root if root is not None and doc_uri == urldefrag(base_uri)[0] else repo.schema_document(rel)
    if fragment:
        for part in fragment.lstrip("/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise KonfigError(f"$ref {quote(ref)}: no #{clip(fragment)} in {rel}", file=rel_of(base_uri))
    return node, doc_uri


def subschemas(repo: "RepoView", node: Any, uri: str, depth: int = 0, *,
               conditional: bool = True) -> list[tuple[dict[str, Any], str]]:
    """``node`` and every schema it is combined with: ``$ref`` and ``allOf`` always;
    with ``conditional``, also ``anyOf``/``oneOf`` and ``then``/``else`` (what *may* apply)."""
    if not isinstance(node, dict) or depth > 32:
        return []
    out = [(node, uri)]
    ref = node.get("$ref")
    if isinstance(ref, str):
        try:
            target, turi = resolve_ref(repo, ref, uri)
        except KonfigError:
            target, turi = None, uri  # reported by the validator that compiles the schema
        out.extend(subschemas(repo, target, turi, depth + 1, conditional=conditional))
    for comb in ("allOf", "anyOf", "oneOf") if conditional else ("allOf",):
        for sub in node.get(comb) or []:
            if not conditional and _only_a_condition(sub):
                continue
            out.extend(subschemas(repo, sub, uri, depth + 1, conditional=conditional))
    if conditional:
        for cond in ("then", "else"):
            out.extend(subschemas(repo, node.get(cond), uri, depth + 1))
    return out


def _only_a_condition(sub: Any) -> bool:
    return isinstance(sub, dict) and "if" in sub and set(sub) <= {"if", "then", "else", "description"}


def schemas_at(repo: "RepoView", schema: Any, uri: str, path: tuple[Any, ...], *,
               conditional: bool = True) -> list[tuple[dict[str, Any], str]]:
    """Every schema that may apply to the value at key ``path`` (str keys, any other segment = a list item).

    ``conditional=False``: only those that always apply (no ``anyOf``/``oneOf``
    branch, no ``then``/``else``): what is ``required`` whatever the values."""
    current = subschemas(repo, schema, uri, conditional=conditional)
    for seg in path:
        nxt: list[tuple[dict[str, Any], str]] = []
        for node, nuri in current:
            if isinstance(seg, str):
                props = node.get("properties") or {}
                if seg in props:
                    nxt.extend(subschemas(repo, props[seg], nuri, conditional=conditional))
                    continue
                matched = False
                for pattern, sub in (node.get("patternProperties") or {}).items():
                    try:
                        if ecma.search(pattern)(seg):
                            nxt.extend(subschemas(repo, sub, nuri, conditional=conditional))
                            matched = True
                    except ecma.RegexError:
                        continue  # reported when the schema is loaded
                if not matched and isinstance(node.get("additionalProperties"), dict):
                    nxt.extend(subschemas(repo, node["additionalProperties"], nuri, conditional=conditional))
            elif isinstance(node.get("items"), dict):
                nxt.extend(subschemas(repo, node["items"], nuri, conditional=conditional))
        current = nxt
    return current


def value_types(nodes: list[tuple[dict[str, Any], str]]) -> set[str]:
    """The JSON types the schemas at one place name (``type``, or inferred from ``enum``/``const``/``x-quantity``)."""
    out: set[str] = set()
    for node, _uri in nodes:
        t = node.get("type")
        if isinstance(t, str):
            out.add(t)
        elif isinstance(t, list):
            out.update(x for x in t if isinstance(x, str))
        values = list(node.get("enum") or []) + ([node["const"]] if "const" in node else [])
        for v in values:
            out.add("boolean" if isinstance(v, bool) else "string" if isinstance(v, str)
                    else "integer" if isinstance(v, int) else "number" if isinstance(v, float)
                    else "null" if v is None else "object" if isinstance(v, dict) else "array")
        if node.get("x-quantity"):
            out.update(("string", "number"))
    return out
