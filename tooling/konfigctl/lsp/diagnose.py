"""Diagnostics of one edited file: what ``konfig validate`` says about the stacks it is part of.

The buffer is checked as YAML first (a YAML error is the one diagnostic: every
stack reading the file would fail on it alike). Then, by what the file is:
``konfig.yaml`` and ``teams.yaml`` against their formats; a policy, a model's
schema or a shared schema for what makes them unusable (reported at load, as
every command does) and the keywords JSON Schema ignores; and every stack the
file is a layer or a part of (``Workspace.stacks_of``: the graph's rules) is
validated by ``check.validation.validate_stack``, the function ``konfig
validate`` runs per stack. A broken shared file is said once, with how many
stacks it breaks (``once_per_shared_file``), as on the command line.

Problems are returned wherever they are located: an edit of a shared layer
can break a value another file sets (a ``required`` that its new ``mode``
brings in). The server publishes each file's share.
"""
from __future__ import annotations

from collections.abc import Callable

from .. import formats
from ..check.validation import INPUT, input_problem, once_per_shared_file, usable_policies, validate_stack
from ..errors import KonfigError, Problem
from ..files import paths
from ..yamlio import load
from .workspace import NEVER, Cancelled, Workspace


PARTIAL_AFTER = 0.2  # seconds: past this, what was found so far is shown while the rest is checked


def diagnose(ws: Workspace, rel: str, cancelled: Callable[[], bool] = NEVER,
             partial: Callable[[list[Problem], int, int], None] | None = None) -> list[Problem]:
    """Every problem of ``rel`` and of the stacks it is part of, as the buffers stand.

    ``partial(problems, checked, of)`` is called once if checking the stacks
    takes longer than ``PARTIAL_AFTER``: a shared layer that breaks hundreds of
    stacks shows the first of them within the editor's patience.
    """
    import time

    start = time.perf_counter()
    view = ws.view()
    try:
        load(view.read(rel), rel)
    except KonfigError as e:
        return [input_problem(e)]
    out: list[Problem] = []
    out.extend(_file_problems(ws, rel))
    found: list[Problem] = []
    try:
        policies = usable_policies(view)[0]
        stacks = ws.stacks_of(rel)
    except KonfigError as e:  # the repository itself does not load (a broken konfig.yaml)
        stacks = []
        if not any(p.message == e.message and p.file == e.file for p in out):
            out.append(input_problem(e))
    for i, stack in enumerate(stacks):
        if cancelled():
            raise Cancelled
        if partial is not None and time.perf_counter() - start > PARTIAL_AFTER:
            partial(_unique(out + once_per_shared_file(found)), i, len(stacks))
            partial = None
        found.extend(validate_stack(view, stack, policies))
    per_stack = once_per_shared_file(found)
    # a schema that cannot work is also what breaks each stack: say it once, with how many
    broken = {(p.file, p.line, p.col) for p in per_stack if p.check == INPUT}
    out = [p for p in out if not (p.check == INPUT and (p.file, p.line, p.col) in broken)]
    return _unique(out + per_stack)


def _unique(out: list[Problem]) -> list[Problem]:
    seen = set()
    unique = []
    for p in out:
        key = (p.file, p.line, p.col, p.keypath, p.message, p.stack)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _file_problems(ws: Workspace, rel: str) -> list[Problem]:
    """What is wrong with the file itself, whatever stacks read it."""
    from ..repo.model import schema_findings

    view = ws.view()
    out: list[Problem] = []
    try:
        if rel == formats.KONFIG_FILE:
            view.settings  # noqa: B018 - checks the format
            out.extend(input_problem(e) for e in view.discovery_problems if e.file == rel)
            return out
        if rel == view.teams_file:
            from ..repo.teams import Teams

            Teams.load(view)
            return out
        if ws.project_file_of(rel) is not None:
            ws.project_file_of(rel).meta  # type: ignore[union-attr]  # noqa: B018
        stack = ws.stack_file_of(rel)
        if stack is not None:
            stack.meta  # noqa: B018
        base = view.base
    except KonfigError as e:
        return [input_problem(e)]
    if paths.is_within(rel, paths.join(base, "policies")):
        out.extend(p for p in usable_policies(view)[1] if p.file == rel)
        for policy in usable_policies(view)[0]:
            if policy.file == rel and "schema" in policy.meta:
                out.extend(p for p in schema_findings(view, rel, policy.meta["schema"], ("schema",))
                           if not p.is_error)
    elif paths.is_within(rel, base) and not ws.layer_prefix(rel) == ():
        for name in view.model_names():
            try:
                model = view.model(name)
                if rel not in model.schema_files():
                    continue
                model.validator  # noqa: B018 - meta-schema, $refs, patterns, $ref cycles
            except KonfigError as e:
                out.append(Problem.from_error(e, check=INPUT, source=f"model {name}"))
                continue
            try:
                data = view.schema_document(rel)
            except KonfigError:
                continue
            out.extend(p for p in schema_findings(view, rel, data) if not p.is_error)
    return out
