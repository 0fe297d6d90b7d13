"""What is imported: the input read safely, and the one schema picked from it.

A CRD (``apiextensions.k8s.io/v1``) gives the schema of one of its versions
(``--version``, else the storage version); an OpenAPI document (v2
``definitions`` or v3 ``components.schemas``) gives one definition. Either way
the result is an ``Imported``: the schema, where it sits in the document (a
JSON pointer, for messages and ``$ref``s), and the resource it describes.

Anything that is not such an input -- another kind, a missing version or
definition, malformed YAML or JSON -- is a ``KonfigError``: one line, exit 2,
before anything is written.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
import sys
from typing import Any

from ..errors import KonfigError, UsageError, quote
from ..yamlio import MAX_BYTES, Document, YamlError, load, load_all, plain

CRD_API = "apiextensions.k8s.io/v1"
CRD_KIND = "CustomResourceDefinition"
GVK = "x-kubernetes-group-version-kind"
RESOURCE_KEYS = ("apiVersion", "kind", "metadata")
STDIN = "-"


def pointer(path: tuple[Any, ...]) -> str:
    """An RFC 6901 JSON pointer (``/spec/versions/0/schema``)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


@dataclasses.dataclass
class Input:
    """The documents of one input file, with positions where YAML gave them."""

    name: str  # as messages show it
    documents: list[Any]
    located: Document | None  # positions of the only document, if it is one YAML document

    def fail(self, message: str, path: tuple[Any, ...] = (), doc: int | None = None) -> KonfigError:
        """A problem of the file (``doc`` None) or at ``path`` of one of its documents."""
        line, col = self.where(path, doc or 0)
        return KonfigError(message, file=self.name if doc is None else self.shown(doc), line=line, col=col,
                           keypath=pointer(path) or None)

    def shown(self, doc: int = 0) -> str:
        """The file as messages name it; which document, when it holds several (pointers start there)."""
        return f"{self.name} (document {doc + 1})" if len(self.documents) > 1 else self.name

    def where(self, path: tuple[Any, ...], doc: int = 0) -> tuple[int | None, int | None]:
        if self.located is None or doc != 0:
            return None, None
        return self.located.position(path) or (None, None)


@dataclasses.dataclass
class Imported:
    """One schema to import and the resource it describes."""

    command: str  # "crd" | "openapi"
    source: Input
    doc: int  # which document of the input
    schema: dict[str, Any]
    path: tuple[Any, ...]  # of ``schema`` in its document
    group: str
    version: str
    kind: str
    namespaced: bool
    # True: ``schema`` is the whole resource (a CRD version, a definition with a GVK), whose
    # ``spec`` is the config; False: ``schema`` is the config, rendered as the resource's spec
    resource: bool
    origin: str  # "CRD widgets.example.com, version v1" -- for comments and messages
    notes: list[tuple[tuple[Any, ...], str]] = dataclasses.field(default_factory=list)  # warnings

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def document(self) -> Any:
        return self.source.documents[self.doc]


def read(file: str, cwd: str | None = None, stdin: Any = None) -> Input:
    """The input's documents: ``file`` relative to ``cwd``, or ``-`` for standard input."""
    if file == STDIN:
        name = "<stdin>"
        stream = stdin if stdin is not None else sys.stdin
        raw = stream.read()
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
    else:
        name = file
        path = os.path.join(cwd or os.getcwd(), os.path.expanduser(file))
        try:
            if os.path.getsize(path) > MAX_BYTES:
                raise KonfigError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB: not a schema to import",
                                  file=name)
            with open(path, "rb") as f:
                data = f.read()
        except IsADirectoryError:
            raise UsageError(f"{file} is a directory, not a file") from None
        except OSError as e:
            raise UsageError(f"cannot read {file}: {e.strerror or e}") from None
    return parse(data, name)


def parse(data: bytes, name: str) -> Input:
    """YAML (one or several documents) or JSON, loaded safely."""
    text = data.lstrip()
    if text.startswith(b"{"):
        return Input(name, [_json(data, name)], None)
    try:
        doc = load(data, name, positions=True)
        return Input(name, [plain(doc.data)], doc)
    except YamlError as e:
        if "single document" not in e.message and "expected a single" not in e.message:
            raise
    return Input(name, [plain(d) for d in load_all(data, name)], None)


