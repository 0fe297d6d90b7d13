"""``konfig diff``'s reports: a ``diff.Diff`` as text, as a pull request comment, as JSON.

The markdown form is a pull request comment: a summary table first, then one
folded ``<details>`` section per stack, trimmed to stay under GitHub's
65,536-character comment limit with a note naming what was cut. Every piece
of text that came from the repository (paths, refs, messages) is escaped, so
a stack path cannot inject markup or mention anyone; diffs sit in code
fences longer than any backtick run inside them (``escaping``, which the
review comment uses too).
"""
from __future__ import annotations

import json
from typing import Any

from ..escaping import md_code, md_fence, md_text, text_line
from ..output import plural
from .diff import Diff, StackDiff
from .graph import ADDED, CHANGED, DELETED

KEYS_SHOWN = 8  # changed keys listed for a stack before "and N more"
COMMENT_LIMIT = 65_536  # GitHub's limit on a comment body
SECTION_LIMIT = 16_000  # one stack's details at most, so one huge diff cannot hide the others


# -- text ---------------------------------------------------------------------------------------

def text(diff: Diff, out: Any) -> None:
    """For people at a terminal: each stack, why, and its diffs (coloured on a TTY)."""
    for n in diff.notes:
        out.info("note: " + n)
    for s in diff.stacks:
        config, res = s.summary()
        head = text_line(s.path) + (f" ({s.status})" if s.status != CHANGED else "")
        out.echo(out.style(head, "bold") + f"  config: {config}; resources: {res}")
        for r in s.reasons:
            out.echo("    why: " + text_line(r.text()))
        if s.keys:
            out.echo("    keys: " + text_line(", ".join(s.keys[:KEYS_SHOWN]))
                     + (f" and {len(s.keys) - KEYS_SHOWN} more" if len(s.keys) > KEYS_SHOWN else ""))
        for m in s.rules:
            out.echo("    " + out.style("review: " + text_line(_rule_text(m)), "yellow"))
        for e in s.errors:
            out.echo("    " + out.style("error: " + text_line(e), "red"))
        for n in s.notes:
            out.echo("    note: " + text_line(n))
        s.texts()
        bodies = [s.config_diff] if s.values or s.status != CHANGED else []
        bodies += [r.diff for r in s.resources or []]
        for body in bodies:
            for ln in body.splitlines():
                colour = ("green" if ln.startswith("+") and not ln.startswith("+++") else
                          "red" if ln.startswith("-") and not ln.startswith("---") else
                          "cyan" if ln.startswith("@@") else None)
                out.echo("    " + (out.style(ln, colour) if colour else ln))
        out.echo()


def _rule_text(m: dict[str, Any]) -> str:
    """``needs sre (sre-prod-resources): resources.cpu changed``, for a rule a stack triggers."""
    who = m["from"] if isinstance(m["from"], str) else ", ".join(m["from"])
    by = f"; only for changes by {', '.join(m['authors'])}" if m.get("authors") else ""
    return f"needs {m['approvals']} from {who} ({m['rule']}): {m['why']}{by}"


# -- markdown (the pull request comment) --------------------------------------------------------

# The markdown escaping is escaping.py's, shared with every other markdown writer.
esc = md_text
code = md_code


def fence(body: str, lang: str = "diff") -> str:
    return md_fence(body, lang)


def _size(s: str) -> int:
    return len(s.encode("utf-8"))  # at least the characters GitHub counts


def _trim(body: str, budget: int) -> tuple[str, int]:
    """``body`` cut at a line boundary to fit ``budget``; (text, lines cut)."""
    if _size(body) <= budget:
        return body, 0
    lines = body.splitlines(keepends=True)
    kept, used = [], 0
    for ln in lines:
        if used + _size(ln) > budget:
            break
        kept.append(ln)
        used += _size(ln)
    return "".join(kept), len(lines) - len(kept)


