"""The layering rules (docs/ARCHITECTURE.md), enforced: the GUI process never loads torch/pynvml/psutil;
engine/ and hw/ never import Qt or gui; spec and analysis never import torch; hw never imports torch."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_engine_and_hw_never_import_qt_or_gui():
    for package in ("engine", "hw"):
        for path in _files(package):
            bad = _imports(path) & {"PySide6", "pyqtgraph", "gui", "shiboken6"}
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_hw_never_imports_torch():
    for path in _files("hw"):
        assert "torch" not in _imports(path), f"{path.relative_to(ROOT)} imports torch"


def test_gui_never_imports_torch_pynvml_psutil_directly():
    for path in _files("gui"):
        bad = _imports(path) & {"torch", "pynvml", "psutil"}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted({n.split('.')[0] for n in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}, check=True)
    return set(json.loads(out.stdout))


def _module_names(package: str) -> list[str]:
    names = []
    for path in _files(package):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def test_gui_process_never_loads_torch_pynvml_psutil_indirectly():
    loaded = _loaded_after_import(_module_names("gui"))
    bad = loaded & {"torch", "pynvml", "psutil"}
    assert not bad, f"importing gui/ loads {sorted(bad)}"


def test_spec_and_analysis_never_load_torch():
    loaded = _loaded_after_import(["engine.net", "engine.run", "engine.results", "engine.sweep", "engine.errors",
                                   "engine.net.spec", "engine.net.analysis", "engine.run.config",
                                   "engine.run.events", "engine.results.result", "engine.run.worker",
                                   "engine.profile", "engine.profile.result"])
    assert "torch" not in loaded


# What the GUI may import from the engine: the package faces and a few top-level modules of one concept.
ENGINE_FACES = {"engine.net", "engine.run", "engine.results", "engine.sweep", "engine.place", "engine.jobs",
                "engine.profile", "engine.errors", "engine.paths", "engine.format", "engine.files", "engine.cli"}


def _engine_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.split(".")[0] == "engine")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("engine"):
            names.add(node.module)
    return names


def test_gui_imports_only_the_engines_package_faces():
    """The GUI sees the engine through its faces (each package's __init__), never a module inside one,
    so the engine can reorganise its modules without touching the GUI."""
    for path in _files("gui"):
        bad = _engine_imports(path) - ENGINE_FACES
        assert not bad, f"{path.relative_to(ROOT)} imports engine internals {sorted(bad)}: use the package face"


def test_every_engine_package_has_a_face():
    for init in sorted((ROOT / "engine").glob("*/__init__.py")):
        text = init.read_text(encoding="utf-8")
        assert text.lstrip().startswith('"""') and "__all__" in text, f"{init.relative_to(ROOT)} has no face"
