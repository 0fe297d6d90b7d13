"""Issue 12: a schema or policy that cannot work is bad input at load, at its file:line:col
(never an internal error, never only once a value reaches it); patterns are ECMA-262; what
JSON Schema ignores, what nothing uses and a teams.yaml that does not load are warnings for
validate/test (and teams.yaml is bad input for the ownership commands)."""
from __future__ import annotations

from pathlib import Path

import pytest

SCHEMA = "konfig/base/models/app/schema.yaml"
UNITS = "konfig/base/schemas/units.yaml"
TEAMS = "konfig/base/teams.yaml"
WEB_DEV = "konfig/appops/acme/web/dev/stack.yaml"


def edit(root: Path, rel: str, old: str, new: str) -> None:
    p = Path(root) / rel
    text = p.read_text()
    assert old in text, (rel, old)
    p.write_text(text.replace(old, new, 1))


def at(root: Path, rel: str, needle: str) -> str:
    """``rel:line:col`` of the first ``needle`` in the file (where konfig must point)."""
    text = (Path(root) / rel).read_text()
    i = text.index(needle)
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return f"{rel}:{line}:{col}"


def bad_input(res, where: str) -> None:
    """Exit 2, nothing internal, and the problem named at ``where``."""
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output
    assert f"{where}: " in res.output, res.output


# -- invalid patterns ------------------------------------------------------------------------

def _model_property(root):
    edit(root, SCHEMA, "image: {type: string}", 'image: {type: string, pattern: "[a-"}')
    return at(root, SCHEMA, "pattern:")


def _model_pattern_properties(root):
    edit(root, SCHEMA, "    additionalProperties: {type: string}\n",
         "    additionalProperties: {type: string}\n    patternProperties: {\"(?i)^team$\": {type: string}}\n")
    return at(root, SCHEMA, '"(?i)^team$"')


def _model_defs(root):
    edit(root, SCHEMA, "image: {type: string}", 'image: {$ref: "#/$defs/name"}')
    with open(Path(root) / SCHEMA, "a") as f:
        f.write('$defs:\n  name:\n    type: string\n    pattern: "^[a-z]+\\\\Z"\n')
    return at(root, SCHEMA, 'pattern: "^[a-z]+')


def _model_not(root):
    """A pattern under `not` / `propertyNames` is a pattern too."""
    edit(root, SCHEMA, "    additionalProperties: {type: string}\n",
         "    additionalProperties: {type: string}\n    propertyNames: {not: {pattern: \"(?P<x>a)\"}}\n")
    return at(root, SCHEMA, 'pattern: "(?P<x>a)"')


def _shared_schema(root):
    edit(root, UNITS, "    x-quantity: memory\n", "    x-quantity: memory\n    pattern: \"a{2,1}\"\n")
    return at(root, UNITS, "pattern:")


def _nested_shared_ref(root):
    """model -> units.yaml#/$defs/memory -> units.yaml#/$defs/inner: each at its own file and line."""
    edit(root, UNITS, "    x-quantity: memory\n", "    x-quantity: memory\n    $ref: \"#/$defs/inner\"\n")
    with open(Path(root) / UNITS, "a") as f:
        f.write("  inner:\n    not:\n      pattern: \"(\"\n")
    return at(root, UNITS, 'pattern: "("')


def _policy(root):
    (Path(root) / "konfig/base/policies/names.yaml").write_text(
        "name: names\nwhen: {env: prod}\nschema:\n  properties:\n    image: {pattern: \"^[a-z\"}\n")
    return at(root, "konfig/base/policies/names.yaml", "pattern:")


def _policy_pattern_properties(root):
    (Path(root) / "konfig/base/policies/labels.yaml").write_text(
        "name: labels\nschema:\n  properties:\n    labels:\n      patternProperties:\n"
        "        \"^\\\\p{NoSuchProperty}$\": {type: string}\n")
    return at(root, "konfig/base/policies/labels.yaml", '"^\\\\p{NoSuch')


SITES = [_model_property, _model_pattern_properties, _model_defs, _model_not, _shared_schema,
         _nested_shared_ref, _policy, _policy_pattern_properties]


@pytest.mark.parametrize("site", SITES, ids=lambda f: f.__name__.strip("_"))
def test_invalid_pattern_is_bad_input_at_its_line_in_validate(cli, mini, site):
    where = site(mini)
    res = cli("validate", "--all", repo=mini)
    bad_input(res, where)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith(where)]
    assert len(lines) == 1, res.stdout  # once, not once per stack
    assert "regular expression" in lines[0]


