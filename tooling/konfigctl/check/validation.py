"""Checking resolved stacks against their model schema and the policies that select them.

Every problem is located at the layer file and line that set the offending
value (a shared ``defaults.yaml`` as much as the stack's own file). A stack
whose files are broken yields an ``input`` problem (exit 2) and the others
are still checked.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import keypath as kp
from ..errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, KonfigError, Problem
from ..repo.memo import Slot
from ..resolve.merge import Resolution, resolve
from ..schema.validator import explain_all

if TYPE_CHECKING:
    from ..repo.policy import Policy
    from ..repo.repository import Repository
    from ..repo.stack import Stack

INPUT = "input"


def input_problem(err: KonfigError, stack: "Stack | None" = None) -> Problem:
    return Problem.from_error(err, stack=stack.path if stack else err.stack, check=INPUT)


def exit_code(problems: Iterable[Problem]) -> int:
    code = EXIT_OK
    for p in problems:
        if p.check == INPUT:
            return EXIT_BAD_INPUT
        if p.is_error:
            code = EXIT_FAILED
    return code


_USABLE: Slot[tuple[list[Policy], list[Problem]]] = Slot("usable policies")
_PROJECT_MODELS: Slot[dict[str, str | None]] = Slot("project models", dict)  # from project.yaml text


def usable_policies(repo: "Repository") -> tuple[list["Policy"], list[Problem]]:
    """Policies that load and compile; a broken one is reported once, not per stack."""
    cached = repo.memo.get(_USABLE)
    if cached is not None:
        return cached
    good, problems = [], []
    for policy in repo.policies:
        try:
            policy.meta  # noqa: B018 - loads and checks the format
            policy.validator  # noqa: B018
            policy.selector  # noqa: B018
            policy.requirement  # noqa: B018
        except KonfigError as e:
            problems.append(input_problem(e))
            continue
        good.append(policy)
    return repo.memo.put(_USABLE, (good, problems))


def require_usable(repo: "Repository", stacks: list["Stack"]) -> None:
    """Bad input (``KonfigError``) when the model schema of one of ``stacks``, or a policy,
    cannot work: for commands that change stacks and must not go on past it (``set``).
    A stack whose own files are broken is the command's to report."""
    for stack in stacks:
        try:
            name = stack.project.model_name
        except KonfigError:
            continue
        model = repo.model(name, stack.project)
        model.validator  # noqa: B018 - meta-schema, $refs, patterns, $ref cycles
    problems = usable_policies(repo)[1]
    if problems:
        p = problems[0]
        raise KonfigError(p.message, file=p.file, line=p.line, col=p.col, keypath=p.keypath or None)


