"""The per-stack test: validate, render, kubernetes, golden -- what each verdict holds."""
from __future__ import annotations

from konfigctl.check.stack_test import check_stack, failure_line, run, update_goldens
from konfigctl.repo.repository import Repository

WEB_DEV = "konfig/appops/acme/web/dev"


def _check(root, name="acme/web/dev"):
    repo = Repository(str(root))
    return check_stack(repo, repo.find_stack(name))


def test_a_clean_stack_passes_all_four_checks(mini):
    r = _check(mini)
    assert [(c.name, c.status) for c in r.checks] == [
        ("validate", "passed"), ("render", "passed"), ("kubernetes", "passed"), ("golden", "passed")]
    assert r.ok and r.model == "app" and r.resources


def test_a_golden_mismatch_fails_golden_only_and_carries_the_diff(mini, write):
    write(mini, f"{WEB_DEV}/stack.yaml", "env: dev\nconfig:\n  replicas: 2\n  disk: 10Gi\n")
    r = _check(mini)
    assert [c.name for c in r.checks if c.failed] == ["golden"]
    golden = r.check("golden")
    assert "-  replicas: 1" in golden.diff and "+  replicas: 2" in golden.diff
    assert failure_line(r).startswith(f"{WEB_DEV}: golden")


def test_a_schema_violation_fails_validate_and_still_renders(mini, write):
    write(mini, f"{WEB_DEV}/stack.yaml", "env: dev\nconfig:\n  replicas: -1\n  disk: 10Gi\n")
    r = _check(mini)
    v = r.check("validate")
    assert v.failed and not v.input_error
    assert v.details and v.details[0].startswith(f"{WEB_DEV}/stack.yaml:")
    assert r.check("render").status != "skipped"


def test_broken_yaml_is_an_input_error_and_skips_the_rest(mini, write):
    write(mini, f"{WEB_DEV}/stack.yaml", "env: dev\nconfig: [\n")
    r = _check(mini)
    assert r.input_error and r.check("validate").failed
    assert [(c.name, c.status) for c in r.checks[1:]] == [
        ("render", "skipped"), ("kubernetes", "skipped"), ("golden", "skipped")]
    assert r.check("render").message == "the stack does not resolve"


def test_results_keep_the_order_given_and_update_rewrites_only_what_differs(mini, write):
    write(mini, f"{WEB_DEV}/stack.yaml", "env: dev\nconfig:\n  replicas: 2\n  disk: 10Gi\n")
    repo = Repository(str(mini))
    stacks = list(reversed(repo.stacks()))
    results, written = run(repo, stacks, jobs=1, use_cache=False)
    assert [r.stack for r in results] == [s.path for s in stacks] and written == []
    assert [r.stack for r in results if not r.ok] == [WEB_DEV]
    written, _failed = update_goldens(Repository(str(mini)), Repository(str(mini)).stacks())
    assert written == [f"{WEB_DEV}/golden.yaml"]
    assert "replicas: 2" in (mini / WEB_DEV / "golden.yaml").read_text()
    assert _check(mini).ok


def test_a_passing_stack_is_resolved_once_for_all_four_checks(mini, monkeypatch):
    from konfigctl.check import validation
    from konfigctl.resolve import merge

    calls = []
    real = merge.resolve

    def counting(repo, stack, *args, **kw):
        calls.append((stack.path, kw.get("track", False)))
        return real(repo, stack, *args, **kw)

    monkeypatch.setattr(merge, "resolve", counting)
    monkeypatch.setattr(validation, "resolve", counting)
    assert _check(mini).ok
    assert calls == [(WEB_DEV, False)]
