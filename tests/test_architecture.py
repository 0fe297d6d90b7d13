"""The package map of docs/architecture.md holds: every import goes down the layer order.

Every module of ``tooling/konfigctl`` is parsed and each of its imports -- at
the top, inside functions (the lazy ones) and under ``TYPE_CHECKING`` -- is
resolved to the unit it reaches: a package (``files``, ``repo``...) or a flat
module (``errors``, ``output``...). A unit may import only units before it in
``LAYERS``; inside a unit anything goes. So there is no circle between
packages, and each package's docstring says truthfully what it may import.
The skeleton ``konfig init`` copies is data (renderers of a new Konfig), not
konfig's code.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PKG = REPO_ROOT / "tooling" / "konfigctl"
SKIP = (PKG / "authoring" / "skeleton",)

# Lowest first. "konfigctl" is the package's own __init__ (its __version__).
LAYERS: list[tuple[str, ...]] = [
    ("konfigctl", "errors"),
    ("quantity", "escaping"),
    ("files",),
    ("yamlio",),
    ("keypath",),
    ("schema",),
    ("formats",),
    ("repo",),
    ("resolve",),
    ("render",),
    ("engine",),
    ("output",),
    ("check",),
    ("change",),
    ("owners",),
    ("authoring",),
    ("imports",),
    ("targets",),
    ("api",),
    ("commands",),
    ("lsp",),
    ("completion",),
    ("cli",),
    ("main",),
    ("__main__",),
]
RANK = {unit: i for i, group in enumerate(LAYERS) for unit in group}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        if any(path.is_relative_to(s) for s in SKIP):
            continue
        parts = list(path.relative_to(PKG).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def unit_of(module: str) -> str:
    return module.split(".")[0] if module else "konfigctl"


def imports_of(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, konfigctl module it names) of every import in the file, wherever it sits."""
    is_pkg = path.name == "__init__.py"
    here = module.split(".") if module else []
    package = here if is_pkg else here[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and (node.module == "konfigctl" or node.module.startswith("konfigctl.")):
                target = node.module[len("konfigctl."):] if "." in node.module else ""
            else:
                continue
            names = [f"{target}.{a.name}" if target else a.name for a in node.names]
            found = [n for n in names if n in MODULES]  # `from . import a, b` names modules
            out.extend((node.lineno, t) for t in (found or [target]))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, a.name[len("konfigctl."):]) for a in node.names
                       if a.name.startswith("konfigctl."))
    return out


def edges() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for module, path in MODULES.items():
        for line, target in imports_of(module, path):
            a, b = unit_of(module), unit_of(target)
            if a != b:
                found.setdefault((a, b), []).append(f"{path.relative_to(REPO_ROOT)}:{line} imports {target or 'konfigctl'}")
    return found


def test_every_unit_has_a_place_in_the_order():
    units = {unit_of(m) for m in MODULES}
    assert units - set(RANK) == set(), "add new packages and flat modules to LAYERS (and docs/architecture.md)"
    assert set(RANK) - units == set(), "LAYERS names a unit that no longer exists"


def test_imports_go_down_the_layers():
    wrong = [why for (a, b), whys in sorted(edges().items()) if RANK[b] >= RANK[a] for why in whys]
    assert wrong == [], "imports against the layer order:\n" + "\n".join(wrong)


def test_no_circle_between_packages():
    graph: dict[str, set[str]] = {}
    for a, b in edges():
        graph.setdefault(a, set()).add(b)
    state: dict[str, int] = {}

    def visit(u: str, path: list[str]) -> None:
        state[u] = 1
        for v in sorted(graph.get(u, ())):
            if state.get(v) == 1:
                pytest.fail("circle between packages: " + " -> ".join(path[path.index(v):] + [v]))
            if v not in state:
                visit(v, path + [v])
        state[u] = 2

    for u in sorted(graph):
        if u not in state:
            visit(u, [u])


PACKAGES = sorted(u for u in RANK if (PKG / u / "__init__.py").is_file())


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_says_what_it_holds_and_may_import(package):
    doc = ast.get_docstring(ast.parse((PKG / package / "__init__.py").read_text(encoding="utf-8"))) or ""
    m = re.search(r"May import[^:]*:(.*?)\.\s*$", doc, re.S)
    assert m, f"{package}/__init__.py: its docstring ends with 'May import ...: ``unit``, ...'"
    declared = set(re.findall(r"``([A-Za-z_]+)``", m.group(1)))
    assert declared <= set(RANK), declared - set(RANK)
    above = {u for u in declared if RANK[u] >= RANK[package]}
    assert not above, f"{package} declares units at or above it: {sorted(above)}"
    actual = {b for (a, b) in edges() if a == package}
    assert actual <= declared, f"{package} imports {sorted(actual - declared)}, which its docstring does not declare"


def test_the_map_in_docs_architecture_names_every_unit():
    """docs/architecture.md's map has a row naming each package (``files/``) and flat module
    (``errors.py``), so the map cannot fall behind the tree."""
    doc = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc.split("## The map", 1)[1].split("\n\n**", 1)[0]
    named = set(re.findall(r"`([a-z_]+)(?:/|\.py)`", table))
    units = set(RANK) - {"konfigctl"}
    assert units - named == set(), "add a row (or a name in one) to the map of docs/architecture.md"
