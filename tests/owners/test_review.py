"""The review verdict on real git repositories: rules from the base, changes from merge-base..head."""
from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import pytest
from konfigctl.errors import KonfigError
from konfigctl.owners.review import evaluate, suggest_reviewers

from tests.conftest import commit_all, git_init

KONFIG = """\
version: 1
roots: [konfig/appops, konfig/infra]
envs: [dev, staging, prod]
ownership:
  - path: "**"
    owners: [platform]
review:
  rules:
    - name: prod-two
      description: Production stacks need two owner approvals.
      when: {env: prod}
      approvals: 2
      from: owners
    - name: base-platform
      paths: [konfig/base/**]
      approvals: 1
      from: [platform]
"""

TEAMS = """\
teams:
  platform: ["@alice", "@al"]
  web: ["@bob", "@carol"]
  data:
    members: ["@dave", web]
    github: "@acme/data"
  pay: ["@ann", "@cat"]
  shop: ["@bo", "@cat"]
users:
  carol: {github: carol-gh}
"""


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


@pytest.fixture
def konfig(mini: Path) -> tuple[Path, Any]:
    """The mini Konfig with every file owned, two more projects, as a git repo on main."""
    write(mini, {
        "konfig.yaml": KONFIG,
        "konfig/base/teams.yaml": TEAMS,
        "konfig/appops/acme/api/project.yaml": "model: app\nowners: [web, \"@erin\"]\n",
        "konfig/appops/org/pay/project.yaml": "model: app\nowners: [pay]\n",
        "konfig/appops/org/pay/dev/stack.yaml": "env: dev\nconfig: {image: \"a/pay:1\"}\n",
        "konfig/appops/org/pay/dev/data.json": '{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}\n',
        "konfig/appops/org/shop/project.yaml": "model: app\nowners: [shop]\n",
        "konfig/appops/org/shop/dev/stack.yaml": "env: dev\nconfig: {image: \"a/shop:1\"}\n",
    })
    return mini, git_init(mini)


def change(root: Path, g: Any, files: dict[str, str | None], branch: str = "change",
           moves: dict[str, str] | None = None) -> str:
    """Commit edits on a branch off main (None deletes a file); return the branch name."""
    g.git.checkout("-B", branch, "main")
    for src, dst in (moves or {}).items():
        (root / dst).parent.mkdir(parents=True, exist_ok=True)
        g.git.mv(src, dst)
    for rel, text in files.items():
        if text is None:
            (root / rel).unlink()
        else:
            write(root, {rel: text})
    commit_all(g, f"change {branch}")
    return branch


