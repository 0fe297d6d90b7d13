"""A renderer cannot take the run down: ``render.timeout`` and what renderers print (issue 12).

Every command that renders is run on the ``mini`` Konfig whose renderer hangs
(or prints) for some stacks; the limit is 0.5 s so the tests stay fast. The
hangs come in two kinds: Python code (the timer interrupts it, the message has
the renderer's line) and C code that never looks at signals
(``any(itertools.repeat(0))``: only killing its process stops it).
"""
from __future__ import annotations

import io
import json
import re
import threading
import time
from pathlib import Path

import pytest
import yaml
from konfigctl.check import parallel
from konfigctl.render import runner
from konfigctl.render.renderer import RenderError, RenderTimeout, render_stack
from konfigctl.repo.repository import Repository

from tests.conftest import commit_all, git_init
from tests.konfig_repos import APP

RENDER = "konfig/base/models/app/render.py"
LIMIT = 0.5
DEV = "konfig/appops/acme/api/dev"
WEB_DEV = "konfig/appops/acme/web/dev"
ALL = sorted(APP)  # the stacks of the mini Konfig

LOOP = "while True:\n    pass"  # Python: the timer stops it
C_LOOP = "any(itertools.repeat(0))"  # C that ignores signals: its process is killed
SWALLOW = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass"
BACKTRACK = "re.match(r'(a+)+$', 'a' * 64 + 'b')"  # C that checks for signals (sre)
BIG_POW = "10 ** 10 ** 8"  # big-integer arithmetic: checks for signals too


def limited(root: Path, seconds: float = LIMIT) -> Path:
    with open(root / "konfig.yaml", "a") as f:
        f.write(f"render:\n  timeout: {seconds}\n")
    return root


def behave(root: Path, cases: dict[str, str]) -> None:
    """The app model's renderer runs ``cases[stack.path]`` first (then renders as before)."""
    p = root / RENDER
    src = p.read_text().replace("def render(config, stack):", "def _render(config, stack):")
    body = "".join(f"    if stack.path == {path!r}:\n" + "".join(f"        {line}\n" for line in code.splitlines())
                   for path, code in cases.items())
    p.write_text(src + "\n\nimport itertools\nimport re\n\n\ndef render(config, stack):\n" + body
                 + "    return _render(config, stack)\n")


def renders(cli, root: Path, *args: str) -> dict[str, dict]:
    """``konfig test ARGS --format json``: stack -> its render check."""
    res = cli("test", *args, "--no-cache", "--format", "json", repo=root)
    data = json.loads(res.stdout)
    return {r["stack"]: next(c for c in r["checks"] if c["name"] == "render") for r in data["results"]}


