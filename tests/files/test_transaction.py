"""An edit is a transaction: all of its files or none, temporary files in the cache, killed runs finished.

The crash tests run the real ``konfig`` in a subprocess and kill it with a
real SIGKILL: at named points of the writer (``KONFIG_TEST_CRASH``, the
process kills itself there), and at random moments of the write window.
Then any konfig command must leave every file old or new and complete, the
layer and its golden file both old or both new, and nothing behind.
"""
from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from konfigctl.errors import KonfigError
from konfigctl.files import transaction

from tests.conftest import git_init
from tests.authoring.test_templates import APP_TEMPLATE, add_template

DEV = "konfig/appops/acme/web/dev"
LAYER = f"{DEV}/stack.yaml"
GOLDEN = f"{DEV}/golden.yaml"
API = "konfig/appops/acme/api"


def status(root: Path) -> str:
    """What a bot's ``git add -A`` would commit (the cache is ignored by its own .gitignore)."""
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=root,
                          capture_output=True, text=True, check=True).stdout


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the work tree outside .git and the cache."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel.startswith((".git/", ".konfig-cache/")) or not p.is_file() or p.is_symlink():
            continue
        out[rel] = p.read_bytes()
    return out


def staged_files(root: Path) -> list[str]:
    """Files left in the cache's staging area, and temporary files anywhere in the work tree."""
    left = [p.relative_to(root).as_posix() for p in (root / ".konfig-cache/tmp").rglob("*") if p.is_file()] \
        if (root / ".konfig-cache/tmp").is_dir() else []
    return left + [p.relative_to(root).as_posix() for p in root.rglob("*.tmp") if ".git" not in p.parts]


def konfig(root: Path, *args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "konfigctl", "--repo", str(root), *args],
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1", **(env or {})}, **kw)


@pytest.fixture
def repo(mini_git):
    root, _g = mini_git
    assert status(root) == ""
    return root


# -- the library ---------------------------------------------------------------------------

def test_a_transaction_writes_all_files_and_leaves_nothing_in_the_work_tree(repo):
    txn = transaction.Transaction(str(repo), str(repo / ".konfig-cache"))
    txn.add(LAYER, "env: dev\nconfig:\n  replicas: 3\n")
    txn.add(GOLDEN, "# new\n")
    txn.add("konfig/appops/acme/web/new/deep/file.yaml", "a: 1\n")
    unchanged = (repo / f"{API}/dev/stack.yaml").read_bytes()
    txn.add(f"{API}/dev/stack.yaml", unchanged)  # same content: not rewritten
    assert sorted(txn.commit()) == sorted([LAYER, GOLDEN, "konfig/appops/acme/web/new/deep/file.yaml"])
    assert (repo / GOLDEN).read_text() == "# new\n"
    assert (repo / "konfig/appops/acme/web/new/deep/file.yaml").read_text() == "a: 1\n"
    assert staged_files(repo) == []
    assert sorted(status(repo).split("\n")) == sorted([
        "", " M " + GOLDEN, " M " + LAYER, "?? konfig/appops/acme/web/new/deep/file.yaml"])


def test_one_bad_target_and_nothing_is_written(repo, tmp_path):
    before = snapshot(repo)
    (repo / "somedir").mkdir()
    os.symlink(tmp_path, repo / "out")
    for bad, message in [("somedir", "is a directory"), ("konfig.yaml/x", "konfig.yaml is not a directory"),
                         ("out/x.yaml", "leads outside the repository")]:
        txn = transaction.Transaction(str(repo), str(repo / ".konfig-cache"))
        txn.add(LAYER, "changed: true\n")
        txn.add(bad, "x\n")
        with pytest.raises(KonfigError, match=message):
            txn.commit()
        assert snapshot(repo) == before and staged_files(repo) == []


def test_a_failure_half_way_through_the_renames_puts_back_what_was_renamed(repo, monkeypatch):
    """The second target becomes a directory after the checks (a concurrent tool): its rename
    fails for real, and the first file, already renamed, is restored."""
    before = snapshot(repo)

    def hook(point: str) -> None:
        if point == "renamed:1":
            (repo / GOLDEN).unlink()
            (repo / GOLDEN).mkdir()

    monkeypatch.setattr(transaction, "_hook", hook)
    txn = transaction.Transaction(str(repo), str(repo / ".konfig-cache"))
    txn.add(LAYER, "changed: true\n")
    txn.add(GOLDEN, "changed: true\n")
    with pytest.raises(KonfigError, match=f"{GOLDEN}: cannot write: Is a directory; nothing was changed"):
        txn.commit()
    assert (repo / LAYER).read_bytes() == before[LAYER]
    assert staged_files(repo) == []


