"""Issue 12: schema patterns mean what JSON Schema says (ECMA-262), in ``konfigctl.schema.ecma`` and
in both validators (the compiled check and jsonschema's messages/fallback)."""
from __future__ import annotations

import re

import pytest
from konfigctl.schema import ecma
from konfigctl.schema import validator as schema


def matches(pattern: str, text: str) -> bool:
    return ecma.search(pattern)(text)


@pytest.mark.parametrize("pattern, text, want", [
    # `$` is the end of input, never "before a final newline" as in Python
    ("^[a-z-]+$", "media-assets-dev", True),
    ("^[a-z-]+$", "media-assets-dev\n", False),
    ("^a$", "a\n", False),
    ("^b", "a\nb", False),  # no multiline mode: `^` is the start of input
    (".", "\n", False),  # `.` matches no line terminator
    ("^.$", "\u2028", False),
    ("^.$", "😀", True),  # Unicode mode: one code point, not two UTF-16 halves
    # Unicode property escapes
    (r"^\p{L}+$", "héllo", True),
    (r"^\p{L}+$", "日本語", True),
    (r"^\p{L}+$", "abc1", False),
    (r"^\p{Lu}", "Émile", True),
    (r"^\p{Letter}+$", "Ωμέγα", True),
    (r"^\P{L}+$", "123", True),
    (r"\p{Script=Greek}", "abc ω", True),
    # \d and \w are ASCII; \s is Unicode white space
    (r"^\d+$", "0123456789", True),
    (r"^\d$", "৪", False),  # BENGALI DIGIT FOUR
    (r"^\d$", "٣", False),  # ARABIC-INDIC DIGIT THREE
    (r"^\d$", "３", False),  # FULLWIDTH DIGIT THREE
    (r"^\w+$", "é", False),
    (r"^\w+$", "snake_case_9", True),
    (r"^\s$", "\u00a0", True),
    (r"^\s$", "\u2003", True),
    (r"^\s$", "\ufeff", True),
    # lookaround, backreferences, named groups
    (r"^(?=.*\d)[a-z0-9]+$", "abc1", True),
    (r"^(?=.*\d)[a-z0-9]+$", "abc", False),
    (r"^(?!latest$).+$", "latest", False),
    (r"(?<=@)sha256", "app@sha256", True),
    (r"(?<!v)1\.2", "v1.2", False),
    (r"^(a+)-\1$", "aa-aa", True),
    (r"^(a+)-\1$", "aa-a", False),
    (r"^(?<x>[a-z])\k<x>$", "zz", True),
    # unanchored, as JSON Schema's pattern is
    ("b", "abc", True),
    (r"\u{1F600}", "😀", True),
])
def test_ecma_semantics(pattern, text, want):
    assert matches(pattern, text) is want


def test_python_re_would_have_answered_otherwise():
    """The cases above are the point: Python's re reads these patterns differently."""
    assert re.search("^[a-z-]+$", "media-assets-dev\n")
    assert re.search(r"^\d$", "৪")
    assert re.search(r"^\w+$", "é")
    with pytest.raises(re.error):
        re.compile(r"^\p{L}+$")


@pytest.mark.parametrize("pattern, hint", [
    ("(?i)abc", "(?i) are Python syntax"),
    ("(?P<name>x)", "ECMA-262 writes (?<name>...)"),
    ("(?P<n>x)(?P=n)", "ECMA-262 writes (?<name>...)"),
    (r"abc\Z", r"\Z is Python syntax"),
    (r"\Aabc", r"\A is Python syntax"),
    ("(?s).", "(?s) are Python syntax"),
    ("[a-", "unbalanced bracket"),
    ("(", "unbalanced parenthesis"),
    ("a{2,1}", "quantifier"),
    ("a++", ""),  # possessive quantifiers: not ECMA-262
    ("x{", ""),  # Unicode mode has no lone braces
    (r"\p{NoSuchProperty}", ""),
])
def test_invalid_patterns_are_refused_with_a_reason(pattern, hint):
    with pytest.raises(ecma.RegexError) as ei:
        ecma.search(pattern)
    assert hint in ei.value.reason
    assert ecma.error(pattern) == ei.value.reason


def test_valid_pattern_has_no_error_and_is_compiled_once():
    assert ecma.error("^[a-z]+$") is None
    assert ecma.search("^[a-z]+$") is ecma.search("^[a-z]+$")


def test_a_pattern_must_be_a_string():
    with pytest.raises(ecma.RegexError):
        ecma.search(5)  # type: ignore[arg-type]


def test_a_lone_surrogate_in_a_value_does_not_crash():
    assert matches("^a", "a\ud800") is True