@pytest.fixture
def pool(monkeypatch):
    """The worker pool (and its watchdog) on the small Konfig, as on a large one."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 2)


# -- the limit -----------------------------------------------------------------------------------

@pytest.mark.parametrize("code, line", [(LOOP, True), (C_LOOP, False), (SWALLOW, None),
                                        (BACKTRACK, True), (BIG_POW, True)],
                         ids=["loop", "c-loop", "swallowed", "regex", "big-pow"])
def test_a_renderer_past_the_limit_fails_its_stack_and_the_others_are_checked(cli, mini, code, line):
    limited(mini)
    behave(mini, {DEV: code})
    started = time.monotonic()
    res = cli("test", "--all", "--no-cache", repo=mini)
    assert time.monotonic() - started < 10
    assert res.exit_code == 1, res.output
    (failed,) = [ln for ln in res.stdout.splitlines() if ln.startswith("FAILED")]
    assert failed.startswith(f"FAILED {DEV}: render (model app): {RENDER}")
    assert failed.endswith(f"renderer ran past the time limit of {LIMIT:g} s (render.timeout)")
    if line is not None:  # the timer interrupted it: where it was; killed: the file only
        assert (f"{RENDER}: renderer" not in failed) is line
    assert "1 of 6 stacks failed (1 render)" in res.stderr, res.stderr


@pytest.mark.parametrize("jobs", ["2", "1"])
@pytest.mark.parametrize("code", [LOOP, C_LOOP], ids=["loop", "c-loop"])
def test_the_pool_reports_the_stack_that_hangs_and_checks_the_others(cli, mini, pool, code, jobs):
    limited(mini)
    many = [f"konfig/appops/acme/api/s{i:02}" for i in range(24)]
    for p in many:
        (mini / p).mkdir(parents=True)
        (mini / p / "stack.yaml").write_text("env: dev\nconfig: {}\n")
    # chunks of 3 (2 jobs) or 7 (1 job): one in the middle of its chunk, one at an end of it;
    # the stacks of the chunk a killed worker had not answered for are rerun
    hung = {many[10], many[15]}
    behave(mini, {p: code for p in hung})
    started = time.monotonic()
    checks = renders(cli, mini, "--all", "--jobs", jobs)
    assert time.monotonic() - started < 20
    assert {p for p, c in checks.items() if c["status"] == "failed"} == hung
    for p in hung:
        message = checks[p]["message"]
        assert message.endswith(f"{RENDER}: renderer ran past the time limit of 0.5 s (render.timeout)") \
            is (code == C_LOOP), message  # killed: no line; interrupted: its line
        assert message.startswith(RENDER) and message.endswith("past the time limit of 0.5 s (render.timeout)")
    assert all(c["status"] == "passed" for p, c in checks.items() if p not in hung)
    assert len(checks) == len(ALL) + len(many)


def test_a_module_that_loops_when_it_loads_fails_each_stack_of_its_model(cli, mini):
    limited(mini)
    p = mini / RENDER
    p.write_text(p.read_text() + "\nwhile True:\n    pass\n")
    checks = renders(cli, mini, "acme/api/dev", "acme/web/dev")
    assert [c["status"] for c in checks.values()] == ["failed", "failed"]
    assert all("past the time limit of 0.5 s" in c["message"] for c in checks.values())


def test_a_library_that_loops_fails_the_stack_at_its_line(cli, mini, write):
    limited(mini)
    write(mini, "konfig/base/lib/slow.py", "def spin():\n    while True:\n        pass\n")
    behave(mini, {DEV: "from konfiglib import slow\nslow.spin()"})
    res = cli("render", DEV, repo=mini)
    assert res.exit_code == 1 and res.stdout == ""
    assert re.fullmatch(f"konfig: error: {DEV}: render \\(model app\\): konfig/base/lib/slow.py:[23]: "
                        r"renderer ran past the time limit of 0\.5 s \(render\.timeout\)\n", res.stderr), res.stderr


def test_timeouts_are_not_cached(cli, mini):
    limited(mini)
    behave(mini, {DEV: LOOP})
    for _ in range(2):
        res = cli("test", "--all", "--format", "json", repo=mini)
        results = {r["stack"]: r for r in json.loads(res.stdout)["results"]}
        assert results[DEV]["cached"] is False and not results[DEV]["ok"]
    assert results[WEB_DEV]["cached"] is True


def test_the_default_limit_is_ten_seconds_and_the_setting_is_checked(cli, mini):
    repo = Repository(str(mini))
    assert runner.limit_of(repo) == 10
    for bad, message in [("0", "0 is less than or equal to the minimum of 0"), ("'5'", "'5' is not of type 'number'"),
                         ("true", "True is not of type 'number'")]:
        (mini / "konfig.yaml").write_text((mini / "konfig.yaml").read_text().split("render:")[0]
                                          + f"render:\n  timeout: {bad}\n")
        res = cli("test", "--all", repo=mini)
        assert res.exit_code == 2, res.output
        assert res.stderr.startswith("konfig: error: konfig.yaml:"), res.stderr
        assert "render.timeout" in res.stderr
    (mini / "konfig.yaml").write_text((mini / "konfig.yaml").read_text().split("render:")[0]
                                      + "render:\n  time_out: 5\n")
    assert cli("validate", "--all", repo=mini).exit_code == 2


# -- every command that renders -----------------------------------------------------------------

@pytest.mark.parametrize("code", [LOOP, C_LOOP], ids=["loop", "c-loop"])
def test_render_one_all_and_out(cli, mini, tmp_path, code):
    limited(mini)
    behave(mini, {DEV: code})
    one = cli("render", DEV, repo=mini)
    assert one.exit_code == 1 and one.stdout == ""
    assert one.stderr.startswith(f"konfig: error: {DEV}: render (model app): {RENDER}")
    assert "past the time limit of 0.5 s (render.timeout)" in one.stderr

    every = cli("render", "--all", repo=mini)
    assert every.exit_code == 1
    sources = [ln.split()[2] for ln in every.stdout.splitlines() if ln.startswith("# Source:")]
    assert sources == [p for p in ALL if p != DEV]
    assert len(list(yaml.safe_load_all(every.stdout))) == len(ALL) - 1

    out = tmp_path / "out"
    tree = cli("render", "--all", "--out", str(out), repo=mini)
    assert tree.exit_code == 1 and "past the time limit" in tree.stderr
    assert not (out / DEV).exists() and (out / WEB_DEV).is_dir()

    overridden = cli("render", DEV, "-O", "replicas=2", repo=mini)
    assert overridden.exit_code == 1 and "past the time limit of 0.5 s" in overridden.stderr
    assert f"[stack {DEV}]" in overridden.stderr


TIMED_OUT = f"{RENDER}: renderer ran past the time limit of 0.5 s (render.timeout)"


def like_a_raise(text: str) -> str:
    """Output with the failure's message made the same: a timeout must fail like a raise."""
    return re.sub(rf"{re.escape(RENDER)}(:\d+)?: renderer (ran past the time limit of 0\.5 s "
                  r"\(render\.timeout\)|failed: boom)", "FAILURE", text)