def warnings(repo: "Repository", stacks: list["Stack"], whole_repo: bool = False) -> list[Problem]:
    """What ``validate`` and ``test`` warn about beyond the stacks' own findings.

    Always: a ``teams.yaml`` that does not load (the ownership commands refuse
    it; these only say so), and keywords JSON Schema ignores in the schemas of
    the models these stacks use and of the policies. For the whole repository,
    also a model no project uses and a policy whose ``when`` selects no stack.
    """
    from ..repo.model import schema_findings
    from ..repo.teams import Teams

    out: list[Problem] = []
    try:
        Teams.load(repo)
    except KonfigError as e:
        out.append(Problem(f"{e.message} (konfig owners, codeowners and review refuse teams.yaml until "
                           "it loads)", file=e.file, line=e.line, col=e.col, keypath=e.keypath or "",
                           severity="warning", check="teams"))
    models = set(repo.model_names())
    if whole_repo:
        used = _models_used(repo, models)
        for name in sorted(models - used):
            out.append(Problem(f"no stack uses model {name}: nothing checks its schema or renderer until one does", file=repo.model(name).schema_file,
                               severity="warning", check="usage"))
    else:
        models &= {_model_of(repo, p) for p in {s.project.path: s.project for s in stacks}.values()}
    for name in sorted(models):
        m = repo.model(name)
        try:
            data = repo.schema_document(m.schema_file)
        except KonfigError:
            continue  # reported by the stacks that use it
        out.extend(p for p in schema_findings(repo, m.schema_file, data) if not p.is_error)
    for policy in usable_policies(repo)[0]:
        if "schema" in policy.meta:  # a policy may only ``requires`` a stack
            out.extend(p for p in schema_findings(repo, policy.file, policy.meta["schema"], ("schema",))
                       if not p.is_error)
        if whole_repo and not policy.selector.empty and not _selects_some(repo, policy):
            line, col = repo.position(policy.file, ("when",))
            out.append(Problem(f"policy {policy.name} selects no stack (when: {policy.selector.describe()}): "
                               "it checks nothing", file=policy.file, line=line, col=col, keypath="when",
                               severity="warning", check="usage"))
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for p in out:  # a shared schema two models reference is one finding
        key = (p.file, p.line, p.col, p.message)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _model_of(repo: "Repository", project: Any) -> str | None:
    """A project's model, from its text when that is certain (``repo.peek.peek_model``); None if
    unreadable. Remembered per repository: the usage warnings ask for many projects twice."""
    known = repo.memo.of(_PROJECT_MODELS)
    if project.path not in known:
        from ..repo.peek import peek_model

        try:
            known[project.path] = peek_model(repo.read(project.file)) or project.model_name
        except KonfigError:
            known[project.path] = None
    return known[project.path]


def _models_used(repo: "Repository", models: set[str]) -> set[str]:
    """Which of ``models`` some project uses; stops once each is found (all of them, usually
    within the first projects), so only an unused model costs a look at every project."""
    used: set[str] = set()
    for project in repo.projects():
        name = _model_of(repo, project)
        if name is None:
            return set(models)  # unreadable: it may use any; the stacks' checks report it
        used.add(name)
        if models <= used:
            return used & models
    # a stack may use another model than its project's (``model:`` in stack.yaml); only the
    # files whose bytes can name a still-unused model are parsed
    for stack in repo.stacks():
        left = models - used
        if not left:
            break
        try:
            raw = repo.read(stack.file)
        except KonfigError:
            return set(models)
        if any(m.encode() in raw for m in left) or b"\\" in raw:
            try:
                used.add(stack.model_name)
            except KonfigError:
                return set(models)
    return used & models


def _selects_some(repo: "Repository", policy: "Policy") -> bool:
    """Whether a policy's ``when`` selects a stack, parsing as few files as it can: the first
    match ends the search, models come from ``project.yaml`` text, and a literal env is looked
    for only in stack files that spell it (``repo.peek.may_contain``)."""
    from ..repo.peek import may_contain

    sel = policy.selector
    literal = not any(c in v for v in sel.model + sel.env for c in "*?[{")
    for stack in repo.stacks():
        if sel.model and literal:
            model = _model_of(repo, stack.project)
            # the stack's own ``model:`` can differ only if its text can name one of these
            if model is not None and model not in sel.model \
                    and not any(may_contain(repo, stack.file, m) for m in sel.model):
                continue
        if sel.env and literal and not any(may_contain(repo, stack.file, e) for e in sel.env):
            continue
        try:
            if sel.matches(stack):
                return True
        except KonfigError:
            return True  # unreadable: the stack's own check reports it; no claim about the policy
    return False


def check_config(repo: "Repository", stack: "Stack", config: dict[str, Any],
                 policies: list["Policy"]) -> list[tuple[tuple[Any, ...], str, str, str]]:
    """Raw findings on a resolved config: (path, message, source, severity)."""
    model = stack.model
    found = []
    for err in model.validator.iter_errors(config):
        for path, msg in explain_all(err):
            found.append((path, msg, f"model {model.name}", "error"))
    for policy in policies:
        if policy.validator is None or not policy.selects(stack):
            continue
        for err in policy.validator.iter_errors(config):
            for path, msg in explain_all(err):
                found.append((path, msg, f"policy {policy.name}", policy.severity))
    return found


