"""Regular expressions as JSON Schema means them: ECMA-262, in Unicode mode.

Every schema pattern konfig evaluates -- ``pattern``, ``patternProperties``,
in model schemas, shared schemas, policies, CRD and Kubernetes schemas, in the
compiled check and in jsonschema's messages alike -- goes through ``search``.
Python's ``re`` reads the same text differently: ``$`` also matches before a
final newline (``^[a-z-]+$`` accepted ``"dev\\n"``), ``\\d``/``\\w`` match
non-ASCII digits and letters, ``\\p{L}`` is an error, and ``(?i)``, ``\\Z``,
``(?P<n>)`` are Python-only. The engine is ``regress`` (Rust, the one
jsonschema uses for ``format: regex``), with the ``u`` flag as JSON Schema
implementations apply it (``\\p{...}`` escapes work; ``\\d`` is ``[0-9]``,
``\\w`` ``[A-Za-z0-9_]``, ``\\s`` Unicode white space, ``.`` no line
terminator).

A pattern that is not valid ECMA-262 raises ``RegexError`` when it is
compiled; schema loading (``schema.pattern_problems``) compiles every pattern
of a schema up front, so that never happens while a value is checked.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

Search = Callable[[str], bool]


class RegexError(ValueError):
    """Not a valid ECMA-262 regular expression (Unicode mode)."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"invalid regular expression {pattern!r}: {reason}")
        self.pattern = pattern
        self.reason = reason


@functools.lru_cache(maxsize=4096)
def search(pattern: str) -> Search:
    """A predicate: does ``pattern`` match somewhere in a string (JSON Schema's unanchored test).

    Compiled once per pattern (cached); raises ``RegexError`` for a pattern
    that is not valid ECMA-262.
    """
    import regress

    if not isinstance(pattern, str):
        raise RegexError(repr(pattern), "a pattern must be a string")
    try:
        find = regress.Regex(pattern, "u").find
    except regress.RegressError as e:
        raise RegexError(pattern, _reason(pattern, str(e))) from None
    except UnicodeEncodeError:
        raise RegexError(pattern, "it holds a lone surrogate (not Unicode text)") from None

    def matches(text: str) -> bool:
        try:
            return find(text) is not None
        except UnicodeEncodeError:  # a lone surrogate cannot reach the engine; YAML refuses them anyway
            return find(text.encode("utf-8", "replace").decode("utf-8")) is not None

    return matches


def error(pattern: str) -> str | None:
    """Why ``pattern`` is not a valid ECMA-262 regular expression, or None if it is."""
    try:
        search(pattern)
    except RegexError as e:
        return e.reason
    return None


# Python-only syntax people bring from `re`, and what ECMA-262 writes instead.
_PYTHON_ONLY = (
    ("(?i", "inline flags such as (?i) are Python syntax; ECMA-262 has none (write [Aa] classes)"),
    ("(?m", "inline flags such as (?m) are Python syntax; ECMA-262 has none"),
    ("(?s", "inline flags such as (?s) are Python syntax; ECMA-262 has none (write [^] or [\\s\\S])"),
    ("(?x", "inline flags such as (?x) are Python syntax; ECMA-262 has none"),
    ("(?P<", "(?P<name>...) is Python syntax; ECMA-262 writes (?<name>...)"),
    ("(?P=", "(?P=name) is Python syntax; ECMA-262 writes \\k<name>"),
    ("\\Z", "\\Z is Python syntax; ECMA-262 writes $"),
    ("\\z", "\\z is not ECMA-262; write $"),
    ("\\A", "\\A is Python syntax; ECMA-262 writes ^"),
)


def _reason(pattern: str, engine: str) -> str:
    reason = engine.rstrip(".").lower()
    for marker, hint in _PYTHON_ONLY:
        if marker in pattern:
            return f"{reason}: {hint}"
    return reason
