"""Review rules on what a change does: ``keys``, ``authors`` and ``review.exemptions``, on real git repos.

The Konfig is ``tests/owners/test_review.py``'s, with an SRE rule on prod
resource keys, a rule for the image bot's changes of the ``org`` projects,
and an exemption for the image bot's dev/staging image bumps, all committed on
``main`` (the base the rules are read from).
"""
from __future__ import annotations

import json
import re
from typing import Any

import pytest

from konfigctl.owners.review import evaluate
from tests.conftest import commit_all
from tests.owners.test_review import KONFIG, TEAMS, WEB_DEV, WEB_PROD, change, konfig, write  # noqa: F401

RULES = """\
    - name: sre-prod-resources
      description: SREs approve resource changes to prod.
      when: {env: prod}
      keys: [memory, disk, "resources.**"]
      from: [sre]
    - name: bot-org-watch
      authors: [bots]
      paths: [konfig/appops/org/**]
      from: [platform]
  exemptions:
    - name: image-bot-dev
      description: The image bot bumps dev and staging images alone.
      authors: ["@image-bot"]
      when: {env: [dev, staging]}
      keys: [image]
"""
BOT = "@image-bot"
PAY_DEV = "konfig/appops/org/pay/dev/stack.yaml"


@pytest.fixture
def sem(konfig):  # noqa: F811
    root, g = konfig
    write(root, {"konfig.yaml": KONFIG + RULES,
                 "konfig/base/teams.yaml": TEAMS.replace("users:", "  sre: [\"@sam\"]\n  bots: [\"@image-bot\"]\n"
                                                                    "users:")})
    commit_all(g, "rules on keys")
    return root, g


def exemption(v: Any) -> dict[str, Any]:
    (e,) = v.exemptions
    return e.to_json()


def test_the_bots_dev_image_bump_needs_no_approval(sem, cli):
    root, g = sem
    change(root, g, {WEB_DEV: "env: dev\nconfig:\n  replicas: 1\n  disk: 10Gi\n  image: example/web:1.0.1\n"})
    v = evaluate(str(root), "main", None, BOT, [])
    assert v.satisfied and v.requirements == []
    assert exemption(v)["applied"] is True and exemption(v)["name"] == "image-bot-dev"
    res = cli("review", "--base", "main", "--author", BOT, repo=root)
    assert res.exit_code == 0, res.output
    assert "exempt from owner approval by image-bot-dev" in res.stdout
    data = json.loads(cli("review", "--base", "main", "--author", BOT, "-f", "json", repo=root).stdout)
    assert [(e["name"], e["applied"]) for e in data["exemptions"]] == [("image-bot-dev", True)]
    md = cli("review", "--base", "main", "--author", BOT, "-f", "markdown", repo=root).stdout
    assert "Exempt from owner approval by <code>image&#45;bot&#45;dev</code>" in md


def test_the_same_bump_on_prod_needs_the_owners(sem, cli):
    root, g = sem
    change(root, g, {WEB_PROD: "env: prod\nconfig:\n  replicas: 4\n  disk: 50Gi\n  image: example/web:1.0.1\n"
                               "  env:\n    - name: EXTRA\n      value: \"1\"\n"})
    v = evaluate(str(root), "main", None, BOT, [])
    assert not v.satisfied
    assert {r.rule.name for r in v.requirements} == {"owners", "prod-two"}  # not sre: no resource key
    assert exemption(v) == {**exemption(v), "applied": False,
                            "reason": "stack konfig/appops/acme/web/prod is not selected by when (env=dev|staging)"}
    res = cli("review", "--base", "main", "--author", BOT, repo=root)
    assert res.exit_code == 1
    assert "not exempt by image-bot-dev: stack konfig/appops/acme/web/prod is not selected by when" in res.stdout


def test_a_key_outside_the_exemptions_keys(sem):
    root, g = sem
    change(root, g, {WEB_DEV: "env: dev\nconfig:\n  replicas: 2\n  disk: 10Gi\n  image: example/web:1.0.1\n"})
    v = evaluate(str(root), "main", None, BOT, [])
    assert exemption(v)["reason"] == "stack konfig/appops/acme/web/dev: key replicas is outside keys (image)"
    assert not v.satisfied