def validate_stack(repo: "Repository", stack: "Stack", policies: list["Policy"] | None = None,
                   overrides: list[str] | tuple[str, ...] = ()) -> list[Problem]:
    """Schema and policy problems of one stack (never raises for bad input)."""
    from .. import engine

    own = engine.of(stack)
    if own.name != "yaml":  # its own checks (a KCL compile): the models' schemas do not apply
        try:
            stack.project.meta  # noqa: B018 - format of project.yaml
            stack.meta  # noqa: B018
            return own.problems(repo, stack, overrides) or []
        except KonfigError as e:
            return [input_problem(e, stack)]
    return validated(repo, stack, policies, overrides)[0]


def validated(repo: "Repository", stack: "Stack", policies: list["Policy"] | None = None,
              overrides: list[str] | tuple[str, ...] = ()) -> tuple[list[Problem], Resolution | None]:
    """``validate_stack``'s problems and the resolution they were found on (None when the stack
    does not resolve): ``test`` renders that config instead of resolving the stack again.
    A YAML stack's (``check_stack`` runs a compiled stack's own checks)."""
    if policies is None:
        policies = usable_policies(repo)[0]
    try:
        stack.project.meta  # noqa: B018 - format of project.yaml
        stack.meta  # noqa: B018
        res = resolve(repo, stack, overrides)
        found = check_config(repo, stack, res.config, policies)
    except KonfigError as e:
        return [input_problem(e, stack)], None
    problems = _depends_on_problems(repo, stack)
    if found:
        problems.extend(locate(repo, stack, found, overrides))
    problems.extend(requires_problems(repo, stack, policies))
    return problems, res


def requires_problems(repo: "Repository", stack: "Stack", policies: list["Policy"]) -> list[Problem]:
    """One problem per policy whose ``requires`` no other stack meets for ``stack``.

    It is located at the stack's own file (at its ``env:`` when the stacks must
    share the env): the fix is another stack, not a value of this one.
    """
    out = []
    for policy in policies:
        req = policy.requirement
        if req is None or not policy.selects(stack) or req.satisfied_by(repo, stack):
            continue
        line, col = (repo.position(stack.file, ("env",)) if "env" in req.same else (None, None))
        if line is None:
            line, col = 1, 1
        out.append(Problem(
            message=f"requires {req.describe()}: none found", file=stack.file, line=line, col=col,
            stack=stack.path, source=f"policy {policy.name}", severity=policy.severity,
        ))
    return out


def locate(repo: "Repository", stack: "Stack", found: list[tuple[tuple[Any, ...], str, str, str]],
           overrides: list[str] | tuple[str, ...] = ()) -> list[Problem]:
    """Turn findings on resolved paths into problems at the layer lines that caused them."""
    tracked: Resolution = resolve(repo, stack, overrides, track=True)
    spec = stack.model.merge_spec
    out = []
    seen = set()
    for path, msg, source, severity in found:
        file, line, col = tracked.locate(path, repo)
        key = (file, line, col, path, msg, source)
        if key in seen:
            continue
        seen.add(key)
        out.append(Problem(
            message=msg,
            file=file,
            line=line,
            col=col,
            keypath=display_path(tracked.config, path, spec),
            stack=stack.path,
            source=source,
            severity=severity,
        ))
    out.sort(key=lambda p: (p.file or "", p.line or 0, p.col or 0, p.keypath))
    return out