def test_set_fails_a_golden_it_cannot_render_as_it_fails_one_whose_renderer_raises(cli, mini, tmp_path):
    import shutil

    runs = {}
    for name, code in [("raise", "raise ValueError('boom')"), ("loop", LOOP), ("c-loop", C_LOOP)]:
        root = shutil.copytree(mini, tmp_path / name)
        limited(root)
        behave(root, {DEV: code})
        runs[name] = cli("set", DEV, "replicas=2", repo=root)
        assert "Traceback" not in runs[name].output
    assert f"{DEV}: render: {TIMED_OUT}" in runs["c-loop"].stdout  # a problem line, on stdout
    for name in ("loop", "c-loop"):
        assert runs[name].exit_code == runs["raise"].exit_code
        assert like_a_raise(runs[name].output) == like_a_raise(runs["raise"].output)


@pytest.mark.parametrize("code", [LOOP, C_LOOP], ids=["loop", "c-loop"])
def test_new_fails_a_golden_it_cannot_render_as_it_fails_one_whose_renderer_raises(cli, mini, tmp_path, code):
    import shutil

    from tests.authoring.test_templates import add_template

    add_template(mini)
    limited(mini)
    runs = {}
    for name, c in [("raise", "raise ValueError('boom')"), ("hang", code)]:
        root = shutil.copytree(mini, tmp_path / name)
        behave(root, {"konfig/appops/acme/shop/dev": c})
        runs[name] = cli("new", "project", "konfig/appops/acme/shop", "--model", "app", "--owner", "web", repo=root)
        assert "Traceback" not in runs[name].output
    assert "konfig/appops/acme/shop/dev: render: " in runs["hang"].stdout  # a problem line, on stdout
    assert like_a_raise(runs["hang"].stdout) != runs["hang"].stdout  # the timeout line is there
    assert runs["hang"].exit_code == runs["raise"].exit_code
    assert like_a_raise(runs["hang"].output) == like_a_raise(runs["raise"].output)


