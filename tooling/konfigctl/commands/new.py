"""``konfig new project|stack PATH``: scaffold from the model's template, validated before it is written."""
from __future__ import annotations

from ..authoring import scaffold as sc
from ..errors import EXIT_FAILED, EXIT_OK, KonfigError, UsageError
from ..output import Output, plural
from ..repo.repository import Repository

FORMATS = ("text", "json")


def parse_vars(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise UsageError(f"bad --var {item!r}: expected NAME=VALUE")
        out[name.strip()] = value
    return out


def split_list(items: list[str]) -> list[str]:
    """``--owner a,b --owner c`` -> ``[a, b, c]``."""
    return [x.strip() for item in items for x in item.split(",") if x.strip()]


def new_project(repo: Repository, path: str, model: str, owners: list[str], out: Output, *,
                stacks: list[str] | None = None, variables: list[str] | None = None,
                description: str | None = None, dry_run: bool = False, fmt: str = "text",
                cwd: str | None = None) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt} is not available for new (use text or json)")
    plan = sc.plan_project(repo, path, model, split_list(owners), stacks=split_list(stacks) if stacks else None,
                           variables=parse_vars(variables or []), description=description, cwd=cwd)
    return _finish(repo, plan, out, dry_run, fmt)


def new_stack(repo: Repository, path: str, out: Output, *, env: str | None = None,
              variables: list[str] | None = None, dry_run: bool = False, fmt: str = "text",
              cwd: str | None = None, model: str | None = None) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt} is not available for new (use text or json)")
    plan = sc.plan_stack(repo, path, env=env, variables=parse_vars(variables or []), cwd=cwd, model=model)
    return _finish(repo, plan, out, dry_run, fmt)


def _finish(repo: Repository, plan: sc.Scaffold, out: Output, dry_run: bool, fmt: str) -> int:
    sc.check(repo, plan)
    updated: list[str] = []
    if plan.ok and not dry_run:
        updated = sc.commit(repo, plan)  # with its goldens and CODEOWNERS, or nothing at all
    code = EXIT_OK if plan.ok else EXIT_FAILED
    if fmt == "json":
        out.json({"ok": plan.ok, "dry_run": dry_run, **plan.to_json(), "updated": updated})
        return code
    out.problems(plan.problems)
    if not plan.ok:
        what = ("would not render" if any(p.check != "validate" and p.is_error for p in plan.problems)
                else "would be invalid")
        out.info(out.style("✗ ", "red", err=True) + f"the new {plural(len(plan.stacks), 'stack')} {what}: "
                 f"nothing was written (see the problems above: the {plan.model} template in "
                 f"{repo.base}/templates/{plan.model}/, a --var, or a shared layer they inherit)")
        return code
    verb = "would create" if dry_run else "created"
    goldens = [rel for rel in updated if rel.endswith("/golden.yaml")]
    for rel in sorted(list(plan.files) + goldens):
        out.echo(f"{verb} {rel}")
    for rel in updated:
        if rel not in goldens:
            out.echo(f"updated {rel}")
    if dry_run:
        return code
    out.info(out.style("✓ ", "green", err=True) + f"{plan.kind} {plan.path} with "
             f"{plural(len(plan.stacks), 'stack')} (model {plan.model}), valid")
    first = plan.stacks[0]
    try:  # the model's first required key (image=..., objectives...) makes the hint concrete
        key = next(iter(repo.model(plan.model).schema.get("required") or []), "KEY")
    except KonfigError:
        key = "KEY"
    out.info("next: edit the files (or `konfig set " + first + f" {key}=...`), "
             "`konfig test " + plan.path + " --update` after changes, and open a pull request")
    return code