def test_a_symlink_inside_the_repository_is_written_through(repo):
    shared = repo / "konfig/appops/acme/web/shared.yaml"
    os.replace(repo / LAYER, shared)
    os.symlink("../shared.yaml", repo / LAYER)
    txn = transaction.Transaction(str(repo), str(repo / ".konfig-cache"))
    txn.add(LAYER, "env: dev\nconfig: {}\n")
    assert txn.commit() == [LAYER]
    assert (repo / LAYER).is_symlink() and os.readlink(repo / LAYER) == "../shared.yaml"
    assert shared.read_text() == "env: dev\nconfig: {}\n"


def test_the_cache_on_another_filesystem_stages_beside_the_target(repo):
    """rename(2) cannot cross filesystems: /dev/shm (a tmpfs) as the cache stages beside."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(repo).st_dev:
        pytest.skip("no second filesystem here")
    cache = Path(shm / f"konfig-test-{os.getpid()}")
    try:
        txn = transaction.Transaction(str(repo), str(cache))
        txn.add(LAYER, "a: 1\n")
        txn.add(GOLDEN, "b: 2\n")
        assert txn.commit() == [LAYER, GOLDEN]
        assert (repo / LAYER).read_text() == "a: 1\n" and (repo / GOLDEN).read_text() == "b: 2\n"
        assert staged_files(repo) == []
    finally:
        import shutil

        shutil.rmtree(cache, ignore_errors=True)


# -- konfig set and new: nothing changes when they fail -------------------------------------------

def test_set_with_a_golden_file_that_is_a_directory_changes_nothing(cli, repo):
    (repo / GOLDEN).unlink()
    (repo / GOLDEN).mkdir()
    before = snapshot(repo)
    res = cli("set", "acme/web/dev", "replicas=2", repo=repo)
    assert res.exit_code == 2 and res.stdout == ""
    assert res.stderr.splitlines() == [
        f"konfig: error: {GOLDEN}: is a directory, expected a file; nothing was changed"]
    assert snapshot(repo) == before and staged_files(repo) == []


def test_set_with_a_golden_file_leading_outside_the_repository_changes_nothing(cli, repo, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("kind: Secret\n")
    (repo / GOLDEN).unlink()
    os.symlink(outside, repo / GOLDEN)
    before = snapshot(repo)
    res = cli("set", "acme/web/dev", "replicas=2", repo=repo)
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [f"konfig: error: {GOLDEN}: symlink leads outside the repository "
                                       f"(to {outside}); nothing was changed"]
    assert snapshot(repo) == before and outside.read_text() == "kind: Secret\n"


def break_renderer(root: Path, when: str = 'config["image"].endswith(":boom")') -> None:
    render = root / "konfig/base/models/app/render.py"
    render.write_text(render.read_text().replace(
        "def render(config, stack):\n",
        f"def render(config, stack):\n    if {when}:\n        raise ValueError('cannot render this image')\n"))


def test_set_that_the_renderer_refuses_changes_nothing(cli, repo):
    break_renderer(repo)
    before = snapshot(repo)
    res = cli("set", "acme/api/prod/eu", "image=example/api:boom", repo=repo)  # a defaults.yaml? no: eu's stack
    assert res.exit_code == 1 and res.stdout.count("\n") == 1, res.output
    assert res.stdout.startswith(f"{API}/prod/eu: render: ") and "cannot render this image" in res.stdout
    assert "--no-golden writes it without rendering" in res.stderr
    assert snapshot(repo) == before
    # the same change to a shared layer names each stack it breaks, and still writes nothing
    res = cli("set", "acme/api/prod/eu", "image=example/api:boom", "--layer", "project", repo=repo)
    assert res.exit_code == 1
    assert sorted(ln.split(":")[0] for ln in res.stdout.splitlines()) == [
        f"{API}/dev", f"{API}/prod/eu", f"{API}/prod/us"]
    assert snapshot(repo) == before
    # --force writes the layer and keeps the golden files it cannot render (said so)
    res = cli("set", "acme/api/prod/eu", "image=example/api:boom", "--force", repo=repo)
    assert res.exit_code == 0 and "golden file not updated" in res.stderr
    assert snapshot(repo)[f"{API}/prod/eu/golden.yaml"] == before[f"{API}/prod/eu/golden.yaml"]


def test_set_on_a_full_disk_changes_nothing(repo):
    """The file-size limit makes the golden file's write fail (EFBIG), as a full disk would."""
    before = snapshot(repo)
    limit = len((repo / LAYER).read_bytes()) + 64  # the layer fits, its golden file does not

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    res = konfig(repo, "set", "acme/web/dev", "replicas=2", preexec_fn=small_files)
    assert res.returncode == 2, res.stderr
    assert res.stderr.splitlines() == [f"konfig: error: {GOLDEN}: cannot write: File too large; "
                                       "nothing was changed"]
    assert snapshot(repo) == before and staged_files(repo) == [] and status(repo) == ""


