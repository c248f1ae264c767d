"""The installed package: importable, typed, its stubs shipped and in step with _core."""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

import sabot
from sabot import _core


def _installed_dir() -> Path:
    return Path(sabot.__file__).resolve().parent


def test_stubs_and_marker_ship_with_the_package():
    folder = _installed_dir()
    assert (folder / "py.typed").is_file()
    assert (folder / "_core.pyi").is_file()


def _stub_names() -> tuple[set[str], dict[str, set[str]]]:
    tree = ast.parse((_installed_dir() / "_core.pyi").read_text())
    top: set[str] = set()
    members: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            top.add(node.target.id)
        if isinstance(node, ast.ClassDef):
            members[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    return top, members


def test_stubs_describe_every_public_name_of_core():
    top, members = _stub_names()
    runtime = {n for n in dir(_core) if not n.startswith("_")} | {"__version__"}
    assert runtime - top == set(), "in _core but not in _core.pyi"
    assert top - runtime == set(), "in _core.pyi but not in _core"
    for cls in ("Expr", "Stream", "RunningPlan"):
        obj = getattr(_core, cls)
        public = {n for n, _ in inspect.getmembers(obj) if not n.startswith("_")}
        assert public == members[cls], f"_core.{cls}: runtime {sorted(public)} vs stub {sorted(members[cls])}"


def test_public_api():
    for name in sabot.__all__:
        assert hasattr(sabot, name), name
    assert sabot.__version__ == _core.__version__
    assert isinstance(sabot.generate(rows=1), sabot.Stream)
    assert sabot.Stream.__doc__ and sabot.read_csv.__doc__
