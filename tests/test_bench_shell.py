"""The benchmark shell scripts parse (the GPU session runs them where no one can fix a typo), and every
stage gpu_session.sh names in its usage line has its case."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "bench").glob("*.sh"))


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_bench_shell_scripts_parse(script):
    p = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_every_stage_in_the_usage_line_has_its_case():
    text = (ROOT / "bench" / "gpu_session.sh").read_text(encoding="utf-8")
    stages = re.search(r"gpu_session\.sh \[([a-z0-9|]+)\]", text).group(1).split("|")
    assert "ort" in stages
    cases = {name for line in re.findall(r"^    ([a-z0-9|]+)\)", text, re.M) for name in line.split("|")}
    assert set(stages) <= cases, set(stages) - cases  # a case may serve several stages: `a|b)`