def test_new_that_does_not_render_creates_nothing(cli, repo):
    add_template(repo)
    break_renderer(repo, "True")
    git_commit(repo)
    before = snapshot(repo)
    res = cli("new", "project", "konfig/infra/data/cache", "-m", "app", "--owner", "data", repo=repo)
    assert res.exit_code == 1
    assert sorted(ln.split(":")[0] for ln in res.stdout.splitlines()) == [
        "konfig/infra/data/cache/dev", "konfig/infra/data/cache/prod"]
    assert "would not render: nothing was written" in res.stderr
    assert snapshot(repo) == before and status(repo) == ""


def test_new_with_an_unwritable_codeowners_creates_nothing(cli, repo):
    add_template(repo)
    (repo / ".github").mkdir()
    (repo / ".github/CODEOWNERS").mkdir()  # a directory where the file belongs
    git_commit(repo)
    before = snapshot(repo)
    res = cli("new", "project", "konfig/infra/data/cache", "-m", "app", "--owner", "data", repo=repo)
    assert res.exit_code == 2
    assert len(res.stderr.splitlines()) == 1 and ".github/CODEOWNERS" in res.stderr
    assert snapshot(repo) == before and not (repo / "konfig/infra/data/cache").exists()


def test_new_writes_project_goldens_and_codeowners_together_with_nothing_left(cli, repo):
    add_template(repo)
    (repo / ".github").mkdir()
    assert cli("owners", "codeowners", "--target", "github", repo=repo).exit_code == 0
    git_commit(repo)
    res = cli("new", "project", "konfig/infra/data/cache", "-m", "app", "--owner", "data", repo=repo)
    assert res.exit_code == 0, res.output
    assert "updated .github/CODEOWNERS" in res.stdout
    assert "/konfig/infra/data/cache/" in (repo / ".github/CODEOWNERS").read_text()
    assert staged_files(repo) == []
    assert cli("test", "konfig/infra/data/cache", repo=repo).exit_code == 0


def git_commit(root: Path) -> None:
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "setup"], cwd=root, check=True)


# -- SIGKILL --------------------------------------------------------------------------------------

OLD_REPLICAS, NEW_REPLICAS = "replicas: 1", "replicas: 2"


def pair(root: Path) -> tuple[str, str]:
    """("old"|"new", "old"|"new") of the layer and its golden file; fails if either is neither."""
    layer = (root / LAYER).read_text()
    golden = (root / GOLDEN).read_text()
    la = "new" if "replicas: 2  #" in layer else "old" if "replicas: 1  #" in layer else f"?{layer!r}"
    ga = "new" if "replicas: 2\n" in golden else "old" if "replicas: 1\n" in golden else f"?{golden!r}"
    return la, ga


@pytest.mark.slow
@pytest.mark.parametrize("point, after", [
    ("staged", "old"), ("journal", "new"), ("renamed:1", "new"), ("renamed:2", "new"), ("done", "new")])
def test_set_killed_at_each_step_is_finished_or_undone_by_the_next_run(repo, point, after):
    res = konfig(repo, "set", "acme/web/dev", "replicas=2", env={"KONFIG_TEST_CRASH": point})
    assert res.returncode == -signal.SIGKILL, res.stderr
    if point == "renamed:1":
        assert pair(repo) == ("new", "old")  # the window a journal exists for
    nxt = konfig(repo, "list")  # any command that opens the repository
    assert nxt.returncode == 0, nxt.stderr
    assert pair(repo) == (after, after)
    assert ("finished an interrupted write" in nxt.stderr) == (point in ("journal", "renamed:1"))
    assert staged_files(repo) == [] and os.listdir(repo / ".konfig-cache/tmp") == []
    assert status(repo) == ("" if after == "old" else f" M {GOLDEN}\n M {LAYER}\n")
    assert konfig(repo, "test", "acme/web/dev").returncode == 0


@pytest.mark.slow
def test_set_killed_at_random_moments_always_leaves_a_consistent_pair(repo):
    """Kill `konfig set` at random moments of its write window (each step made 20 ms long)."""
    rng = random.Random(12)
    seen = set()
    for i in range(12):
        value = 2 if i % 2 == 0 else 1  # flip between the two states
        proc = subprocess.Popen([sys.executable, "-m", "konfigctl", "--repo", str(repo), "set", "acme/web/dev",
                                 f"replicas={value}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "KONFIG_TEST_PAUSE": "0.02"})
        staging = repo / ".konfig-cache/tmp"
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None and not (staging.is_dir() and os.listdir(staging)):
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.12))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        nxt = konfig(repo, "list")
        assert nxt.returncode == 0, nxt.stderr
        state = pair(repo)
        assert state[0] == state[1], (i, state)
        seen.add(state[0])
        assert staged_files(repo) == [] and os.listdir(staging) == []
    assert konfig(repo, "test", "acme/web/dev").returncode == 0


