"""Checking rendered resources against the schemas a cluster would check them with.

* Built-in kinds (groups without a dot, or ``*.k8s.io``): the strict OpenAPI
  schemas that ship with ``kubernetes-validate`` for the ``kubernetes_version``
  of ``konfig.yaml`` (the nearest shipped version not above it). Strict: an
  unknown field -- a typo -- is an error, as ``kubectl apply --validate=strict``
  would make it.
* Custom resources (Config Connector...): JSON Schemas in
  ``<base>/crds/*.yaml``, each naming the kinds it covers with
  ``x-kubernetes-group-version-kind`` (as the built-in schemas do).
* A kind with no schema is an error, never silently passed.

Schemas are loaded once and one validator is built per (apiVersion, kind) and
reused: ``kubernetes_validate.validate`` re-reads and re-compiles them on every
call (~18 ms), which a run over thousands of stacks cannot afford.
"""
from __future__ import annotations

import json
import re
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .. import keypath as kp
from ..errors import KonfigError
from ..files import paths
from ..repo.memo import Slot

if TYPE_CHECKING:
    from ..repo.repository import Repository

PACKAGE = "kubernetes_validate"
SCHEMA_DIR = "kubernetes-json-schema"
DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
MAX_ERRORS = 10  # per resource: the first ones say enough


def _version_tuple(text: str) -> tuple[int, ...]:
    m = re.match(r"v?(\d+)\.(\d+)", str(text).strip())
    if not m:
        raise KonfigError(f"kubernetes_version {text!r} is not a version like 1.31",
                          file="konfig.yaml", keypath="kubernetes_version")
    return int(m.group(1)), int(m.group(2))


def schema_root() -> str:
    """The directory of kubernetes-validate's schemas, found without importing the package
    (its ``__init__`` imports jsonschema and PyYAML: too slow for a run served from cache)."""
    import importlib.util
    import os

    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a dependency
        raise KonfigError("kubernetes-validate is not installed (pip install kubernetes-validate)")
    return os.path.join(next(iter(spec.submodule_search_locations)), SCHEMA_DIR)


def shipped_versions() -> list[str]:
    """Kubernetes versions whose schemas ship with kubernetes-validate (``1.31.0``...), oldest first."""
    import os

    found = set()
    for name in os.listdir(schema_root()):
        m = re.match(r"v(\d+\.\d+\.\d+)-local-strict$", name)
        if m:
            found.add(m.group(1))
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))


def schema_version(wanted: str) -> str:
    """The shipped version nearest to ``wanted``: the newest not above it (else the oldest)."""
    versions = shipped_versions()
    if not versions:  # pragma: no cover - the package ships them
        raise KonfigError("kubernetes-validate ships no schemas")
    want = _version_tuple(wanted)
    below = [v for v in versions if _version_tuple(v) <= want]
    return below[-1] if below else versions[0]


def is_builtin_group(api_version: str) -> bool:
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return "." not in group or group.endswith(".k8s.io")


def describe(resource: dict[str, Any]) -> str:
    """``Deployment checkout`` (what people call a resource in messages)."""
    meta = resource.get("metadata") if isinstance(resource.get("metadata"), dict) else {}
    return f"{resource.get('kind', '?')} {meta.get('name', '?')}"