def unmet(v: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in v.unmet:
        out[r.rule.name] = out.get(r.rule.name, 0) + r.missing
    return out


WEB_PROD = "konfig/appops/acme/web/prod/stack.yaml"
WEB_DEV = "konfig/appops/acme/web/dev/stack.yaml"


def test_owner_approval_satisfies_a_dev_change(konfig):
    root, g = konfig
    change(root, g, {WEB_DEV: "env: dev\nconfig: {replicas: 2}\n"})
    v = evaluate(str(root), "main", None, "dave", ["carol"])
    assert v.satisfied
    assert [f.path for f in v.files] == [WEB_DEV]
    assert [(r.rule.name, r.owners, r.approved_by) for r in v.requirements] == [
        ("owners", ("web",), ["@carol"])]
    assert v.suggestion == []


def test_missing_owner_approval_names_who_and_suggests(konfig):
    root, g = konfig
    change(root, g, {WEB_DEV: "env: dev\nconfig: {replicas: 2}\n"})
    v = evaluate(str(root), "main", None, "dave", ["alice"])  # platform does not own the project
    assert not v.satisfied
    assert unmet(v) == {"owners": 1}
    assert v.unmet[0].files == [WEB_DEV]
    assert v.suggestion == ["@bob"]  # deterministic tie-break between bob and carol


def test_authors_approval_never_counts(konfig):
    root, g = konfig
    change(root, g, {WEB_DEV: "env: dev\nconfig: {replicas: 2}\n"})
    v = evaluate(str(root), "main", None, "carol", ["carol", "@Carol", "carol-gh"])
    assert not v.satisfied
    assert v.approvals == []
    assert [why for _, why in v.ignored] == ["the author's approval never counts"] * 3
    assert v.suggestion == ["@bob"]  # the author is never suggested


def test_prod_stacks_need_two_owner_approvals(konfig):
    root, g = konfig
    change(root, g, {WEB_PROD: "env: prod\nconfig: {replicas: 8}\n"})
    v = evaluate(str(root), "main", None, "dave", ["bob"])
    assert unmet(v) == {"prod-two": 1}
    assert v.suggestion == ["@carol"]
    assert evaluate(str(root), "main", None, "dave", ["bob,carol"]).satisfied


def test_prod_defaults_in_a_project_count_as_prod(konfig):
    root, g = konfig
    change(root, g, {"konfig/appops/acme/api/prod/defaults.yaml": "memory: 2Gi\n"})
    assert evaluate(str(root), "main", None, "dave", ["bob"]).files
    v = evaluate(str(root), "main", None, "dave", ["bob"])
    assert unmet(v) == {"prod-two": 1}
    change(root, g, {"konfig/appops/acme/api/defaults.yaml": "image: example/api:2.1.0\n"}, "b2")
    v = evaluate(str(root), "main", "b2", "dave", ["bob"])
    assert unmet(v) == {"prod-two": 1}  # project-wide defaults feed its prod stacks too


def test_dropping_a_rule_in_the_change_is_judged_by_the_old_rule(konfig):
    root, g = konfig
    loosened = KONFIG.replace("approvals: 2", "approvals: 1")
    dropped = KONFIG.split("    - name: prod-two")[0] + "    - name: base-platform" + \
        KONFIG.split("    - name: base-platform")[1]
    assert "prod-two" not in dropped
    for i, text in enumerate((loosened, dropped)):
        change(root, g, {"konfig.yaml": text, WEB_PROD: "env: prod\nconfig: {replicas: 8}\n"}, f"b{i}")
        v = evaluate(str(root), "main", f"b{i}", "dave", ["bob", "alice"])
        assert not v.satisfied
        assert unmet(v) == {"prod-two": 1}, text
        # the rules really come from main: the head's konfig.yaml would have passed
        assert {r.rule.name for r in v.requirements} == {"owners", "prod-two"}


def test_a_change_cannot_make_its_author_an_owner(konfig):
    root, g = konfig
    change(root, g, {
        "konfig/appops/acme/web/project.yaml": "name: web\nmodel: app\nowners: [web, \"@zoe\"]\n",
        "konfig/base/teams.yaml": TEAMS.replace('web: ["@bob", "@carol"]', 'web: ["@bob", "@carol", "@zoe"]'),
        WEB_DEV: "env: dev\nconfig: {replicas: 2}\n",
    })
    v = evaluate(str(root), "main", None, "dave", ["zoe"])
    assert not v.satisfied
    assert ("zoe", "unknown user: not in teams.yaml and not an owner of these files") in v.ignored
    assert any("ignoring approval by zoe" in w for w in v.warnings)


def test_rename_across_two_projects_needs_both_projects_owners(konfig):
    root, g = konfig
    src, dst = "konfig/appops/org/pay/dev/data.json", "konfig/appops/org/shop/dev/data.json"
    change(root, g, {}, moves={src: dst})
    v = evaluate(str(root), "main", None, "dave", ["ann"])
    assert [(f.path, f.status) for f in v.files] == [(src, "R"), (dst, "R")]
    assert v.files[0].renamed_to == dst and v.files[1].renamed_from == src
    assert unmet(v) == {"owners": 1}
    assert v.unmet[0].owners == ("shop",) and v.unmet[0].files == [dst]
    assert v.suggestion == ["@bo"]  # ann already covers pay; bo and cat are shop
    # nobody approved yet: cat is in both teams, one reviewer is enough
    v = evaluate(str(root), "main", None, "dave", [])
    assert unmet(v) == {"owners": 2}
    assert v.suggestion == ["@cat"] and v.suggestion_minimal
    assert evaluate(str(root), "main", None, "dave", ["cat"]).satisfied
    assert evaluate(str(root), "main", None, "dave", ["ann", "bo"]).satisfied


def test_nested_team_members_approve_for_the_outer_team(konfig):
    root, g = konfig
    change(root, g, {"konfig/infra/data/db/prod/stack.yaml":
                     "env: prod\nconfig: {image: example/db:15.5, replicas: 2, memory: 2Gi}\n"})
    v = evaluate(str(root), "main", None, "zed", ["carol"])  # carol is in web, web is in data
    assert unmet(v) == {"prod-two": 1}
    assert v.unmet[0].users == {"@dave", "@bob", "@carol"}
    assert v.suggestion == ["@bob"]
    assert evaluate(str(root), "main", None, "zed", ["carol", "dave"]).satisfied


def test_unknown_approver_is_ignored_with_a_warning(konfig):
    root, g = konfig
    change(root, g, {WEB_DEV: "env: dev\nconfig: {replicas: 2}\n"})
    v = evaluate(str(root), "main", None, "dave", ["mallory", "carol"])
    assert v.satisfied
    assert v.approvals == ["@carol"]
    assert v.ignored == [("mallory", "unknown user: not in teams.yaml and not an owner of these files")]
    assert v.warnings == ["ignoring approval by mallory: not a known user "
                          "(not in konfig/base/teams.yaml nor an owner of the changed files)"]


def test_approvers_by_handle_and_direct_owner_users(konfig):
    root, g = konfig
    change(root, g, {"konfig/appops/acme/api/dev/stack.yaml": "env: dev\nconfig: {}\n# x\n"})
    assert evaluate(str(root), "main", None, "dave", ["carol-gh"]).approvals == ["@carol"]
    # erin is named as an owner of api (not in teams.yaml): a known approver for it
    assert evaluate(str(root), "main", None, "dave", ["@erin"]).satisfied


def test_base_needs_a_platform_approval(konfig):
    root, g = konfig
    change(root, g, {"konfig/base/models/app/defaults.yaml": "image: example/app:2\nreplicas: 1\n"})
    v = evaluate(str(root), "main", None, "bob", [])
    assert unmet(v) == {"owners": 1, "base-platform": 1}
    assert v.suggestion == ["@al"]  # one platform member satisfies both
    assert evaluate(str(root), "main", None, "bob", ["alice"]).satisfied
    # the author's own platform membership does not help
    assert not evaluate(str(root), "main", None, "alice", ["alice"]).satisfied


def test_new_prod_stack_is_judged_as_prod(konfig):
    root, g = konfig
    change(root, g, {"konfig/appops/acme/web/canary/stack.yaml": "env: prod\nconfig: {replicas: 2}\n"})
    v = evaluate(str(root), "main", None, "dave", ["bob"])
    assert unmet(v) == {"prod-two": 1}


def test_a_prod_stack_turned_dev_is_still_prod(konfig):
    root, g = konfig
    change(root, g, {WEB_PROD: "env: dev\nconfig: {replicas: 1}\n"})
    v = evaluate(str(root), "main", None, "dave", ["bob"])
    assert unmet(v) == {"prod-two": 1}


def test_moving_a_dev_stack_is_not_prod(konfig):
    root, g = konfig
    change(root, g, {}, moves={"konfig/appops/acme/api/dev/stack.yaml": "konfig/appops/acme/api/qa/stack.yaml"})
    v = evaluate(str(root), "main", None, "dave", ["bob"])
    assert v.satisfied, [(r.rule.name, r.files) for r in v.unmet]


def test_new_project_is_owned_by_the_base_ownership(konfig):
    root, g = konfig
    change(root, g, {"konfig/appops/org/new/project.yaml": "model: app\nowners: [\"@dave\"]\n",
                     "konfig/appops/org/new/dev/stack.yaml": "env: dev\nconfig: {image: \"a/b:1\"}\n"})
    v = evaluate(str(root), "main", None, "dave", ["dave"])
    assert unmet(v) == {"owners": 1}
    assert v.unmet[0].owners == ("platform",)
    assert evaluate(str(root), "main", None, "dave", ["alice"]).satisfied


def test_project_review_settings_add_requirements(konfig):
    root, g = konfig
    write(root, {"konfig/appops/acme/web/project.yaml":
                 "name: web\nmodel: app\nowners: [web]\nreview:\n  approvals: 2\n  rules:\n"
                 "    - name: data-signoff\n      paths: [dev/**]\n      from: [data]\n"})
    commit_all(g, "web asks for more")
    change(root, g, {WEB_DEV: "env: dev\nconfig: {replicas: 2}\n"})
    v = evaluate(str(root), "main", None, "zed", ["bob"])
    assert unmet(v) == {"web: approvals": 1}
    assert {r.rule.name for r in v.requirements} == {"owners", "web: approvals", "web: data-signoff"}
    assert v.suggestion == ["@carol"]  # carol is in web and (through web) in data


def test_stack_owners_add_and_replace(konfig):
    root, g = konfig
    write(root, {WEB_PROD: "env: prod\nowners: [platform]\ninherit_owners: false\nconfig: {replicas: 4}\n",
                 WEB_DEV: "env: dev\nowners: [\"@alice\"]\nconfig: {replicas: 1}\n"})
    commit_all(g, "stack owners")
    change(root, g, {WEB_PROD: "env: prod\nowners: [platform]\ninherit_owners: false\nconfig: {replicas: 8}\n",
                     WEB_DEV: "env: dev\nowners: [\"@alice\"]\nconfig: {replicas: 2}\n"})
    v = evaluate(str(root), "main", None, "dave", ["bob"])
    # dev: alice added to web, bob suffices; prod: only platform owns it now
    assert {(r.rule.name, r.owners): r.satisfied for r in v.requirements} == {
        ("owners", ("@alice", "web")): True, ("owners", ("platform",)): False,
        ("prod-two", ("platform",)): False}
    assert v.suggestion == ["@al", "@alice"]
    assert evaluate(str(root), "main", None, "dave", ["alice", "al"]).satisfied


def test_label_selector(konfig):
    root, g = konfig
    text = KONFIG + "    - name: frontend\n      when: {labels: {tier: frontend}}\n      from: [platform]\n"
    write(root, {"konfig.yaml": text})
    commit_all(g, "frontend rule")
    change(root, g, {WEB_DEV: "env: dev\nconfig: {replicas: 2}\n"})
    v = evaluate(str(root), "main", None, "dave", ["bob"])
    assert unmet(v) == {"frontend": 1}
    change(root, g, {"konfig/appops/acme/api/dev/stack.yaml": "env: dev\nconfig: {}\n# x\n"}, "b2")
    assert evaluate(str(root), "main", "b2", "dave", ["bob"]).satisfied


def test_rule_that_cannot_be_met_says_so(konfig):
    root, g = konfig
    change(root, g, {WEB_PROD: "env: prod\nconfig: {replicas: 8}\n"})
    v = evaluate(str(root), "main", None, "bob", ["carol"])  # web is bob and carol; bob wrote it
    assert unmet(v) == {"prod-two": 1}
    assert not v.unmet[0].possible
    assert any("prod-two cannot be met" in w for w in v.warnings)
    assert v.suggestion == []


def test_no_changes_is_satisfied(konfig):
    root, g = konfig
    v = evaluate(str(root), "main", "main", "dave", [])
    assert v.satisfied and v.files == [] and v.requirements == []


def test_unknown_ref_is_bad_input(konfig):
    root, _ = konfig
    with pytest.raises(KonfigError, match="unknown git revision 'nope'"):
        evaluate(str(root), "nope", None, "dave", [])


def test_merge_base_ignores_changes_on_the_base_branch(konfig):
    root, g = konfig
    change(root, g, {WEB_DEV: "env: dev\nconfig: {replicas: 2}\n"})
    g.git.checkout("main")
    write(root, {WEB_PROD: "env: prod\nconfig: {replicas: 8}\n"})
    commit_all(g, "main moves on")
    v = evaluate(str(root), "main", "change", "dave", ["carol"])
    assert [f.path for f in v.files] == [WEB_DEV] and v.satisfied


# -- the smallest set of reviewers -------------------------------------------------


def brute_force(needs: list[tuple[frozenset[str], int]]) -> int:
    people = sorted(set().union(*(u for u, _ in needs)))
    need = [(u, min(d, len(u))) for u, d in needs]
    for k in range(len(people) + 1):
        for combo in itertools.combinations(people, k):
            if all(len(u & set(combo)) >= d for u, d in need):
                return k
    raise AssertionError("unreachable")


def test_exact_beats_greedy():
    # greedy takes x (helps 4 needs) and then still needs y and z; {y, z} is enough
    f = frozenset
    needs = [(f("xy"), 1), (f("xz"), 1), (f("xy"), 1), (f("xz"), 1), (f("y"), 1), (f("z"), 1)]
    assert suggest_reviewers(needs) == (["y", "z"], True)


def test_counts_are_covered_with_distinct_people():
    f = frozenset
    assert suggest_reviewers([(f({"a", "b", "c"}), 2), (f({"c", "d"}), 1)]) == (["a", "c"], True)


def test_impossible_needs_take_everyone_available():
    assert suggest_reviewers([(frozenset({"a"}), 3)]) == (["a"], True)
    assert suggest_reviewers([(frozenset(), 1)]) == ([], True)


def test_suggestion_is_minimal_on_random_small_cases():
    rnd = random.Random(7)
    people = list("abcdefg")
    for _ in range(200):
        needs = [(frozenset(rnd.sample(people, rnd.randint(1, 4))), rnd.randint(1, 2))
                 for _ in range(rnd.randint(1, 6))]
        chosen, minimal = suggest_reviewers(needs)
        assert minimal
        assert len(chosen) == brute_force(needs), needs
        assert all(len(u & set(chosen)) >= min(d, len(u)) for u, d in needs)
        assert suggest_reviewers(needs) == (chosen, True)  # deterministic


def test_large_cases_fall_back_to_greedy():
    rnd = random.Random(1)
    people = [f"u{i:03d}" for i in range(300)]
    needs = [(frozenset(rnd.sample(people, 20)), 3) for _ in range(120)]
    chosen, minimal = suggest_reviewers(needs, budget=500)
    assert not minimal
    assert all(len(u & set(chosen)) >= d for u, d in needs)


def test_a_file_nobody_owns_cannot_be_approved(mini_git):
    root, g = mini_git  # the mini fixture owns only konfig/base/**: konfig.yaml has no owner
    change(root, g, {"konfig.yaml": (root / "konfig.yaml").read_text() + "# edit\n"})
    v = evaluate(str(root), "main", None, "bob", ["alice", "carol"])
    assert not v.satisfied
    assert [(r.rule.name, r.owners, r.files) for r in v.unmet] == [("owners", (), ["konfig.yaml"])]
    assert v.suggestion == []
    assert v.warnings == ["nobody owns konfig.yaml in main: no one can approve "
                          "(add an ownership rule; see `konfig owners check`)"]
