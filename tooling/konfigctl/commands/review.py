"""``konfig review --base REF [--head REF] --author USER --approved-by USER,...``: the review verdict."""
from __future__ import annotations

from ..errors import EXIT_FAILED, EXIT_OK, UsageError
from ..escaping import md_code, md_text, text_line
from ..output import Output, plural
from ..owners.review import Requirement, Verdict, evaluate
from ..repo.repository import Repository

FORMATS = ("text", "json", "markdown")
MAX_FILES = 10  # files listed per requirement in text and markdown


def review(repo: Repository, base: str, head: str | None, author: str, approvers: list[str],
           fmt: str, out: Output) -> int:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt} is not available for review (use {', '.join(FORMATS)})")
    verdict = evaluate(repo.root, base, head, author, approvers)
    for w in verdict.warnings:
        out.warn(text_line(w))
    if fmt == "json":
        out.json(verdict.to_json())
    elif fmt == "markdown":
        out.echo(markdown(verdict))
    else:
        text(verdict, out)
    return EXIT_OK if verdict.satisfied else EXIT_FAILED


def _who(r: Requirement) -> str:
    """``web (@bob, @carol)``: who may approve, with the people who still can (author excluded)."""
    people = ", ".join(sorted(r.users - set(r.approved_by)))
    owners = ", ".join(r.owners) or "nobody"
    if r.rule.from_owners and r.rule.name != "owners":
        owners = f"owners {owners}"
    if people:
        return f"{owners} ({people})"
    return f"{owners} (nobody else eligible)" if r.users else f"{owners} (nobody eligible)"


def _need(r: Requirement) -> str:
    if r.satisfied:
        return f"approved by {', '.join(r.approved_by)} ({len(r.approved_by)} of {r.needed})"
    if not r.owners:
        return "nobody owns these files: no one can approve them (add an ownership rule)"
    more = f"{r.missing} more {'approval' if r.missing == 1 else 'approvals'} from {_who(r)}"
    if r.needed > 1 or r.approved_by:
        got = ", ".join(r.approved_by) or "none yet"
        more += f"; {r.needed} needed, approved by {got}"
    if not r.possible:
        more += f"; cannot be met: {plural(len(r.users), 'eligible reviewer')} besides the author"
    return more


def _files(files: list[str]) -> list[str]:
    shown = files[:MAX_FILES]
    if len(files) > MAX_FILES:
        shown.append(f"... and {len(files) - MAX_FILES} more")
    return shown


def text(v: Verdict, out: Output) -> None:
    reqs = v.requirements
    if not v.files:
        out.echo(out.style("✓ ", "green") + f"review satisfied: no changes between {v.merge_base[:12]} "
                 f"and {v.head}")
        return
    if v.satisfied:
        out.echo(out.style("✓ review satisfied", "green", "bold")
                 + f": {plural(len(reqs), 'requirement')} met")
    else:
        out.echo(out.style("✗ review not satisfied", "red", "bold")
                 + f": {len(v.unmet)} of {plural(len(reqs), 'requirement')} unmet")
    out.echo(f"  change: {plural(len(v.files), 'file')}, {v.merge_base[:12]}..{text_line(v.head)} "
             f"({v.head_commit[:12]}), author {v.author}, rules from {v.base} ({v.base_commit[:12]})")
    out.echo(f"  approved by: {text_line(', '.join(v.approvals) or 'nobody')}")
    for who, why in v.ignored:
        out.echo(f"  ignored: {text_line(who)} ({text_line(why)})")
    applied = v.exempted_by
    if applied is not None:
        out.echo(out.style(f"  exempt from owner approval by {text_line(applied.exemption.name)}", "green")
                 + f": {text_line(applied.reason)}")
    else:
        for e in v.exemptions:
            out.echo(f"  not exempt by {text_line(e.exemption.name)}: {text_line(e.reason)}")
    for r in v.unmet:
        out.echo()
        out.echo(out.style("✗ ", "red") + out.style(text_line(r.rule.name), "bold")
                 + f": {text_line(_need(r))}")
        if r.rule.description:
            out.echo(out.style(f"    {text_line(r.rule.description)} ({text_line(r.rule.origin)})",
                               "dim"))
        for f in _files(r.files):
            out.echo(f"    {text_line(f)}")
    met = [r for r in reqs if r.satisfied]
    if met:
        out.echo()
        for r in met:
            out.echo(out.style("✓ ", "green") + text_line(f"{r.rule.name} ({', '.join(r.owners)}): "
                                                          f"{_need(r)}; {plural(len(r.files), 'file')}"))
    if not v.satisfied:
        out.echo()
        if v.suggestion:
            note = "" if v.suggestion_minimal else " (greedy: the exact search was too large)"
            out.echo(out.style("Suggested reviewers: ", "bold") + text_line(", ".join(v.suggestion)) + note)
        else:
            out.echo(out.style("No reviewer can satisfy the unmet rules", "bold")
                     + " (see the warnings above)")


def markdown(v: Verdict) -> str:
    """A PR/MR comment: verdict, a table of requirements, suggested reviewers.

    Every piece of text that came from the repository or the command line
    (paths, rule names, refs, people, warnings) is escaped with the same
    functions as ``konfig diff``'s comment (``escaping.md_text``/``md_code``),
    so a name cannot reshape the table, inject HTML or mention anyone.
    """
    lines: list[str] = []
    if v.satisfied:
        lines.append("### ✅ konfig review: satisfied")
    else:
        lines.append("### ❌ konfig review: not satisfied")
    lines.append("")
    lines.append(f"Change by {md_text(v.author)}: {plural(len(v.files), 'file')} "
                 f"({md_code(v.merge_base[:12] + '..' + v.head_commit[:12])}), rules from {md_code(v.base)} "
                 f"({md_code(v.base_commit[:12])}). Approved by: "
                 f"{md_text(', '.join(v.approvals) or 'nobody')}.")
    if v.exempted_by is not None:
        lines += ["", f"Exempt from owner approval by {md_code(v.exempted_by.exemption.name)}: "
                      f"{md_text(v.exempted_by.reason)}."]
    elif v.exemptions:
        lines += ["", "No exemption applies: " + "; ".join(
            f"{md_code(e.exemption.name)}: {md_text(e.reason)}" for e in v.exemptions) + "."]
    if v.ignored:
        lines.append("")
        lines.append("Ignored approvals: " + "; ".join(f"{md_text(u)} ({md_text(why)})"
                                                       for u, why in v.ignored) + ".")
    if v.requirements:
        lines += ["", "| | Rule | Needs | Approved by | Files |", "|---|---|---|---|---|"]
        for r in sorted(v.requirements, key=lambda r: r.satisfied):
            mark = "✅" if r.satisfied else "❌"
            need = md_text(f"{r.needed} from {_who(r)}")
            if not r.satisfied:
                need = f"**{r.missing} more** of {need}"
            files = "<br>".join(md_code(f) if i < MAX_FILES else md_text(f)
                                for i, f in enumerate(_files(r.files)))
            lines.append(f"| {mark} | {md_code(r.rule.name)} | {need} | "
                         f"{md_text(', '.join(r.approved_by) or '—')} | {files} |")
    if not v.satisfied:
        lines.append("")
        if v.suggestion:
            note = "" if v.suggestion_minimal else " (greedy)"
            lines.append(f"**Suggested reviewers{note}:** {md_text(', '.join(v.suggestion))}")
        else:
            lines.append("**No reviewer can satisfy the unmet rules.**")
    if v.warnings:
        lines.append("")
        lines += [f"> ⚠️ {md_text(w)}" for w in v.warnings]
    return "\n".join(lines)