class Checker:
    """Validators for one repository's Kubernetes version and custom resource schemas."""

    def __init__(self, repo: "Repository") -> None:
        self.repo = repo
        self.kubernetes_version = str(repo.settings["kubernetes_version"])
        self.version = schema_version(self.kubernetes_version)
        self._validators: dict[tuple[str, str], Any] = {}

    @property
    def crd_dir(self) -> str:
        return paths.join(self.repo.base, "crds")

    def crd_files(self) -> list[str]:
        out = []
        for rel, _dirs, files in self.repo.source.walk(self.crd_dir):
            # `_defs.yaml` and the like hold shared definitions, not kinds
            out.extend(paths.join(rel, f) for f in files
                       if f.endswith((".yaml", ".yml", ".json")) and not f.startswith("_"))
        return sorted(out)

    @cached_property
    def crds(self) -> dict[tuple[str, str], str]:
        """(apiVersion, kind) -> the schema file in ``<base>/crds/`` that covers it."""
        out: dict[tuple[str, str], str] = {}
        for rel in self.crd_files():
            schema = self.repo.schema_document(rel)
            gvks = schema.get("x-kubernetes-group-version-kind") if isinstance(schema, dict) else None
            if not isinstance(gvks, list) or not gvks:
                raise KonfigError("a custom resource schema must name its kinds in "
                                  "x-kubernetes-group-version-kind: [{group, version, kind}]", file=rel)
            for gvk in gvks:
                if not isinstance(gvk, dict) or not {"group", "version", "kind"} <= set(gvk):
                    raise KonfigError("x-kubernetes-group-version-kind items need group, version and kind",
                                      file=rel)
                api = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else str(gvk["version"])
                key = (api, str(gvk["kind"]))
                if key in out:
                    raise KonfigError(f"{key[1]} {key[0]} has a schema in {out[key]} already", file=rel)
                out[key] = rel
        return out

    @cached_property
    def _documents(self) -> Any:
        from ..schema.validator import Documents

        # one registry of the definitions for every kind (each library's built once)
        return Documents({DEFINITIONS_ID: json.loads(self._builtin_text("_definitions.json"))})

    def _builtin_text(self, name: str) -> str:
        import os

        with open(os.path.join(schema_root(), f"v{self.version}-local-strict", name), encoding="utf-8") as f:
            return f.read()

    def validator(self, api_version: str, kind: str) -> Any:
        """The validator of one kind (built once); ``KonfigError`` if no schema covers it."""
        key = (api_version, kind)
        v = self._validators.get(key)
        if v is None:
            v = self._validators[key] = self._build(api_version, kind)
        return v

    def _build(self, api_version: str, kind: str) -> Any:
        crd = self.crds.get((api_version, kind))
        if crd is not None:
            return self.repo.build_validator(self.repo.schema_document(crd), crd)
        if is_builtin_group(api_version):
            # as kubernetes-validate names them: rbac.authorization.k8s.io/v1 -> rbac-v1
            suffix = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
            try:
                schema = json.loads(self._builtin_text(f"{kind.lower()}-{suffix}.json"))
            except (FileNotFoundError, OSError):
                schema = None
            if schema is not None:
                from ..schema.validator import build

                # jsonschema-rs's validity check, jsonschema's 2020-12 validator for messages
                return build(schema, documents=self._documents)
        raise KonfigError(
            f"no schema for {kind} {api_version} (Kubernetes {self.version.rsplit('.', 1)[0]}); "
            f"custom resources need a schema in {self.crd_dir}/"
        )

    def check(self, resource: dict[str, Any]) -> list[str]:
        """Problems of one resource, each ``KIND NAME: key.path: message``."""
        from ..schema.validator import explain_error

        what = describe(resource)
        try:
            validator = self.validator(str(resource.get("apiVersion")), str(resource.get("kind")))
        except KonfigError as e:
            return [f"{what}: {e.message}"]
        errors = sorted(validator.iter_errors(resource), key=lambda e: [str(p) for p in e.absolute_path])
        out = []
        for err in errors[:MAX_ERRORS]:
            path, msg = explain_error(err)
            where = kp.format(path)
            out.append(f"{what}: {where}: {msg}" if where else f"{what}: {msg}")
        if len(errors) > MAX_ERRORS:
            out.append(f"{what}: ... and {len(errors) - MAX_ERRORS} more")
        return out

    def check_all(self, resources: list[dict[str, Any]]) -> list[str]:
        out = []
        for res in resources:
            out.extend(self.check(res))
        return out

    def warm(self, kinds: list[tuple[str, str]]) -> None:
        """Build validators before workers fork, so each does not build its own."""
        for api_version, kind in kinds:
            try:
                self.validator(api_version, kind)
            except KonfigError:
                pass


def checker(repo: "Repository") -> Checker:
    """The repository's checker (one per repository, shared by every stack)."""
    c = repo.memo.get(_CHECKER)
    if c is None:
        c = repo.memo.put(_CHECKER, Checker(repo))
    return c


_CHECKER: Slot[Checker] = Slot("kubernetes checker")
