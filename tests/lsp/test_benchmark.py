"""The scripted LSP session of benchmarks/lsp_latency.py stays runnable (its figures are not asserted)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


@pytest.mark.slow  # generates a Konfig, then a whole session
def test_the_latency_benchmark_runs_a_session_on_a_small_konfig(tmp_path: Path):
    out = tmp_path / "lsp.json"
    res = subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / "lsp_latency.py"), "--stacks", "30",
                          "--repeat", "1", "--json", str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    labels = [t["label"] for t in data["targets"]]
    assert labels[0] == "stack.yaml" and "org defaults.yaml" in labels and labels[-1] == "env profile (prod)"
    for t in data["targets"]:
        assert t["stacks"] >= 1
        assert t["breaking_edit"]["diagnostics"] >= 1  # the edit that breaks its stacks is reported
        assert t["edit"]["times_s"] and t["hover_s"] > 0 and t["completion_s"] > 0
