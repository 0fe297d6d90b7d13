"""``konfig set STACK SPEC...``: edit a stack's layer, keeping comments; refuse invalid results."""
from __future__ import annotations

from typing import Any

from ..authoring.edit import EditResult, edit_stack
from ..check.validation import require_usable
from ..errors import EXIT_FAILED, EXIT_OK, KonfigError, Problem, UsageError
from ..output import Output, plural
from ..repo.repository import Repository

FORMATS = ("text", "json")


def set_(repo: Repository, name: str, specs: list[str], out: Output, *, layer: str | None = None,
         force: bool = False, dry_run: bool = False, fmt: str = "text", cwd: str | None = None,
         update_golden: bool = True) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt} is not available for set (use text or json)")
    stack = repo.find_stack(name, cwd)
    if stack.is_kcl:
        return _set_kcl(repo, stack, specs, out, force=force, dry_run=dry_run, fmt=fmt,
                        update_golden=update_golden)
    require_usable(repo, [stack])  # a schema or policy that cannot work: exit 2 before any edit
    result = edit_stack(repo, stack, specs, layer=layer, force=force, dry_run=dry_run, cwd=cwd,
                        update_golden=update_golden)
    code = EXIT_FAILED if result.changed and any(p.is_error for p in result.problems) and not force else EXIT_OK
    if fmt == "json":
        data = result.to_json()
        if dry_run:
            data["diff"] = result.diff()
        out.json(data)
        return code
    report(result, out)
    return code


def report(result: EditResult, out: Output) -> None:
    if result.dry_run and result.changed:
        out.echo(result.diff(), nl=False)
    out.problems(result.problems)
    shown = 5
    for p in result.preexisting[:shown]:
        out.warn(f"already there before this change: {p.format()}")
    if len(result.preexisting) > shown:
        out.warn(f"... and {len(result.preexisting) - shown} more problems that were already there "
                 "(`konfig validate` shows them all)")
    for note in result.notes:
        out.warn(note)
    checked = plural(len(result.stacks), "stack")
    if not result.changed:
        out.info(f"unchanged {result.file} (nothing to change)")
    elif result.refused:
        errors = sum(1 for p in result.problems if p.is_error)
        failed = len({p.stack for p in result.problems if p.is_error})
        rendering = any(p.check != "validate" for p in result.problems if p.is_error)
        out.info(out.style("✗ ", "red", err=True)
                 + f"refused: the change introduces {plural(errors, 'problem')} in {plural(failed, 'stack')}; "
                 f"{result.file} is untouched (--force writes it anyway"
                 + (", --no-golden writes it without rendering the golden files" if rendering else "") + ")")
    elif result.dry_run:
        out.info(f"would {'create' if result.before is None else 'update'} {result.file} ({checked} checked)")
    else:
        verb = "created" if result.before is None else "updated"
        out.echo(f"{verb} {result.file}")
        for rel in result.goldens:
            out.echo(f"updated {rel}")
        for line in result.golden_failures:
            out.warn(f"golden file not updated: {line} (`konfig test` shows why)")
        out.info(out.style("✓ ", "green", err=True) + f"{checked} checked"
                 + (" (forced past problems)" if result.forced and result.problems else ""))


def _set_kcl(repo: Repository, stack: Any, specs: list[str], out: Output, *, force: bool, dry_run: bool,
             fmt: str, update_golden: bool) -> int:
    """A KCL stack: its main.k through kcl-lib's override specs; refused (exit 1, nothing written)
    when the stack then fails to compile, unless ``--force``. The golden file goes in with it."""
    import difflib

    from ..check.stack_test import plan_goldens
    from ..engine import kcl
    from ..files.transaction import write_files

    file = kcl.main_file(stack)
    old = repo.read(file).decode("utf-8")
    new = kcl.set_text(repo, stack, specs)
    changes: dict[str, str] = {}
    problems: list[Any] = []
    if new != old:
        changes[file] = new
        after = repo.with_changes({file: new.encode("utf-8")})
        stack_after = after.stack_at(stack.path)
        try:
            problems = kcl.ENGINE.problems(after, stack_after)
        except KonfigError as e:  # a syntax error: the value was not a KCL literal
            problems = [Problem.from_error(e, stack=stack.path)]
        if not problems and update_golden:
            texts, _failed = plan_goldens(after, [stack_after])
            changes.update(texts)
    refused = bool(problems) and not force
    written = [] if (refused or dry_run or not changes) else write_files(repo, changes)
    diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"{file} (before)",
                                        f"{file} (after)"))
    if fmt == "json":
        out.json({"stack": stack.path, "file": file, "changed": bool(changes), "refused": refused,
                  "written": written, "problems": [p.to_json() for p in problems],
                  **({"diff": diff} if dry_run else {})})
    else:
        if dry_run and diff:
            out.echo(diff, nl=False)
        out.problems(problems)
        if not changes:
            out.info(f"unchanged {file} (nothing to change)")
        elif refused:
            out.info(out.style("✗ ", "red", err=True) + f"refused: {file} would not compile; nothing was "
                     "written (--force writes it anyway)")
        elif written:
            out.info(out.style("✓ ", "green", err=True) + "wrote " + ", ".join(written))
    return EXIT_FAILED if refused else EXIT_OK
