"""Independent readings of CODEOWNERS files, written from the platforms' documentation.

Nothing here imports konfig: the tests read a generated file with these and
compare what it means with what ``konfig owners`` says. Where the
documentation is silent, the reading is the more hostile one, so that a file
that passes here means the same under every reading the documents allow.

GitHub -- docs.github.com, "About code owners" ("CODEOWNERS syntax", the
example file, "Syntax exceptions"), which defers to git's gitignore "PATTERN
FORMAT" for the rest:

* blank lines and lines starting with ``#`` are ignored; the example file has
  an inline comment after the owners (``*.js @js-owner #This is an inline
  comment.``), and escaping a leading ``#`` with ``\\`` is listed as not
  working -- so here a ``#`` anywhere starts a comment;
* a line is a pattern followed by owners (``@user``, ``@org/team``, email)
  separated by whitespace; a pattern with no owners leaves its paths unowned
  (the example's ``/apps/github``);
* ``!`` negation and ``[ ]`` ranges do not work: a line using them is invalid,
  and an invalid line is skipped;
* the last matching pattern takes precedence;
* paths are case sensitive;
* gitignore: a backslash quotes the next character (fnmatch(3)); a slash at
  the beginning or in the middle anchors the pattern to the root, otherwise
  it matches at any level; a trailing slash matches directories only (here:
  every file below); ``*`` matches anything but ``/``, ``?`` one character but
  ``/``; a leading ``**/`` matches in all directories, a trailing ``/**``
  everything inside, ``/**/`` zero or more directories, other ``**`` are ``*``;
* a pattern also owns what is inside a directory it names (``/apps/github``
  and ``**/logs`` in the example), except when its last name has a wildcard:
  ``docs/*`` matches ``docs/getting-started.md`` "but not further nested
  files like ``docs/build-app/troubleshooting.md``".

GitLab -- docs.gitlab.com, "Code Owners syntax" (the reference page) and, for
escaping, its earlier versions' example file:

* lines are read without surrounding whitespace; blank lines and lines
  starting with ``#`` are ignored; inline comments are not supported (a ``#``
  inside a pattern is a character);
* a line ``[Name]``, ``^[Name]`` (optional), ``[Name][N]`` (N approvals),
  optionally followed by default owners, starts a section; names are not
  case sensitive and sections with the same name are combined; entries before
  the first heading form a section of their own;
* each section is evaluated separately, and in each the last matching entry
  gives the owners; an entry without owners takes the section's default owners;
* ``!pattern`` excludes what it matches from the section, and nothing can
  include it again in that section;
* ``\\#`` escapes a leading ``#``, ``\\ `` a space ("If the path contains
  spaces, escape them like this: ``path\\ with\\ spaces/``"); as in gitignore, a
  backslash quotes the character after it;
* a path starting with ``/`` matches from the root; a path without one is a
  globstar path, matching at any depth (``internal/README.md`` matches
  ``/docs/internal/README.md``); a path ending in ``/`` matches every file in
  that directory and below; otherwise a pattern matches the path itself;
  ``*`` stays within a directory, ``**`` crosses levels, ``?`` and ``[...]``
  as in gitignore (a character class never matches ``/``).
"""
from __future__ import annotations

import dataclasses
import re


def _split_pattern(line: str) -> tuple[str, str]:
    """(pattern, rest): the pattern ends at the first whitespace a backslash does not quote."""
    i = 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            i += 2
            continue
        if line[i] in " \t":
            return line[:i], line[i:]
        i += 1
    return line, ""


