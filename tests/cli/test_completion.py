"""Shell completion through the real ``konfig`` console script, as a shell calls it.

Issue 12: completion did not complete stack suffixes or key paths. Each test
sets the environment a completion script sets (typer's protocol:
``_KONFIG_COMPLETE=complete_bash`` with ``COMP_WORDS``/``COMP_CWORD``, or
``complete_zsh``/``complete_fish`` with ``_TYPER_COMPLETE_ARGS``) and runs the
installed script in a subprocess; one test sources the bash script that
``--show-completion`` prints into a real bash and calls its function.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

KONFIG = str(Path(sys.executable).parent / "konfig")


def _run(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("_KONFIG", "_TYPER", "COMP_"))}
    full.update(env)
    full["NO_COLOR"] = "1"
    return subprocess.run([KONFIG], env=full, cwd=cwd, capture_output=True, text=True, timeout=60)


def bash(line: str, cwd: Path) -> list[str]:
    """Candidates for the last word of ``line`` (a trailing space starts a new, empty word)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    res = _run({"_KONFIG_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(cword)}, cwd)
    assert res.returncode == 0 and res.stderr == "", res
    return [ln for ln in res.stdout.splitlines() if ln]  # no candidates prints an empty line


def fish(line: str, cwd: Path) -> list[str]:
    res = _run({"_KONFIG_COMPLETE": "complete_fish", "_TYPER_COMPLETE_FISH_ACTION": "get-args",
                "_TYPER_COMPLETE_ARGS": line}, cwd)
    assert res.returncode == 0 and res.stderr == "", res
    return res.stdout.splitlines()


def test_stack_arguments_complete_unique_suffixes_and_paths(mini):
    assert bash("konfig resolve ", mini) == ["api/dev", "db/prod", "eu", "us", "web/dev", "web/prod"]
    assert bash("konfig resolve web/", mini) == ["web/dev", "web/prod"]
    assert bash("konfig explain ac", mini) == [
        "acme/api/dev", "acme/api/prod/eu", "acme/api/prod/us", "acme/web/dev", "acme/web/prod"]
    assert bash("konfig get konfig/infra", mini) == ["konfig/infra/data/db/prod"]
    assert bash("konfig set pr", mini) == ["prod/eu", "prod/us"]  # `prod` alone names two stacks


def test_every_offered_name_names_the_stack_it_stands_for(mini, cli):
    """A candidate that resolved to another stack (or to none) would be worse than none."""
    from konfigctl.repo.repository import Repository

    repo = Repository(str(mini))
    names = bash("konfig resolve ", mini)
    assert sorted(repo.find_stack(n, cwd=str(mini)).path for n in names) == sorted(s.path for s in repo.stacks())
    for name in bash("konfig validate ", mini):
        assert repo.find_stacks(name, cwd=str(mini))  # a stack or a directory of stacks, never ambiguous


def test_stack_names_relative_to_the_working_directory(mini):
    assert bash("konfig resolve ", mini / "konfig/appops/acme/web") == [
        "api/dev", "db/prod", "dev", "eu", "prod", "us"]


def test_stacks_arguments_also_complete_projects_and_directories(mini):
    assert bash("konfig validate ac", mini) == [
        "acme", "acme/api", "acme/api/dev", "acme/api/prod", "acme/api/prod/eu", "acme/api/prod/us",
        "acme/web", "acme/web/dev", "acme/web/prod"]
    assert "api/prod" in bash("konfig test api", mini)
    assert "acme" not in bash("konfig resolve ac", mini)  # one stack only: no directories


def test_key_paths_of_the_resolved_stack(mini):
    paths = bash("konfig explain web/prod ", mini)
    assert {"replicas", "memory", "env", "env[name=LOG_LEVEL]", "env[name=LOG_LEVEL].value"} <= set(paths)
    assert bash("konfig get web/prod env[name=M", mini) == ["env[name=MODE]", "env[name=MODE].name",
                                                              "env[name=MODE].value"]
    assert bash("konfig get konfig/appops/acme/web/prod rep", mini) == ["replicas"]


def test_set_specs_offer_set_delete_and_append(mini):
    assert bash("konfig set web/prod rep", mini) == ["replicas=", "replicas-"]
    assert bash("konfig set web/prod env", mini)[:3] == ["env=", "env-", "env+="]


def test_set_layer_offers_project_and_the_stacks_layer_files(mini):
    assert bash("konfig set web/prod replicas=2 --layer ", mini) == [
        "project", "konfig/base/models/app/defaults.yaml", "konfig/base/envs/prod.yaml",
        "konfig/base/models/app/envs/prod.yaml", "konfig/appops/acme/defaults.yaml",
        "konfig/appops/acme/web/defaults.yaml", "konfig/appops/acme/web/prod/stack.yaml"]
    assert bash("konfig set web/dev --layer konfig/appops/acme/w", mini) == [
        "konfig/appops/acme/web/defaults.yaml", "konfig/appops/acme/web/dev/stack.yaml"]


def test_list_what(mini):
    assert bash("konfig list p", mini) == ["projects", "policies"]


def test_format_choices(mini):
    assert bash("konfig validate -f ", mini) == ["text", "json"]
    assert bash("konfig affected --format g", mini) == ["github-matrix", "gitlab"]


def test_selector_keys_and_values_in_fish_and_zsh(mini):
    assert fish("konfig validate -l ", mini) == ["model=", "env=", "project=", "path=", "name=", "org=", "label="]
    assert fish("konfig validate -l e", mini) == ["env=dev", "env=prod", "env=staging"]
    assert fish("konfig list -l env=prod,mo", mini) == ["env=prod,model=app"]
    assert fish("konfig test -l env=dev|", mini) == ["env=dev|prod", "env=dev|staging"]
    assert fish("konfig validate -l org=", mini) == ["org=acme", "org=data"]
    res = _run({"_KONFIG_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "konfig validate -l model="}, mini)
    assert res.returncode == 0 and res.stdout.strip() == "_arguments '*: :((\"model=app\"))'", res


def test_completion_never_prints_errors(mini, write, tmp_path):
    write(mini, "konfig/appops/acme/web/prod/stack.yaml", "env: prod\nconfig: [broken\n")
    assert bash("konfig explain web/prod ", mini) == []  # the stack does not resolve: no key paths
    assert "web/prod" in bash("konfig resolve we", mini)  # names still complete
    assert bash("konfig explain nosuch ", mini) == []
    assert bash("konfig resolve ", tmp_path) == []  # not a Konfig
    assert bash("konfig --repo /nonexistent resolve ", mini) == []
    write(mini, "konfig.yaml", "version: [\n")
    assert bash("konfig validate -l e", mini) == []


def test_completion_is_fast_enough_for_a_tab(mini):
    """No validation, no rendering: the whole process on the small Konfig well under a second."""
    import time

    start = time.perf_counter()
    bash("konfig explain web/prod ", mini)
    assert time.perf_counter() - start < 3  # generous for a loaded CI machine; typically ~0.3 s


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_shown_bash_script_completes_in_a_real_bash(mini, tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("_KONFIG", "_TYPER", "COMP_"))},
           "PATH": f"{Path(KONFIG).parent}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(tmp_path)}
    script = subprocess.run(["bash", "-c", "konfig --show-completion"], env=env, cwd=mini,
                            capture_output=True, text=True, timeout=60)
    assert script.returncode == 0 and "complete -o default -F _konfig_completion konfig" in script.stdout, script
    probe = (script.stdout + "\nCOMP_WORDS=(konfig explain web/prod env[name=L); COMP_CWORD=3\n"
             "_konfig_completion konfig\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    res = subprocess.run(["bash", "--norc", "-c", probe], env=env, cwd=mini, capture_output=True, text=True,
                         timeout=60)
    assert res.stdout.splitlines() == ["env[name=LOG_LEVEL]", "env[name=LOG_LEVEL].name",
                                       "env[name=LOG_LEVEL].value"], res
    installed = subprocess.run(["bash", "-c", "konfig --install-completion"], env=env, cwd=mini,
                               capture_output=True, text=True, timeout=60)
    assert installed.returncode == 0, installed
    assert "_KONFIG_COMPLETE=complete_bash" in (tmp_path / ".bash_completions" / "konfig.sh").read_text()
    assert ".bash_completions/konfig.sh" in (tmp_path / ".bashrc").read_text()
