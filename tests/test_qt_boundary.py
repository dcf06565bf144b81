"""engine/ and training/ never import Qt (the GUI lives in app/ only)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "qtpy", "shiboken6", "pyqtgraph")
CORE_PACKAGES = ("engine", "training")


def qt_imports_in(path: Path) -> list[str]:
    """Qt modules imported anywhere in the file (top level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        found += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] in QT_MODULES]
    return found


def test_core_sources_do_not_import_qt() -> None:
    files = [f for pkg in CORE_PACKAGES for f in (ROOT / pkg).rglob("*.py")]
    assert files, "no core sources found"
    offenders = [hit for f in files for hit in qt_imports_in(f)]
    assert offenders == []


def test_checker_catches_a_qt_import(tmp_path: Path) -> None:
    sneaky = ROOT / "engine" / "_qt_probe_for_test.py"
    sneaky.write_text("def f():\n    from PySide6 import QtCore\n")
    try:
        assert qt_imports_in(sneaky) == ["engine/_qt_probe_for_test.py:2 PySide6"]
    finally:
        sneaky.unlink()


def test_importing_every_core_module_loads_no_qt() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"for pkg in {CORE_PACKAGES!r}:\n"
        "    mod = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(mod.__path__, pkg + '.'):\n"
        "        importlib.import_module(info.name)\n"
        f"leaked = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "print(leaked)\n"
        "sys.exit(1 if leaked else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
