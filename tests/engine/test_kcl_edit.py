"""get/set on KCL stacks: override paths into main.k through kcl-lib, comments kept (DESIGN.md "KCL stacks")."""
from __future__ import annotations

from tests.engine.test_kcl import PROD, mixed, mixed_git  # noqa: F401 - fixtures


def test_get_reads_main_k_at_an_override_path(cli, mixed):
    res = cli("get", PROD, "guestbook.replicas", repo=mixed)
    assert res.exit_code == 0 and res.stdout.strip() == "3", res.output
    res = cli("get", PROD, "guestbook.nothing", repo=mixed)
    assert res.exit_code == 2 and "main.k sets no such value" in res.output
    assert cli("get", PROD, "guestbook[0]", repo=mixed).exit_code == 2


def test_set_keeps_comments_and_writes_main_k_and_its_golden_together(cli, mixed_git):
    path, g = mixed_git
    main = path / PROD / "main.k"
    res = cli("set", PROD, "guestbook.replicas=5", 'guestbook.cpu="250m"', repo=path)
    assert res.exit_code == 0, res.output
    text = main.read_text()
    assert "# The prod stack: more replicas and memory." in text
    assert "replicas = 5" in text and 'cpu = "250m"' in text
    assert set(g.git.diff("--name-only").split()) == {f"{PROD}/main.k", f"{PROD}/ci-test/stdout.golden.yaml"}
    assert cli("test", PROD, repo=path).exit_code == 0
    res = cli("set", PROD, "guestbook.memory-", repo=path)
    assert res.exit_code == 0 and "memory =" not in main.read_text()


def test_set_refuses_a_change_that_does_not_compile_and_writes_nothing(cli, mixed_git):
    path, g = mixed_git
    res = cli("set", PROD, "guestbook.replicas=0", repo=path)
    assert res.exit_code == 1, res.output
    assert "replicas must be at least 1" in res.output and "nothing was written" in res.output
    res = cli("set", PROD, "guestbook.replicas=[", repo=path)
    assert res.exit_code in (1, 2), res.output
    assert g.git.status("--porcelain") == ""


def test_the_api_resolves_and_reads_kcl_stacks(mixed):
    from konfigctl import api

    docs = api.resolve(PROD, repo=mixed)
    assert any(d["id"] == "apps/v1:Deployment:guestbook:guestbook" for d in docs)
    assert api.get(PROD, "guestbook.replicas", repo=mixed) == "3"