def test_diff_reports_a_timeout_on_either_side(cli, mini):
    limited(mini)
    original = (mini / RENDER).read_text()
    behave(mini, {WEB_DEV: LOOP})
    g = git_init(mini)  # base: web/dev hangs
    g.git.checkout("-b", "change")
    (mini / RENDER).write_text(original)
    behave(mini, {DEV: C_LOOP})  # head: api/dev hangs, web/dev renders
    commit_all(g, "the renderer hangs for api/dev instead")
    res = cli("diff", "--base", "main", "--format", "json", repo=mini)
    assert res.exit_code == 0, res.output
    stacks = {s["path"]: s for s in json.loads(res.stdout)["stacks"]}
    web = " ".join(stacks[WEB_DEV]["errors"])
    assert "base: render: " in web and "past the time limit of 0.5 s (render.timeout)" in web
    api = " ".join(stacks[DEV]["errors"])
    assert "head: render: " in api and "past the time limit of 0.5 s (render.timeout)" in api
    assert all(not stacks[p]["errors"] for p in stacks if p not in (DEV, WEB_DEV))


def test_init_renders_through_the_runner(cli, tmp_path):
    res = cli("init", str(tmp_path / "k"), "--no-git")
    assert res.exit_code == 0, res.output
    assert not any(ln.startswith("[") for ln in res.output.splitlines())


# -- what renderers print -----------------------------------------------------------------------

PRINTS = {DEV: "print('hello from', stack.name)\nprint('two', 'lines\\nof it')",
          WEB_DEV: "print('web says hi', end='')"}


def test_prints_go_to_stderr_prefixed_with_the_stack_and_json_stays_json(cli, mini):
    behave(mini, PRINTS)
    res = cli("render", DEV, "--format", "json", repo=mini)
    assert res.exit_code == 0
    assert json.loads(res.stdout)[0]["kind"] == "Deployment"
    assert res.stderr == f"[{DEV}] hello from dev\n[{DEV}] two lines\n[{DEV}] of it\n"

    every = cli("render", "--all", repo=mini)
    assert every.exit_code == 0
    assert len(list(yaml.safe_load_all(every.stdout))) == len(ALL)
    assert f"[{WEB_DEV}] web says hi\n" in every.stderr and "hello" not in every.stdout

    as_json = cli("render", "--all", "--format", "json", repo=mini)
    assert sorted(json.loads(as_json.stdout)) == ALL


@pytest.mark.usefixtures("pool")
def test_prints_of_forked_workers_come_back_with_their_results(cli, mini):
    behave(mini, PRINTS)
    res = cli("test", "--all", "--no-cache", "--format", "json", repo=mini)
    assert json.loads(res.stdout)["stacks"] == len(ALL)
    assert f"[{DEV}] hello from dev\n[{DEV}] two lines\n[{DEV}] of it\n" in res.stderr
    assert f"[{WEB_DEV}] web says hi\n" in res.stderr
    every = cli("render", "--all", repo=mini)
    assert len(list(yaml.safe_load_all(every.stdout))) == len(ALL) and "web says hi" in every.stderr


def test_a_library_prints_at_import_and_in_its_functions(cli, mini, write):
    write(mini, "konfig/base/lib/chatty.py", "print('loading chatty')\n\n\ndef hello():\n    print('hi')\n")
    behave(mini, {DEV: "from konfiglib import chatty\nchatty.hello()"})
    res = cli("render", DEV, repo=mini)
    assert res.exit_code == 0 and yaml.safe_load(res.stdout)["kind"] == "Deployment"
    assert res.stderr == f"[{DEV}] loading chatty\n[{DEV}] hi\n"