def test_a_live_writer_is_never_recovered_by_another_run(repo):
    """A transaction directory whose writer still runs is left alone (its lock is held)."""
    session = transaction._session(str(repo / ".konfig-cache"))
    (Path(session) / "0.new").write_text("staged by a live writer\n")
    assert transaction.recover(str(repo), str(repo / ".konfig-cache")) == []
    assert (Path(session) / "0.new").exists()
    transaction._end_session(str(repo / ".konfig-cache"))
    assert not Path(session).exists()


# -- symlinks, fmt and test --update ----------------------------------------------------------------

def test_set_on_a_symlinked_stack_file_writes_through_to_its_target(cli, repo):
    """A stack.yaml that is a symlink inside the repository (two paths sharing one file) stays a
    symlink: the file it points to gets the change, so both paths keep sharing it."""
    shared = repo / "konfig/appops/acme/web/dev.stack.yaml"
    os.replace(repo / LAYER, shared)
    os.symlink("../dev.stack.yaml", repo / LAYER)
    git_commit(repo)
    res = cli("set", "acme/web/dev", "replicas=2", repo=repo)
    assert res.exit_code == 0, res.output
    assert (repo / LAYER).is_symlink() and "replicas: 2" in shared.read_text()
    assert sorted(status(repo).splitlines()) == [" M konfig/appops/acme/web/dev.stack.yaml", f" M {GOLDEN}"]


def test_set_on_a_stack_file_leading_outside_is_refused(cli, repo, tmp_path):
    outside = tmp_path / "stack.yaml"
    outside.write_bytes((repo / LAYER).read_bytes())
    (repo / LAYER).unlink()
    os.symlink(outside, repo / LAYER)
    before = outside.read_bytes()
    res = cli("set", "acme/web/dev", "replicas=2", repo=repo)
    assert res.exit_code == 2 and "leads outside the repository" in res.stderr
    assert outside.read_bytes() == before


def test_test_update_writes_stack_by_stack_and_never_an_unreadable_golden(cli, repo):
    """One stack's golden file is a directory: it is reported (bad input) and left alone; the
    other stacks' golden files are written, each on its own."""
    for s in ("dev", "prod/us"):
        g = repo / API / s / "golden.yaml"
        g.write_text(g.read_text().replace("replicas:", "replicas: 99 #"))
    (repo / GOLDEN).unlink()
    (repo / GOLDEN).mkdir()
    res = cli("test", "--all", "--update", repo=repo)
    assert res.exit_code == 2
    assert f"{GOLDEN}: is a directory" in res.output
    assert (repo / GOLDEN).is_dir()
    for s in ("dev", "prod/us"):  # written back to what the stacks render (what git has)
        assert "99" not in (repo / API / s / "golden.yaml").read_text()
    assert status(repo).splitlines() == [f" D {GOLDEN}"]  # git sees a directory where the file was
    assert staged_files(repo) == []


def test_test_update_keeps_the_golden_file_of_a_stack_that_fails(cli, repo):
    break_renderer(repo, 'stack.path.endswith("/dev")')
    for g in (repo / f"{API}/prod/us/golden.yaml", repo / f"{API}/dev/golden.yaml"):
        g.write_text(g.read_text().replace("replicas:", "replicas: 99 #"))
    git_commit(repo)
    res = cli("test", "--all", "--update", repo=repo)
    assert res.exit_code == 1
    assert status(repo).splitlines() == [f" M {API}/prod/us/golden.yaml"]  # not the failing dev stack's


def test_fmt_writes_each_file_through_the_writer(cli, repo):
    p = repo / f"{API}/defaults.yaml"
    p.write_text("image:   example/api:1.0.0\nlabels:\n    tier: on\n")
    bad = repo / f"{API}/prod/defaults.yaml"
    bad.write_text("replicas: [\n")  # cannot be read: never written
    git_commit(repo)
    res = cli("fmt", repo=repo)
    assert res.exit_code == 2 and f"{API}/prod/defaults.yaml" in res.output
    assert p.read_text() == "image: example/api:1.0.0\nlabels:\n  tier: 'on'\n"
    assert bad.read_text() == "replicas: [\n"
    assert status(repo).splitlines() == [f" M {API}/defaults.yaml"] and staged_files(repo) == []


def test_api_set_that_the_renderer_refuses_raises_and_writes_nothing(repo):
    from konfigctl import api

    break_renderer(repo)
    before = snapshot(repo)
    with pytest.raises(api.EditRefused) as info:
        api.set("acme/web/dev", ["image=example/web:boom"], repo=repo)
    assert [p.check for p in info.value.problems] == ["render"]
    assert info.value.problems[0].stack == DEV and not info.value.result.written
    assert snapshot(repo) == before
