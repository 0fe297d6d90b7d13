"""The error line: ``file:line:col: key.path: message``, clipped, naming the stack; exit codes."""
from __future__ import annotations

from konfigctl.errors import (EXIT_BAD_INPUT, MESSAGE_LIMIT, KonfigError, Problem, UsageError, YamlError, clip,
                              kind_of, location, quote)


def test_location_has_the_parts_that_are_known():
    assert location("a.yaml", 3, 7) == "a.yaml:3:7"
    assert location("a.yaml", 3) == "a.yaml:3"
    assert location("a.yaml", None, 7) == "a.yaml"
    assert location(None, 3, 7) == ""


def test_an_error_reads_as_one_line_naming_the_stack_when_the_file_does_not():
    e = KonfigError("bad value", file="konfig/appops/a/defaults.yaml", line=4, col=3, keypath="image.tag",
                    stack="konfig/appops/a/web/dev", hint="use a string")
    assert str(e) == ("konfig/appops/a/defaults.yaml:4:3: image.tag: bad value "
                      "[stack konfig/appops/a/web/dev] (use a string)")
    own = KonfigError("bad", file="konfig/appops/a/web/dev/stack.yaml", stack="konfig/appops/a/web/dev")
    assert str(own) == "konfig/appops/a/web/dev/stack.yaml: bad"
    assert e.exit_code == EXIT_BAD_INPUT == 2
    assert isinstance(YamlError("x"), KonfigError) and isinstance(UsageError("x"), KonfigError)


def test_huge_values_never_make_huge_lines():
    assert clip("x" * 10) == "x" * 10
    assert clip("x" * 1000, 10) == "xxxxxxxxxx... (1,000 characters)"
    assert quote("y" * 300, 5) == "'yyyyy'... (300 characters)"
    assert quote("a b") == "'a b'"
    e = KonfigError("z" * (MESSAGE_LIMIT * 3))
    assert len(str(e)) < MESSAGE_LIMIT + 100 and "characters cut" in str(e)
    p = Problem("z" * (MESSAGE_LIMIT * 3))
    assert len(p.message) < MESSAGE_LIMIT + 100


def test_a_problem_formats_and_serialises_the_same_facts():
    p = Problem("must be below 100", file="konfig/base/x/defaults.yaml", line=2, col=5, keypath="a.b",
                stack="konfig/appops/a/web/dev", source="model app", severity="warning")
    assert p.format() == ("konfig/base/x/defaults.yaml:2:5: a.b: warning: must be below 100 (model app) "
                          "[stack konfig/appops/a/web/dev]")
    assert not p.is_error
    assert p.to_json() == {"severity": "warning", "stack": "konfig/appops/a/web/dev",
                           "file": "konfig/base/x/defaults.yaml", "line": 2, "column": 5, "keypath": "a.b",
                           "message": "must be below 100", "source": "model app", "check": "validate"}
    # no file: the stack is the location
    assert Problem("gone", stack="konfig/appops/a/web/dev").format() == "konfig/appops/a/web/dev: gone"


def test_a_problem_from_an_error_keeps_its_location():
    e = KonfigError("bad", file="f.yaml", line=1, col=2, keypath="k", stack="s")
    p = Problem.from_error(e, source="stack.yaml")
    assert (p.file, p.line, p.col, p.keypath, p.stack, p.source) == ("f.yaml", 1, 2, "k", "s", "stack.yaml")
    assert Problem.from_error(e, stack="t").stack == "t"


def test_kind_of_names_yaml_types():
    assert [kind_of(v) for v in (None, True, {}, [], "s", 1.5)] == [
        "null", "a boolean", "a mapping", "a list", "a string", "a number"]
