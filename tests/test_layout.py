"""The package layout: one package per stage, dependencies pointing one way, no import cycles.

Read statically from the source (every import counts, including lazy ones inside functions and
those only for type checking), so a new module that ties two stages together fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "digest"
STAGES = ("sources", "analysis", "store", "site", "mkdocs", "zensical", "cli", "evaluation")
# Modules every part may import: the model, the config, and three leaves that import nothing
# of the digest's (counted nouns in messages; language codes and detection; giving freed
# memory back to the system).
SHARED = ("model", "config", "wording", "language", "memory")
# What each part may import, besides itself and SHARED.
ALLOWED = {
    "wording": set(),
    "language": set(),
    "memory": set(),
    "model": set(),
    "config": {"model"},
    "project": {"config"},
    "sources": set(),
    "analysis": {"sources"},
    # The read cache keeps the reader's outcomes and vets them as the reader would.
    "store": {"sources", "analysis"},
    # Story pages are written from the stories the analysis found (listed once, summarized).
    "site": {"sources", "analysis", "store"},
    "pipeline": {"sources", "analysis", "store"},
    "evaluation": {"sources", "analysis", "pipeline"},
    "mkdocs": {"sources", "analysis", "store", "site", "pipeline", "project"},
    "zensical": {"sources", "analysis", "store", "site", "pipeline", "project"},
    "cli": {
        "sources",
        "analysis",
        "store",
        "site",
        "pipeline",
        "project",
        "evaluation",
        "mkdocs",
        "zensical",
    },
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts).removesuffix(".__init__")] = path
    return found


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported in _imports(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and modules[imported].name != "__init__.py":
                graph[name].add(imported)
    return graph


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def test_each_stage_is_a_package_with_its_job_written_down() -> None:
    for stage in STAGES:
        init = PACKAGE / stage / "__init__.py"
        assert init.is_file(), f"digest/{stage}/ is not a package"
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), init


def test_no_import_cycles() -> None:
    graph = _graph()
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            module = todo.pop()
            assert module != start, f"{start} imports itself through {sorted(seen)}"
            if module not in seen:
                seen.add(module)
                todo.extend(graph[module])


def test_dependencies_point_one_way() -> None:
    for module, imported in _graph().items():
        part = _part(module)
        if part == "digest" or part not in ALLOWED:
            continue
        for target in imported:
            other = _part(target)
            # The leaves import nothing of the digest's, not even the model.
            leaf = part in ("wording", "language", "memory")
            if other in (part, "digest") or (other in SHARED and not leaf):
                continue
            assert other in ALLOWED[part], f"{module} ({part}) imports {target} ({other})"


@pytest.mark.parametrize("module", sorted(_modules()))
def test_only_the_mkdocs_adapter_imports_mkdocs(module: str) -> None:
    uses_mkdocs = any(
        name == "mkdocs" or name.startswith("mkdocs.") for name in _imports(_modules()[module])
    )
    assert not uses_mkdocs or module.startswith("digest.mkdocs"), module


def test_the_plugin_schema_and_the_checked_options_are_the_same() -> None:
    # digest.config refuses names it does not know; the plugin's schema lists what MkDocs
    # passes on. An option added to one and not the other is either refused or never checked.
    from digest.config import PLUGIN_OPTIONS
    from digest.mkdocs.plugin import DigestPluginConfig

    assert set(DigestPluginConfig().keys()) == set(PLUGIN_OPTIONS)