def test_a_file_that_is_not_a_layer(sem):
    root, g = sem
    change(root, g, {WEB_DEV: "env: dev\nconfig:\n  replicas: 1\n  disk: 10Gi\n  image: example/web:1.0.1\n",
                     "konfig/base/models/app/defaults.yaml": "replicas: 1\nmemory: 256Mi\n"})
    v = evaluate(str(root), "main", None, BOT, [])
    assert exemption(v)["reason"].startswith("konfig/base/models/app/defaults.yaml is not a stack layer")


def test_an_author_not_listed(sem):
    root, g = sem
    change(root, g, {WEB_DEV: "env: dev\nconfig:\n  replicas: 1\n  disk: 10Gi\n  image: example/web:1.0.1\n"})
    v = evaluate(str(root), "main", None, "dave", [])
    assert exemption(v)["reason"] == "the author @dave is not one of its authors (@image-bot)"
    assert [r.rule.name for r in v.unmet] == ["owners"]


def test_a_stack_yaml_changing_more_than_config(sem):
    root, g = sem
    change(root, g, {WEB_DEV: "env: staging\nconfig:\n  replicas: 1\n  disk: 10Gi\n"})
    v = evaluate(str(root), "main", None, BOT, [])
    assert exemption(v)["reason"] == f"{WEB_DEV} changes more than config (its env)"


def test_other_rules_still_apply_to_an_exempt_change(sem):
    root, g = sem
    change(root, g, {PAY_DEV: "env: dev\nconfig: {image: \"a/pay:2\"}\n"})
    v = evaluate(str(root), "main", None, BOT, [])
    assert exemption(v)["applied"] is True
    assert [r.rule.name for r in v.unmet] == ["bot-org-watch"]  # a rule on the bot's own changes
    assert evaluate(str(root), "main", None, BOT, ["alice"]).satisfied
    other = evaluate(str(root), "main", None, "dave", ["ann"])
    assert "bot-org-watch" not in {r.rule.name for r in other.requirements}  # authors: only the bots


def test_a_rule_on_keys_applies_when_a_key_matches(sem, cli):
    root, g = sem
    change(root, g, {WEB_PROD: "env: prod\nconfig:\n  replicas: 4\n  disk: 60Gi\n"
                               "  env:\n    - name: EXTRA\n      value: \"1\"\n"})
    v = evaluate(str(root), "main", None, "dave", ["bob", "carol"])
    assert [r.rule.name for r in v.unmet] == ["sre-prod-resources"]
    assert v.unmet[0].owners == ("sre",)
    res = cli("review", "--base", "main", "--author", "dave", "--approved-by", "bob,carol,sam", repo=root)
    assert res.exit_code == 0, res.output


def test_rules_on_keys_never_apply_to_files_outside_stacks(sem):
    root, g = sem
    change(root, g, {"konfig/base/models/app/defaults.yaml": (root / "konfig/base/models/app/defaults.yaml")
                     .read_text().replace("256Mi", "512Mi")})  # every prod stack's memory changes
    v = evaluate(str(root), "main", None, "dave", [])
    assert "sre-prod-resources" not in {r.rule.name for r in v.requirements}


def test_an_exemption_the_change_adds_does_not_apply(sem):
    root, g = sem
    text = (root / "konfig.yaml").read_text() + (
        "    - name: dave-anything\n      authors: [\"@dave\"]\n")
    change(root, g, {"konfig.yaml": text,
                     WEB_DEV: "env: dev\nconfig:\n  replicas: 1\n  disk: 10Gi\n  image: example/web:1.0.1\n"})
    v = evaluate(str(root), "main", None, "dave", [])
    assert [e.exemption.name for e in v.exemptions] == ["image-bot-dev"]  # the base's only
    assert not v.satisfied