@pytest.mark.parametrize("in_pool", [False, True], ids=["helper", "pool"])
@pytest.mark.parametrize("code", [LOOP, C_LOOP], ids=["loop", "c-loop"])
def test_output_of_a_stack_that_timed_out_is_kept_and_large_output_is_cut(cli, mini, monkeypatch, code, in_pool):
    if in_pool:
        monkeypatch.setattr(parallel, "MIN_PARALLEL", 2)
    limited(mini)
    behave(mini, {DEV: "print('starting', stack.name)\n" + code,
                  WEB_DEV: "for i in range(10 ** 5):\n    print(i)"})
    res = cli("test", DEV, WEB_DEV, "--no-cache", repo=mini)
    assert res.exit_code == 1 and "past the time limit" in res.stdout
    assert f"[{DEV}] starting dev\n" in res.stderr
    web = [ln for ln in res.stderr.splitlines() if ln.startswith(f"[{WEB_DEV}]")]
    assert web[0] == f"[{WEB_DEV}] 0" and web[-1].endswith("more characters not shown)")
    assert len(web) == runner.LINES_LIMIT + 1


# -- the library API ----------------------------------------------------------------------------

def test_render_stack_raises_a_render_timeout(mini):
    limited(mini)
    behave(mini, {DEV: C_LOOP})
    repo = Repository(str(mini))
    with pytest.raises(RenderTimeout) as e:
        render_stack(repo, repo.stack_at(DEV))
    assert isinstance(e.value, RenderError) and e.value.exit_code == 1
    assert str(e.value) == (f"{RENDER}: renderer ran past the time limit of 0.5 s (render.timeout) "
                            f"(model app) [stack {DEV}]")
    assert render_stack(repo, repo.stack_at(WEB_DEV))[0]["kind"] == "Deployment"  # a new helper


def test_the_limit_holds_off_the_main_thread(mini):
    limited(mini)
    behave(mini, {DEV: LOOP})
    repo = Repository(str(mini))
    got: list[BaseException] = []

    def work() -> None:
        try:
            render_stack(repo, repo.stack_at(DEV))
        except BaseException as e:  # noqa: BLE001
            got.append(e)

    t = threading.Thread(target=work)
    t.start()
    t.join(10)
    assert not t.is_alive() and isinstance(got[0], RenderTimeout)


def test_the_callers_alarm_and_timer_are_left_as_they_were(mini):
    import signal

    limited(mini)
    behave(mini, {DEV: LOOP})
    repo = Repository(str(mini))
    renderer = __import__("konfigctl.render.renderer", fromlist=["load_renderer"]).load_renderer(repo, "app")
    from konfigctl.resolve.merge import resolve

    stack = repo.stack_at(DEV)
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 5)
        outcome = runner.attempt(renderer, resolve(repo, stack).config, stack.info(), DEV, LIMIT)
        assert outcome[0] == "timeout" and outcome[1] is not None
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 3.5 < left <= 5 - LIMIT
        assert fired == []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_renderer_that_raises_system_exit_fails_only_its_stack(cli, mini):
    behave(mini, {DEV: "raise SystemExit(3)"})
    checks = renders(cli, mini, "acme/api/dev", "acme/web/dev")
    assert checks[DEV]["status"] == "failed" and "SystemExit: 3" in checks[DEV]["message"]
    assert checks[WEB_DEV]["status"] == "passed"


def test_resources_of_types_from_the_renderers_module_come_back_as_plain_data(cli, mini):
    behave(mini, {DEV: "import enum\nclass Tier(str, enum.Enum):\n    GOLD = 'gold'\n"
                       "res = _render(config, stack)\nres[0]['metadata']['labels']['tier'] = Tier.GOLD\n"
                       "return res"})
    res = cli("render", DEV, "--format", "json", repo=mini)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)[0]["metadata"]["labels"]["tier"] == "gold"


