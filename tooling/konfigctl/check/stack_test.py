"""Testing stacks: validate, render, check the resources, compare with ``golden.yaml``.

Each stack gets four checks, each its own result (and JUnit testcase):

* ``validate``   -- model schema and policies (``validation.validate_stack``);
* ``render``     -- the model's renderer runs and returns resources;
* ``kubernetes`` -- every resource against the cluster's schemas (``kube``);
* ``golden``     -- the resources equal the committed ``golden.yaml``.

A validation failure still lets the others run when the config resolves (so
one run reports everything); when it does not resolve, they are skipped. One
stack failing never stops the others.

Results are plain data (picklable for the worker pool, JSON for the cache).
A stack's result is cached under a hash of every file it depends on, so a
second run over unchanged stacks reads results instead of computing them.
"""
from __future__ import annotations

import dataclasses
import json
import hashlib
import time
from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import KonfigError
from ..files import paths
from ..render import libraries as renderlib
from ..repo.memo import Slot
from ..resolve import layers as layers_mod
from . import cache as cache_mod
from .cache import Cache
from .keys import digests, file_and_digest, requires_digests

if TYPE_CHECKING:
    from ..repo.repository import Repository
    from ..repo.stack import Stack

CHECKS = ("validate", "render", "kubernetes", "golden")
UNREADABLE = "cannot read the golden file: "
KIND_WARNING = "warning: "  # a check's detail that is a warning (a kind no schema covers), not a failure
PASSED, FAILED, SKIPPED, UPDATED = "passed", "failed", "skipped", "updated"


@dataclasses.dataclass
class CheckResult:
    name: str
    status: str
    message: str = ""  # one line: what failed
    details: list[str] = dataclasses.field(default_factory=list)  # one line per finding
    diff: str = ""  # golden: the unified diff
    problems: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # validate, as JSON
    input_error: bool = False  # the stack's files are broken (exit 2, like validate)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class StackResult:
    stack: str
    model: str
    checks: list[CheckResult]
    resources: list[dict[str, Any]] | None = None  # what --update writes
    cached: bool = False
    warnings: int = 0
    transient: bool = False  # a verdict of this run's machine (a render timeout): never cached

    @property
    def ok(self) -> bool:
        return not any(c.failed for c in self.checks)

    @property
    def input_error(self) -> bool:
        return any(c.input_error for c in self.checks)

    def check(self, name: str) -> CheckResult:
        return next(c for c in self.checks if c.name == name)

    def to_json(self, with_resources: bool = True) -> dict[str, Any]:
        out = {
            "stack": self.stack,
            "model": self.model,
            "ok": self.ok,
            "cached": self.cached,
            "warnings": self.warnings,
            "checks": [c.to_json() for c in self.checks],
        }
        if with_resources:
            out["resources"] = self.resources
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "StackResult":
        return cls(
            stack=data["stack"],
            model=data["model"],
            checks=[CheckResult(**c) for c in data["checks"]],
            resources=data.get("resources"),
            warnings=data.get("warnings", 0),
        )


def _model_of(stack: "Stack") -> str:
    try:
        return stack.model_name
    except KonfigError:
        return "?"


