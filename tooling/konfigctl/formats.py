"""The Konfig's own file formats, in one place.

``konfig.yaml``, ``project.yaml``, ``stack.yaml``, policies and ``teams.yaml``
are checked against the JSON Schemas in ``konfigctl/schemas/`` (also published
for editors by ``konfig docs``). A file that breaks its format is bad input
(exit 2) and the error points at the offending line.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

from . import keypath as kp
from .errors import KonfigError, kind_of
from .yamlio import Document

KONFIG_FILE = "konfig.yaml"
PROJECT_FILE = "project.yaml"
STACK_FILE = "stack.yaml"
DEFAULTS_FILE = "defaults.yaml"
GOLDEN_FILE = "golden.yaml"
TEAMS_FILE = "teams.yaml"
# KCL stacks (DESIGN.md "KCL stacks"): a stack directory holding kcl.yaml; its golden file
KCL_FILE = "kcl.yaml"
KCL_GOLDEN_FILE = "ci-test/stdout.golden.yaml"
KCL_SETTINGS_FILE = "ci-test/settings.yaml"
KCL_MOD_FILE = "kcl.mod"
OWNERS_FILE = "OWNERS"

FORMATS = ("konfig", "project", "stack", "policy", "teams")

SCHEMA_URL = "https://konfig.dev/schemas/{name}.schema.json"
# Project and stack names (namespaces, labels, resource names): the formats' `name` pattern.
DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def checked_name(meta: dict[str, Any], directory: str, what: str, file: str) -> dict[str, Any]:
    """``meta`` when its name -- ``name:``, or the directory's name by default -- is a DNS label.

    ``name:`` is checked by the format; the default needs the same rule, or a
    directory called ``$(touch x)`` or ``Web_App`` would become a name.
    """
    if "name" not in meta:
        default = directory.rsplit("/", 1)[-1]
        if not DNS_LABEL.match(default):
            raise KonfigError(
                f"the {what}'s name defaults to its directory name {default!r}, which is not a DNS label "
                "(lowercase letters, digits and dashes): rename the directory or set name:",
                file=file, keypath="name")
    return meta

DEFAULT_SETTINGS: dict[str, Any] = {
    "kubernetes_version": "1.31",
    "base": "konfig/base",
    "roots": ["konfig/appops", "konfig/infra"],
    "envs": ["dev", "staging", "prod"],
    "global": ["konfig.yaml", "{base}/teams.yaml", "tooling/**", "pyproject.toml"],
    "cache_dir": ".konfig-cache",
    "render": {},  # timeout: render.DEFAULT_TIMEOUT
    "ownership": [],
    "review": {"rules": []},
    "pipelines": {},
}

# Canonical key order of metadata files (``konfig fmt``).
KEY_ORDER: dict[str, tuple[str, ...]] = {
    "konfig": ("version", "name", "kubernetes_version", "base", "roots", "envs", "global",
               "cache_dir", "render", "ownership", "review", "pipelines"),
    "project": ("name", "description", "model", "owners", "labels", "namespace", "review"),
    "stack": ("name", "description", "env", "model", "labels", "depends_on", "owners",
              "inherit_owners", "config"),
    "policy": ("name", "description", "severity", "when", "requires", "schema"),
    "teams": ("teams", "users"),
}


@functools.lru_cache(maxsize=None)
def format_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one file format (``konfig``, ``project``, ``stack``, ``policy``, ``teams``)."""
    text = resources.files("konfigctl").joinpath(f"schemas/{name}.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=None)
def _validator(name: str) -> Any:
    from .schema.validator import build

    return build(format_schema(name))


def check(name: str, doc: Document, what: str | None = None,
          located: Callable[[], Document] | None = None) -> dict[str, Any]:
    """Validate a loaded metadata file against its format; return its mapping.

    Raises ``KonfigError`` for the first problem, at its file:line:col (from
    ``doc``'s positions, or ``located()`` -- the file parsed with positions,
    which only failures pay for). An empty file is an empty mapping.
    """
    data = doc.data
    if data is None:
        data = {}
    pos_doc: Callable[[], Document] = (
        located if doc.positions is None and located is not None else (lambda: doc)
    )
    if not isinstance(data, dict):
        line, col = pos_doc().position(()) or (None, None)
        raise KonfigError(
            f"expected a mapping of {what or name} settings, got {kind_of(data)}",
            file=doc.filename, line=line, col=col,
        )
    from .schema.validator import explain_error

    errors = sorted(_validator(name).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        path, msg = explain_error(errors[0])
        line, col = pos_doc().position(path) or (None, None)
        raise KonfigError(msg, file=doc.filename, line=line, col=col, keypath=kp.format(path) or None)
    return data


def settings_with_defaults(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: (list(v) if isinstance(v, list) else (dict(v) if isinstance(v, dict) else v))
           for k, v in DEFAULT_SETTINGS.items()}
    out.update(data)
    # only a trailing slash goes: a leading one (an absolute path) is refused by Repository.settings
    base = out["base"].rstrip("/")
    out["base"] = base
    out["global"] = [g.replace("{base}", base) for g in out["global"]]
    out["roots"] = [r.rstrip("/") for r in out["roots"]]
    return out


# Where ``konfig docs`` publishes the schemas above, in the repository.
SCHEMA_DIR = "docs/schemas"


def schema_comment(name: str, file: str) -> str:
    """The first line of a file the tool writes, so editors complete and check it.

    The schema is referred to by a path relative to the file (the copy
    ``konfig docs`` keeps in ``docs/schemas/``), so it works offline and at any
    revision of the repository.
    """
    import posixpath

    target = f"{SCHEMA_DIR}/{name}.schema.json"
    rel = posixpath.relpath(target, posixpath.dirname(file) or ".")
    return f"# yaml-language-server: $schema={rel}\n"
