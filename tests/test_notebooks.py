"""Every tutorial notebook runs through nbval (`pytest --nbval-lax`) in a real Jupyter kernel of
this environment, each copied into a folder of its own: every code cell must run without an
error, and the cells marked `# NBVAL_CHECK_OUTPUT` must print what the notebook stores, after
the sanitizers in notebooks/nbval_sanitize.cfg (addresses that vary). The experiments
notebook's stored experiment is then reloaded in a fresh process, whose re-run of the
optimized program must give the recorded outputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.postgres_server import PostgresServer
from tests.support.redis_server import RedisServer, require_redis

pytestmark = pytest.mark.integration

NOTEBOOK_DIR = Path(__file__).parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SANITIZE = NOTEBOOK_DIR / "nbval_sanitize.cfg"


def nbval(notebook: Path, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `notebook` with nbval in a kernel of this Python, from a copy in `folder` (the
    kernel's working directory: what the notebook writes stays there)."""
    copy = folder / notebook.name
    shutil.copy(notebook, copy)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
         "--nbval-sanitize-with", str(SANITIZE), "--nbval-cell-timeout", "600",
         "-p", "no:cacheprovider", "-q", "-rf", str(copy)],
        capture_output=True, text=True, timeout=1200, env=env, cwd=folder)


RERUN = """
import json, sys
import dspex_nb as dx

store = dx.ExperimentStore(sys.argv[1])
[experiment_id] = store.ids()
exp = dx.Experiment.load(experiment_id, store=store)
program = exp.program("optimized")
results = exp.report("optimized").results
with dx.context(cache=False):
    rerun = [dict(program(**{k: r.example[k] for k in r.input_keys})) for r in results]
print(json.dumps({"status": exp.status, "recorded": [r.prediction for r in results],
                  "errors": [r.error for r in results], "rerun": rerun,
                  "temperature": [(p.lm or dx.lm.default_local_lm()).defaults.get("temperature")
                                  if "temperature" not in p.config else p.config["temperature"]
                                  for p in program.predictors()]}))
"""


@pytest.fixture(scope="module")
def notebook_runs(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
                  ) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    runs = {}
    require_redis()
    redis = RedisServer().start()  # the caching tutorial's shared cache
    try:
        for notebook in NOTEBOOKS:
            folder = tmp_path_factory.mktemp(notebook.stem)
            env = {**os.environ, "DSPEX_CACHE_DIR": str(folder / "cache"),
                   "DSPEX_PG_DSN": postgres_server.dsn,  # the pgvector tutorial's database
                   "REDIS_URL": redis.url}
            runs[notebook.name] = (nbval(notebook, folder, env), folder)
    finally:
        redis.remove()
    return runs


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_code_cells_run(
        notebook: Path, notebook_runs: dict[str, tuple[subprocess.CompletedProcess[str], Path]]
) -> None:
    assert json.loads(notebook.read_text())["metadata"]["kernelspec"]["name"] == "python3"
    run, _ = notebook_runs[notebook.name]
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout, run.stdout[-2000:]


def test_the_stored_experiment_reruns_with_the_same_outputs_in_a_fresh_process(
        notebook_runs: dict[str, tuple[subprocess.CompletedProcess[str], Path]]) -> None:
    run, folder = notebook_runs["02_experiments.ipynb"]
    assert run.returncode == 0, run.stderr[-3000:]
    env = {**os.environ, "DSPEX_CACHE_DIR": str(folder / "fresh-cache")}
    check = subprocess.run([sys.executable, "-c", RERUN, str(folder / ".dspex" / "experiments")],
                           capture_output=True, text=True, timeout=600, env=env)
    assert check.returncode == 0, check.stderr[-3000:]
    data = json.loads(check.stdout.strip().splitlines()[-1])
    assert data["status"] == "finished"
    assert len(data["recorded"]) == 24
    assert all(error is None for error in data["errors"])
    assert data["temperature"] == [0.0]
    assert data["rerun"] == data["recorded"]


def test_the_teams_notebook_checks_the_output_of_its_pgvector_cell() -> None:
    # the cell runs only with DSPEX_PG_DSN (set above): its stored output is what nbval checks
    cells = json.loads((NOTEBOOK_DIR / "04_retrieval_for_teams.ipynb").read_text())["cells"]
    [cell] = [c for c in cells if "PgVectorRetriever(dsn" in "".join(c["source"])]
    assert "".join(cell["source"]).startswith("# NBVAL_CHECK_OUTPUT\n")
    stored = "".join("".join(o.get("text", [])) for o in cell["outputs"])
    assert "PgVectorRetriever(public.tutorial_superbowl on postgresql:" in stored
    assert "- 12 passages" in stored


def test_there_is_at_least_one_notebook() -> None:
    assert NOTEBOOKS
