"""`pip install .` (not editable) gives a working `tradeoff-lab` command outside the source tree:
a wheel is built from a copy of the sources, its contents checked (assets, main.py), and it is installed
into a fresh venv whose dependencies come from this test's environment (a .pth line, so nothing is
downloaded but the build backend); the command then runs from an unrelated folder."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache",
                              ".ruff_cache", ".hypothesis", "tests", "bench", "docs", "reference", "wheels")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src") / "tradeoff-lab"
    shutil.copytree(ROOT, src, ignore=SKIP)
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (built,) = out.glob("tradeoff_lab-*.whl")
    return built


def _package_files() -> list[str]:
    """Every file of the three packages in the source tree (code and data), as wheel paths."""
    return sorted(str(p.relative_to(ROOT)) for package in ("engine", "hw", "gui") for p in (ROOT / package).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def test_wheel_carries_every_package_file_and_the_entry_point(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [f for f in _package_files() if f not in names]
    assert not missing, f"not in the wheel (add them to pyproject's package-data): {missing}"
    assert "main.py" in names and "engine/assets/presets/lenet.json" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "tradeoff-lab = main:cli_entry" in text
    assert not any(n.startswith("tests/") for n in names)


@pytest.mark.slow
def test_installed_command_runs_outside_the_source_tree(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    # The dependencies: this environment's site-packages as a plain path (its .pth files, such as an
    # editable install of this very project, are not processed, so the sources cannot leak in).
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
                           "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(TRADEOFF_LAB_DATA=str(tmp_path / "data"), QT_QPA_PLATFORM="offscreen")
    command = str(env_dir / "bin" / "tradeoff-lab")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([command, *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)

    where = subprocess.run([str(py), "-c", "import engine, main; print(engine.__file__); print(main.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True).stdout
    assert str(ROOT) not in where and str(env_dir) in where, where
    hw = run("hw")
    assert hw.returncode == 0 and "CPU" in hw.stdout and "Telemetry sources" in hw.stdout, hw.stderr
    ran = run("run", "lenet", "--steps", "5")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "status       ok" in ran.stdout and "samples/s" in ran.stdout
    listed = run("history")
    assert listed.returncode == 0 and "lenet" in listed.stdout
    typo = run("histroy")
    assert typo.returncode == 2 and "did you mean 'history'" in typo.stderr
