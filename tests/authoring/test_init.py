"""init.py: the skeleton a new Konfig starts from."""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from konfigctl import __version__
from konfigctl.authoring import init
from konfigctl.yamlio import load

from tests.ci_tools import konfig_source, pip_into, sh, venv


def test_skeleton_renders_init_files_and_keeps_template_placeholders():
    files = init.skeleton_files("acme")
    assert ".gitignore" in files and ".pre-commit-config.yaml" in files
    assert not any(rel.endswith(".init") or "/dot-" in rel or rel.startswith("dot-") for rel in files)
    assert b"name: acme\n" in files["konfig.yaml"]
    assert files["konfig.yaml"].startswith(b"# yaml-language-server: $schema=docs/schemas/konfig.schema.json\n")
    # the template's own placeholders are for `konfig new`, not for init
    assert b"${project}" in files["konfig/base/templates/webapp/project.yaml.tmpl"]


def test_repo_name_from_directory():
    assert init.repo_name("/x/My Konfig") == "my-konfig"
    assert init.repo_name("/x/___") == "konfig"


# -- pipelines.install from how konfig was installed, for real ------------------------------------

def init_with(py: Path, target: Path, *extra: str) -> tuple[dict, str]:
    """``konfig init`` run by the konfig installed in ``py``'s venv: its konfig.yaml and output."""
    proc = subprocess.run([str(py.parent / "konfig"), "init", str(target), "--no-git", *extra],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    settings = load((target / "konfig.yaml").read_text(), "konfig.yaml").data
    return settings.get("pipelines") or {}, proc.stderr


def install_lines(target: Path) -> list[str]:
    """Every install line of every emitted job (GitHub steps, GitLab before_script)."""
    lines = []
    for f in sorted(target.glob(".github/workflows/*.yml")):
        for job in load(f.read_text(), str(f)).data["jobs"].values():
            lines += [s["run"] for s in job["steps"] if s.get("name") == "Install konfig"]
    gl = target / "pipelines" / "gitlab" / "konfig.gitlab-ci.yml"
    if gl.exists():
        lines += load(gl.read_text(), str(gl)).data["default"]["before_script"]
    return lines


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, object]:
    """konfigctl's source as a git repository, and a wheel of it."""
    tmp = tmp_path_factory.mktemp("konfig-build")
    src, commit = konfig_source(tmp)
    dist = tmp / "dist"
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(src))
    (wheel,) = dist.glob("konfigctl-*.whl")
    return {"src": src, "commit": commit, "dist": dist, "wheel": wheel}


@pytest.mark.slow
def test_installed_from_a_git_url_init_pins_that_commit_and_every_job_installs_it(built, tmp_path):
    py = venv(tmp_path / "venv")
    url = f"git+{built['src'].as_uri()}"
    pip_into(py, f"konfigctl @ {url}@{built['commit']}")
    conf, err = init_with(py, tmp_path / "k", "--ci", "gitlab")
    want = f"konfigctl @ {url}@{built['commit']}"
    assert conf["install"] == want
    # a file: URL is this machine's: said in one line naming the setting
    assert err.count("pipelines.install") == 1 and "a repository on this machine" in err
    lines = install_lines(tmp_path / "k")
    assert lines == [f"python -m pip install --disable-pip-version-check {shlex.quote(want)}"]
    # and that line installs konfig: run it as the job would, in a new venv
    job_py = venv(tmp_path / "job")
    sh("bash", "-eo", "pipefail", "-c", lines[0], env={"PATH": f"{job_py.parent}:{os.environ['PATH']}"})
    out = sh(str(job_py.parent / "konfig"), "--version")
    assert __version__ in out


@pytest.mark.slow
def test_installed_from_an_index_init_pins_the_version(built, tmp_path):
    py = venv(tmp_path / "venv")
    # a package index of one wheel: pip writes no direct_url.json, as for any index install
    pip_into(py, "--find-links", str(built["dist"]), f"konfigctl=={__version__}")
    conf, err = init_with(py, tmp_path / "k")
    assert conf["install"] == f"konfigctl=={__version__}"
    assert "pipelines.install" not in err
    lines = install_lines(tmp_path / "k")
    assert len(lines) == 7  # detect, test, diff, owners, fmt, drift; the review workflow's job
    assert set(lines) == {f"python -m pip install --disable-pip-version-check konfigctl=={__version__}"}


@pytest.mark.slow
@pytest.mark.parametrize("how", ["wheel file", "directory", "editable directory"])
def test_installed_from_a_local_file_or_directory_init_sets_nothing_and_says_so(built, tmp_path, how):
    py = venv(tmp_path / "venv")
    arg = {"wheel file": [str(built["wheel"])], "directory": ["--no-build-isolation", str(built["src"])],
           "editable directory": ["--no-build-isolation", "-e", str(built["src"])]}[how]
    pip_into(py, *arg)
    conf, err = init_with(py, tmp_path / "k")
    assert "install" not in conf  # no package name nobody configured
    text = (tmp_path / "k" / "konfig.yaml").read_text()
    assert '#   install: "konfigctl @ git+https://HOST/REPO.git@COMMIT"' in text
    warnings = [line for line in err.splitlines() if "pipelines.install" in line]
    assert len(warnings) == 1 and "CI cannot install from" in warnings[0], err
    # the jobs stop at "Install konfig" saying what to set, and install nothing
    for line in install_lines(tmp_path / "k"):
        assert "pip install" not in line
        proc = subprocess.run(["bash", "-eo", "pipefail", "-c", line], capture_output=True, text=True)
        assert proc.returncode == 1 and "konfig.yaml pipelines.install is not set" in proc.stderr


@pytest.mark.parametrize("direct_url, requirement, local", [
    (None, f"konfigctl=={__version__}", False),
    ({"url": "https://git.example.com/platform/konfig.git", "subdirectory": "tools",
      "vcs_info": {"vcs": "git", "requested_revision": "main", "commit_id": "0123abcd"}},
     "konfigctl @ git+https://git.example.com/platform/konfig.git@0123abcd#subdirectory=tools", False),
    ({"url": "https://files.example.com/konfigctl-0.1.0-py3-none-any.whl",
      "archive_info": {"hashes": {"sha256": "ab12"}}},
     "konfigctl @ https://files.example.com/konfigctl-0.1.0-py3-none-any.whl#sha256=ab12", False),
    ({"url": "https://files.example.com/k.tar.gz", "archive_info": {"hash": "sha256=cd34"}},
     "konfigctl @ https://files.example.com/k.tar.gz#sha256=cd34", False),
    ({"url": "file:///home/me/konfig", "dir_info": {"editable": True}}, None, True),
    ({"url": "file:///tmp/konfigctl-0.1.0-py3-none-any.whl", "archive_info": {}}, None, True),
    ({"url": "file:///srv/git/konfig", "vcs_info": {"vcs": "git", "commit_id": "beef"}},
     "konfigctl @ git+file:///srv/git/konfig@beef", True),
])
def test_running_install_reads_pep_610(tmp_path, monkeypatch, direct_url, requirement, local):
    """The distribution metadata as pip writes it (a dist-info directory first on sys.path)."""
    import json

    from konfigctl.change.pipelines import install_hint, running_install

    info = tmp_path / f"konfigctl-{__version__}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: konfigctl\nVersion: {__version__}\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    monkeypatch.syspath_prepend(str(tmp_path))
    source = running_install()
    assert (source.requirement, source.local) == (requirement, local)
    hint = install_hint(source)
    assert (hint is not None) == local
    if hint:
        assert hint.startswith("pipelines.install") and "\n" not in hint