def display_path(config: Any, path: tuple[Any, ...], spec: Any = None) -> str:
    """A key path as people write it: keyed list items by their key (``env[name=X]``)."""
    out: list[Any] = []
    node = config
    for seg in path:
        if isinstance(seg, int) and isinstance(node, list):
            item = node[seg] if seg < len(node) else None
            key = spec.key if spec is not None else None
            if key and isinstance(item, dict) and isinstance(item.get(key), (str, int)):
                out.append(kp.Select(key, str(item[key])))
            else:
                out.append(seg)
            node = item
            spec = spec.items if spec is not None else None
        else:
            out.append(seg)
            node = node.get(seg) if isinstance(node, dict) else None
            spec = spec.child(seg) if spec is not None else None
    return kp.format(tuple(out))


def _depends_on_problems(repo: "Repository", stack: "Stack") -> list[Problem]:
    out = []
    for i, name in enumerate(stack.depends_on):
        try:
            target = repo.find_stack(name, cwd=repo.root)
        except KonfigError as e:
            line, col = repo.position(stack.file, ("depends_on", i))
            out.append(Problem(
                message=f"depends on {e.message}", file=stack.file, line=line, col=col,
                keypath=f"depends_on[{i}]", stack=stack.path, source="stack.yaml",
            ))
            continue
        if target is stack:
            line, col = repo.position(stack.file, ("depends_on", i))
            out.append(Problem(
                message="a stack cannot depend on itself", file=stack.file, line=line, col=col,
                keypath=f"depends_on[{i}]", stack=stack.path, source="stack.yaml",
            ))
    if stack.depends_on and not out:
        from ..repo.order import cycle_error, cycle_from

        cycle = cycle_from(repo, stack)
        if cycle:  # no order can satisfy it: each stack on the cycle says so
            err = cycle_error(repo, stack, cycle)
            out.append(Problem(message=err.message, file=err.file, line=err.line, col=err.col,
                               keypath=err.keypath or "depends_on", stack=stack.path,
                               source="stack.yaml"))
    return out


def _validate_one(repo: "Repository", stack: "Stack", overrides: tuple[str, ...] = ()) -> list[Problem]:
    return validate_stack(repo, stack, usable_policies(repo)[0], overrides)


def validate(repo: "Repository", stacks: list["Stack"], *, with_discovery: bool = False,
             jobs: int | None = None, progress: Any = None,
             overrides: list[str] | tuple[str, ...] = (), use_cache: bool = False) -> list[Problem]:
    """Problems of many stacks; ``with_discovery`` adds repository-level ones (``--all``).

    ``overrides`` (``-O key=value``) apply to every stack: "what if" checks.
    ``use_cache``: each stack's problems are kept in the results cache
    (``cache_dir``/validate/stacks.json, a ``cache.Pack``) under
    ``keys.validation_key``, and reused while its inputs hash the same.
    """
    problems, _keys = _validate(repo, stacks, with_discovery, jobs, progress, tuple(overrides), use_cache)
    return problems


def _validate(repo: "Repository", stacks: list["Stack"], with_discovery: bool, jobs: int | None,
              progress: Any, overrides: tuple[str, ...], use_cache: bool,
              keys: list[str | None] | None = None) -> tuple[list[Problem], list[str | None]]:
    """``validate``, and the stacks' cache keys (None each without the cache)."""
    import functools

    from ..resolve.merge import parse_override
    from . import keys as keys_mod
    from .cache import Cache
    from .parallel import map_stacks

    for o in overrides:  # bad syntax is the command's fault: fail once, not per stack
        parse_override(o)

    cache = Cache(repo.cache_dir if use_cache else None, "validate")
    if keys is None:
        keys = [keys_mod.validation_key(repo, s, overrides) if cache.enabled else None for s in stacks]
    pack = cache.pack("stacks")
    found: dict[str, list[Problem]] = {}
    todo = []
    for s, key in zip(stacks, keys):
        hit = pack.get(key)
        if hit is not None:
            try:
                found[s.path] = [Problem.from_json(p) for p in hit]
                continue
            except (KeyError, TypeError):  # an entry of another shape: recompute
                pass
        todo.append(s)
    policies, problems = usable_policies(repo)
    if with_discovery:
        problems = [input_problem(e) for e in repo.discovery_problems] + problems
    if todo:
        _warm(repo, todo, jobs)
        one = functools.partial(_validate_one, overrides=overrides) if overrides else _validate_one
        key_of = dict(zip((s.path for s in stacks), keys))
        for stack, mine in map_stacks(repo, todo, one, jobs=jobs, progress=progress, label="validating"):
            found[stack.path] = mine
            pack.put(key_of[stack.path], [p.to_json() for p in mine])
        pack.save()
    for s in stacks:
        problems.extend(found[s.path])
    return once_per_shared_file(problems), keys