def test_a_helper_that_died_between_renders_is_replaced(mini):
    import os
    import signal

    repo = Repository(str(mini))
    render_stack(repo, repo.stack_at(DEV))
    os.kill(runner._helper.pid, signal.SIGKILL)
    time.sleep(0.05)
    assert render_stack(repo, repo.stack_at(WEB_DEV))[0]["kind"] == "Deployment"


# -- which stack is slow, on a terminal ----------------------------------------------------------

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("display", ["line", "bar", "bar-pool"])
def test_a_terminal_names_the_slow_stack(mini, monkeypatch, display):
    """One stack: a transient line; a long run: its progress bar (the helper or the pool's parent
    reports the slow render)."""
    from konfigctl.check import stack_test as testing
    from konfigctl.output import Output

    for var in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "NO_COLOR", "TERM"):
        monkeypatch.delenv(var, raising=False)
    if display == "bar-pool":
        monkeypatch.setattr(parallel, "MIN_PARALLEL", 2)
    limited(mini, 1)
    behave(mini, {DEV: LOOP})
    repo = Repository(str(mini))
    err = Terminal()
    out = Output(out=io.StringIO(), err=err)
    stacks = [repo.stack_at(p) for p in ([DEV] if display == "line" else [DEV, WEB_DEV])]
    # a bar needs 20 stacks or more: the display is told it has 25
    progress = out.progress if display == "line" else (lambda total, label: out.progress(25, label))
    results, _ = testing.run(repo, stacks, use_cache=False, progress=progress)
    assert "past the time limit of 1 s" in results[0].check("render").message
    shown = err.getvalue()
    assert f"still rendering {DEV} (" in shown
    assert ("testing · still rendering" in shown) is (display != "line")


def test_ci_logs_and_pipes_do_not_name_slow_stacks(cli, mini, monkeypatch):
    from konfigctl.check import stack_test as testing
    from konfigctl.output import Output

    monkeypatch.setenv("CI", "true")
    limited(mini, 1)
    behave(mini, {DEV: LOOP})
    repo = Repository(str(mini))
    err = Terminal()
    testing.run(repo, [repo.stack_at(DEV)], use_cache=False, progress=Output(out=io.StringIO(), err=err).progress)
    assert err.getvalue() == ""
    res = cli("render", DEV, repo=mini)  # not a terminal
    assert "still rendering" not in res.output


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="Linux /proc")
def test_killing_konfig_ends_the_process_that_renders(mini):
    import os
    import signal
    import subprocess
    import sys

    limited(mini, 60)
    behave(mini, {DEV: C_LOOP})
    proc = subprocess.Popen([sys.executable, "-m", "konfigctl", "--repo", str(mini), "render", DEV],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 20
    while not children.read_text().split() and time.monotonic() < deadline:
        time.sleep(0.05)
    (helper,) = map(int, children.read_text().split())
    while int(Path(f"/proc/{helper}/stat").read_text().rsplit(")", 1)[1].split()[11]) < 10:  # utime, ticks
        time.sleep(0.05)  # until it is stuck in the renderer, not waiting for work
        assert time.monotonic() < deadline
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{helper}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
        try:  # reaped by init once it is gone; a zombie counts as gone
            if Path(f"/proc/{helper}/stat").read_text().split()[2] == "Z":
                break
        except OSError:
            break
    assert not Path(f"/proc/{helper}").exists() or Path(f"/proc/{helper}/stat").read_text().split()[2] == "Z"


def test_what_a_killed_render_printed_is_cut_as_any_output(cli, mini):
    limited(mini)
    behave(mini, {DEV: "for i in range(3000):\n    print('line', i)\n" + C_LOOP})
    res = cli("render", DEV, repo=mini)
    shown = [ln for ln in res.stderr.splitlines() if ln.startswith(f"[{DEV}] ")]
    assert shown[0] == f"[{DEV}] line 0" and len(shown) == runner.LINES_LIMIT + 1
    assert shown[-1].endswith("more characters not shown)")
    assert "past the time limit of 0.5 s" in res.stderr
