from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dspex_nb.experiments import Experiment

pytestmark = pytest.mark.integration


def test_demo_command_classifies_and_reports(tmp_path: Path) -> None:
    env = {**os.environ, "DSPEX_CACHE_DIR": str(tmp_path)}
    store = tmp_path / "experiments"
    run = subprocess.run([sys.executable, "-m", "dspex_nb", "demo", "-n", "6", "--steps", "1",
                          "--train", "8", "--val", "6", "--store", str(store)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr
    assert "6 examples, 0 failed" in run.stdout
    assert "intent_match: " in run.stdout  # mean [interval] pass rate
    assert "SIMBA: 1 steps" in run.stdout
    assert "paired deltas, optimized vs baseline" in run.stdout
    assert "tokens" in run.stdout
    [record] = list(store.glob("*/experiment.json"))
    assert f"stored in {record}" in run.stdout
    loaded = Experiment.load(record.parent.name, store=store)
    assert loaded.status == "finished"
    assert f"  {loaded.verdict}: optimized vs baseline, intent_match" in run.stdout
    # every call counted, SIMBA's sampling variants included, and none read from the cache
    simba_calls = int(re.search(r"SIMBA: 1 steps, .*?, (\d+) LM calls", run.stdout)[1])
    assert f"LM calls {6 + simba_calls + 6} (0 from cache)" in run.stdout
    assert f"dx.Experiment.load({loaded.id!r}, store={str(store)!r})" in run.stdout
