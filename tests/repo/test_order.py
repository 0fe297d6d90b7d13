"""depends_on: names by path or unique suffix, an order that respects them, cycles named at their line."""
from __future__ import annotations

import pytest
from konfigctl.errors import KonfigError
from konfigctl.repo.order import cycle_from, dependencies, dependency, in_order
from konfigctl.repo.repository import Repository

WEB_DEV = "konfig/appops/acme/web/dev"
API_DEV = "konfig/appops/acme/api/dev"
DB = "konfig/infra/data/db/prod"


def _depends(write, root, stack, *names, env="dev"):
    deps = "".join(f"  - {n}\n" for n in names)
    write(root, f"{stack}/stack.yaml", f"env: {env}\ndepends_on:\n{deps}config:\n  replicas: 1\n")


def test_a_dependency_is_named_by_path_or_unique_suffix(mini):
    repo = Repository(str(mini))
    assert dependency(repo, DB).path == DB
    assert dependency(repo, "data/db/prod/").path == DB
    assert dependency(repo, "db/prod/stack.yaml").path == DB
    assert dependency(repo, "dev") is None  # two stacks end so: ambiguous, left to validate
    assert dependency(repo, "no/such") is None


def test_in_order_puts_a_stack_after_what_it_needs_even_through_a_stack_not_asked_for(mini, write):
    _depends(write, mini, WEB_DEV, "acme/api/dev")
    _depends(write, mini, API_DEV, "data/db/prod")
    repo = Repository(str(mini))
    web, db = repo.find_stack(WEB_DEV), repo.find_stack(DB)
    assert [d.path for d in dependencies(repo, web)] == [API_DEV]
    assert [s.path for s in in_order(repo, [web, db])] == [DB, WEB_DEV]
    # without dependencies: path order
    plain = [s.path for s in in_order(repo, repo.stacks())]
    assert plain.index(DB) < plain.index(API_DEV) < plain.index(WEB_DEV)


def test_a_cycle_is_an_error_at_the_entry_that_starts_it(mini, write):
    _depends(write, mini, WEB_DEV, "acme/api/dev")
    _depends(write, mini, API_DEV, "no/such", "acme/web/dev")
    repo = Repository(str(mini))
    assert cycle_from(repo, repo.find_stack(WEB_DEV)) == [WEB_DEV, API_DEV, WEB_DEV]
    with pytest.raises(KonfigError) as e:
        in_order(repo, [repo.find_stack(WEB_DEV)])
    assert str(e.value) == (f"{API_DEV}/stack.yaml:4:5: depends_on[1]: depends_on cycle: "
                            f"{API_DEV} -> {WEB_DEV} -> {API_DEV}")