def _json(data: bytes, name: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise KonfigError(f"duplicate key {quote(k)}", file=name)
            out[k] = v
        return out

    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=pairs)
    except UnicodeDecodeError:
        raise KonfigError("not UTF-8 text", file=name) from None
    except json.JSONDecodeError as e:
        raise KonfigError(f"malformed JSON: {e.msg}", file=name, line=e.lineno, col=e.colno) from None


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        if isinstance(node, dict) and p in node:
            node = node[p]
        elif isinstance(node, list) and isinstance(p, int) and 0 <= p < len(node):
            node = node[p]
        else:
            return None
    return node


# -- CRDs --------------------------------------------------------------------------------

def crd(source: Input, version: str | None = None, kind: str | None = None) -> Imported:
    """The schema of one version of the CRD that ``source`` holds (of kind ``kind``, when it
    holds several: an operator's one file of CRDs, ``kubectl get crd -o yaml``'s List)."""
    found = []
    for i, d in enumerate(source.documents):
        if isinstance(d, dict) and d.get("kind") == "List" and isinstance(d.get("items"), list):
            found.extend((i, ("items", j)) for j, item in enumerate(d["items"])
                         if isinstance(item, dict) and item.get("kind") == CRD_KIND)
        elif isinstance(d, dict) and d.get("kind") == CRD_KIND:
            found.append((i, ()))
    if not found:
        first = source.documents[0] if source.documents else None
        what = (f"kind {quote(first.get('kind'))}" if isinstance(first, dict) and "kind" in first
                else "no kind" if isinstance(first, dict) else "not a mapping" if first is not None
                else "empty")
        raise source.fail(f"not a {CRD_KIND} ({what})")
    def kind_of(i: int, base: tuple[Any, ...]) -> str:
        return str(_get(source.documents[i], base + ("spec", "names", "kind")))

    if kind is not None:
        kinds = [kind_of(i, base) for i, base in found]
        found = [f for f in found if kind_of(*f) == kind]
        if not found:
            raise UsageError(f"{source.name}: no CustomResourceDefinition of kind {quote(kind)} "
                             f"(kinds: {', '.join(kinds)})")
    if len(found) > 1:
        kinds = [kind_of(i, base) for i, base in found]
        raise source.fail(f"{len(found)} CustomResourceDefinitions (kinds {', '.join(kinds)}): "
                          "pick one with --kind")
    doc, base = found[0]
    d = _get(source.documents[doc], base)

    def fail(msg: str, *path: Any) -> KonfigError:
        return source.fail(msg, base + path, doc)

    api = d.get("apiVersion")
    if api != CRD_API:
        hint = " (served until Kubernetes 1.22: convert it to v1)" if api == "apiextensions.k8s.io/v1beta1" else ""
        raise fail(f"a {CRD_KIND} of apiVersion {quote(api)} is not supported{hint}: "
                   f"import an {CRD_API} one", "apiVersion")
    spec = d.get("spec")
    if not isinstance(spec, dict):
        raise fail("malformed CRD: no spec mapping", "spec")
    group = spec.get("group")
    names = spec.get("names")
    kind = names.get("kind") if isinstance(names, dict) else None
    if not isinstance(group, str) or not group:
        raise fail("malformed CRD: spec.group is missing", "spec")
    if not isinstance(kind, str) or not re.match(r"^[A-Za-z][A-Za-z0-9]*$", kind):
        raise fail("malformed CRD: spec.names.kind is missing or not a kind name", "spec", "names")
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions or not all(isinstance(v, dict) for v in versions):
        raise fail("malformed CRD: spec.versions is not a list of versions", "spec", "versions")
    listed = [str(v.get("name")) for v in versions]
    if version is None:
        storage = [i for i, v in enumerate(versions) if v.get("storage") is True]
        if len(storage) != 1:
            raise fail(f"malformed CRD: {len(storage)} storage versions (exactly one is; "
                       f"or pick one with --version: {', '.join(listed)})", "spec", "versions")
        index = storage[0]
    else:
        if version not in listed:
            raise UsageError(f"{source.name}: no version {quote(version)} in CRD "
                             f"{d.get('metadata', {}).get('name', kind) if isinstance(d.get('metadata'), dict) else kind} "
                             f"(versions: {', '.join(listed)})")
        index = listed.index(version)
    v = versions[index]
    name = listed[index]
    at = ("spec", "versions", index, "schema", "openAPIV3Schema")
    schema = _get(d, at)
    if not isinstance(schema, dict):
        raise fail(f"version {name} has no schema.openAPIV3Schema to import", *at[:3])
    scope = spec.get("scope", "Namespaced")
    if scope not in ("Namespaced", "Cluster"):
        raise fail(f"malformed CRD: scope {quote(scope)} is neither Namespaced nor Cluster", "spec", "scope")
    crd_name = d.get("metadata", {}).get("name") if isinstance(d.get("metadata"), dict) else None
    out = Imported(command="crd", source=source, doc=doc, schema=schema, path=base + at, group=group,
                   version=name, kind=kind, namespaced=scope == "Namespaced", resource=True,
                   origin=f"CRD {crd_name or kind}, version {name}")
    if v.get("served") is False:
        out.notes.append((base + at[:3] + ("served",), f"version {name} is not served: "
                                                         "the API server refuses resources of it"))
    if v.get("deprecated") is True:
        why = v.get("deprecationWarning")
        out.notes.append((base + at[:3] + ("deprecated",),
                          f"version {name} is deprecated" + (f": {why}" if isinstance(why, str) else "")))
    return out


