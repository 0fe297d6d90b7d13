"""Project and stack templates (``konfig new``, ``konfig init``).

A template is a directory, one per model, in ``<base>/templates/<model>/``:

* files at its top level are rendered into the new project's directory;
* files under ``stack/`` are rendered into every new stack's directory;
* ``template.yaml`` (optional, not rendered) describes it: ``description``,
  ``stacks`` (the default stacks of a new project) and ``variables`` (name ->
  ``{default, description}``; defaults may use the built-in placeholders).

Files are rendered with ``string.Template``: ``${project}``, ``${owner}``...
(``$$`` is a literal ``$``); a ``.tmpl`` suffix is dropped from the file name.
An unknown placeholder is an error naming the template file and line, never a
half-rendered file. The rendered ``project.yaml`` and ``stack.yaml`` start with
the ``yaml-language-server`` line pointing at their schema (unless the template
has one).

Built-in placeholders: ``project`` (name), ``project_path``, ``org`` (the
directory under the root, or empty), ``name_path`` (``org/project`` or
``project``), ``model``, ``owner`` (first owner), ``owners`` (a YAML flow
list), ``namespace``, ``description`` (a YAML scalar, quoted when needed); for
stack files also ``stack``, ``stack_path``, ``env``.
"""
from __future__ import annotations

import dataclasses
import re
import string
from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import KonfigError, UsageError
from ..files import paths

if TYPE_CHECKING:
    from ..repo.repository import Repository

TEMPLATES_DIR = "templates"
META_FILE = "template.yaml"
STACK_DIR = "stack"
SUFFIX = ".tmpl"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclasses.dataclass
class Template:
    """One model's template, read from the repository."""

    model: str
    dir: str  # repo-relative
    description: str
    stacks: list[str]
    variables: dict[str, dict[str, Any]]
    project_files: dict[str, str]  # file name (relative to the project) -> template text
    stack_files: dict[str, str]  # file name (relative to a stack) -> template text
    sources: dict[str, str]  # output name -> template file (for error messages)


def template_dir(repo: "Repository", model: str) -> str:
    return paths.join(repo.base, TEMPLATES_DIR, model)


def available(repo: "Repository") -> list[str]:
    top = paths.join(repo.base, TEMPLATES_DIR)
    for rel, dirs, _files in repo.source.walk(top):
        if rel == top:
            return sorted(dirs)
    return []


def load(repo: "Repository", model: str) -> Template:
    """The template of ``model``; ``UsageError`` if there is none."""
    top = template_dir(repo, model)
    if not repo.source.isdir(top):
        names = ", ".join(available(repo)) or "none"
        raise UsageError(f"no template for model {model!r} in {paths.join(repo.base, TEMPLATES_DIR)}/ "
                         f"(templates: {names})",
                         hint=f"add {top}/ (see docs/architecture.md, 'Editing and scaffolding')")
    meta: dict[str, Any] = {}
    project_files: dict[str, str] = {}
    stack_files: dict[str, str] = {}
    sources: dict[str, str] = {}
    for rel, _dirs, files in repo.source.walk(top):
        for f in files:
            src = paths.join(rel, f)
            inner = src[len(top) + 1:]
            if inner == META_FILE:
                meta = _meta(repo, src)
                continue
            text = _text(repo, src)
            out = inner[: -len(SUFFIX)] if inner.endswith(SUFFIX) else inner
            if out.startswith(STACK_DIR + "/"):
                stack_files[out[len(STACK_DIR) + 1:]] = text
            else:
                project_files[out] = text
            sources[out] = src
    if formats.PROJECT_FILE not in project_files:
        raise KonfigError(f"template has no {formats.PROJECT_FILE}{SUFFIX}", file=top)
    if formats.STACK_FILE not in stack_files:
        raise KonfigError(f"template has no {STACK_DIR}/{formats.STACK_FILE}{SUFFIX}", file=top)
    return Template(
        model=model, dir=top, description=str(meta.get("description", "")),
        stacks=[str(s) for s in meta.get("stacks") or []], variables=meta.get("variables") or {},
        project_files=project_files, stack_files=stack_files, sources=sources,
    )


def _text(repo: "Repository", rel: str) -> str:
    try:
        return repo.read(rel).decode("utf-8")
    except UnicodeDecodeError:
        raise KonfigError("template files must be UTF-8 text", file=rel) from None


def _meta(repo: "Repository", rel: str) -> dict[str, Any]:
    doc = repo.document(rel, positions=True)
    data = doc.data or {}

    def fail(msg: str, path: tuple[Any, ...] = ()) -> KonfigError:
        line, col = doc.position(path) or (None, None)
        return KonfigError(msg, file=rel, line=line, col=col)

    if not isinstance(data, dict):
        raise fail("expected a mapping (description, stacks, variables)")
    unknown = set(data) - {"description", "stacks", "variables"}
    if unknown:
        key = sorted(unknown)[0]
        raise fail(f"unknown key {key!r} (expected description, stacks, variables)", (key,))
    if not isinstance(data.get("stacks") or [], list):
        raise fail("stacks must be a list of stack names", ("stacks",))
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise fail("variables must map names to {default, description}", ("variables",))
    out: dict[str, dict[str, Any]] = {}
    for name, spec in variables.items():
        if not _NAME.match(str(name)):
            raise fail(f"bad variable name {name!r}", ("variables", name))
        if not isinstance(spec, dict):
            spec = {"default": spec}
        out[str(name)] = {"default": spec.get("default"), "description": str(spec.get("description", ""))}
    data["variables"] = out
    return data


