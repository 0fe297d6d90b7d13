"""Named changes to a generated Konfig, each committed on its own branch.

    python benchmarks/generate.py --list-changes
    python benchmarks/generate.py --repo DIR --change model-default-overridden [--change ...]
    benchmarks.changes.apply_change(DIR, "stack-image")   # what run.py calls

Each change edits a Konfig that ``benchmarks/generate.py`` wrote and commits
the edit on the branch ``change/<name>``, made from ``main`` (the work tree is
back on the branch it was on afterwards, unless ``stay=True``). It is what
``konfig affected`` and ``konfig diff`` are measured on, and in particular the
precision of ``affected --precise``: the changes marked *empty* alter no
stack's resolved configuration although they touch a file many stacks read,
so a precise ``affected`` lists none of them; the *real* ones alter exactly
the stacks their result names (``changed_stacks``, worked out from the files:
the stacks in which no layer above the edited one sets the edited key).

Which file each change edits is chosen from the files alone (sorted paths,
stack counts), so the same generated Konfig gets the same edit.

| name | kind | what |
|---|---|---|
| ``stack-image`` | real | image tag bump (patch) in one webapp stack's ``stack.yaml`` |
| ``project-resources`` | real | ``resources.cpu`` in the webapp project ``defaults.yaml`` shared by the most stacks (prod regions override it in ``prod/defaults.yaml``: only dev/staging change) |
| ``model-default`` | real | ``probes.liveness.period_seconds`` in the webapp model's ``defaults.yaml`` (every webapp stack: the most used model, what ``konfig diff`` is measured on) |
| ``model-default-partly`` | real | ``rollout.max_surge`` in the same file; the webapp prod profile sets its own, so only dev and staging stacks change |
| ``model-default-overridden`` | empty | ``version`` in the database model's ``defaults.yaml``, which every database project sets |
| ``defaults-comment`` | empty | comments only, in the org ``defaults.yaml`` shared by the most stacks |
| ``reorder-mapping`` | empty | every mapping of the most shared webapp project ``defaults.yaml`` written in reverse key order |
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, Callable

from benchmarks.yamltext import ReplaceDict, load, to_yaml

BRANCH_PREFIX = "change/"


@dataclasses.dataclass
class Edit:
    files: list[str]  # repo-relative, as committed
    changed_stacks: list[str]  # stacks whose resolved configuration changes
    detail: str


@dataclasses.dataclass(frozen=True)
class Change:
    name: str
    semantic: bool  # whether it is meant to change some stack's resolved configuration
    description: str
    edit: Callable[["_Konfig"], Edit]


class _Konfig:
    """What a change needs to know of a generated Konfig, read from its files (cached)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._text: dict[str, str] = {}
        self._data: dict[str, Any] = {}
        self._projects: list[tuple[str, str | None]] | None = None
        self._stacks: dict[str, list[str]] = {}

    def text(self, rel: str) -> str:
        if rel not in self._text:
            p = self.root / rel
            self._text[rel] = p.read_text() if p.is_file() else ""
        return self._text[rel]

    def data(self, rel: str) -> Any:
        if rel not in self._data:
            self._data[rel] = load(self.text(rel)) if self.text(rel) else None
        return self._data[rel]

    def write(self, rel: str, text: str) -> None:
        (self.root / rel).write_text(text)
        self._text[rel] = text
        self._data.pop(rel, None)

    def rel(self, p: Path) -> str:
        return p.relative_to(self.root).as_posix()

    def projects(self) -> list[tuple[str, str | None]]:
        """(project directory, model) of every project, sorted by path."""
        if self._projects is None:
            out = []
            for top in ("konfig/appops", "konfig/infra"):
                for p in sorted((self.root / top).glob("*/*/project.yaml")):
                    m = re.search(r"^model:\s*(\S+)", p.read_text(), re.M)
                    out.append((self.rel(p.parent), m.group(1) if m else None))
            self._projects = out
        return self._projects

    def stacks(self, project: str) -> list[str]:
        if project not in self._stacks:
            self._stacks[project] = sorted(self.rel(p.parent)
                                           for p in (self.root / project).rglob("stack.yaml"))
        return self._stacks[project]

    def stacks_of_model(self, model: str) -> list[str]:
        return [s for p, m in self.projects() if m == model for s in self.stacks(p)]

    def layers(self, stack: str, model: str) -> list[str]:
        """The stack's layer files, lowest first, as konfig orders them: model defaults, env
        profile, the model's env profile, every ``defaults.yaml`` from the org down, the stack."""
        m = re.search(r"^env:\s*(\S+)", self.text(f"{stack}/stack.yaml"), re.M)
        env = m.group(1) if m else None
        base = "konfig/base"
        out = [f"{base}/models/{model}/defaults.yaml"]
        if env:
            out += [f"{base}/envs/{env}.yaml", f"{base}/models/{model}/envs/{env}.yaml"]
        parts = stack.split("/")
        out += [f"{'/'.join(parts[:i])}/defaults.yaml" for i in range(3, len(parts))]
        return [f for f in out if self.text(f)] + [f"{stack}/stack.yaml"]

    def sets(self, rel: str, keypath: tuple[str, ...]) -> bool:
        """Whether the layer file sets ``keypath`` (or replaces a mapping above it)."""
        text = self.text(rel)
        if keypath[-1] not in text and "!replace" not in text:
            return False  # most files: no need to parse them
        node = self.data(rel) or {}
        if rel.endswith("/stack.yaml"):
            node = node.get("config") or {}
        for key in keypath:
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
            if isinstance(node, ReplaceDict):
                return True
        return True

    def changed_by(self, edited: str, keypath: tuple[str, ...], stacks: list[str],
                   model: str) -> list[str]:
        """Of ``stacks``, those in which no layer above ``edited`` sets ``keypath``."""
        out = []
        for s in stacks:
            layers = self.layers(s, model)
            if edited in layers and not any(self.sets(f, keypath)
                                            for f in layers[layers.index(edited) + 1:]):
                out.append(s)
        return out

    def most_shared_project_defaults(self, model: str, must_have: str = "") -> str:
        """The project ``defaults.yaml`` of ``model`` shared by the most stacks (first by path)."""
        best, count = None, -1
        for p, m in self.projects():
            rel = f"{p}/defaults.yaml"
            if m == model and self.text(rel) and must_have in self.text(rel):
                n = len(self.stacks(p))
                if n > count:
                    best, count = rel, n
        if best is None:
            raise LookupError(f"no {model} project has a defaults.yaml" + (
                f" with {must_have!r}" if must_have else ""))
        return best