# -- OpenAPI -------------------------------------------------------------------------------

def definitions_path(document: Any) -> tuple[str, ...] | None:
    """Where an OpenAPI document keeps its schemas: v2 ``definitions``, v3 ``components.schemas``."""
    if not isinstance(document, dict):
        return None
    if str(document.get("swagger", "")).startswith("2"):
        return ("definitions",)
    if str(document.get("openapi", "")).startswith("3"):
        return ("components", "schemas")
    return None


def openapi(source: Input, definition: str, api_version: str | None = None,
            kind: str | None = None) -> Imported:
    """One definition of an OpenAPI v2/v3 document, and the resource it renders."""
    if len(source.documents) != 1:
        raise source.fail(f"an OpenAPI document is one document ({len(source.documents)} here)")
    document = source.documents[0]
    where = definitions_path(document)
    if where is None:
        raise source.fail("not an OpenAPI document (no `swagger: \"2.0\"` or `openapi: 3.x`)")
    defs = _get(document, where)
    if not isinstance(defs, dict):
        raise source.fail(f"malformed OpenAPI document: no {'.'.join(where)} mapping", where)
    if definition not in defs:
        close = difflib.get_close_matches(definition, [str(k) for k in defs], n=3)
        known = f"did you mean {', '.join(close)}?" if close else f"{len(defs)} definitions"
        raise UsageError(f"{source.name}: no definition {quote(definition)} in {'.'.join(where)} ({known})")
    path = where + (definition,)
    schema = defs[definition]
    if not isinstance(schema, dict):
        raise source.fail(f"definition {definition} is not a schema (a mapping)", path)
    gvks = schema.get(GVK)
    if api_version is not None and "/" in api_version:
        want_group, want_version = api_version.rsplit("/", 1)
    else:
        want_group, want_version = "", api_version
    if isinstance(gvks, list) and gvks:
        options = [(str(g.get("group", "")), str(g.get("version", "")), str(g.get("kind", "")))
                   for g in gvks if isinstance(g, dict)]
        chosen = [o for o in options
                  if (api_version is None or (o[0], o[1]) == (want_group, want_version))
                  and (kind is None or o[2] == kind)]
        if len(chosen) != 1:
            shown = ", ".join(f"{g + '/' if g else ''}{v} {k}" for g, v, k in options)
            raise UsageError(f"{source.name}: definition {definition} is the resource {shown}: "
                             + ("name one with --api-version and --kind" if not chosen or len(chosen) > 1
                                and api_version is None else "--api-version/--kind name another"))
        group, version, kind_ = chosen[0]
        return Imported(command="openapi", source=source, doc=0, schema=schema, path=path, group=group,
                        version=version, kind=kind_, namespaced=True, resource=True,
                        origin=f"OpenAPI definition {definition}")
    if not api_version or not kind:
        raise UsageError(f"{source.name}: definition {definition} is not a Kubernetes resource (no {GVK}): "
                         "name the resource it renders with --api-version GROUP/VERSION and --kind KIND")
    if not re.match(r"^[A-Za-z][A-Za-z0-9]*$", kind):
        raise UsageError(f"--kind {quote(kind)}: not a kind name (letters and digits, e.g. BackupPolicy)")
    if not want_version or not re.match(r"^[a-z0-9][a-z0-9.-]*$", want_version) or (
            want_group and not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", want_group)):
        raise UsageError(f"--api-version {quote(api_version)}: not GROUP/VERSION (e.g. backup.example.com/v1)")
    return Imported(command="openapi", source=source, doc=0, schema=schema, path=path, group=want_group,
                    version=want_version, kind=kind, namespaced=True, resource=False,
                    origin=f"OpenAPI definition {definition}")
