"""templates.py: model templates rendered with string.Template placeholders."""
from __future__ import annotations

from pathlib import Path

import pytest
from konfigctl.authoring import templates as tpl
from konfigctl.errors import KonfigError, UsageError
from konfigctl.repo.repository import Repository
from konfigctl.yamlio import load

APP_TEMPLATE = {
    "template.yaml": "description: An app.\nstacks: [dev, prod]\nvariables:\n"
                     "  image: {default: 'example/${name_path}:0.1.0', description: The image.}\n",
    "project.yaml.tmpl": "name: ${project}\ndescription: ${description}\nmodel: ${model}\nowners: ${owners}\n",
    "defaults.yaml.tmpl": "# every stack of ${project_path}\nimage: ${image}\n",
    "README.md": "# ${project}\nCosts $$0.\n",
    "stack/stack.yaml.tmpl": "env: ${env}\nconfig:\n  replicas: 2  # ${stack} in ${env}\n",
}


def add_template(root: Path, files: dict[str, str] = APP_TEMPLATE, model: str = "app") -> None:
    for name, text in files.items():
        p = root / "konfig/base/templates" / model / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_load_splits_project_and_stack_files(mini):
    add_template(mini)
    t = tpl.load(Repository(str(mini)), "app")
    assert sorted(t.project_files) == ["README.md", "defaults.yaml", "project.yaml"]
    assert sorted(t.stack_files) == ["stack.yaml"]
    assert t.stacks == ["dev", "prod"] and t.description == "An app."
    assert t.variables["image"]["description"] == "The image."


def test_render_with_builtins_variables_and_schema_line(mini):
    add_template(mini)
    repo = Repository(str(mini))
    t = tpl.load(repo, "app")
    values = tpl.project_values(repo, "konfig/appops/acme/shop", "app", ["web", "@erin"], t)
    files = tpl.render_project(t, "konfig/appops/acme/shop", values)
    project = files["konfig/appops/acme/shop/project.yaml"]
    assert project.startswith("# yaml-language-server: $schema=../../../../docs/schemas/project.schema.json\n")
    assert load(project).data == {"name": "shop", "description": "A app project owned by web.", "model": "app",
                                  "owners": ["web", "@erin"]}
    assert files["konfig/appops/acme/shop/defaults.yaml"] == \
        "# every stack of konfig/appops/acme/shop\nimage: example/acme/shop:0.1.0\n"
    assert files["konfig/appops/acme/shop/README.md"] == "# shop\nCosts $0.\n"
    stack = tpl.render_stack(t, "konfig/appops/acme/shop/prod", "prod", values)
    assert stack["konfig/appops/acme/shop/prod/stack.yaml"].endswith("env: prod\nconfig:\n  replicas: 2  # prod in prod\n")


def test_variables_override_and_unknown_ones_are_refused(mini):
    add_template(mini)
    repo = Repository(str(mini))
    t = tpl.load(repo, "app")
    values = tpl.project_values(repo, "konfig/appops/acme/shop", "app", ["web"], t, {"image": "x/y:2"},
                                description="Shop: the front")
    assert values["image"] == "x/y:2" and values["description"] == '"Shop: the front"'
    with pytest.raises(UsageError, match="unknown template variable 'tag'"):
        tpl.project_values(repo, "konfig/appops/acme/shop", "app", ["web"], t, {"tag": "1"})


def test_unknown_placeholder_names_the_template_file_and_line(mini):
    add_template(mini, {**APP_TEMPLATE, "defaults.yaml.tmpl": "a: 1\nimage: ${imgae}\n"})
    repo = Repository(str(mini))
    t = tpl.load(repo, "app")
    values = tpl.project_values(repo, "konfig/appops/acme/shop", "app", ["web"], t)
    with pytest.raises(KonfigError) as e:
        tpl.render_project(t, "konfig/appops/acme/shop", values)
    assert str(e.value).startswith("konfig/base/templates/app/defaults.yaml.tmpl:2: unknown placeholder ${imgae}")


def test_missing_template_lists_the_available_ones(mini):
    add_template(mini)
    with pytest.raises(UsageError) as e:
        tpl.load(Repository(str(mini)), "worker")
    assert "no template for model 'worker'" in str(e.value) and "(templates: app)" in str(e.value)


def test_this_repository_has_a_template_per_model():
    from tests.conftest import REPO_ROOT

    repo = Repository(str(REPO_ROOT))
    assert tpl.available(repo) == sorted(repo.model_names())
    for model in repo.model_names():
        t = tpl.load(repo, model)
        assert t.stacks and "project.yaml" in t.project_files


@pytest.mark.parametrize("text, expected", [
    ("plain words", "plain words"), ("a: b", '"a: b"'), ("yes", '"yes"'), ("1.0", '"1.0"'),
    ("@erin", '"@erin"'), ("x # y", '"x # y"'),
])
def test_yaml_scalar(text, expected):
    assert tpl.yaml_scalar(text) == expected
    assert load(f"k: {tpl.yaml_scalar(text)}\n").data == {"k": text}