def markdown(diff: Diff, limit: int = COMMENT_LIMIT) -> str:
    """The PR/MR comment: summary table, then a folded section per stack, under ``limit``."""
    a = diff.change
    budget = limit - 2_000  # the closing note and some slack stay free
    changed = [s for s in diff.stacks if s.changed]
    counts = {k: sum(1 for s in diff.stacks if s.status == k) for k in (CHANGED, ADDED, DELETED)}
    head_ref = "the work tree" if a.uncommitted else a.head_commit[:12]
    parts = ["### konfig diff\n\n"]
    if not diff.stacks:
        parts.append(f"No stack is affected by the change from {code(a.merge_base[:12])} "
                     f"(merge-base with {code(a.base)}) to {code(head_ref)}.\n")
        return "".join(parts)
    parts.append(
        f"**{plural(len(diff.stacks), 'stack')}** affected by the change from "
        f"{code(a.merge_base[:12])} (merge-base with {code(a.base)}) to {code(head_ref)}: "
        + ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        + f"; {len(changed)} with a difference.\n\n"
        + "".join(f"_{esc(n)}_\n\n" for n in diff.notes))
    by_rule: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for s in diff.stacks:
        for m in s.rules:
            by_rule.setdefault(m["rule"], (m, []))[1].append(s.path)
    if by_rule:  # "this PR needs sre because resources.cpu changed in prod"
        parts.append("**Review rules these changes trigger:** " + "; ".join(
            f"{code(name)} needs {m['approvals']} from "
            f"{esc(m['from'] if isinstance(m['from'], str) else ', '.join(m['from']))} "
            f"({plural(len(ps), 'stack')})" for name, (m, ps) in by_rule.items()) + "\n\n")
    table = ["| Stack | Status | Config | Resources |\n", "|---|---|---|---|\n"]
    rows = []
    for s in diff.stacks:
        config, res = s.summary()
        if s.errors:
            res += " (errors)"
        status = s.status if s.precise in (s.status, "changed") else f"{s.status}, {s.precise}"
        if s.rules:
            res += " · review: " + ", ".join(esc(m["rule"]) for m in s.rules)
        rows.append(f"| {code(s.path)} | {esc(status)} | {config} | {res} |\n")
    used = _size("".join(parts)) + _size("".join(table))
    cut_rows = 0
    for i, row in enumerate(rows):
        if used + _size(row) > budget // 2:
            cut_rows = len(rows) - i
            break
        table.append(row)
        used += _size(row)
    if cut_rows:
        table.append(f"| … {cut_rows} more stacks | | | |\n")
    parts.extend(table)
    parts.append("\n")
    used = _size("".join(parts))

    cut_sections: list[str] = []
    trimmed: list[str] = []
    for s in changed:
        section, was_trimmed = _section(s, min(SECTION_LIMIT, max(0, budget - used)))
        if section is None or used + _size(section) > budget:
            cut_sections.append(s.path)
            continue
        if was_trimmed:
            trimmed.append(s.path)
        parts.append(section)
        used += _size(section)
    if cut_rows or cut_sections or trimmed:
        note = ["\n> **Cut to stay under the 65,536-character comment limit:**"]
        if cut_rows:
            note.append(f" {cut_rows} rows of the table;")
        if cut_sections:
            shown = ", ".join(code(p) for p in cut_sections[:10])
            more = f" and {len(cut_sections) - 10} more" if len(cut_sections) > 10 else ""
            note.append(f" the details of {plural(len(cut_sections), 'stack')} "
                        f"({shown}{more});")
        if trimmed:
            shown = ", ".join(code(p) for p in trimmed[:10])
            more = f" and {len(trimmed) - 10} more" if len(trimmed) > 10 else ""
            note.append(f" the end of the diffs of {shown}{more};")
        note.append(f" run `konfig diff --base {a.merge_base[:12]}` for everything.\n")
        parts.append("".join(note))
    return "".join(parts)


def _section(s: StackDiff, budget: int) -> tuple[str | None, bool]:
    """One stack's ``<details>`` section within ``budget`` (None if not even its frame fits)."""
    config, res = s.summary()
    frame_top = (f"<details>\n<summary>{code(s.path)} ({esc(s.status)}): config {esc(config)}; "
                 f"resources {esc(res)}</summary>\n\n")
    lines = ["Why: " + "; ".join(esc(r.text()) for r in s.reasons) + "\n\n"] if s.reasons else []
    if s.keys:
        shown = ", ".join(code(k) for k in s.keys[:KEYS_SHOWN])
        more = f" and {len(s.keys) - KEYS_SHOWN} more" if len(s.keys) > KEYS_SHOWN else ""
        lines.append(f"Changed keys: {shown}{more}\n\n")
    lines += [f"**Review:** {esc(_rule_text(m))}\n\n" for m in s.rules]
    lines += [f"**Error:** {esc(e)}\n\n" for e in s.errors]
    lines += [f"_{esc(n)}_\n\n" for n in s.notes]
    frame_bottom = "</details>\n\n"
    fixed = frame_top + "".join(lines) + frame_bottom
    room = budget - _size(fixed) - 200
    if room < 0:
        return None, False
    s.texts()  # only now: thousands of stacks, a comment shows a few dozen
    bodies: list[tuple[str, str]] = []
    if s.config_diff and (s.values or s.status != CHANGED):
        bodies.append(("**Resolved config**\n\n", s.config_diff))
    for r in s.resources or []:
        bodies.append((f"**{esc(r.key)}** ({r.kind})\n\n", r.diff))
    out = [frame_top] + lines
    was_trimmed = False
    for title, body in bodies:
        avail = room - _size(title) - 60  # the fence and the cut note
        if avail <= 100:
            was_trimmed = True
            break
        kept, cut = _trim(body, avail)
        if cut:
            kept += f"… {cut} more lines cut\n"
            was_trimmed = True
        block = title + fence(kept) + "\n"
        out.append(block)
        room -= _size(block)
    out.append(frame_bottom)
    return "".join(out), was_trimmed


def to_json(diff: Diff) -> str:
    return json.dumps(diff.to_json(), indent=2, default=str)