def _split_unquoted(pattern: str, sep: str) -> list[str]:
    out, cur, i = [], [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            cur.append(pattern[i:i + 2])
            i += 2
        elif pattern[i] == sep:
            out.append("".join(cur))
            cur = []
            i += 1
        else:
            cur.append(pattern[i])
            i += 1
    out.append("".join(cur))
    return out


def _class(seg: str, i: int) -> tuple[str, int] | None:
    """fnmatch(3) bracket expression at ``seg[i] == '['``: (regex, index after it), or None if unclosed."""
    j = i + 1
    negate = j < len(seg) and seg[j] in "!^"
    if negate:
        j += 1
    start = j
    while j < len(seg) and (seg[j] != "]" or j == start):
        j += 1
    if j >= len(seg):
        return None
    body = seg[start:j]
    items = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            items.append(f"{re.escape(body[k])}-{re.escape(body[k + 2])}")
            k += 3
        else:
            items.append(re.escape(body[k]))
            k += 1
    inner = "".join(items)
    # a class never matches '/' (FNM_PATHNAME)
    return (f"(?!/)[^{inner}]" if negate else f"(?!/)[{inner}]"), j + 1


def _segment(seg: str, classes: bool) -> str:
    out, i = [], 0
    while i < len(seg):
        c = seg[i]
        if c == "\\" and i + 1 < len(seg):
            out.append(re.escape(seg[i + 1]))
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[" and classes and _class(seg, i) is not None:
            rx, i = _class(seg, i)  # type: ignore[misc]
            out.append(rx)
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _path_regex(body: str, classes: bool) -> str:
    """Regex for the paths a pattern body (no leading or trailing slash) names.

    For ``re.S``: a name may hold a line break.
    """
    segs = _split_unquoted(body, "/")
    rx, sep = "", False
    for k, seg in enumerate(segs):
        if seg == "**":
            if k == len(segs) - 1:
                rx += ("/" if sep else "") + ".*"  # trailing /**: everything inside
            else:
                rx += ("/" if sep else "") + "(?:.*/)?"  # zero or more directories
                sep = False
            continue
        rx += ("/" if sep else "") + _segment(seg, classes)
        sep = True
    return rx


def _has_wildcard(seg: str) -> bool:
    i = 0
    while i < len(seg):
        if seg[i] == "\\":
            i += 2
            continue
        if seg[i] in "*?[":
            return True
        i += 1
    return False


@dataclasses.dataclass
class Rule:
    pattern: str
    owners: list[str]
    regex: re.Pattern[str]
    line: int
    exclusion: bool = False


# -- GitHub ------------------------------------------------------------------------------------


def _github_rule(pattern: str, owners: list[str], lineno: int) -> Rule | None:
    if pattern.startswith("!") or re.search(r"[\[\]]", pattern):
        return None  # unsupported syntax: the line is skipped
    if pattern == "*":
        return Rule(pattern, owners, re.compile(r".+", re.S), lineno)
    directory = pattern.endswith("/") and not pattern.endswith("\\/")
    body = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in _strip_trailing(pattern).lstrip("/")
    rx = _path_regex(body, classes=False)
    if not anchored:
        rx = "(?:.*/)?" + rx
    last = _split_unquoted(body, "/")[-1]
    if directory or last == "**":
        rx += "/.*" if not rx.endswith(".*") else ""
    elif not _has_wildcard(last):
        rx += "(?:/.*)?"  # a name also owns the directory of that name
    return Rule(pattern, owners, re.compile(rx, re.S), lineno)


def _strip_trailing(pattern: str) -> str:
    return pattern[:-1] if pattern.endswith("/") else pattern


def parse_github(text: str) -> list[Rule]:
    rules = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.split("#", 1)[0]  # an inline comment
        pattern, rest = _split_pattern(line.strip())
        rule = _github_rule(pattern, rest.split(), n)
        if rule is not None:
            rules.append(rule)
    return rules


def github_owners(rules: list[Rule], path: str) -> list[str] | None:
    """The owners GitHub gives the file ``path``: the last matching rule's; None if none matches."""
    found = None
    for r in rules:
        if r.regex.fullmatch(path):
            found = r
    return None if found is None else list(found.owners)


# -- GitLab ------------------------------------------------------------------------------------

# A line that starts with "[" or "^[" and closes the bracket is a heading, whatever follows it
# (the hostile reading: an entry must never look like one).
_HEADING = re.compile(r"^(\^)?\[([^\]]*)\](?:\[(\d*)\])?(.*)$")


@dataclasses.dataclass
class Section:
    name: str
    approvals: int
    optional: bool
    default_owners: list[str]
    rules: list[Rule] = dataclasses.field(default_factory=list)


def _gitlab_rule(pattern: str, owners: list[str], lineno: int) -> Rule:
    exclusion = pattern.startswith("!")
    if exclusion:
        pattern = pattern[1:]
    if pattern.startswith("\\#"):
        pattern = pattern[1:]
    directory = pattern.endswith("/") and not pattern.endswith("\\/")
    if not pattern.startswith("/"):
        pattern = "/**/" + pattern  # a relative path is a globstar path
    rx = _path_regex(pattern.strip("/"), classes=True)
    if directory:
        rx += "/.*"
    return Rule(pattern, owners, re.compile(rx, re.S), lineno, exclusion)


def parse_gitlab(text: str) -> list[Section]:
    """The sections of a GitLab CODEOWNERS file, the unnamed one (before any heading) first."""
    sections = [Section("", 0, False, [])]
    by_name: dict[str, Section] = {}
    current = sections[0]
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _HEADING.match(line)
        if m:
            name = m.group(2)
            sec = by_name.get(name.lower())
            if sec is None:
                sec = Section(name, int(m.group(3) or 0), bool(m.group(1)),
                              [t for t in m.group(4).split() if "@" in t])
                by_name[name.lower()] = sec
                sections.append(sec)
            current = sec
            continue
        pattern, rest = _split_pattern(line)
        owners = [t for t in rest.split() if "@" in t] or list(current.default_owners)
        current.rules.append(_gitlab_rule(pattern, owners, n))
    return sections


def gitlab_owners(sections: list[Section], path: str) -> dict[str, tuple[int, list[str]]]:
    """Per section name: (approvals, owners) that section asks of ``path``."""
    out: dict[str, tuple[int, list[str]]] = {}
    for sec in sections:
        matching = [r for r in sec.rules if r.regex.fullmatch(path)]
        if not matching or any(r.exclusion for r in matching):
            continue
        out[sec.name] = (sec.approvals, list(matching[-1].owners))
    return out