@pytest.mark.parametrize("site", SITES, ids=lambda f: f.__name__.strip("_"))
def test_invalid_pattern_is_bad_input_in_test(cli, mini, site):
    where = site(mini)
    bad_input(cli("test", "--all", "--no-cache", repo=mini), where)


@pytest.mark.parametrize("args", [
    ("validate", "acme/web/dev"),
    ("test", "acme/web/dev"),
    ("render", "acme/web/dev"),
    ("resolve", "acme/web/dev"),
    ("explain", "acme/web/dev", "image"),
    ("docs", "--out", "{tmp}/docs"),
    ("set", "acme/web/dev", "replicas=2"),
], ids=lambda a: a[0])
@pytest.mark.parametrize("site", [_model_property, _nested_shared_ref], ids=lambda f: f.__name__.strip("_"))
def test_invalid_model_pattern_is_bad_input_for_every_command_that_loads_it(cli, mini, tmp_path, site, args):
    """Even where no value reaches the pattern (no stack sets `mode`'s memory, nothing renders it)."""
    where = site(mini)
    before = (mini / WEB_DEV).read_bytes()
    res = cli(*[a.format(tmp=tmp_path) for a in args], repo=mini)
    bad_input(res, where)
    assert (mini / WEB_DEV).read_bytes() == before  # set wrote nothing


@pytest.mark.parametrize("args", [("validate", "acme/web/dev"), ("test", "acme/web/dev"),
                                  ("set", "acme/web/dev", "replicas=2")], ids=lambda a: a[0])
def test_policy_pattern_is_never_latent(cli, mini, args):
    """The policy selects prod stacks only and the dev stack is checked: still bad input."""
    where = _policy(mini)
    bad_input(cli(*args, repo=mini), where)


def test_policy_pattern_that_a_value_reaches_is_bad_input_not_a_crash(cli, mini):
    """Before: the policy's regex compiled only when a prod image reached it, then exit 3."""
    where = _policy(mini)
    res = cli("validate", "acme/web/prod", repo=mini)
    bad_input(res, where)


def test_python_only_syntax_says_what_ecma_writes(cli, mini):
    where = _model_pattern_properties(mini)
    res = cli("validate", "--all", repo=mini)
    bad_input(res, where)
    assert "inline flags such as (?i) are Python syntax" in res.stdout


# -- ECMA-262 semantics through the CLI ------------------------------------------------------

def test_trailing_newline_is_rejected_by_a_model_pattern(cli, mini, write):
    edit(mini, SCHEMA, "image: {type: string}", 'image: {type: string, pattern: "^[a-z:/.0-9-]+$"}')
    assert cli("validate", "--all", repo=mini).exit_code == 0
    with open(mini / WEB_DEV, "a") as f:
        f.write('  image: "media-assets-dev\\n"\n')
    res = cli("validate", "acme/web/dev", repo=mini)
    assert res.exit_code == 1, res.output
    assert res.stdout.splitlines()[0] == (
        f"{at(mini, WEB_DEV, 'image:')}: image: 'media-assets-dev\\n' does not match the pattern "
        "^[a-z:/.0-9-]+$ (model app)")


def test_trailing_newline_is_rejected_by_a_policy_pattern(cli, mini):
    (mini / "konfig/base/policies/names.yaml").write_text(
        "name: names\nschema:\n  properties:\n    image: {pattern: \"^[a-z/]+:[0-9.]+$\"}\n")
    assert cli("validate", "--all", repo=mini).exit_code == 0
    with open(mini / WEB_DEV, "a") as f:
        f.write('  image: "example/web:1.0.0\\n"\n')
    res = cli("validate", "acme/web/dev", repo=mini)
    assert res.exit_code == 1
    assert "image: 'example/web:1.0.0\\n' does not match the pattern ^[a-z/]+:[0-9.]+$ (policy names)" \
        in res.stdout