# -- the same semantics in both validators ------------------------------------------------

CASES = [
    ({"type": "string", "pattern": "^[a-z-]+$"}, "media-assets-dev", True),
    ({"type": "string", "pattern": "^[a-z-]+$"}, "media-assets-dev\n", False),
    ({"type": "string", "pattern": r"^\p{L}+$"}, "héllo", True),
    ({"type": "string", "pattern": r"^\d+$"}, "৪৪", False),
    ({"type": "object", "patternProperties": {"^[a-z]+$": {"type": "integer"}}}, {"dev\n": "x"}, True),
    ({"type": "object", "patternProperties": {"^[a-z]+$": {"type": "integer"}}}, {"dev": "x"}, False),
    ({"type": "object", "patternProperties": {r"^\p{L}+$": {"type": "integer"}}}, {"é": "x"}, False),
    ({"type": "object", "patternProperties": {"^[a-z]+$": True}, "additionalProperties": False},
     {"dev\n": 1}, False),
    ({"type": "object", "patternProperties": {"^[a-z]+$": True}, "additionalProperties": False},
     {"dev": 1}, True),
    ({"type": "object", "patternProperties": {"^[a-z]+$": True}, "unevaluatedProperties": False},
     {"dev\n": 1}, False),
    ({"type": "object", "allOf": [{"patternProperties": {r"^\p{L}+$": True}}],
      "unevaluatedProperties": False}, {"é": 1}, True),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"ok": 1, "no\n": 2}, False),
]


@pytest.mark.parametrize("node, instance, valid", CASES)
def test_compiled_check_and_jsonschema_agree_on_ecma_patterns(node, instance, valid):
    v = schema.build(node)
    assert isinstance(v, schema.CheckedValidator)
    assert v.check(instance) is valid  # the compiled check (jsonschema-rs)
    assert v.jsonschema.is_valid(instance) is valid  # jsonschema's path, for messages and fallback
    assert (not list(v.iter_errors(instance))) is valid


def test_jsonschema_alone_uses_ecma_patterns_too():
    """A schema jsonschema-rs cannot take (``[^]``, ECMA-262 for any character, is not in its
    engine) is jsonschema's alone, with the same patterns."""
    node = {"properties": {"name": {"pattern": "^[a-z]+$"}, "any": {"pattern": "^[^]$"}}}
    v = schema.build(node, base_uri="file:///dyn.yaml", retrieve=lambda uri: {})
    assert not isinstance(v, schema.CheckedValidator)
    assert v.is_valid({"name": "dev", "any": "\n"})
    assert not v.is_valid({"name": "dev\n"})
    assert not v.is_valid({"any": "ab"})


# Patterns as the repository's schemas write them, and ECMA-262's corners: jsonschema-rs
# and ``ecma.search`` (regress) must read each alike.
PATTERNS = [r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", r"^[a-z-]+$", r"^\d+$", r"^\w+$", r"^\s*$", r"^\p{L}+$",
            r"^\p{Lu}", r"\P{L}", r"^[^:]+(:[^:@]+)?$", r":latest$", r"^a.b$", r"^(?:ab)+$", r"^(?!prod)",
            r"(?<=a)b", r"^(a)\1$", r"^\u00e9$", r"^\u{1F600}$", r"^[\u0041-\u005A]+$", r"\bword\b",
            r"^\x41$", r"^[0-9]+%$", r"^(@(yearly|daily)|(\S+\s+){4}\S+)$", r"^\cJ$", r"^.$", r"^\D$",
            r"^\W$", r"^\S$", r"^[\s\S]$", r"^\t$"]
TEXTS = ["", "a", "ab", "abab", "aa", "a\nb", "dev", "dev\n", "\ndev", "DEV", "12", "12\n", "\u0661\u0662",
         "\u09ea", "é", "É", "héllo", "ß", "_", "  ", "\u00a0", "\u2028", "\ufeff", "\t", "\n", "\r",
         "img:1.0", "img:latest", "reg.io:5000/a/b:1", "prod-x", "xprod", "word", "a word.", "swordfish",
         "A", "\U0001F600", "😀", "25%", "@daily", "*/5 * * * *", "a\u0301", "\u212a", "k"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_jsonschema_rs_reads_patterns_as_ecma_262(pattern):
    check = schema.compiled({"pattern": pattern})
    assert check is not None, pattern
    keys = schema.compiled({"propertyNames": {"pattern": pattern}})
    for text in TEXTS:
        assert check(text) is ecma.search(pattern)(text), (pattern, text)
        assert keys({text: 1}) is ecma.search(pattern)(text), (pattern, text)