def check_stack(repo: "Repository", stack: "Stack") -> StackResult:
    """Run the four checks on one stack (never raises for a broken stack or renderer)."""
    from ..render import kubernetes as kube
    from ..render.renderer import RenderError, RenderTimeout, render_problem_message, render_stack
    from .validation import INPUT, usable_policies, validated

    from .. import engine

    if stack.engine != "yaml":
        return _check_compiled(repo, stack, engine.of(stack))
    model = _model_of(stack)
    checks: list[CheckResult] = []
    t0 = time.perf_counter()
    problems, resolution = validated(repo, stack, usable_policies(repo)[0])
    errors = [p for p in problems if p.is_error]
    warnings = len(problems) - len(errors)
    broken = [p for p in problems if p.check == INPUT]
    v = CheckResult("validate", FAILED if errors else PASSED,
                    details=[p.format() for p in errors],
                    problems=[p.to_json() for p in problems], input_error=bool(broken))
    if errors:
        v.message = (summarize(v.details) if not broken
                     else "the stack's files are broken: " + broken[0].format())
    v.seconds = time.perf_counter() - t0
    checks.append(v)

    def skipped(name: str, why: str) -> CheckResult:
        return CheckResult(name, SKIPPED, message=why)

    config = resolution.config if resolution is not None and not broken else None  # resolved once
    if config is None:
        why = "the stack does not resolve"
        return StackResult(stack.path, model, checks + [skipped(n, why) for n in CHECKS[1:]],
                           warnings=warnings)

    t0 = time.perf_counter()
    resources = None
    transient = False
    try:
        resources = render_stack(repo, stack, config)
        r = CheckResult("render", PASSED, message=f"{len(resources)} resources")
    except RenderError as e:
        r = CheckResult("render", FAILED, message=render_problem_message(e))
        transient = isinstance(e, RenderTimeout)
    except KonfigError as e:  # e.g. the model's renderer file cannot be read
        r = CheckResult("render", FAILED, message=str(e))
    r.seconds = time.perf_counter() - t0
    checks.append(r)
    if resources is None:
        why = "nothing rendered"
        return StackResult(stack.path, model, checks + [skipped(n, why) for n in CHECKS[2:]],
                           warnings=warnings, transient=transient)

    t0 = time.perf_counter()
    try:
        found = kube.checker(repo).check_all(resources)
    except KonfigError as e:  # a broken custom resource schema in base
        found = [str(e)]
    _last_checks(repo, stack, resources, checks, found, [], t0)
    return StackResult(stack.path, model, checks, resources=resources, warnings=warnings)


def _last_checks(repo: "Repository", stack: "Stack", resources: list[dict[str, Any]],
                 checks: list[CheckResult], found: list[str], warned: list[str], t0: float) -> None:
    """Append ``kubernetes`` (its problems ``found`` since ``t0``; ``warned`` shown, not failing)
    and ``golden``: the two checks every engine ends with."""
    k = CheckResult("kubernetes", FAILED if found else PASSED, details=found + warned)
    if found or warned:
        k.message = summarize(found or warned)
    k.seconds = time.perf_counter() - t0
    checks.append(k)
    t0 = time.perf_counter()
    checks.append(compare_golden(repo, stack, resources))
    checks[-1].seconds = time.perf_counter() - t0


def _check_compiled(repo: "Repository", stack: "Stack", eng: Any) -> StackResult:
    """The four checks of a stack whose engine compiles it (KCL): the compile is ``validate``
    and ``render`` at once; ``kubernetes`` checks its Kubernetes manifests where a schema is
    known (a kind without one is a warning); ``golden`` compares in the engine's form."""
    from ..render.renderer import RenderError
    from .validation import INPUT, validate_stack

    t0 = time.perf_counter()
    problems = validate_stack(repo, stack)
    broken = [p for p in problems if p.check == INPUT]
    errors = [p for p in problems if p.is_error]
    v = CheckResult("validate", FAILED if errors else PASSED, details=[p.format() for p in errors],
                    problems=[p.to_json() for p in problems], input_error=bool(broken))
    if errors:
        v.message = summarize(v.details) if not broken else "the stack's files are broken: " + broken[0].format()
    v.seconds = time.perf_counter() - t0
    checks = [v]
    if errors:
        why = "the stack does not compile"
        return StackResult(stack.path, eng.name, checks + [CheckResult(n, SKIPPED, message=why)
                                                           for n in CHECKS[1:]])
    t0 = time.perf_counter()
    resources = None
    try:
        resources = eng.render(repo, stack)
        r = CheckResult("render", PASSED, message=f"{len(resources)} resources")
    except RenderError as e:
        r = CheckResult("render", FAILED, message=str(e))
    except KonfigError as e:
        r = CheckResult("render", FAILED, message=str(e), input_error=True)
    r.seconds = time.perf_counter() - t0
    checks.append(r)
    if resources is None:
        return StackResult(stack.path, eng.name, checks + [CheckResult(n, SKIPPED, message="nothing rendered")
                                                           for n in CHECKS[2:]])
    t0 = time.perf_counter()
    found, warned = _kubernetes(repo, stack, eng, resources)
    _last_checks(repo, stack, resources, checks, found, warned, t0)
    return StackResult(stack.path, eng.name, checks, resources=resources)