def test_pattern_properties_keys_follow_ecma(cli, mini):
    """A key with a trailing newline is not matched by ^[a-z]+$: with additionalProperties
    false it is an unknown key; \\p{L} keys are matched."""
    edit(mini, SCHEMA, "    additionalProperties: {type: string}\n",
         "    additionalProperties: false\n    patternProperties: {\"^[a-z]+$\": {type: string}, "
         "\"^\\\\p{Lu}\\\\p{L}*$\": {type: string}}\n")
    with open(mini / WEB_DEV, "a") as f:
        f.write('  labels: {Équipe: web}\n')
    assert cli("validate", "acme/web/dev", repo=mini).exit_code == 0
    edit(mini, WEB_DEV, "  labels: {Équipe: web}\n", '  labels: {"tier\\n": web}\n')
    res = cli("validate", "acme/web/dev", repo=mini)
    assert res.exit_code == 1
    assert "labels.\"tier\\n\": unknown key" in res.stdout or "unknown key" in res.stdout, res.stdout


def test_unicode_property_escape_works_in_validate(cli, mini):
    """Before: a valid schema with \\p{L} was exit 3 for the whole run."""
    edit(mini, SCHEMA, "mode: {enum: [web, worker]}", 'mode: {enum: [web, worker]}\n  owner: {pattern: "^\\\\p{L}+$"}')
    with open(mini / WEB_DEV, "a") as f:
        f.write("  owner: Zoë\n")
    assert cli("validate", "--all", repo=mini).exit_code == 0
    edit(mini, WEB_DEV, "owner: Zoë", "owner: Zoë2")
    res = cli("validate", "acme/web/dev", repo=mini)
    assert res.exit_code == 1 and "owner: Zoë2 does not match the pattern ^\\p{L}+$" in res.stdout


def test_digits_are_ascii(cli, mini):
    edit(mini, SCHEMA, "mode: {enum: [web, worker]}", 'mode: {enum: [web, worker]}\n  code: {pattern: "^\\\\d+$"}')
    with open(mini / WEB_DEV, "a") as f:
        f.write('  code: "৪২"\n')
    res = cli("validate", "acme/web/dev", repo=mini)
    assert res.exit_code == 1 and "code: ৪২ does not match the pattern" in res.stdout


# -- $ref cycles ---------------------------------------------------------------------------------

def test_root_that_refers_to_itself(cli, mini, tmp_path):
    (mini / SCHEMA).write_text('$ref: "#"\n')
    for args in (("validate", "--all"), ("docs", "--out", str(tmp_path / "d")), ("render", "acme/web/dev")):
        res = cli(*args, repo=mini)
        bad_input(res, f"{SCHEMA}:1:1")
        assert "$ref '#' is a cycle that never reaches a value (# -> #)" in res.output


def test_two_definitions_that_refer_to_each_other(cli, mini, tmp_path):
    edit(mini, SCHEMA, "image: {type: string}", 'image: {$ref: "#/$defs/a"}')
    with open(mini / SCHEMA, "a") as f:
        f.write('$defs:\n  a: {$ref: "#/$defs/b"}\n  b: {$ref: "#/$defs/a"}\n')
    where = at(mini, SCHEMA, '{$ref: "#/$defs/b"}').rsplit(":", 1)[0] + ":7"
    for args in (("validate", "--all"), ("docs", "--out", str(tmp_path / "d")), ("explain", "acme/web/dev", "image")):
        res = cli(*args, repo=mini)
        bad_input(res, where)
        assert "(#/$defs/a -> #/$defs/b -> #/$defs/a)" in res.output


def test_cycle_through_all_of(cli, mini):
    edit(mini, SCHEMA, "image: {type: string}", 'image: {$ref: "#/$defs/a"}')
    with open(mini / SCHEMA, "a") as f:
        f.write('$defs:\n  a:\n    allOf:\n      - {type: string}\n      - {$ref: "#/$defs/a"}\n')
    res = cli("validate", "--all", repo=mini)
    bad_input(res, at(mini, SCHEMA, '- {$ref: "#/$defs/a"}').rsplit(":", 1)[0] + ":10")
    assert "(#/$defs/a/allOf/1 -> #/$defs/a -> #/$defs/a/allOf/1)" in res.stdout


def test_cycle_across_files(cli, mini):
    edit(mini, SCHEMA, "image: {type: string}", 'image: {$ref: "../../schemas/units.yaml#/$defs/loop"}')
    with open(mini / SCHEMA, "a") as f:
        f.write('$defs:\n  back: {$ref: "../../schemas/units.yaml#/$defs/loop"}\n')
    with open(mini / UNITS, "a") as f:
        f.write('  loop: {$ref: "../models/app/schema.yaml#/$defs/back"}\n')
    res = cli("validate", "--all", repo=mini)
    bad_input(res, at(mini, UNITS, '{$ref: "../models').rsplit(":", 1)[0] + ":10")
    assert "units.yaml#/$defs/loop -> #/$defs/back -> units.yaml#/$defs/loop" in res.stdout


