"""A Konfig repository: its settings, its files, and what lives in them.

Discovery is by convention, nothing is registered: a directory under a root
with ``project.yaml`` is a project; a directory inside a project with
``stack.yaml`` is a stack; ``defaults.yaml`` files on the way are layers.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property
from typing import Any

from .. import formats
from ..errors import KonfigError, UsageError
from ..files import paths
from ..files.source import GitTree, Overlay, Source, WorkTree
from ..yamlio import Document, load
from .memo import Memo
from .model import Model, check_usable, rel_of, uri_of
from .policy import Policy
from .project import Project
from .stack import Stack


def find_root(start: str | None = None) -> str:
    """The nearest directory at or above ``start`` holding ``konfig.yaml``."""
    here = os.path.abspath(start or os.getcwd())
    cur = here
    while True:
        if os.path.isfile(os.path.join(cur, formats.KONFIG_FILE)):
            return cur
        up = os.path.dirname(cur)
        if up == cur:
            raise KonfigError(
                f"not a Konfig repository: no {formats.KONFIG_FILE} in {here} or any parent",
                hint="run `konfig init DIR` to create one, or pass --repo DIR",
            )
        cur = up


class Repository:
    """Everything konfig knows about one revision of a Konfig (the work tree or a commit)."""

    def __init__(self, root: str, source: Source | None = None, *, listings: bool = True) -> None:
        """``listings=False`` (``--no-cache``): discovery neither reads nor writes the directory
        listings kept in ``cache_dir`` (``files.listings``)."""
        self.root = os.path.abspath(root)
        self.source: Source = source or WorkTree(self.root)
        self.listings = listings
        self._docs: dict[tuple[str, bool], Document] = {}
        self._bytes: dict[str, bytes] = {}
        self._schemas: dict[str, Any] = {}
        self._models: dict[str, Model] = {}
        self.memo = Memo()  # what is computed once for this revision and shared (``repo.memo``)

    @classmethod
    def discover(cls, start: str | None = None, repo: str | None = None, *,
                 listings: bool = True, recover: bool = True) -> "Repository":
        """The repository at ``repo`` (must hold konfig.yaml) or above ``start``.

        ``recover=False`` (``konfig lsp``, which never writes): a killed run's
        unfinished writes are left for the next command that writes."""
        if repo:
            if not os.path.isdir(repo):
                raise KonfigError(f"--repo {repo}: no such directory")
            if not os.path.isfile(os.path.join(repo, formats.KONFIG_FILE)):
                raise KonfigError(
                    f"not a Konfig repository: no {formats.KONFIG_FILE} in {os.path.abspath(repo)}",
                    hint="run `konfig init DIR` to create one",
                )
            found = cls(repo, listings=listings)
        else:
            found = cls(find_root(start), listings=listings)
        if recover:
            from ..files.transaction import recover_repo

            recover_repo(found)  # a run that was killed while writing: finish its writes first
        return found

    @classmethod
    def at_revision(cls, root: str, rev: str, git_repo: Any | None = None) -> "Repository":
        """The repository as it is in commit ``rev``, read from git objects."""
        return cls(root, GitTree(root, rev, git_repo))

    def __repr__(self) -> str:
        return f"Repository({self.root!r}, {self.source.label})"

    def with_changes(self, changes: dict[str, bytes | None], *, keep_parsed: bool = False) -> "Repository":
        """This repository as it would be with ``changes`` (path -> content, None = deleted).

        A fresh ``Repository`` (no file content cached from this one), so an edit
        can be resolved and validated in memory before it is written. When no
        file appears or disappears, what discovery found (by file names only)
        is reused instead of walking the roots again.

        ``keep_parsed`` (``konfig lsp``, which builds one per edit): what this
        repository parsed of the files the changes leave alone is carried over
        (``keep_parsed_from``). Only for a source that has not changed since this
        repository read it: the language server makes a new base on every save.
        """
        new = Repository(self.root, Overlay(self.source, changes))
        if keep_parsed:
            changed = {paths.normalize(rel) for rel in changes}
            new.keep_parsed_from(self, lambda rel: rel not in changed)
        if "_discovery" in self.__dict__ and all(
                content is not None and self.exists(rel) for rel, content in changes.items()):
            projects, stacks, defaults, problems = self._discovery
            mine = {p: Project(new, p, project.root) for p, project in projects.items()}
            mine_stacks: dict[str, Stack] = {}
            for path, stack in stacks.items():
                owner = mine[stack.project.path]
                mine_stacks[path] = Stack(new, path, owner, stack.engine)
                owner.stacks.append(mine_stacks[path])
            new.__dict__["_discovery"] = (mine, mine_stacks, set(defaults), list(problems))
        return new

    def keep_parsed_from(self, other: "Repository", same: Callable[[str], bool]) -> None:
        """Take what ``other`` read and parsed of the files that ``same(rel)`` says read alike
        in both: their bytes and documents, the schema files, and the models (their compiled
        validators) none of whose files, schema or ``$ref``'d, differ. konfig.yaml differing
        (``base`` may move) keeps only bytes and documents. The models keep reading through
        ``other``, which holds the same content for their files."""
        self._bytes.update((k, v) for k, v in other._bytes.items() if same(k))
        self._docs.update((k, v) for k, v in other._docs.items() if same(k[0]))
        if not same(formats.KONFIG_FILE):
            return
        self._schemas.update((k, v) for k, v in other._schemas.items() if same(k))
        for name, model in other._models.items():
            if name in self._models:
                continue
            try:
                files = model.schema_files() + model.files()
            except KonfigError:
                continue
            if all(same(f) for f in files):
                self._models[name] = model

    # -- files -------------------------------------------------------------

    def read(self, rel: str) -> bytes:
        rel = paths.normalize(rel)
        data = self._bytes.get(rel)
        if data is None:
            data = self._bytes[rel] = self.source.read(rel)
        return data

    def exists(self, rel: str) -> bool:
        return self.source.exists(rel)

    def document(self, rel: str, positions: bool = False) -> Document:
        """A YAML file, parsed once (with value positions only when asked for)."""
        rel = paths.normalize(rel)
        key = (rel, positions)
        doc = self._docs.get(key)
        if doc is None:
            doc = load(self.read(rel), rel, positions=positions)
            self._docs[key] = doc
            if positions:
                self._docs.setdefault((rel, False), doc)
        return doc

    def position(self, rel: str, path: tuple[Any, ...]) -> tuple[int | None, int | None]:
        try:
            pos = self.document(rel, positions=True).position(path)
        except KonfigError:
            pos = None
        return pos if pos else (None, None)

    # -- settings ------------------------------------------------------------

    def check_format(self, name: str, rel: str, what: str | None = None) -> dict[str, Any]:
        """A metadata file checked against its format; errors carry file:line:col."""
        return formats.check(name, self.document(rel), what or name,
                             lambda: self.document(rel, positions=True))

    @cached_property
    def settings(self) -> dict[str, Any]:
        data = self.check_format("konfig", formats.KONFIG_FILE, "repository")
        settings = formats.settings_with_defaults(data)
        # every directory konfig reads or writes stays inside the repository
        for key in ("base", "roots", "cache_dir"):
            value = settings[key]
            for i, item in enumerate(value if isinstance(value, list) else [value]):
                path = (key, i) if isinstance(value, list) else (key,)
                try:
                    normal = paths.normalize(item)
                except KonfigError as e:
                    line, col = self.position(formats.KONFIG_FILE, path)
                    raise KonfigError(e.message, file=formats.KONFIG_FILE, line=line, col=col,
                                      keypath=".".join(map(str, path))) from None
                if not normal and key == "cache_dir":  # its .gitignore says "*"
                    line, col = self.position(formats.KONFIG_FILE, path)
                    raise KonfigError("must be a directory below the repository root, not the root itself",
                                      file=formats.KONFIG_FILE, line=line, col=col,
                                      keypath=".".join(map(str, path)))
                if isinstance(value, list):
                    value[i] = normal
                else:
                    settings[key] = normal
        return settings

    @property
    def base(self) -> str:
        return str(self.settings["base"])

    @property
    def roots(self) -> list[str]:
        return list(self.settings["roots"])

    @property
    def cache_dir(self) -> str:
        return os.path.join(self.root, self.settings["cache_dir"])

    # -- discovery -------------------------------------------------------------

    @cached_property
    def _discovery(self) -> tuple[dict[str, Project], dict[str, Stack], set[str], list[KonfigError]]:
        projects: dict[str, Project] = {}
        stacks: dict[str, Stack] = {}
        defaults: set[str] = set()
        problems: list[KonfigError] = []
        if self.listings and isinstance(self.source, WorkTree):
            from ..files.listings import Listings

            self.source.remember_listings(Listings(os.path.join(self.cache_dir, "listings.json"), self.root))
        for root in self.roots:
            owner_of: dict[str, Project] = {}
            for rel, _dirs, files in self.source.walk(root, problems):
                fileset = files  # a few names: a list scan beats building a set (7,000 dirs)
                project = owner_of.get(rel) or owner_of.get(rel.rpartition("/")[0])
                if formats.PROJECT_FILE in fileset:
                    if project is not None:
                        problems.append(KonfigError(
                            f"project inside project {project.path}; nested projects are not supported",
                            file=paths.join(rel, formats.PROJECT_FILE),
                        ))
                    else:
                        project = Project(self, rel, root)
                        projects[rel] = project
                if project is not None:
                    owner_of[rel] = project
                if formats.DEFAULTS_FILE in fileset:
                    defaults.add(f"{rel}/{formats.DEFAULTS_FILE}" if rel else formats.DEFAULTS_FILE)
                if formats.STACK_FILE in fileset:
                    if project is None:
                        problems.append(KonfigError(
                            "stack outside any project: no project.yaml in this or a parent directory",
                            file=paths.join(rel, formats.STACK_FILE),
                        ))
                    elif rel == project.path:
                        problems.append(KonfigError(
                            "stack.yaml in the project directory itself; put each stack in its own directory",
                            file=paths.join(rel, formats.STACK_FILE),
                        ))
                    else:
                        stack = Stack(self, rel, project,
                                      "kcl" if formats.KCL_FILE in fileset else "yaml")
                        stacks[rel] = stack
                        project.stacks.append(stack)
        return projects, stacks, defaults, problems

    def projects(self) -> list[Project]:
        return list(self._discovery[0].values())

    def stacks(self) -> list[Stack]:
        return list(self._discovery[1].values())

    @property
    def discovery_problems(self) -> list[KonfigError]:
        return list(self._discovery[3])

    def has_defaults(self, rel_file: str) -> bool:
        return rel_file in self._discovery[2]

    def defaults_files(self) -> set[str]:
        return set(self._discovery[2])

    def project_at(self, path: str) -> Project | None:
        # The exact name first: normalize() trims spaces, and a directory's name may end in one.
        found = self._discovery[0]
        return found.get(path) or found.get(paths.normalize(path))

    def stack_at(self, path: str) -> Stack | None:
        found = self._discovery[1]
        return found.get(path) or found.get(paths.normalize(path))

    def project_of(self, path: str) -> Project | None:
        """The project whose directory holds ``path`` (or is it): the one lookup of where a
        file belongs, for affected, diff, review and ownership alike."""
        for anc in reversed(paths.ancestors(path)):
            p = self.project_at(anc)
            if p is not None:
                return p
        return None

    def stack_of(self, path: str) -> Stack | None:
        """The nearest stack whose directory holds ``path`` (or is it)."""
        for anc in reversed(paths.ancestors(path)):
            s = self.stack_at(anc)
            if s is not None:
                return s
            if self.project_at(anc) is not None:
                return None  # stacks live inside projects
        return None

    @cached_property
    def stack_dirs(self) -> dict[str, list[Stack]]:
        """Every directory that holds stacks below it (projects, orgs, roots...) -> those stacks.

        A stack's own directory is not one of them, even when other stacks nest
        below it: naming a stack's path names that stack.
        """
        stacks = self._discovery[1]
        below: dict[str, list[Stack]] = {}
        for path, stack in stacks.items():
            parent = path
            while "/" in parent:
                parent = parent.rpartition("/")[0]
                if parent not in stacks:
                    below.setdefault(parent, []).append(stack)
        return below

    def find_stack(self, name: str, cwd: str | None = None) -> Stack:
        """A stack by repo path, path relative to ``cwd``, or unique path suffix.

        A name that is a project or another directory holding stacks is an error
        listing them: the caller needs exactly one stack.
        """
        path = self._lookup(name, cwd, directories=False)
        stack = self._discovery[1].get(path)
        if stack is None:
            raise self._not_one_stack(name, [path])
        return stack

    def find_stacks(self, name: str, cwd: str | None = None) -> list[Stack]:
        """The stacks a name selects: one stack, or every stack below a project or directory.

        The name is a repo path, a path relative to ``cwd`` or a unique suffix,
        of a stack or of a directory that holds stacks (``payments/checkout``,
        an org, ``konfig/appops``, ``.``); a suffix that fits several of them
        is ambiguous and lists them.
        """
        path = self._lookup(name, cwd, directories=True)
        stack = self._discovery[1].get(path)
        if stack is not None:
            return [stack]
        if not path:
            return self.stacks()
        return sorted(self.stack_dirs[path], key=lambda s: s.path)

    def _lookup(self, name: str, cwd: str | None, *, directories: bool) -> str:
        """The repo path a stack name means: a stack's path, or (``directories``) a directory's."""
        stacks = self._discovery[1]
        dirs = self.stack_dirs
        raw = name.strip()
        if not raw:
            raise UsageError("empty stack name")
        candidates = []
        try:
            as_repo_path = paths.normalize(raw.rstrip("/"))
            if as_repo_path:  # "." is the working directory, not the root
                candidates.append(as_repo_path)
        except KonfigError:
            pass
        cwd = os.path.abspath(cwd or os.getcwd())
        joined = os.path.normpath(os.path.join(cwd, raw))
        if joined == self.root or joined.startswith(self.root + os.sep):
            rel = os.path.relpath(joined, self.root).replace(os.sep, "/")
            candidates.append("" if rel == "." else rel)
        elif os.path.isabs(raw) or ".." in raw.split("/"):
            raise UsageError(f"{name}: outside the repository {self.root}")
        for cand in candidates:
            if cand == formats.STACK_FILE or cand.endswith("/" + formats.STACK_FILE):
                cand = paths.parent(cand)
            if cand in stacks or cand in dirs:
                return cand
            if cand == "":  # the repository root: every stack
                if directories:
                    return cand
                raise self._not_one_stack(name, [cand])
        suffix = raw.strip("/")
        if suffix.endswith("/" + formats.STACK_FILE):
            suffix = paths.parent(suffix)
        matches = [p for p in stacks if p == suffix or p.endswith("/" + suffix)]
        dir_matches = [d for d in dirs if d == suffix or d.endswith("/" + suffix)]
        if not directories and matches:
            dir_matches = []  # one stack is wanted: directories only explain a miss
        found = matches + dir_matches
        if len(found) == 1 and (directories or matches):
            return found[0]
        if len(found) > 1 and (directories or matches):
            shown = sorted(matches) + sorted(d + "/" for d in dir_matches)
            text = ", ".join(shown[:10]) + (f" ... ({len(shown) - 10} more)" if len(shown) > 10 else "")
            raise UsageError(f"ambiguous stack {name!r}: matches {text}",
                             hint="give more of the path" if not dir_matches else
                             "give more of the path; a name ending in / is a directory of stacks")
        if dir_matches:
            raise self._not_one_stack(name, dir_matches)
        hint = None
        existing = [c for c in candidates if c and self._exists(c)]
        if existing:
            hint = f"{existing[0]} holds no stack"
        else:
            import difflib

            close = difflib.get_close_matches(suffix, list(stacks), n=3, cutoff=0.6)
            if close:
                hint = "did you mean " + " or ".join(close) + "?"
        raise UsageError(f"unknown stack {name!r}", hint=hint)

    def _exists(self, rel: str) -> bool:
        try:
            return self.source.exists(rel)
        except KonfigError:  # a path the source refuses (a symlink out) is no answer here
            return False

    def _not_one_stack(self, name: str, dirs: list[str]) -> UsageError:
        """The error for a name that means directories of stacks where one stack is needed."""
        if len(dirs) > 1:
            shown = ", ".join(sorted(d + "/" for d in dirs)[:10])
            return UsageError(f"{name!r} is not a stack: it names the directories {shown}",
                              hint="name one stack")
        path = dirs[0]
        what = ("a project" if path in self._discovery[0] else "a directory") if path else "the repository root"
        below = sorted(s.path for s in (self.stack_dirs.get(path) or self.stacks()))
        shown = ", ".join(below[:10]) + (f" ... ({len(below) - 10} more)" if len(below) > 10 else "")
        where = f" ({path})" if path and path != name.strip().strip("/") else ""
        return UsageError(f"{name!r} is {what}{where}, not a stack",
                          hint=f"this command takes one stack; its {len(below)} stacks: {shown}")

    # -- models, schemas, policies ----------------------------------------------

    def model_names(self) -> list[str]:
        models_dir = paths.join(self.base, "models")
        for rel, dirs, _files in self.source.walk(models_dir):
            if rel == models_dir:
                return [d for d in dirs if self.exists(paths.join(rel, d, "schema.yaml"))]
        return []

    def model(self, name: str, project: Project | None = None) -> Model:
        m = self._models.get(name)
        if m is None:
            m = Model(self, name)
            if not self.exists(m.schema_file):
                known = ", ".join(self.model_names()) or "none"
                line = col = None
                file = None
                if project is not None:
                    file = project.file
                    line, col = self.position(file, ("model",))
                raise KonfigError(
                    f"unknown model {name!r} (models: {known})",
                    file=file, line=line, col=col, keypath="model" if file else None,
                )
            self._models[name] = m
        return m

    def schema_document(self, rel: str) -> Any:
        """A schema file's data (YAML or JSON), cached; only files under the base dir."""
        rel = paths.normalize(rel)
        if rel not in self._schemas:
            if not paths.is_within(rel, self.base):
                raise KonfigError(f"schemas may only come from {self.base}/ (not {rel})", file=rel)
            if not self.exists(rel):
                raise KonfigError("schema file not found", file=rel)
            self._schemas[rel] = self.document(rel).data
        return self._schemas[rel]

    def build_validator(self, schema: dict[str, Any], file: str, prefix: tuple[Any, ...] = ()) -> Any:
        from ..schema import validator as schema_mod

        problems = schema_mod.check_schema(schema)
        if problems:
            path, msg = problems[0]
            line, col = self.position(file, prefix + path)
            raise KonfigError(msg, file=file, line=line, col=col)

        def retrieve(uri: str) -> Any:
            rel = rel_of(uri.split("#", 1)[0])
            if rel is None:
                raise KonfigError(f"$ref to {uri} is not allowed: only files under {self.base}/", file=file)
            return self.schema_document(rel)

        # every $ref must resolve now, at file:line, not when a stack first reaches it
        preload = {uri_of(rel): self.schema_document(rel)
                   for rel in self.schema_closure(file, strict=True, root=schema if prefix else None,
                                                  prefix=prefix) if rel != file}
        # ... and every pattern compile, no $ref loop forever (model.check_usable)
        check_usable(self, file, schema, prefix)
        return schema_mod.build(schema, uri_of(file), retrieve, preload)

    def schema_closure(self, rel: str, strict: bool = False, root: Any = None,
                       prefix: tuple[Any, ...] = ()) -> list[str]:
        """``rel`` and every schema file it references, transitively.

        ``strict``: each ``$ref`` must resolve (file and fragment), else a
        ``KonfigError`` at the line of the ``$ref``. ``root``: the schema is the
        node at ``prefix`` in ``rel`` (a policy's ``schema:``), which its own
        ``#...`` references resolve in, as jsonschema resolves them.
        """
        from urllib.parse import urldefrag, urljoin

        from ..yamlio import iter_paths
        from .model import resolve_ref

        seen: list[str] = []
        todo = [rel]
        while todo:
            cur = todo.pop()
            if cur in seen:
                continue
            seen.append(cur)
            own = root is not None and cur == rel
            try:
                data = root if own else self.schema_document(cur)
            except KonfigError:
                if strict:
                    raise
                continue
            for path, ref in iter_paths(data):
                if not path or path[-1] != "$ref" or not isinstance(ref, str):
                    continue
                if strict:
                    try:
                        resolve_ref(self, ref, uri_of(cur), root if own else None)
                    except KonfigError as e:
                        line, col = self.position(cur, (prefix if own else ()) + path)
                        msg = e.message if e.message.startswith("$ref") else f"$ref {ref!r}: {e.message}"
                        raise KonfigError(msg, file=cur, line=line, col=col) from None
                target = rel_of(urldefrag(urljoin(uri_of(cur), ref))[0])
                if target and target not in seen:
                    todo.append(target)
        return seen

    @cached_property
    def policies(self) -> list[Policy]:
        pdir = paths.join(self.base, "policies")
        out = []
        for rel, _dirs, files in self.source.walk(pdir):
            for f in files:
                if f.endswith((".yaml", ".yml")):
                    out.append(Policy(self, paths.join(rel, f)))
        return sorted(out, key=lambda p: p.file)

    def env_profile(self, env: str) -> str:
        return paths.join(self.base, "envs", f"{env}.yaml")

    @property
    def teams_file(self) -> str:
        return paths.join(self.base, formats.TEAMS_FILE)