def _sub_line(text: str, pattern: str, repl: str, what: str) -> str:
    new, n = re.subn(pattern, repl, text, count=1, flags=re.M)
    if n != 1:
        raise LookupError(f"cannot find {what}")
    return new


# -- the changes ----------------------------------------------------------------------

def _stack_image(k: _Konfig) -> Edit:
    for s in k.stacks_of_model("webapp"):
        rel = f"{s}/stack.yaml"
        m = re.search(r"^(\s+image: \S+:)(\d+)\.(\d+)\.(\d+)$", k.text(rel), re.M)
        if m:
            old = f"{m.group(2)}.{m.group(3)}.{m.group(4)}"
            new = f"{m.group(2)}.{m.group(3)}.{int(m.group(4)) + 1}"
            k.write(rel, k.text(rel)[:m.start()] + m.group(1) + new + k.text(rel)[m.end():])
            return Edit([rel], [s], f"image {old} -> {new}")
    raise LookupError("no webapp stack sets its own pinned image")


def _project_resources(k: _Konfig) -> Edit:
    rel = k.most_shared_project_defaults("webapp", must_have="\n  cpu: ")
    m = re.search(r"^resources:\n(?:  .*\n)*?  cpu: (\S+)$", k.text(rel), re.M)
    if not m:
        raise LookupError(f"no resources.cpu in {rel}")
    old = m.group(1)
    new = "250m" if old == "500m" else "500m"
    k.write(rel, k.text(rel)[:m.start(1)] + new + k.text(rel)[m.end(1):])
    project = rel.rsplit("/", 1)[0]
    return Edit([rel], k.changed_by(rel, ("resources", "cpu"), k.stacks(project), "webapp"),
                f"resources.cpu {old} -> {new} in {project}")


def _model_default(k: _Konfig) -> Edit:
    rel = "konfig/base/models/webapp/defaults.yaml"
    k.write(rel, _sub_line(k.text(rel), r"^(  liveness:\n(?:    .*\n)*?    period_seconds: )10$", r"\g<1>15",
                           "probes.liveness.period_seconds: 10"))
    return Edit([rel], k.changed_by(rel, ("probes", "liveness", "period_seconds"),
                                    k.stacks_of_model("webapp"), "webapp"),
                "webapp probes.liveness.period_seconds 10 -> 15")


def _model_default_partly(k: _Konfig) -> Edit:
    rel = "konfig/base/models/webapp/defaults.yaml"
    k.write(rel, _sub_line(k.text(rel), r"^(  max_surge: )25%$", r"\g<1>50%", "rollout.max_surge: 25%"))
    return Edit([rel], k.changed_by(rel, ("rollout", "max_surge"), k.stacks_of_model("webapp"), "webapp"),
                "webapp rollout.max_surge 25% -> 50% (the prod profile sets its own)")


