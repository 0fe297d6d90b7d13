"""Text from the repository, written so that other readers see exactly that text.

Names in a Konfig are not all checked (org directories are not, a project's
or stack's directory need not be its ``name:``), branch names and team
handles come from outside, and every format konfig writes gives some
characters a meaning: a line break ends a problem line, a backtick or ``|``
reshapes a pull request comment, ``#`` or ``*`` changes whom a CODEOWNERS
line names. One function per output format, used by every writer of that
format, so that no writer escapes differently from another:

============================  ============================================
format                        function
============================  ============================================
a plain text line             ``text_line``
markdown text (inline, table  ``md_text`` -- also safe inside HTML blocks
cells, ``<summary>``)         such as ``<details>``
markdown inline code          ``md_code`` (HTML ``<code>``, safe anywhere
                              ``md_text`` is); ``md_code_span`` (backticks,
                              for markdown that is not inside HTML)
a markdown table cell         ``md_cell`` for cell content that is markdown
                              on purpose (a schema description)
a markdown code block         ``md_fence``
a CODEOWNERS path             ``codeowners_literal`` (per platform; raises
                              ``Inexpressible`` for what it cannot say)
============================  ============================================
"""
from __future__ import annotations

import unicodedata

# Control and format characters (bidi overrides, zero-width marks), line and
# paragraph separators: they break lines or change how the text around them
# reads, so they are shown as escapes.
_INVISIBLE = frozenset(("Cc", "Cf", "Zl", "Zp"))
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _invisible(c: str) -> bool:
    return unicodedata.category(c) in _INVISIBLE


def _shown(c: str) -> str:
    n = ord(c)
    if c in _SHORT:
        return _SHORT[c]
    if n < 0x100:
        return f"\\x{n:02x}"
    return f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def text_line(s: str) -> str:
    """``s`` on one line of plain text.

    Line breaks, terminal escapes and invisible characters are shown as
    ``\\n``, ``\\x1b``, ``\\u202e``; everything else is itself.
    """
    s = str(s)
    if s.isprintable():  # the common case, and a fast one
        return s
    return "".join(_shown(c) if _invisible(c) else c for c in s)


# Everything CommonMark/GFM (and GitLab's markdown) may read as markup, an
# HTML tag or entity, an @mention, an autolink or a table cell break.
_MD_SPECIAL = frozenset("\\`*_{}[]()#+-.!|~@<>&\"'$:=^%")


def md_text(s: str) -> str:
    """Markdown text that renders as ``s`` itself: no markup, no HTML, no @mention, no autolink.

    Special characters become numeric character references (``&#124;`` for
    ``|``), which markdown decodes only after it has found the structure, so
    they are also safe in table cells and inside HTML blocks. A space at
    either end is a reference too: GFM trims the ends of a table cell.
    """
    out = []
    t = text_line(s)
    last = len(t) - 1
    for i, c in enumerate(t):
        if c in _MD_SPECIAL or (c == " " and (i == 0 or i == last)):
            out.append(f"&#{ord(c)};")
        else:
            out.append(c)
    return "".join(out)


def md_code(s: str) -> str:
    """``s`` as inline code that renders as itself: an HTML ``<code>``, safe in cells and HTML blocks."""
    return f"<code>{md_text(s)}</code>"


def md_code_span(s: str) -> str:
    """``s`` as a backtick code span that renders as itself (markdown context only, not inside HTML).

    The delimiter is one backtick longer than the longest run inside; a space
    pads content that starts or ends with a backtick or a space, as CommonMark
    strips one such space from each end. In a table cell, pass it through
    ``md_cell``.
    """
    t = text_line(s)
    longest = run = 0
    for c in t:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    ticks = "`" * (longest + 1)
    if t and (t[0] in "` " or t[-1] in "` ") and t.strip(" "):
        t = f" {t} "
    return f"{ticks}{t}{ticks}"


def md_cell(markdown: str) -> str:
    """Content that is markdown on purpose (a description) as one GFM table cell: one line, ``|`` escaped."""
    flat = " ".join(text_line(line) for line in str(markdown).splitlines())
    return flat.replace("|", "\\|")


def md_fence(body: str, lang: str = "") -> str:
    """A fenced code block holding ``body`` verbatim: the fence is longer than any backtick run inside."""
    longest = run = 0
    for c in body:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{body if body.endswith(chr(10)) or not body else body + chr(10)}{ticks}\n"


# -- CODEOWNERS ------------------------------------------------------------------------------------


class Inexpressible(ValueError):
    """A path that a platform's CODEOWNERS syntax cannot name exactly; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


PLATFORM = {"github": "GitHub", "gitlab": "GitLab"}

# How each character of a literal path is written, per platform, when it is
# not itself. Both read gitignore-style patterns, where a backslash quotes the
# next character (gitignore's "pattern format" and fnmatch(3)). GitHub's
# "About code owners" lists what does not work there: ``\\#`` for a leading
# ``#``, ``!`` negation and ``[ ]`` ranges; it supports inline comments. GitLab's
# "Code Owners syntax" documents ``\\#`` and ``\\ ``, reads a line starting with
# ``[`` or ``^[`` as a section heading, ``!`` at the start as an exclusion, and
# has no inline comments.
_QUOTED = {
    "github": {" ": "\\ ", "*": "\\*", "?": "\\?", "!": "\\!"},
    "gitlab": {" ": "\\ ", "*": "\\*", "?": "\\?", "!": "\\!", "#": "\\#", "[": "\\[", "]": "\\]"},
}
_REFUSED = {
    "github": {
        "#": "'#' starts a comment on GitHub, which has no way to escape it",
        "[": "GitHub does not support '[' ']' in patterns",
        "]": "GitHub does not support '[' ']' in patterns",
    },
    "gitlab": {},
}

_SPECIAL = {t: frozenset(_QUOTED[t]) | frozenset(_REFUSED[t]) | {"\\"} for t in _QUOTED}


def codeowners_literal(s: str, target: str) -> str:
    """The CODEOWNERS pattern text that matches exactly the characters of ``s`` on ``target``.

    ``s`` is a repository path (``/`` separates directories, nothing is a
    wildcard). Raises ``Inexpressible`` for a character the platform cannot be
    told is literal: on both, a backslash (konfig itself reads it as a path
    separator), a line break, a tab or any other control or non-space
    whitespace character (a CODEOWNERS line is one line, and whitespace ends
    its pattern; only a space has an escape); on GitHub ``#``, ``[`` and ``]``.
    """
    quoted, refused = _QUOTED[target], _REFUSED[target]
    if s.isprintable() and not _SPECIAL[target].intersection(s):
        return s  # the common case: nothing to escape (printable excludes tabs, controls, bidi marks)
    out = []
    for c in s:
        if c in quoted:
            out.append(quoted[c])
        elif c in refused:
            raise Inexpressible(refused[c])
        elif c == "\\":
            raise Inexpressible("a backslash: konfig reads it as a path separator")
        elif c.isspace() or _invisible(c):
            raise Inexpressible(f"the character {_shown(c)} cannot be written in a CODEOWNERS pattern")
        else:
            out.append(c)
    return "".join(out)
