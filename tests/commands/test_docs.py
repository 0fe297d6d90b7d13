from __future__ import annotations

from tests.conftest import REPO_ROOT


def test_this_repository_docs_are_up_to_date(cli):
    res = cli("docs", "--check", repo=REPO_ROOT)
    assert res.exit_code == 0, res.output + "\n(run `konfig docs` and commit docs/)"


def test_write_then_check_then_drift(cli, mini, write):
    res = cli("docs", repo=mini)
    assert res.exit_code == 0
    assert "wrote docs/models/app.md" in res.stdout
    assert (mini / "docs/schemas/project.schema.json").exists()
    assert cli("docs", "--check", repo=mini).exit_code == 0
    schema = mini / "konfig/base/models/app/schema.yaml"
    schema.write_text(schema.read_text().replace("description: A tiny test model.", "description: Changed."))
    write(mini, "docs/models/gone.md", "old model\n")
    res = cli("docs", "--check", repo=mini)
    assert res.exit_code == 1
    assert res.stdout.splitlines() == ["docs/models/README.md", "docs/models/app.md", "docs/models/gone.md (stale)"]
    assert cli("docs", repo=mini).exit_code == 0
    assert not (mini / "docs/models/gone.md").exists()
    assert "Changed." in (mini / "docs/models/app.md").read_text()


def test_out_dir_inside_and_outside_the_repository(cli, mini, tmp_path):
    res = cli("docs", "--out", "site/ref", repo=mini, cwd=mini)
    assert res.exit_code == 0
    page = (mini / "site/ref/app.md").read_text()
    assert "](../../konfig/base/models/app/schema.yaml)" in page
    assert (mini / "site/ref/README.md").exists() and (mini / "site/ref/schemas/stack.schema.json").exists()
    out = tmp_path / "reference" / "models"
    res = cli("docs", "--out", str(out), repo=mini)
    assert res.exit_code == 0, res.output
    assert (out / "app.md").exists() and (tmp_path / "reference/schemas/konfig.schema.json").exists()
    assert cli("docs", "--out", str(out), "--check", repo=mini).exit_code == 0
    (tmp_path / "file").write_text("x")
    assert cli("docs", "--out", str(tmp_path / "file"), repo=mini).exit_code == 2