def _model_default_overridden(k: _Konfig) -> Edit:
    rel = "konfig/base/models/database/defaults.yaml"
    k.write(rel, _sub_line(k.text(rel), r'^version: "16"$', 'version: "15"', 'version: "16"'))
    return Edit([rel], k.changed_by(rel, ("version",), k.stacks_of_model("database"), "database"),
                'database version "16" -> "15" (every database project sets its own)')


def _defaults_comment(k: _Konfig) -> Edit:
    counts: dict[str, int] = {}
    for p, _m in k.projects():
        org_defaults = p.rsplit("/", 1)[0] + "/defaults.yaml"
        if k.text(org_defaults):
            counts[org_defaults] = counts.get(org_defaults, 0) + len(k.stacks(p))
    if not counts:
        raise LookupError("no org defaults.yaml")
    rel = max(sorted(counts), key=lambda f: counts[f])
    k.write(rel, "# Reviewed by the platform team; see the org's runbook.\n" + k.text(rel)
            + "# (no other defaults for now)\n")
    return Edit([rel], [], f"two comment lines in {rel} ({counts[rel]} stacks read it)")


def _reversed(v: Any) -> Any:
    if isinstance(v, dict):
        return type(v)((key, _reversed(v[key])) for key in reversed(list(v)))
    if isinstance(v, list):
        return type(v)(_reversed(x) for x in v)
    return v


def _reorder_mapping(k: _Konfig) -> Edit:
    rel = k.most_shared_project_defaults("webapp")
    text = k.text(rel)
    comment = "\n".join(ln[2:] for ln in text.splitlines() if ln.startswith("# ")) or None
    data = k.data(rel)
    new = to_yaml(_reversed(data), comment)
    if new == text or load(new) != data:
        raise LookupError(f"reversing the mappings of {rel} changes nothing or changes its data")
    k.write(rel, new)
    return Edit([rel], [], f"every mapping of {rel} in reverse key order")


CHANGES: dict[str, Change] = {c.name: c for c in (
    Change("stack-image", True, "image tag bump in one webapp stack.yaml", _stack_image),
    Change("project-resources", True,
           "resources.cpu in the most shared webapp project defaults.yaml (prod regions override it)",
           _project_resources),
    Change("model-default", True,
           "probes.liveness.period_seconds in the webapp model defaults (every webapp stack)",
           _model_default),
    Change("model-default-partly", True,
           "rollout.max_surge in the webapp model defaults (the prod profile overrides it: dev/staging only)",
           _model_default_partly),
    Change("model-default-overridden", False,
           "version in the database model defaults, which every database project overrides",
           _model_default_overridden),
    Change("defaults-comment", False, "comment lines only, in the most shared org defaults.yaml",
           _defaults_comment),
    Change("reorder-mapping", False,
           "the most shared webapp project defaults.yaml with every mapping in reverse key order",
           _reorder_mapping),
)}


def apply_change(root: str | Path, name: str, *, base: str = "main", stay: bool = False) -> dict[str, Any]:
    """Commit the named change on branch ``change/<name>`` (made afresh from ``base``).

    Returns the branch, both commits, the files and the stacks whose resolved
    configuration changes. The work tree goes back to the branch it was on
    unless ``stay``; it must have no uncommitted changes to tracked files.
    """
    from benchmarks.generate import git

    if name not in CHANGES:
        raise KeyError(f"unknown change {name!r}: one of {', '.join(CHANGES)}")
    change = CHANGES[name]
    root = Path(root).resolve()
    if git(root, "status", "--porcelain", "--untracked-files=no").strip():
        raise RuntimeError(f"{root} has uncommitted changes")
    original = git(root, "rev-parse", "--abbrev-ref", "HEAD").strip()
    base_sha = git(root, "rev-parse", "--verify", f"{base}^{{commit}}").strip()
    branch = BRANCH_PREFIX + name
    git(root, "checkout", "-q", "-B", branch, base_sha)
    try:
        edit = change.edit(_Konfig(root))
        git(root, "add", "--", *edit.files)
        git(root, "commit", "-q", "-m", f"bench change {name}: {edit.detail}")
        head = git(root, "rev-parse", "HEAD").strip()
    except BaseException:
        git(root, "checkout", "-q", "-f", original)
        raise
    if not stay:
        git(root, "checkout", "-q", original)
    return {
        "name": name,
        "semantic": change.semantic,
        "description": change.description,
        "detail": edit.detail,
        "branch": branch,
        "base": base_sha,
        "head": head,
        "files": edit.files,
        "changed_stacks": edit.changed_stacks,
    }