@pytest.mark.parametrize("bad, message", [
    ("keys: [\"resources..cpu\"]", "bad key glob 'resources..cpu': an empty segment"),
    ("keys: [\"env[name=X\"]", "is never closed"),
    ("authors: [nobody-team]", "unknown team 'nobody-team' in authors"),
])
def test_bad_keys_and_authors_are_refused_at_their_line(konfig, cli, bad, message):  # noqa: F811
    root, g = konfig
    write(root, {"konfig.yaml": KONFIG + f"    - name: broken\n      from: [platform]\n      {bad}\n"})
    commit_all(g, "a broken rule")
    change(root, g, {WEB_DEV: "env: dev\nconfig: {replicas: 2}\n"})
    res = cli("review", "--base", "main", "--author", "dave", repo=root)
    assert res.exit_code == 2
    line = res.stderr.strip().splitlines()[-1]
    assert re.match(r"konfig: error: konfig\.yaml:20:\d+: review\.rules\[2\]\.(keys|authors)\[0\]: ", line), line
    assert message in line
    assert "Traceback" not in res.output


def test_owners_of_a_key(sem, cli):
    root, _g = sem
    res = cli("owners", "konfig/appops/acme/web/prod", "--key", "disk", "-f", "json", repo=root)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [r["name"] for r in data["rules"]] == ["owners", "prod-two", "sre-prod-resources"]
    res = cli("owners", "konfig/appops/acme/web/dev", "--key", "image", repo=root)
    assert "image-bot-dev" in res.stdout and "sre-prod-resources" not in res.stdout




def test_diff_marks_the_rules_a_stacks_keys_trigger(sem, cli):
    root, g = sem
    change(root, g, {WEB_PROD: "env: prod\nconfig:\n  replicas: 4\n  disk: 60Gi\n"
                               "  env:\n    - name: EXTRA\n      value: \"1\"\n"})
    res = cli("diff", "--base", "main", repo=root)
    assert res.exit_code == 0, res.output
    assert "    keys: disk\n" in res.stdout
    assert "review: needs 1 from sre (sre-prod-resources): disk changed" in res.stdout
    assert "review: needs 2 from owners (prod-two)" in res.stdout
    md = cli("diff", "--base", "main", "-f", "markdown", repo=root).stdout
    assert "**Review rules these changes trigger:** " in md
    assert "<code>sre&#45;prod&#45;resources</code> needs 1 from sre (1 stack)" in md
    data = json.loads(cli("diff", "--base", "main", "-f", "json", repo=root).stdout)
    (s,) = data["stacks"]
    assert [m["rule"] for m in s["rules"]] == ["prod-two", "sre-prod-resources"]


def test_a_new_konfigs_rules_exempt_the_image_bot_on_dev_and_ask_sre_for_prod_resources(cli, tmp_path):
    import git

    root = tmp_path / "k"
    assert cli("init", str(root)).exit_code == 0
    g = git.Repo(root)
    if not g.head.is_valid():
        g.git.add("-A")
        g.index.commit("init")
    g.git.branch("-M", "main")
    g.git.checkout("-b", "bump")
    dev, prod = "konfig/appops/example/hello/dev", "konfig/appops/example/hello/prod"
    assert cli("set", dev, "image=example/hello:9.9.9", repo=root).exit_code == 0
    commit_all(g, "bump")
    res = cli("review", "--base", "main", "--author", "@image-bot", repo=root)
    assert res.exit_code == 0, res.output
    assert "exempt from owner approval by image-bot-dev-staging" in res.stdout
    g.git.checkout("-b", "cpu", "main")
    assert cli("set", prod, "resources.cpu=200m", repo=root).exit_code == 0
    commit_all(g, "cpu")
    data = json.loads(cli("review", "--base", "main", "--author", "@image-bot", "-f", "json", repo=root).stdout)
    assert "prod-resources-sre" in {r["rule"] for r in data["unmet"]}
    assert data["exemptions"][0]["applied"] is False


def test_gitlab_codeowners_leaves_rules_on_keys_to_review(sem, cli):
    root, _g = sem
    res = cli("owners", "codeowners", "--target", "gitlab", "--stdout", repo=root)
    assert res.exit_code == 0, res.output
    assert "[sre-prod-resources]" not in res.stdout and "[bot-org-watch]" not in res.stdout
    assert "# sre-prod-resources: on changed keys or authors" in res.stdout
    assert "[prod-two][2]" in res.stdout  # a rule on paths and stacks still has its section