def test_cycle_in_a_policy(cli, mini):
    (mini / "konfig/base/policies/loop.yaml").write_text(
        "name: loop\nschema:\n  $ref: \"#/$defs/x\"\n  $defs:\n    x: {$ref: \"#/$defs/x\"}\n")
    res = cli("validate", "acme/web/dev", repo=mini)
    bad_input(res, "konfig/base/policies/loop.yaml:5:9")
    assert "$ref '#/$defs/x' is a cycle that never reaches a value (#/$defs/x -> #/$defs/x)" in res.stdout


def test_a_policy_may_refer_to_its_own_definitions(cli, mini):
    """`#` in a policy is its `schema:` (as jsonschema resolves it), not the policy file."""
    (mini / "konfig/base/policies/own.yaml").write_text(
        "name: own\nschema:\n  properties:\n    image: {$ref: \"#/$defs/pinned\"}\n"
        "  $defs:\n    pinned: {pattern: \":[0-9.]+$\"}\n")
    assert cli("validate", "--all", repo=mini).exit_code == 0
    with open(mini / WEB_DEV, "a") as f:
        f.write("  image: example/web:latest\n")
    res = cli("validate", "acme/web/dev", repo=mini)
    assert res.exit_code == 1 and "does not match the pattern :[0-9.]+$ (policy own)" in res.stdout


TREE = ('$defs:\n  node:\n    type: object\n    description: a node of the tree\n'
        '    additionalProperties: false\n    properties:\n      name: {type: string, pattern: "^[a-z]+$"}\n'
        '      children: {type: array, items: {$ref: "#/$defs/node"}}\n')


def test_a_recursive_schema_keeps_working(cli, mini, tmp_path):
    edit(mini, SCHEMA, "image: {type: string}", 'image: {type: string}\n  tree: {$ref: "#/$defs/node"}')
    with open(mini / SCHEMA, "a") as f:
        f.write(TREE)
    with open(mini / WEB_DEV, "a") as f:
        f.write("  tree: {name: a, children: [{name: b, children: [{name: c}, {name: d, children: []}]}]}\n")
    assert cli("validate", "--all", repo=mini).exit_code == 0
    edit(mini, WEB_DEV, "{name: d,", "{name: \"d\\n\",")
    res = cli("validate", "acme/web/dev", repo=mini)
    assert res.exit_code == 1
    assert "tree.children[0].children[1].name: 'd\\n' does not match the pattern ^[a-z]+$" in res.stdout
    res = cli("docs", "--out", str(tmp_path / "d"), repo=mini)
    assert res.exit_code == 0, res.output
    page = (tmp_path / "d" / "app.md").read_text()
    rows = [ln for ln in page.splitlines() if ln.startswith("| `tree")]
    assert [r.split("|")[1].strip() for r in rows] == ["`tree`", "`tree.name`", "`tree.children`"]
    assert "items have the fields of `tree` (recursive)" in rows[2]


def test_a_schema_whose_root_recurs_below_is_documented_once(cli, mini, tmp_path):
    edit(mini, SCHEMA, "  port: {type: integer}\n", "  port: {type: integer}\n  next: {$ref: \"#\"}\n")
    assert cli("validate", "--all", repo=mini).exit_code == 0
    res = cli("docs", "--out", str(tmp_path / "d"), repo=mini)
    assert res.exit_code == 0, res.output
    page = (tmp_path / "d" / "app.md").read_text()
    assert "has the fields of the whole config (recursive)" in page
    assert "`next.next" not in page and "`next.image" not in page


# -- what JSON Schema ignores: a warning ------------------------------------------------------

def test_unknown_keyword_is_a_warning_at_its_line(cli, mini):
    edit(mini, SCHEMA, "port: {type: integer}", "port: {type: integer, minimun: 1, x-note: fine, $comment: ok}")
    where = at(mini, SCHEMA, "minimun")
    for args in (("validate", "--all"), ("validate", "acme/web/dev")):
        res = cli(*args, repo=mini)
        assert res.exit_code == 0, res.output
        assert f"{where}: warning: unknown keyword 'minimun' (did you mean 'minimum'?): JSON Schema ignores " \
               "it, so it checks nothing" in res.stdout.splitlines()
        assert "x-note" not in res.stdout and "$comment" not in res.stdout
    res = cli("test", "--all", "--no-cache", repo=mini)
    assert res.exit_code == 0 and f"{where}: warning: unknown keyword 'minimun'" in res.output


