from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def test_demo_command_classifies_and_reports(tmp_path: Path) -> None:
    env = {**os.environ, "DSPEX_CACHE_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "dspex_nb", "demo", "-n", "8", "--steps", "1",
                          "--train", "8"],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr
    assert "8 examples, 0 failed" in run.stdout
    assert "sentiment_match: " in run.stdout  # mean [interval] pass rate
    assert "SIMBA: 1 steps" in run.stdout
    assert "optimized vs baseline (paired, n=8)" in run.stdout
    assert "tokens" in run.stdout
