"""edit.py: specs applied to layer files, comments kept, validation before writing."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from konfigctl.authoring import edit
from konfigctl.errors import KonfigError, UsageError
from konfigctl.keypath import Select
from konfigctl.repo.repository import Repository
from konfigctl.yamlio import load

from tests.conftest import REPO_ROOT

# A stack file with comments everywhere: head, end of line, between keys, inside
# lists, after blank lines, in flow collections and at the end.
RICH = """\
# yaml-language-server: $schema=../../../../../docs/schemas/stack.schema.json
# The web prod stack.  Owned by the web team.

env: prod   # the env profile
labels: {region: eu, tier: "web"}   # flow mapping
# The values of this stack, over every lower layer.
config:
  # pinned by the release bot
  image: "example/web:1.0.0"  # do not use latest
  replicas: 4

  # scratch space for the cache
  disk: 50Gi
  args: [--cache, 'warm']
  env:
    # extra variables
    - name: EXTRA   # why: feature flag
      value: "1"
    # the other one
    - name: OTHER
      value: x
# end of file
"""


def apply(specs: list[str], text: str = RICH, prefix: tuple[str, ...] = ("config",)) -> str:
    return edit.apply_text(text, "stack.yaml", prefix, [edit.parse_spec(s) for s in specs])


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    import difflib

    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


@pytest.mark.parametrize("text, op, path, value", [
    ("image=x:1", edit.SET, ("image",), "x:1"),
    ("replicas=4", edit.SET, ("replicas",), 4),
    ("env[name=A].value=\"1\"", edit.SET, ("env", Select("name", "A"), "value"), "1"),
    ("args+=--verbose", edit.APPEND, ("args",), "--verbose"),
    ("ports[0]-", edit.DELETE, ("ports", 0), None),
    ("labels.\"app.kubernetes.io/name\"=web", edit.SET, ("labels", "app.kubernetes.io/name"), "web"),
    ("resources={cpu: 1, memory: 1Gi}", edit.SET, ("resources",), {"cpu": 1, "memory": "1Gi"}),
    ("x=", edit.SET, ("x",), None),
])
def test_parse_spec(text, op, path, value):
    spec = edit.parse_spec(text)
    assert (spec.op, spec.path, spec.value) == (op, path, value)


@pytest.mark.parametrize("bad", ["image", "", "a..b=1", "=1", "x=[1", "-"])
def test_bad_specs_are_usage_errors(bad):
    with pytest.raises(KonfigError):
        edit.parse_specs([bad])


def test_nothing_changed_is_byte_identical():
    assert apply(["replicas=4", "image=example/web:1.0.0"]) == RICH
    crlf = RICH.replace("\n", "\r\n")
    assert apply(["replicas=4"], crlf) == crlf


def test_setting_a_value_changes_only_its_line_and_keeps_quotes_and_comment():
    out = apply(["image=example/web:2.0.0"])
    assert changed_lines(RICH, out) == (['  image: "example/web:1.0.0"  # do not use latest'],
                                        ['  image: "example/web:2.0.0"  # do not use latest'])


def test_deleting_keeps_the_neighbours_comments():
    out = apply(["replicas-"])
    assert changed_lines(RICH, out) == (["  replicas: 4"], [])
    out = apply(["disk-"])  # its own comment goes with it, the blank line stays
    assert changed_lines(RICH, out) == (["  # scratch space for the cache", "  disk: 50Gi"], [])
    out = apply(["env[name=EXTRA]-"])
    assert changed_lines(RICH, out) == (
        ["    - name: EXTRA   # why: feature flag", '      value: "1"'], [])
    assert "    # extra variables\n    # the other one\n    - name: OTHER" in out


def test_appending_and_adding_keep_the_end_of_file_comment_last():
    out = apply(["env+={name: NEW, value: y}", "probes.liveness.path=/healthz"])
    assert out.endswith("      value: 'y'\n  probes:\n    liveness:\n      path: /healthz\n# end of file\n")
    removed, added = changed_lines(RICH, out)
    assert removed == []
    assert added == ["    - name: NEW", "      value: 'y'", "  probes:", "    liveness:", "      path: /healthz"]


def test_flow_collections_stay_flow():
    out = apply(["args+=cold", "args[0]=--no-cache"])
    assert changed_lines(RICH, out) == (["  args: [--cache, 'warm']"], ["  args: [--no-cache, 'warm', cold]"])
    out = apply(["labels.region=us"], prefix=())
    assert "labels: {region: us, tier: \"web\"}   # flow mapping" in out


def test_add_then_delete_gives_back_the_original_bytes():
    for spec in ("newkey=1", "env[name=Z].value=z", "args+=x"):
        added = apply([spec])
        assert added != RICH
        undo = {"newkey=1": "newkey-", "env[name=Z].value=z": "env[name=Z]-", "args+=x": "args[2]-"}[spec]
        assert apply([undo], added) == RICH


def test_result_reads_back_as_the_intended_data():
    out = apply(["image=a:1", "env[name=OTHER].value=2", "args-", "resources.cpu=500m"])
    assert load(out).data["config"] == {
        "image": "a:1", "replicas": 4, "disk": "50Gi",
        "env": [{"name": "EXTRA", "value": "1"}, {"name": "OTHER", "value": 2}],
        "resources": {"cpu": "500m"},
    }


def test_config_is_created_in_a_stack_without_one_and_empty_files_keep_their_comments():
    assert apply(["replicas=2"], "env: dev\n") == "env: dev\nconfig:\n  replicas: 2\n"
    assert apply(["replicas=2"], "env: dev\nconfig: {}\n") == "env: dev\nconfig:\n  replicas: 2\n"
    assert apply(["a.b=1"], "# only a comment\n", prefix=()) == "# only a comment\na:\n  b: 1\n"
    assert apply(["a=1"], "", prefix=()) == "a: 1\n"


def test_every_yaml_file_of_this_repository_round_trips_byte_identical():
    files = [p for p in (REPO_ROOT / "konfig").rglob("*.yaml") if p.name != "golden.yaml"]
    files.append(REPO_ROOT / "konfig.yaml")
    assert len(files) > 20
    for path in files:
        text = path.read_text()
        data = load(text, str(path)).data
        if not isinstance(data, dict) or not data:
            continue
        key = next(iter(data))
        # a no-op set, and a new key added then removed: the file comes back as it was
        assert edit.apply_text(text, str(path), (), [edit.Spec(edit.SET, (key,), data[key])]) == text, path
        added = edit.apply_text(text, str(path), (), [edit.parse_spec("zz_new_key=1")])
        assert edit.apply_text(added, str(path), (), [edit.parse_spec("zz_new_key-")]) == text, path


def test_paths_of_the_resolved_config_map_to_the_layer(mini: Path):
    repo = Repository(str(mini))
    stack = repo.find_stack("acme/web/dev")
    # env[0] of the resolved config is LOG_LEVEL (set by lower layers): created here by its key
    res = edit.edit_file(repo, stack.file, ["env[0].value=debug"], stack=stack)
    assert res.written
    assert load((mini / stack.file).read_text()).data["config"]["env"] == [{"name": "LOG_LEVEL", "value": "debug"}]
    # an index into a plain list only a lower layer holds copies it here first
    api = repo.find_stack("acme/api/prod/eu")
    res = edit.edit_file(repo, api.file, ["args[1]=us"], stack=api)
    assert load((mini / api.file).read_text()).data["config"]["args"] == ["--region", "us"]


def test_deleting_a_value_set_by_a_lower_layer_explains_where_it_is(mini: Path):
    repo = Repository(str(mini))
    stack = repo.find_stack("acme/web/dev")
    with pytest.raises(UsageError) as e:
        edit.edit_file(repo, stack.file, ["labels.team-"], stack=stack)
    assert "konfig/base/models/app/defaults.yaml:10:3" in str(e.value)
    assert "labels.team=null" in str(e.value)


def test_invalid_edit_is_refused_and_the_file_untouched(mini: Path):
    repo = Repository(str(mini))
    stack = repo.find_stack("acme/web/dev")
    path = mini / stack.file
    before = path.read_bytes()
    mtime = os.stat(path).st_mtime_ns
    res = edit.edit_file(repo, stack.file, ["replicas=3"], stack=stack)
    assert res.refused and not res.written
    assert [p.keypath for p in res.problems] == ["replicas"]
    assert path.read_bytes() == before and os.stat(path).st_mtime_ns == mtime
    res = edit.edit_file(repo, stack.file, ["replicas=3"], stack=stack, force=True)
    assert res.written and not res.refused and b"replicas: 3" in path.read_bytes()


def test_shared_layer_edit_validates_every_stack_below(mini: Path):
    repo = Repository(str(mini))
    rel = "konfig/appops/acme/api/defaults.yaml"
    res = edit.edit_file(repo, rel, ["memory=8Gi"], dry_run=True)
    assert sorted(res.stacks) == ["konfig/appops/acme/api/dev", "konfig/appops/acme/api/prod/eu",
                                  "konfig/appops/acme/api/prod/us"]
    # prod overrides memory in its own defaults.yaml: only dev gets 8Gi, above the 4Gi maximum
    assert {p.stack for p in res.problems if p.is_error} == {"konfig/appops/acme/api/dev"}
    assert res.refused
    model = edit.stacks_using(repo, "konfig/base/models/app/defaults.yaml")
    assert len(model) == len(repo.stacks())
    assert [s.path for s in edit.stacks_using(repo, "konfig/base/models/app/envs/prod.yaml")] == [
        s.path for s in repo.stacks() if s.env == "prod"]


def test_preexisting_problems_do_not_block_an_unrelated_edit(mini: Path, write):
    write(mini, "konfig/appops/acme/web/dev/stack.yaml", "env: dev\nconfig:\n  replicas: 3\n")
    repo = Repository(str(mini))
    stack = repo.find_stack("acme/web/dev")
    res = edit.edit_file(repo, stack.file, ["image=example/web:9"], stack=stack)
    assert res.written and not res.problems
    assert [p.keypath for p in res.preexisting] == ["replicas"]


def test_lock_files_live_in_the_cache_dir(mini: Path):
    repo = Repository(str(mini))
    stack = repo.find_stack("acme/web/dev")
    edit.edit_file(repo, stack.file, ["replicas=2"], stack=stack)
    lock = edit.lock_path(repo, stack.file)
    assert lock.startswith(repo.cache_dir + os.sep)
    assert not list((mini / stack.path).glob("*.lock"))


def test_a_failed_write_leaves_the_file_as_it_was(mini: Path, monkeypatch):
    import errno
    import os

    repo = Repository(str(mini))
    stack = repo.find_stack("acme/web/dev")
    path = mini / stack.file
    before = path.read_bytes()

    def full_disk(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(KonfigError, match="cannot write: No space left on device"):
        edit.edit_file(repo, stack.file, ["replicas=2"], stack=stack)
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".konfig-")]
