"""validate's results cache: a repeat run reuses results, and every input a result depends on
invalidates it (check/keys.py, check/validation.validate_run, cache.Pack, cache.KeptDigests)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from konfigctl.check import validation
from konfigctl.check.cache import Digests, KeptDigests
from konfigctl.repo.repository import Repository


def problems(cli: Any, repo: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    res = cli("validate", "--all", "-f", "json", *args, repo=repo)
    return res.exit_code, json.loads(res.stdout)["problems"]


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stacks whose validation ran in this process (not served from the cache)."""
    ran: list[str] = []
    real = validation.check_config

    def counting(repo: Any, stack: Any, config: Any, policies: Any) -> Any:
        ran.append(stack.path)
        return real(repo, stack, config, policies)

    monkeypatch.setattr(validation, "check_config", counting)
    return ran


def test_a_repeat_run_is_served_from_the_cache(cli, mini, computed):
    first = problems(cli, mini)
    assert len(computed) == 6
    computed.clear()
    assert problems(cli, mini) == first
    assert computed == []
    assert (mini / ".konfig-cache" / "validate").is_dir()


def test_one_changed_stack_is_the_only_one_validated_again(cli, mini, write, computed):
    problems(cli, mini)
    computed.clear()
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig:\n  replicas: 3\n")
    code, found = problems(cli, mini)
    assert computed == ["konfig/appops/acme/web/dev"]
    assert code == 1 and [p["keypath"] for p in found if p["severity"] == "error"] == ["replicas"]


@pytest.mark.parametrize("rel, old, new, keypath", [
    # a shared defaults.yaml (every stack below it)
    ("konfig/appops/acme/defaults.yaml", None, "replicas: 3\n", "replicas"),
    # the model's schema, a schema it $refs, a policy, an env profile, project.yaml
    ("konfig/base/models/app/schema.yaml", "enum: [1, 2, 4, 8]", "enum: [16]", "replicas"),
    ("konfig/base/schemas/units.yaml", "x-quantity: memory", "x-quantity: memory\n    x-maximum: 1Ki", "memory"),
    ("konfig/base/policies/prod-replicas.yaml", "minimum: 2", "minimum: 100", "replicas"),
    ("konfig/base/envs/prod.yaml", None, "labels: 3\n", "labels"),
    ("konfig/appops/acme/web/project.yaml", "model: app", "model: nope", "model"),
])
def test_every_input_invalidates_what_depends_on_it(cli, mini, write, rel, old, new, keypath):
    code, before = problems(cli, mini)
    assert code == 0
    text = new
    if old is not None:
        text = (mini / rel).read_text()
        assert old in text
        text = text.replace(old, new)
    write(mini, rel, text)
    code, after = problems(cli, mini)
    assert code in (1, 2) and after != before
    assert keypath in {p["keypath"] for p in after}
    assert problems(cli, mini, "--no-cache") == (code, after)


def test_depends_on_and_requires_look_at_other_stacks(cli, mini, write):
    stack = "konfig/appops/acme/web/dev/stack.yaml"
    write(mini, stack, "env: dev\ndepends_on: [acme/api/dev]\nconfig:\n  replicas: 1\n")
    assert problems(cli, mini)[0] == 0
    shutil.rmtree(mini / "konfig/appops/acme/api/dev")  # the stack it depends on goes
    code, found = problems(cli, mini)
    assert code == 1 and any(p["keypath"] == "depends_on[0]" for p in found)
    # a cycle closed by another stack's stack.yaml: web/dev's own files do not change
    write(mini, stack, "env: dev\ndepends_on: [acme/api/prod/us]\nconfig:\n  replicas: 1\n")
    assert problems(cli, mini)[0] == 0
    write(mini, "konfig/appops/acme/api/prod/us/stack.yaml",
          "env: prod\ndepends_on: [acme/web/dev]\nconfig:\n  replicas: 2\n")
    code, found = problems(cli, mini)
    assert (code, found) == problems(cli, mini, "--no-cache")
    assert code == 1 and {"konfig/appops/acme/web/dev", "konfig/appops/acme/api/prod/us"} <= \
        {p["stack"] for p in found if "cycle" in p["message"]}
    # a policy's `requires` looks at the stacks it could be met by
    write(mini, "konfig/base/policies/needs-dev.yaml",
          "name: needs-dev\nwhen: {env: prod}\nrequires: {env: dev, same: [project]}\n")
    assert problems(cli, mini) == problems(cli, mini, "--no-cache")
    shutil.rmtree(mini / "konfig/appops/acme/web/dev")
    code, found = problems(cli, mini)
    assert (code, found) == problems(cli, mini, "--no-cache")
    assert any("requires" in p["message"] for p in found)


def test_overrides_are_part_of_the_key(cli, mini):
    assert cli("validate", "acme/web/dev", repo=mini).exit_code == 0
    assert cli("validate", "acme/web/dev", "-O", "replicas=3", repo=mini).exit_code == 1
    assert cli("validate", "acme/web/dev", repo=mini).exit_code == 0


def test_no_cache_neither_reads_nor_writes(cli, mini, computed):
    assert cli("validate", "--all", "--no-cache", repo=mini).exit_code == 0
    assert not (mini / ".konfig-cache").exists()
    assert len(computed) == 6


def test_a_broken_cache_is_a_miss(cli, mini):
    first = problems(cli, mini)
    for dirpath, _dirs, files in os.walk(mini / ".konfig-cache"):
        for f in files:
            if f.endswith(".json"):
                Path(dirpath, f).write_text("{not json")
    assert problems(cli, mini) == first


def test_kept_digests_never_outlive_a_change_of_content(tmp_path):
    """A file rewritten with the same size and its old mtime put back is hashed again: the
    rewrite changed its ctime (git's index relies on the same)."""
    f = tmp_path / "a.yaml"
    f.write_text("a: 1\n")
    repo = Repository(str(tmp_path))
    kept_path = str(tmp_path / "digests.json")

    def digest() -> str:
        kept = KeptDigests(kept_path, str(tmp_path))
        kept.now_ns += 10 * KeptDigests.SETTLE_NS  # as if the file were old enough to keep
        d = Digests(repo.source.read, repo.source.file_stat, kept).file("a.yaml")
        kept.save()
        return d

    first = digest()
    assert json.loads(Path(kept_path).read_text())["files"]["a.yaml"][4] == first
    assert digest() == first
    st = os.stat(f)
    f.write_text("a: 2\n")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(f).st_mtime_ns == st.st_mtime_ns and os.stat(f).st_size == st.st_size
    assert digest() != first


def test_files_changed_just_now_are_not_kept(tmp_path):
    (tmp_path / "a.yaml").write_text("a: 1\n")
    repo = Repository(str(tmp_path))
    kept = KeptDigests(str(tmp_path / "digests.json"), str(tmp_path))
    Digests(repo.source.read, repo.source.file_stat, kept).file("a.yaml")
    assert kept.entries == {}