def _render(text: str, values: dict[str, str], source: str) -> str:
    try:
        return string.Template(text).substitute(values)
    except KeyError as e:
        name = e.args[0]
        line = _line_of(text, "${" + name + "}") or _line_of(text, "$" + name)
        known = ", ".join(sorted(values))
        raise KonfigError(f"unknown placeholder ${{{name}}} (known: {known})", file=source, line=line) from None
    except ValueError as e:
        raise KonfigError(f"bad placeholder: {e} (write $$ for a literal $)", file=source) from None


def _line_of(text: str, needle: str) -> int | None:
    pos = text.find(needle)
    return text.count("\n", 0, pos) + 1 if pos >= 0 else None


def yaml_scalar(text: str) -> str:
    """``text`` as a YAML scalar that reads back as this string (quoted only when needed)."""
    import json

    from ..yamlio import parse_value, yaml11_retyped

    try:
        plain = (parse_value(text) == text and text.strip() == text and ": " not in text
                 and " #" not in text and "\n" not in text and not yaml11_retyped(text))
    except KonfigError:
        plain = False
    return text if plain else json.dumps(text)


def flow_list(items: list[str]) -> str:
    """A YAML flow list of strings, quoting those YAML would misread (``@user``)."""
    import json

    def q(s: str) -> str:
        from ..yamlio import yaml11_retyped

        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", s) and not yaml11_retyped(s):
            return s
        return json.dumps(s)

    return "[" + ", ".join(q(s) for s in items) + "]"


def project_values(repo: "Repository", project_path: str, model: str, owners: list[str],
                   template: Template, extra: dict[str, str] | None = None,
                   description: str | None = None) -> dict[str, str]:
    """The placeholders of a project's files (built-ins, then template variables, then ``extra``)."""
    name = project_path.rsplit("/", 1)[-1]
    root = next((r for r in repo.roots if paths.is_within(project_path, r)), "")
    inner = project_path[len(root) + 1:] if root else project_path
    org = inner.split("/", 1)[0] if "/" in inner else ""
    values = {
        "project": name,
        "project_path": project_path,
        "org": org,
        "name_path": f"{org}/{name}" if org else name,
        "model": model,
        "owner": owners[0] if owners else "",
        "owners": flow_list(owners),
        "namespace": name,
        "description": yaml_scalar(description or f"A {model} project owned by {owners[0] if owners else 'nobody'}."),
    }
    extra = dict(extra or {})
    unknown = set(extra) - set(template.variables) - set(values)
    if unknown:
        known = ", ".join(sorted(template.variables)) or "none"
        raise UsageError(f"unknown template variable {sorted(unknown)[0]!r} for model {model} "
                         f"(variables: {known})")
    for var, spec in template.variables.items():
        if var in extra:
            values[var] = extra[var]
        elif spec.get("default") is not None:
            values[var] = _render(str(spec["default"]), values, paths.join(template.dir, META_FILE))
        else:
            raise UsageError(f"template variable {var!r} of model {model} has no default: "
                             f"pass --var {var}=VALUE" + (f" ({spec['description']})" if spec.get("description")
                                                          else ""))
    values.update({k: v for k, v in extra.items() if k in values and k not in template.variables})
    return values


def render_project(template: Template, project_path: str, values: dict[str, str]) -> dict[str, str]:
    """The files of a new project (without its stacks): repo path -> text."""
    out = {}
    for name, text in sorted(template.project_files.items()):
        rel = paths.join(project_path, name)
        out[rel] = _with_schema(rel, _render(text, values, template.sources[name]))
    return out


def render_stack(template: Template, stack_path: str, env: str, values: dict[str, str]) -> dict[str, str]:
    """The files of a new stack: repo path -> text."""
    stack_values = {**values, "stack": stack_path.rsplit("/", 1)[-1], "stack_path": stack_path, "env": env}
    out = {}
    for name, text in sorted(template.stack_files.items()):
        rel = paths.join(stack_path, name)
        out[rel] = _with_schema(rel, _render(text, stack_values, template.sources[f"{STACK_DIR}/{name}"]))
    return out


def _with_schema(rel: str, text: str) -> str:
    """Start project.yaml/stack.yaml with the line that lets editors check them."""
    kind = {formats.PROJECT_FILE: "project", formats.STACK_FILE: "stack"}.get(rel.rsplit("/", 1)[-1])
    if kind is None or any("yaml-language-server:" in line for line in text.splitlines()[:3]):
        return text
    return formats.schema_comment(kind, rel) + text
