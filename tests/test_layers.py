"""The house keeps its layers: the library stands alone, without import circles.

``make lint`` checks the import contracts of ``pyproject.toml`` with import-linter;
these tests check what those contracts cannot say: that no module of ``routing/``
imports ``benchmarks/`` or ``fixtures/`` (not packages import-linter can see), that
``routing/`` has no import circle at all, that rooms stay small, and that the public
API and the service's command are wired up.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
from typer.testing import CliRunner

import routing
from routing.cli import app

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "routing"
ADAPTERS = ("service", "benchmarks", "fixtures")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if ".venv" not in p.parts)


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an import statement names, wherever it stands (functions too)."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def test_library_imports_no_adapter() -> None:
    """No module of routing/ imports service/, benchmarks/ or fixtures/, even lazily."""
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _modules(LIBRARY)
        for line, name in _imported(ast.parse(path.read_text(encoding="utf-8")))
        if name.split(".")[0] in ADAPTERS
    ]
    assert not found, "\n".join(found)


def test_library_has_no_import_circle() -> None:
    """The modules of routing/ import each other in one direction only.

    Imports made only for type checking are left out: they never run.
    """
    graph = grimp.build_graph("routing", exclude_type_checking_imports=True)
    edges = nx.DiGraph(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
    )
    circles = [sorted(c) for c in nx.strongly_connected_components(edges) if len(c) > 1]
    assert not circles, circles


def test_rooms_stay_small() -> None:
    """No module of routing/ or service/ is over 600 lines."""
    big = {
        str(path.relative_to(ROOT))
        for path in _modules(LIBRARY) + _modules(ROOT / "service")
        if len(path.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES
    }
    assert not big, sorted(big)


def test_no_long_function() -> None:
    """Functions of routing/ and service/ stay within 80 lines (docstrings included)."""
    long = set()
    for path in _modules(LIBRARY) + _modules(ROOT / "service"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    long.add(f"{path.relative_to(ROOT)}:{node.name}")
    assert not long, sorted(long)


def test_public_api_names_resolve() -> None:
    """Every name of ``routing.__all__`` loads, and ``import routing`` loads none of them."""
    for name in routing.__all__:
        assert getattr(routing, name) is not None, name
    assert routing.InputProblem.__name__ == "Problem"  # errors.Problem, renamed
    assert routing.Problem.__module__ == "routing.model"
    cheap = subprocess.run(
        [sys.executable, "-c", "import sys, routing; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = {m for m in cheap.stdout.strip("[]\n").replace("'", "").split(", ")}
    assert not {"routing.pipeline", "ortools", "service"} & loaded


def test_serve_is_mounted_from_the_service_package() -> None:
    """``hubroute serve`` comes from the service's entry point, not from a library import."""
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    assert "--workers" in result.output
    command = next(c for c in app.registered_commands if c.name == "serve")
    assert command.callback is not None
    assert command.callback.__module__ == "service.cli"
