"""Nothing in the repository points at what a reader of it does not have: the design page kept outside
it, the folder beside the checkout, issue numbers, the paths of a build machine, or deleted docs."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINARY = {".png", ".pdf", ".npz", ".onnx", ".sqlite", ".whl"}
SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", "build", "dist",
             "reference", "wheels"}
# Spelled in pieces so this file does not cite them itself.
CITED = re.compile("|".join([
    re.escape("DESIGN" + ".md"),
    re.escape(".." + "/shared"),
    re.escape("/" + "work/"),
    re.escape("CONTRACTS" + ".md"),
    re.escape("HELPER" + "_BRIEF"),
    r"\bissues?\s+#?\d+\b",
]), re.IGNORECASE)


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60).stdout
        files = [ROOT / name for name in out.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):  # an exported tree without .git: every file but ignored ones
        files = [p for p in ROOT.rglob("*") if p.is_file() and not SKIP_DIRS & set(p.relative_to(ROOT).parts)]
    return [p for p in files if p.suffix.lower() not in BINARY and p.is_file()]


def test_no_file_cites_what_a_reader_does_not_have():
    offenders = []
    for path in _tracked_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            match = CITED.search(line)
            if match:
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {match.group()}")
    assert not offenders, "\n".join(offenders[:40])


def test_the_architecture_map_exists_and_names_real_files():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"`((?:engine|gui|hw|tests|bench|docs)/[\w/.-]+\.(?:py|md))`", text))
    assert len(cited) >= 15
    missing = sorted(c for c in cited if not (ROOT / c).exists())
    assert not missing, f"docs/ARCHITECTURE.md cites files that do not exist: {missing}"