def _kubernetes(repo: "Repository", stack: "Stack", eng: Any,
                resources: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(problems, warnings) of the manifests among ``resources``: each against its kind's schema
    -- the project's ``crd/`` first, then the built-in and ``<base>/crds/`` ones; a kind no
    schema covers is a warning."""
    from .. import keypath as kp
    from ..render import kubernetes as kube
    from ..schema.validator import explain_error

    checker = kube.checker(repo)
    try:
        project_kinds = eng.crd_kinds(repo, stack)
    except KonfigError as e:  # a broken crd/ file of the project
        return [str(e)], []
    found: list[str] = []
    warned: list[str] = []
    for m in eng.manifests(resources):
        key = (str(m.get("apiVersion")), str(m.get("kind")))
        if key in project_kinds:
            validator = project_kinds[key]
            for err in (validator.iter_errors(m) if validator is not None else []):
                path, msg = explain_error(err)
                where = kp.format(path)
                found.append(f"{kube.describe(m)}: {where}: {msg}" if where else f"{kube.describe(m)}: {msg}")
            continue
        try:
            checker.validator(*key)
        except KonfigError as e:
            warned.append(f"{KIND_WARNING}{kube.describe(m)}: {e.message}")
            continue
        found.extend(checker.check(m))
    return found, warned


def summarize(details: list[str]) -> str:
    """The one-line message of a check with these findings: the first, and how many more."""
    more = len(details) - 1
    return details[0] + (f" (and {more} more)" if more > 0 else "")


def compare_golden(repo: "Repository", stack: "Stack", resources: list[dict[str, Any]]) -> CheckResult:
    from .. import engine

    eng = engine.of(stack)
    file = stack.golden_file
    if not repo.exists(file):
        return CheckResult("golden", FAILED, message=f"no {eng.golden_name} yet "
                           "(create it with `konfig test --update`)")
    try:
        data = repo.read(file)
    except KonfigError as e:  # a directory, a symlink out of the repository, no access
        return CheckResult("golden", FAILED, message=f"{UNREADABLE}{e}", input_error=True)
    try:
        expected = eng.golden_parse(data, file)
    except KonfigError as e:  # a merge conflict in it: --update writes it anew
        return CheckResult("golden", FAILED, message=f"{eng.golden_name} cannot be parsed: {e}")
    if eng.golden_same(expected, resources):
        return CheckResult("golden", PASSED)
    return CheckResult("golden", FAILED, message=f"rendered output differs from {file}",
                       diff=eng.golden_diff(expected, resources, file))


# -- running many stacks ------------------------------------------------------------

def _warm(repo: "Repository", stacks: list[Any]) -> None:
    """Load and compile what every worker needs once, before they fork."""
    from ..render import kubernetes as kube
    from ..render.renderer import load_renderer
    from .validation import _warm as warm_validation
    from .validation import usable_policies

    usable_policies(repo)
    warm_validation(repo, stacks)
    models = set()
    for s in stacks:
        try:
            if not s.is_kcl:
                models.add(s.model_name)
        except KonfigError:
            pass
    for m in sorted(models):
        try:
            load_renderer(repo, m)
        except KonfigError:
            pass
    try:
        checker = kube.checker(repo)
        checker.warm([("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "ConfigMap"),
                      ("autoscaling/v2", "HorizontalPodAutoscaler"), ("batch/v1", "Job"),
                      ("batch/v1", "CronJob")] + sorted(checker.crds))
    except KonfigError:
        pass


def run(repo: "Repository", stacks: list[Any], *, jobs: int | None = None, use_cache: bool = True,
        update: bool = False, progress: Any = None) -> tuple[list["StackResult"], list[str]]:
    """Test ``stacks`` (cached results where inputs are unchanged); with ``update``, rewrite
    the golden files that differ. Returns (results in the order given, golden files written)."""
    from .parallel import map_stacks

    from . import keys as keys_mod

    cache = Cache(repo.cache_dir if use_cache else None, "test")
    run_key = None
    if cache.enabled and not update:  # --update needs each result's resources: per stack
        kept = keys_mod.remember_digests(repo)
        run_key = keys_mod.run_key(repo, stacks, False, what="test")
        if kept is not None:
            kept.save()
        hit = cache.get(run_key)
        if hit is not None:
            try:
                found = [StackResult.from_json(r) for r in hit]
                if [r.stack for r in found] == [s.path for s in stacks]:
                    for r in found:
                        r.cached = True
                    return found, []
            except (KeyError, TypeError):  # an entry of another shape: recompute
                pass
    keys: dict[str, tuple[str | None, str | None]] = {}
    results: dict[str, StackResult] = {}
    todo = []
    for s in stacks:
        base = input_key(repo, s) if cache.enabled else None
        key = result_key(base, digests(repo).file(s.golden_file))
        keys[s.path] = (base, key)
        hit = cache.get(key)
        if hit is not None:
            try:
                results[s.path] = StackResult.from_json(hit)
                results[s.path].cached = True
                continue
            except (KeyError, TypeError):  # an entry of another shape: recompute
                pass
        todo.append(s)
    if todo:
        _warm(repo, todo)
        for s, r in map_stacks(repo, todo, check_stack, jobs=jobs, progress=progress, label="testing",
                               renders=True):
            results[s.path] = r
            if not r.transient:
                cache.put(keys[s.path][1], r.to_json())
    if run_key is not None and not any(r.transient for r in results.values()):
        cache.put(run_key, [results[s.path].to_json(with_resources=False) for s in stacks])
    written: list[str] = []
    if update:
        for s in stacks:
            r = results[s.path]
            text = _update_golden(repo, s, r)
            if text is None:
                continue
            written.append(s.golden_file)
            # the next run finds the new golden file passing, from the cache
            passed = StackResult.from_json(r.to_json())
            passed.checks[-1] = CheckResult("golden", PASSED)
            new_key = result_key(keys[s.path][0], hashlib.sha256(text.encode()).hexdigest())
            cache.put(new_key, passed.to_json())
    return [results[s.path] for s in stacks], written


def _new_golden(stack: Any, r: StackResult) -> str | None:
    """The stack's golden text, if its golden file differs and every other check passed."""
    g = r.check("golden")
    if not g.failed or r.resources is None or g.message.startswith(UNREADABLE):
        return None  # never overwrite a golden file that could not be read (a directory, no access)
    if any(c.failed for c in r.checks if c.name != "golden"):
        return None  # a stack that fails keeps its golden file: `konfig test` shows why
    from .. import engine

    return engine.of(stack).golden_text(stack, r.resources)


def _update_golden(repo: "Repository", stack: Any, r: StackResult) -> str | None:
    """Rewrite the stack's golden file (its own atomic write) if ``_new_golden`` says so; its text."""
    text = _new_golden(stack, r)
    if text is None:
        return None
    from ..files.transaction import write_files

    try:
        write_files(repo, {stack.golden_file: text})
    except KonfigError as e:
        g = r.check("golden")
        r.checks[r.checks.index(g)] = dataclasses.replace(g, message=str(e), input_error=True)
        return None
    r.checks[r.checks.index(r.check("golden"))] = CheckResult("golden", UPDATED,
                                                             message=f"updated {stack.golden_file}")
    return text


# -- cache keys ---------------------------------------------------------------------

_SHARED_DIGEST: Slot[str] = Slot("shared digest")  # settings, policies, env profiles, CRDs, the tool
_MODEL_DIGESTS: Slot[dict[str, str]] = Slot("model digests", dict)  # model -> its files' digest


def _shared_digest(repo: "Repository") -> str:
    """What every stack depends on: settings, policies, env profiles, CRD schemas, the tool."""
    d = repo.memo.get(_SHARED_DIGEST)
    if d is None:
        from ..render import kubernetes as kube

        files = [formats.KONFIG_FILE]
        files += [p.file for p in repo.policies]
        for top in ("envs", "crds"):
            for rel, _dirs, names in repo.source.walk(paths.join(repo.base, top)):
                files += [paths.join(rel, n) for n in names]
        d = repo.memo.put(_SHARED_DIGEST, cache_mod.hash_parts(
            [cache_mod.tool_fingerprint(), digests(repo).files(files),
             kube.schema_version(str(repo.settings["kubernetes_version"]))]))
    return d


def _model_digest(repo: "Repository", name: str) -> str:
    known = repo.memo.of(_MODEL_DIGESTS)
    d = known.get(name)
    if d is None:
        model = repo.model(name)
        libs = [f for f in renderlib.closure(repo, model.render_file) if f != model.render_file]
        d = known[name] = digests(repo).files(model.files() + model.schema_files() + libs)
    return d


def input_key(repo: "Repository", stack: "Stack") -> str | None:
    """A hash of everything ``check_stack`` reads, except the golden file (None: do not cache)."""
    try:
        if stack.is_kcl:  # its import closure and its own files, compiled by the pinned kcl-lib
            from ..engine import kcl

            parts = [_shared_digest(repo), f"kcl-lib {kcl.require(repo, stack)}", stack.path]
            parts += [file_and_digest(repo, f) for f in kcl.ENGINE.inputs(repo, stack)]
            return cache_mod.hash_parts(parts)
        model = stack.model_name
        parts = [_shared_digest(repo), _model_digest(repo, model), stack.path,
                 file_and_digest(repo, stack.project.file), file_and_digest(repo, stack.file)]
        parts += [file_and_digest(repo, f) for f in layers_mod.defaults_chain(repo, stack)]
        parts += requires_digests(repo, stack)
        # Whether the stacks it depends on exist is part of its validation.
        if b"depends_on" in repo.read(stack.file):
            for name in stack.depends_on:
                try:
                    parts.append("dep:" + repo.find_stack(name, cwd=repo.root).path)
                except KonfigError as e:
                    parts.append("dep!" + e.message)
    except KonfigError:
        return None
    return cache_mod.hash_parts(parts)


def verdict_key(repo: "Repository", stack: "Stack") -> str | None:
    """A hash of what ``check_stack``'s verdict depends on besides the resolved config and the
    rendered resources (None: unknown): the stack's metadata (``StackInfo``: env, labels, what
    policies select), its golden file, its model's schema files, the policies, CRD schemas,
    settings and tool, the stacks a ``requires`` or ``depends_on`` looks at.

    Two revisions of a stack with the same config, the same resources and the same verdict
    key get the same verdict: ``affected --precise`` may leave such a stack untested. A
    tightened policy or schema changes no output but may fail a stack, so it must be tested.
    """
    try:
        model = repo.model(stack.model_name)
        parts = [_shared_digest(repo), digests(repo).files(model.schema_files()), stack.path,
                 json.dumps(stack.info().to_dict(), sort_keys=True, default=str),
                 file_and_digest(repo, stack.golden_file)]
        parts += requires_digests(repo, stack)
        for name in stack.depends_on:
            try:
                parts.append("dep:" + repo.find_stack(name, cwd=repo.root).path)
            except KonfigError as e:
                parts.append("dep!" + e.message)
    except KonfigError:
        return None
    return cache_mod.hash_parts(parts)


def result_key(base: str | None, golden_digest: str) -> str | None:
    return None if base is None else cache_mod.hash_parts([base, "golden", golden_digest])


def plan_goldens(repo: "Repository", stacks: list[Any]) -> tuple[dict[str, str], list[StackResult]]:
    """What ``konfig test --update`` would write for ``stacks``, without writing it.

    Returns (golden file -> new text, for the stacks whose golden file differs
    and whose other checks pass; the results of the stacks that fail a check
    other than ``golden``, which keep their golden file). ``repo`` may be an
    in-memory ``with_changes`` view: an edit renders its goldens before
    anything is written, so the layer and the goldens go in together. A golden
    file that cannot be read (a directory, a symlink out of the repository) is
    a ``KonfigError``: it would not be replaced either.
    """
    results, _ = run(repo, stacks, use_cache=False)
    texts: dict[str, str] = {}
    failed = []
    for s, r in zip(stacks, results):
        if r.check("golden").message.startswith(UNREADABLE):
            try:  # bad input (a directory, a symlink out of the repository): the read's own error
                repo.read(s.golden_file)
            except KonfigError as e:
                raise KonfigError(f"{e.message}; nothing was changed", file=e.file) from None
        if any(c.failed for c in r.checks if c.name != "golden"):
            failed.append(r)
            continue
        text = _new_golden(s, r)
        if text is not None:
            texts[s.golden_file] = text
    return texts, failed


def failure_line(r: StackResult) -> str:
    """One line: the stack and its first failing check (what keeps its golden file as it is)."""
    bad = [c for c in r.checks if c.failed]
    if not bad:
        return r.stack
    return f"{r.stack}: {bad[0].name}" + (f": {bad[0].message}" if bad[0].message else "")


def update_goldens(repo: "Repository", stacks: list[Any]) -> tuple[list[str], list[str]]:
    """``konfig test --update`` for ``stacks``, written together (``konfig init``).

    Returns (golden files written, one line per stack whose other checks fail:
    it keeps its golden file, ``konfig test`` shows why).
    """
    from ..files.transaction import write_files

    texts, failed = plan_goldens(repo, stacks)
    written = write_files(repo, texts) if texts else []
    return written, [failure_line(r) for r in failed]
