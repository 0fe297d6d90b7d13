"""Shared renderer code (``konfiglib``): which libraries a source imports, and their closure."""
from __future__ import annotations

import pytest
from konfigctl.render import libraries as renderlib
from konfigctl.repo.repository import Repository

RENDER = "konfig/base/models/app/render.py"


@pytest.mark.parametrize("source, expected", [
    ("from konfiglib import kube\n", [("kube", 1)]),
    ("from konfiglib import kube, names as n\n", [("kube", 1), ("names", 1)]),
    ("import konfiglib.kube\n", [("kube", 1)]),
    ("import json\nfrom konfiglib.kube import env_var\n", [("kube", 2)]),
    ("def f():\n    from konfiglib import kube\n", [("kube", 2)]),  # imports inside functions count
    ("import konfiglib\n", [("", 1)]),  # the package alone names no module
    ("import konfiglibrary\nfrom konfiglibx import y\nfrom . import konfiglib\n", []),
    ("def broken(:\n", []),  # compiling reports it
])
def test_imports(source, expected):
    assert renderlib.imports(source) == expected


def test_closure_follows_imports_transitively_with_the_chain(mini, write):
    write(mini, RENDER, "from konfiglib import labels\n")
    write(mini, "konfig/base/lib/labels.py", "from konfiglib import names\nfrom konfiglib import gone\n")
    write(mini, "konfig/base/lib/names.py", "import json\n")
    write(mini, "konfig/base/lib/unused.py", "X = 1\n")
    repo = Repository(str(mini))
    assert renderlib.closure(repo, RENDER) == {
        RENDER: (),
        "konfig/base/lib/labels.py": (RENDER,),
        "konfig/base/lib/names.py": (RENDER, "konfig/base/lib/labels.py"),
        # missing, still listed: deleting a library affects the renderers importing it
        "konfig/base/lib/gone.py": (RENDER, "konfig/base/lib/labels.py"),
    }


def test_closure_survives_import_cycles(mini, write):
    write(mini, RENDER, "from konfiglib import a\n")
    write(mini, "konfig/base/lib/a.py", "from konfiglib import b\n")
    write(mini, "konfig/base/lib/b.py", "from konfiglib import a\n")
    assert set(renderlib.closure(Repository(str(mini)), RENDER)) == {
        RENDER, "konfig/base/lib/a.py", "konfig/base/lib/b.py"}
