"""Run a fixed list of konfig commands against a Konfig and diff two such runs.

    python benchmarks/compare_outputs.py prepare SRC DEST [--bench-changes]
    python benchmarks/compare_outputs.py run --konfig BEFORE/.venv/bin/konfig --repo DEST --out /tmp/before
    python benchmarks/compare_outputs.py run --konfig AFTER/.venv/bin/konfig --repo DEST --out /tmp/after
    python benchmarks/compare_outputs.py diff /tmp/before /tmp/after

For a refactoring that must not change behaviour: every user-visible output
(stdout, stderr, exit code, and the files a command writes outside the
Konfig) of two konfig executables on the same input, side by side.

``prepare`` copies the files committed at SRC's ``HEAD`` (this repository, or
a Konfig ``benchmarks/generate.py`` wrote) into a fresh git repository DEST on
branch ``main``, and commits a few changes any Konfig has room for, each on its
branch ``change/<name>`` (see ``CHANGES``); ``--bench-changes`` adds the named
changes of ``benchmarks/changes.py`` (generated Konfigs only). A linked work
tree ``DEST.wt`` holds an uncommitted edit and an untracked stack, for
``--uncommitted``. It writes ``DEST.compare.json``: the stack the per-stack
commands use and the change branches. Both runs then read the same
repository, so nothing but the executable differs.

``run`` runs ``COMMANDS`` (and ``affected``/``diff``/``review`` for every
change branch) with ``cwd`` DEST, and stores one JSON record per command in
OUT. The work tree's ``git status`` after the run is recorded too (but for
``.konfig-cache/``, which any command may fill): a command that should write
nothing and did shows there.

``diff`` compares two OUT directories after masking what legitimately varies
from run to run (durations); exit 1 if anything else differs.

konfig is only run through its command line: nothing here imports its package.
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Fixed identities and dates: the same SRC prepares the same commits.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Konfig Compare", "GIT_AUTHOR_EMAIL": "compare@example.com",
    "GIT_COMMITTER_NAME": "Konfig Compare", "GIT_COMMITTER_EMAIL": "compare@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}
# konfig's own environment: no colour, a fixed width, no repository from outside.
RUN_ENV = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "100", "CI": "", "GITHUB_ACTIONS": "",
           "GITLAB_CI": ""}


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(root), "-c", "commit.gpgsign=false", *args],
                          capture_output=True, text=True, env={**os.environ, **GIT_ENV})
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.strip()[-1000:]}")
    return proc.stdout


# -- prepare --------------------------------------------------------------------------

_INT_LINE = re.compile(r"^(\s*[A-Za-z_][\w-]*: )(\d+)(\s*(#.*)?)$", re.M)


def _bump_first_int(path: Path) -> bool:
    """Add one to the first ``key: <integer>`` line of ``path``; whether there was one."""
    text = path.read_text()
    m = _INT_LINE.search(text)
    if not m:
        return False
    path.write_text(text[:m.start(2)] + str(int(m.group(2)) + 1) + text[m.end(2):])
    return True


def _stack_dirs(root: Path) -> list[str]:
    return sorted(str(p.parent.relative_to(root))
                  for p in root.glob("konfig/**/stack.yaml") if "base" not in p.parts[:2])


def _change_stack_value(root: Path) -> list[str]:
    for d in _stack_dirs(root):
        if _bump_first_int(root / d / "stack.yaml"):
            return [f"{d}/stack.yaml"]
    raise RuntimeError("no stack.yaml with an integer value")


def _change_model_default(root: Path) -> list[str]:
    for p in sorted(root.glob("konfig/base/models/*/defaults.yaml")):
        if _bump_first_int(p):
            return [str(p.relative_to(root))]
    raise RuntimeError("no model defaults.yaml with an integer value")


def _change_global_comment(root: Path) -> list[str]:
    p = root / "konfig/base/teams.yaml"
    p.write_text(p.read_text() + "# a comment (compare_outputs)\n")
    return [str(p.relative_to(root))]


def _change_stack_renamed(root: Path) -> list[str]:
    d = _stack_dirs(root)[-1]
    git(root, "mv", d, d + "-moved")
    return [d, d + "-moved"]


def _change_stack_added(root: Path) -> list[str]:
    d = _stack_dirs(root)[0]
    shutil.copytree(root / d, root / (d + "-copy"))
    return [d + "-copy"]


# name -> edit of the work tree (returns the paths it touched)
CHANGES: dict[str, Callable[[Path], list[str]]] = {
    "stack-int": _change_stack_value,
    "model-int-default": _change_model_default,
    "global-comment": _change_global_comment,
    "stack-renamed": _change_stack_renamed,
    "stack-added": _change_stack_added,
}


def prepare(src: Path, dest: Path, bench_changes: bool = False) -> dict[str, Any]:
    src, dest = src.resolve(), dest.resolve()
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(src), "archive", "--format=tar", "HEAD"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "the Konfig under comparison")
    branches = []
    for name, edit in CHANGES.items():
        git(dest, "checkout", "-q", "-b", f"change/{name}", "main")
        edit(dest)
        git(dest, "add", "-A")
        git(dest, "commit", "-q", "-m", f"change {name}")
        branches.append(f"change/{name}")
    git(dest, "checkout", "-q", "main")
    if bench_changes:
        from benchmarks import changes

        for name in changes.CHANGES:
            branches.append(changes.apply_change(dest, name)["branch"])
    wt = dest.with_name(dest.name + ".wt")
    git(dest, "worktree", "add", "-q", "-b", "compare/uncommitted", str(wt), "change/stack-int")
    _change_model_default(wt)  # unstaged
    _change_stack_added(wt)  # untracked
    manifest = {"stack": _stack_dirs(dest)[0], "branches": branches, "worktree": str(wt)}
    dest.with_name(dest.name + ".compare.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


# -- run ------------------------------------------------------------------------------


def commands(manifest: dict[str, Any], outside: Path) -> list[tuple[str, list[str], str | None]]:
    """(name, argv, the file or directory outside the Konfig it writes, if any)."""
    s = manifest["stack"]
    some_path = "konfig/base/teams.yaml"
    cmds: list[tuple[str, list[str], str | None]] = [
        ("version", ["--version"], None),
        ("list-stacks", ["list", "stacks", "--format", "json"], None),
        ("list-stacks-long", ["list", "stacks", "-L"], None),
        ("list-stacks-prod", ["list", "stacks", "-l", "env=prod"], None),
        ("list-projects", ["list", "projects", "--format", "json"], None),
        ("list-models", ["list", "models", "--format", "json"], None),
        ("list-policies", ["list", "policies", "--format", "json"], None),
        ("resolve", ["resolve", s], None),
        ("resolve-json", ["resolve", s, "--format", "json"], None),
        ("resolve-override", ["resolve", s, "-O", "compare.extra=1", "--format", "json"], None),
        ("resolve-unknown-stack", ["resolve", "no/such/stack"], None),
        ("explain", ["explain", s], None),
        ("explain-json", ["explain", s, "--format", "json"], None),
        ("validate-all", ["validate", "--all"], None),
        ("validate-all-json", ["validate", "--all", "--format", "json"], None),
        ("validate-all-j1", ["validate", "--all", "-j", "1", "--format", "json"], None),
        ("test-all", ["test", "--all", "--no-cache"], None),
        ("test-all-json", ["test", "--all", "--no-cache", "--format", "json",
                           "--junit", str(outside / "test-all-json" / "junit.xml")], "test-all-json"),
        ("test-shard", ["test", "--all", "--no-cache", "--shard", "1/2", "--format", "json"], None),
        ("render", ["render", s], None),
        ("render-json", ["render", s, "--format", "json"], None),
        ("render-all-out", ["render", "--all", "--out", str(outside / "render-all-out")],
         "render-all-out"),
        ("owners-map", ["owners"], None),
        ("owners-path", ["owners", some_path], None),
        ("owners-check", ["owners", "check"], None),
        ("owners-check-json", ["owners", "check", "--format", "json"], None),
        ("codeowners-stdout", ["owners", "codeowners", "--stdout"], None),
        ("codeowners-check", ["owners", "codeowners", "--check"], None),
        ("pipeline-emit-check", ["pipeline", "emit", "--check"], None),
        ("pipeline-emit-check-json", ["pipeline", "emit", "--check", "--format", "json"], None),
        ("docs-check", ["docs", "--check"], None),
        ("docs-check-json", ["docs", "--check", "--format", "json"], None),
        ("fmt-check", ["fmt", "--check"], None),
        ("fmt-check-json", ["fmt", "--check", "--format", "json"], None),
    ]
    for b in manifest["branches"]:
        n = b.replace("/", "-")
        change = ["--base", "main", "--head", b]
        cmds += [
            (f"affected-{n}", ["affected", *change, "--why"], None),
            (f"affected-{n}-json", ["affected", *change, "--why", "--format", "json"], None),
            (f"affected-{n}-github", ["affected", *change, "--format", "github-matrix"], None),
            (f"affected-{n}-gitlab", ["affected", *change, "--format", "gitlab"], None),
            (f"diff-{n}", ["diff", *change], None),
            (f"diff-{n}-json", ["diff", *change, "--format", "json"], None),
            (f"diff-{n}-markdown", ["diff", *change, "--format", "markdown"], None),
            (f"review-{n}", ["review", *change, "--author", "alice", "--approved-by", "jon"], None),
            (f"review-{n}-json", ["review", *change, "--author", "alice", "--approved-by",
                                  "jon,kemal", "--format", "json"], None),
        ]
    wt = ["-C", manifest["worktree"]]
    cmds += [
        ("uncommitted-affected-json",
         [*wt, "affected", "--base", "main", "--uncommitted", "--why", "--format", "json"], None),
        ("uncommitted-diff-json",
         [*wt, "diff", "--base", "main", "--uncommitted", "--format", "json"], None),
        ("uncommitted-validate-affected", [*wt, "validate", "--affected", "main"], None),
        ("uncommitted-test-affected-json",
         [*wt, "test", "--affected", "main", "--no-cache", "--format", "json"], None),
    ]
    return cmds


def _tree(path: Path) -> dict[str, str]:
    if path.is_file():
        path = path.parent
    if not path.exists():
        return {}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def run(konfig: str, repo: Path, out: Path, only: str | None = None) -> int:
    repo = repo.resolve()
    manifest = json.loads(repo.with_name(repo.name + ".compare.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    # What the commands write outside the Konfig: one fixed place for both runs, so
    # that paths printed in the outputs are the same.
    outside = repo.with_name(repo.name + ".written")
    shutil.rmtree(outside, ignore_errors=True)
    for d in (repo, Path(manifest["worktree"])):
        shutil.rmtree(d / ".konfig-cache", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KONFIG_")}
    env.update(RUN_ENV)
    for name, argv, writes in commands(manifest, outside):
        if only and not re.search(only, name):
            continue
        if writes:
            (outside / writes).mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([konfig, *argv], cwd=repo, env=env, capture_output=True, text=True)
        record: dict[str, Any] = {"argv": argv, "exit": proc.returncode,
                                  "stdout": proc.stdout, "stderr": proc.stderr}
        if writes:
            record["files"] = _tree(outside / writes)
            shutil.copytree(outside / writes, out / f"{name}.files", dirs_exist_ok=True)
        (out / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    # konfig's cache directory may be written by any command (listings, fmt's cache),
    # and whether it is depends on the clock (a listing is kept once 2 s old): not compared
    status = "".join(line + "\n" for line in git(
        repo, "status", "--porcelain", "--ignored", "--untracked-files=all").splitlines()
        if not line[3:].startswith(".konfig-cache/"))
    (out / "zz-git-status.json").write_text(json.dumps(
        {"argv": ["git", "status"], "exit": 0, "stdout": status, "stderr": ""}, indent=1) + "\n")
    return 0


# -- diff -----------------------------------------------------------------------------

# What varies from run to run of the same executable: durations ("1.23s", "45 ms"),
# JUnit's time attributes.
_MASKS = [
    (re.compile(r'\btime="[0-9.]+"'), 'time="<t>"'),
    (re.compile(r'\btimestamp="[^"]*"'), 'timestamp="<t>"'),
    (re.compile(r"\b\d+(\.\d+)?\s?(ms|s)\b"), "<duration>"),
    (re.compile(r'"(seconds|duration|elapsed|wall)": [0-9.e-]+'), r'"\1": <t>'),
]


def _mask(text: str) -> str:
    for rx, repl in _MASKS:
        text = rx.sub(repl, text)
    return text


def diff(a: Path, b: Path, context: int = 3, max_lines: int = 60) -> int:
    names = sorted({p.name for p in a.glob("*.json")} | {p.name for p in b.glob("*.json")})
    differing = 0
    for n in names:
        ra = json.loads((a / n).read_text()) if (a / n).exists() else None
        rb = json.loads((b / n).read_text()) if (b / n).exists() else None
        if ra is None or rb is None:
            print(f"{n}: only in {a if rb is None else b}")
            differing += 1
            continue
        lines: list[str] = []
        if ra["exit"] != rb["exit"]:
            lines.append(f"  exit {ra['exit']} -> {rb['exit']}")
        for field in ("stdout", "stderr"):
            xa, xb = _mask(ra[field]), _mask(rb[field])
            if xa != xb:
                d = list(difflib.unified_diff(xa.splitlines(), xb.splitlines(), f"a/{field}",
                                              f"b/{field}", n=context, lineterm=""))
                lines += ["  " + x for x in d[:max_lines]]
                if len(d) > max_lines:
                    lines.append(f"  ... {len(d) - max_lines} more lines")
        fa, fb = ra.get("files", {}), rb.get("files", {})
        for f in sorted(set(fa) | set(fb)):
            if fa.get(f) != fb.get(f):
                stem = n[:-len(".json")]
                pa, pb = a / f"{stem}.files" / f, b / f"{stem}.files" / f
                if pa.exists() and pb.exists():
                    xa, xb = _mask(pa.read_text()), _mask(pb.read_text())
                    if xa == xb:
                        continue
                lines.append(f"  file {f}: {'differs' if f in fa and f in fb else 'only in one'}")
        if lines:
            differing += 1
            print(f"{n} ({' '.join(ra['argv'])}):")
            print("\n".join(lines))
    print(f"{len(names)} commands compared, {differing} differ")
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("prepare", help="copy a Konfig into a fresh repository with change branches")
    p.add_argument("src", type=Path, help="a git repository holding a Konfig (its HEAD is copied)")
    p.add_argument("dest", type=Path, help="directory to create (must be empty)")
    p.add_argument("--bench-changes", action="store_true",
                   help="also the named changes of benchmarks/changes.py (generated Konfigs)")
    r = sub.add_parser("run", help="run the commands with one konfig executable")
    r.add_argument("--konfig", required=True, help="the konfig executable")
    r.add_argument("--repo", type=Path, required=True, help="a Konfig `prepare` wrote")
    r.add_argument("--out", type=Path, required=True, help="where the records go")
    r.add_argument("--only", metavar="REGEX", help="only the commands whose name matches")
    d = sub.add_parser("diff", help="compare two runs; exit 1 if they differ")
    d.add_argument("a", type=Path)
    d.add_argument("b", type=Path)
    args = ap.parse_args(argv)
    if args.what == "prepare":
        print(json.dumps(prepare(args.src, args.dest, args.bench_changes), indent=2))
        return 0
    if args.what == "run":
        return run(args.konfig, args.repo, args.out, args.only)
    return diff(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