def test_unknown_keyword_in_a_policy_and_in_a_shared_schema(cli, mini):
    (mini / "konfig/base/policies/len.yaml").write_text(
        "name: len\nschema:\n  properties:\n    image: {maxLenght: 60}\n")
    edit(mini, UNITS, "    x-quantity: storage\n", "    x-quantity: storage\n    exclusiveMinimun: 0\n")
    res = cli("validate", "--all", repo=mini)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert f"{at(mini, 'konfig/base/policies/len.yaml', 'maxLenght')}: warning: unknown keyword 'maxLenght' " \
           "(did you mean 'maxLength'?): JSON Schema ignores it, so it checks nothing" in lines
    shared = [ln for ln in lines if ln.startswith(at(mini, UNITS, "exclusiveMinimun"))]
    assert len(shared) == 1 and "did you mean 'exclusiveMinimum'?" in shared[0]


# -- what nothing uses: a warning ---------------------------------------------------------------

def test_policy_that_selects_no_stack_is_a_warning(cli, mini):
    rel = "konfig/base/policies/staging.yaml"
    (mini / rel).write_text("name: staging-only\nwhen: {env: staging}\nschema:\n  required: [memory]\n")
    res = cli("validate", "--all", repo=mini)
    assert res.exit_code == 0
    assert f"{rel}:2:1: when: warning: policy staging-only selects no stack (when: env=staging): " \
           "it checks nothing" in res.stdout.splitlines()
    assert "selects no stack" in cli("test", "--all", "--no-cache", repo=mini).output
    # a run over some stacks says nothing about what the others would select
    assert "selects no stack" not in cli("validate", "acme/web/dev", repo=mini).output


@pytest.mark.parametrize("when", ["{model: nosuch}", "{path: 'konfig/appops/nope/**'}",
                                  "{labels: {tier: backend}}", "{model: app, env: staging}"])
def test_other_selectors_that_select_nothing(cli, mini, when):
    (mini / "konfig/base/policies/p.yaml").write_text(f"name: p\nwhen: {when}\nschema: {{}}\n")
    assert "policy p selects no stack" in cli("validate", "--all", repo=mini).stdout


def test_policies_that_select_something_are_not_warned_about(cli, mini):
    res = cli("validate", "--all", repo=mini)
    assert res.exit_code == 0 and "warning" not in res.output


def test_model_that_no_project_uses_is_a_warning(cli, mini):
    import shutil

    shutil.copytree(mini / "konfig/base/models/app", mini / "konfig/base/models/spare")
    res = cli("validate", "--all", repo=mini)
    assert res.exit_code == 0
    assert any(line.startswith("konfig/base/models/spare/schema.yaml: warning: no stack uses model spare:")
               for line in res.stdout.splitlines()), res.stdout
    assert "model app" not in res.stdout


# -- teams.yaml that does not load -------------------------------------------------------------

TEAM_CYCLE = 'teams:\n  platform: ["@alice"]\n  web: ["@bob", data]\n  data: {members: ["@dave", web]}\n'
TEAM_TYPE = 'teams:\n  platform: 5\n  web: ["@bob", "@carol"]\n  data: ["@dave"]\n'


@pytest.mark.parametrize("text, where, msg", [
    (TEAM_CYCLE, f"{TEAMS}:4:3: teams.data", "team cycle: data -> web -> data"),
    (TEAM_TYPE, f"{TEAMS}:2:3: teams.platform", "expected array, got integer 5"),
], ids=["cycle", "type"])
def test_broken_teams_file_is_a_warning_for_validate_and_test(cli, mini, text, where, msg):
    (mini / TEAMS).write_text(text)
    for args in (("validate", "--all"), ("validate", "acme/web/dev"), ("test", "acme/web/dev")):
        res = cli(*args, repo=mini)
        assert res.exit_code == 0, res.output
        assert f"{where}: warning: {msg}" in res.output


