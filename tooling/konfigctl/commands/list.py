"""``konfig list [projects|stacks]``: what exists."""
from __future__ import annotations

from typing import Any

from ..errors import EXIT_BAD_INPUT, EXIT_OK, KonfigError, UsageError
from ..output import Output
from ..repo.repository import Repository
from ..repo.selector import Selector


def _stack_row(stack: Any) -> dict[str, Any]:
    return {
        "path": stack.path,
        "name": stack.name,
        "project": stack.project.path,
        "org": stack.project.org,
        "model": stack.model_name or None,
        "engine": stack.engine,
        "env": stack.env,
        "labels": stack.labels,
        "depends_on": stack.depends_on,
    }


def _project_row(project: Any) -> dict[str, Any]:
    return {
        "path": project.path,
        "name": project.name,
        "org": project.org,
        "model": project.model_name or None,
        "engine": "kcl" if project.is_kcl else "yaml",
        "owners": project.owners,
        "labels": project.labels,
        "description": project.description,
        "stacks": [s.path for s in project.stacks],
    }


def list_(repo: Repository, what: str, selectors: list[str], fmt: str, long: bool, out: Output) -> int:
    if what not in ("stacks", "projects", "models", "policies"):
        raise UsageError(f"cannot list {what!r}: choose stacks, projects, models or policies")
    sel = Selector.parse(selectors)
    rows: list[dict[str, Any]] = []
    broken: list[KonfigError] = list(repo.discovery_problems)
    if fmt == "text" and not long and sel.empty and what in ("stacks", "projects"):
        # paths need no file parsed: the fast path for scripts and completion
        items = repo.stacks() if what == "stacks" else repo.projects()
        for item in items:
            out.echo(item.path)
        for e in broken:
            out.error(str(e))
        return EXIT_BAD_INPUT if broken else EXIT_OK
    if what == "stacks":
        for s in repo.stacks():
            try:
                if sel.empty or sel.matches(s):
                    rows.append(_stack_row(s))
            except KonfigError as e:
                broken.append(e)
    elif what == "projects":
        for p in repo.projects():
            try:
                if sel.empty or any(sel.matches(s) for s in p.stacks) or (
                    not p.stacks and sel.matches_values(
                        model=p.model_name, env=None, project=p.path, path=p.path,
                        name=p.name, org=p.org, labels=p.labels)):
                    rows.append(_project_row(p))
            except KonfigError as e:
                broken.append(e)
    elif what == "models":
        from ..change.graph import Graph

        # a project uses a model as its own, or through a stack that names it (an SLO stack)
        own = Graph.of(repo).own_models()
        for name in sorted(repo.model_names()):
            m = repo.model(name)
            try:
                desc = m.description
            except KonfigError as e:
                broken.append(e)
                desc = ""
            users = [p.path for p in repo.projects()
                     if _model_of(p) == name or any(own.get(st.path) == name for st in p.stacks)]
            rows.append({"name": name, "path": m.dir, "description": desc, "projects": users})
    else:
        for pol in repo.policies:
            try:
                rows.append({"name": pol.name, "file": pol.file, "severity": pol.severity,
                             "when": pol.selector.describe(), "description": pol.description})
            except KonfigError as e:
                broken.append(e)

    if fmt == "json":
        out.json(rows)
    elif fmt == "yaml":
        out.yaml(rows)
    elif fmt == "text":
        _text(rows, what, long, out)
    else:
        raise UsageError(f"--format {fmt} is not available for list (use text, json or yaml)")
    for e in broken:
        out.error(str(e))
    return EXIT_BAD_INPUT if broken else EXIT_OK


def _model_of(p: Any) -> str | None:
    try:
        return str(p.model_name)
    except KonfigError:
        return None


def _text(rows: list[dict[str, Any]], what: str, long: bool, out: Output) -> None:
    key = "name" if what in ("models", "policies") else "path"
    if not long:
        for r in rows:
            out.echo(r[key])
        return
    if what == "stacks":
        cols = [(r["path"], r["env"] or "-", r["model"] or r["engine"],
                 ",".join(f"{k}={v}" for k, v in sorted(r["labels"].items()))) for r in rows]
        header = ("STACK", "ENV", "MODEL", "LABELS")
    elif what == "projects":
        cols = [(r["path"], r["model"] or r["engine"], ",".join(r["owners"]), str(len(r["stacks"]))) for r in rows]
        header = ("PROJECT", "MODEL", "OWNERS", "STACKS")
    elif what == "models":
        cols = [(r["name"], str(len(r["projects"])), r["description"]) for r in rows]
        header = ("MODEL", "PROJECTS", "DESCRIPTION")
    else:
        cols = [(r["name"], r["severity"], r["when"], r["description"]) for r in rows]
        header = ("POLICY", "SEVERITY", "WHEN", "DESCRIPTION")
    widths = [max(len(str(c)) for c in col) for col in zip(header, *cols)]
    out.echo(out.style("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(), "bold"))
    for c in cols:
        out.echo("  ".join(str(v).ljust(w) for v, w in zip(c, widths)).rstrip())