def validate_run(repo: "Repository", stacks: list["Stack"], *, whole_repo: bool = False,
                 jobs: int | None = None, progress: Any = None,
                 overrides: list[str] | tuple[str, ...] = (), use_cache: bool = True) -> list[Problem]:
    """What ``konfig validate`` reports: the repository-level ``warnings`` and ``validate``'s
    problems. With ``use_cache``, the whole run is kept too (``keys.run_key``: every file it
    can read), so a run with nothing changed reads one entry after hashing the files (and
    only stats those whose digest is kept, ``keys.remember_digests``); with one stack
    changed, the others come from their own entries."""
    from . import keys as keys_mod
    from .cache import Cache

    overrides = tuple(overrides)
    cache = Cache(repo.cache_dir if use_cache else None, "validate")
    keys: list[str | None] | None = None
    run_key = None
    if cache.enabled:
        kept = keys_mod.remember_digests(repo)
        run_key = keys_mod.run_key(repo, stacks, whole_repo, overrides)
        hit = cache.get(run_key)
        if hit is not None:
            try:
                return [Problem.from_json(p) for p in hit]
            except (KeyError, TypeError):
                pass
            finally:
                if kept is not None:
                    kept.save()
        keys = [keys_mod.validation_key(repo, s, overrides) for s in stacks]
        if kept is not None:
            kept.save()
    # before the workers fork: the project files it reads are theirs too
    problems = warnings(repo, stacks, whole_repo)
    problems += _validate(repo, stacks, whole_repo, jobs, progress, overrides, use_cache, keys)[0]
    cache.put(run_key, [p.to_json() for p in problems])
    return problems


def once_per_shared_file(problems: list[Problem]) -> list[Problem]:
    """A broken shared file (a model schema, a defaults.yaml) breaks every stack that
    reads it: say so once, with how many stacks, instead of once per stack."""
    import dataclasses

    counts: dict[tuple[Any, ...], int] = {}
    for p in problems:
        if p.check == INPUT and p.file and p.stack and not p.file.startswith(p.stack + "/"):
            key = (p.file, p.line, p.col, p.message)
            counts[key] = counts.get(key, 0) + 1
    out = []
    seen = set()
    for p in problems:
        key = (p.file, p.line, p.col, p.message)
        n = counts.get(key, 0) if p.check == INPUT else 0
        if n > 1:
            if key in seen:
                continue
            seen.add(key)
            p = dataclasses.replace(p, stack=None, message=f"{p.message} (breaks {n} stacks)")
        out.append(p)
    return out


def _warm(repo: "Repository", stacks: list["Stack"], jobs: int | None = None) -> None:
    """Compile every model's validator once, before workers fork (they inherit it).

    Every model, not the ones the stacks use: finding those would read every
    project.yaml here, serially (1,500 files for 5,000 stacks), while the
    workers read them anyway. In-process runs compile what they meet.
    """
    from .parallel import will_fork

    if not will_fork(len(stacks), jobs):
        return
    for name in repo.model_names():
        try:
            m = repo.model(name)
            m.validator  # noqa: B018
            m.merge_spec  # noqa: B018
        except KonfigError:
            pass