@pytest.mark.parametrize("text, where", [
    (TEAM_CYCLE, f"{TEAMS}:4:3: teams.data: team cycle: data -> web -> data"),
    (TEAM_TYPE, f"{TEAMS}:2:3: teams.platform: expected array, got integer 5"),
], ids=["cycle", "type"])
@pytest.mark.parametrize("args", [
    ("owners", "konfig/appops/acme/web"),
    ("owners", "check"),
    ("owners", "codeowners", "--stdout"),
    ("review", "--base", "HEAD", "--author", "@bob"),
], ids=lambda a: "-".join(a[:2]))
def test_broken_teams_file_is_bad_input_for_ownership_commands(cli, mini, text, where, args):
    from tests.conftest import git_init

    (mini / TEAMS).write_text(text)
    git_init(mini)
    res = cli(*args, repo=mini)
    assert res.exit_code == 2, res.output
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("konfig: error:")]
    assert errors == [f"konfig: error: {where}"], res.output


# -- values in messages ---------------------------------------------------------------------------

def test_a_huge_value_is_quoted_in_at_most_about_200_characters(cli, mini):
    with open(mini / WEB_DEV, "a") as f:
        f.write("  mode: " + "x" * 2_000_000 + "\n  port: '" + "9" * 1_000_000 + "'\n")
    res = cli("validate", "acme/web/dev", repo=mini)
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert len(lines) == 2 and all(len(ln) < 400 for ln in lines), [len(ln) for ln in lines]
    assert "(2,000,000 characters) is not one of web, worker" in lines[0]
    assert "port: expected integer, got string '999" in lines[1] and "(1,000,000 characters)" in lines[1]


# -- library level --------------------------------------------------------------------------------

def test_quote_and_shown_clip_long_values():
    from konfigctl.errors import KonfigError, Problem, clip, quote, shown

    assert quote("short") == "'short'" and shown("short") == "short"
    assert shown("dev\n") == "'dev\\n'" and shown(" padded") == "' padded'" and shown("a\tb") == "'a\\tb'"
    big = "x" * 1_000_000
    assert quote(big) == repr("x" * 200) + "... (1,000,000 characters)"
    assert shown(big) == quote(big)
    assert clip("y" * 300) == "y" * 200 + "... (300 characters)"
    assert len(quote(list(range(100_000)))) < 250
    assert len(str(KonfigError("bad " + big, file="f.yaml", keypath="k" * 10_000))) < 2_600
    assert len(Problem("bad " + big, keypath="k" * 10_000).format()) < 2_600


def _lint(node):
    from konfigctl.schema.validator import lint

    return [(f.path, f.severity, f.message) for f in lint(node, "file:///m.yaml", lambda uri: None)]


def test_lint_accepts_recursion_that_descends_into_values():
    tree = {"$defs": {"node": {"type": "object", "properties": {
        "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
        "parent": {"$ref": "#/$defs/node"}}}}, "$ref": "#/$defs/node"}
    assert _lint(tree) == []
    assert _lint({"properties": {"next": {"$ref": "#"}}, "additionalProperties": {"$ref": "#"}}) == []


@pytest.mark.parametrize("node, at", [
    ({"$ref": "#"}, ("$ref",)),
    ({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}}, ("$defs", "a", "$ref")),
    ({"anyOf": [{"type": "string"}, {"$ref": "#"}]}, ("anyOf", 1, "$ref")),
    ({"if": {"$ref": "#"}}, ("if", "$ref")),
    ({"not": {"not": {"$ref": "#"}}}, ("not", "not", "$ref")),
    ({"dependentSchemas": {"x": {"$ref": "#"}}}, ("dependentSchemas", "x", "$ref")),
])
def test_lint_finds_cycles_that_stay_on_the_same_value(node, at):
    found = _lint(node)
    assert [(p, s) for p, s, _ in found] == [(at, "error")], found
    assert "is a cycle that never reaches a value" in found[0][2]


def test_lint_finds_each_bad_pattern_and_unknown_keyword_where_it_is():
    node = {"properties": {"a": {"pattern": "("}, "pattern": {"type": "string"}},
            "patternProperties": {"[": {}}, "items": [{"pattern": "(?i)x"}],
            "minimun": 1, "x-ok": 1, "enum": [{"pattern": "("}], "default": {"minimun": 1}}
    found = _lint(node)
    assert sorted((p, s) for p, s, _ in found) == sorted([
        (("properties", "a", "pattern"), "error"),
        (("patternProperties", "["), "error"),
        (("items", 0, "pattern"), "error"),
        (("minimun",), "warning"),
    ])
