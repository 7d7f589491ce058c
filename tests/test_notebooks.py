"""Every tutorial notebook's code cells run, in order, in IPython's shell inside a running event
loop (as in a Jupyter kernel: magics and top-level `await` work, and sync calls must work beside
the running loop), each in a folder of its own. The experiments notebook's stored experiment
is then reloaded in a fresh process, whose re-run of the optimized program must give the
recorded outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.postgres_server import PostgresServer
from tests.support.redis_server import RedisServer, require_redis

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
pytestmark = pytest.mark.integration

RUNNER = """
import asyncio, json, sys
from IPython.core.interactiveshell import InteractiveShell

async def main(path):
    shell = InteractiveShell.instance()  # what a kernel runs cells with: magics, top-level await
    for cell in json.load(open(path))["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        result = await shell.run_cell_async(source, store_history=True,
                                            transformed_cell=shell.transform_cell(source))
        result.raise_error()

asyncio.run(main(sys.argv[1]))
"""

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
            runs[notebook.name] = (subprocess.run(
                [sys.executable, "-c", RUNNER, str(notebook)], capture_output=True, text=True,
                timeout=900, env=env, cwd=folder), folder)
    finally:
        redis.remove()
    return runs


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_code_cells_run(
        notebook: Path, notebook_runs: dict[str, tuple[subprocess.CompletedProcess[str], Path]]
) -> None:
    assert json.loads(notebook.read_text())["metadata"]["kernelspec"]["name"] == "python3"
    run, _ = notebook_runs[notebook.name]
    assert run.returncode == 0, run.stderr[-3000:]


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


def test_the_teams_notebook_ran_its_pgvector_cells(
        notebook_runs: dict[str, tuple[subprocess.CompletedProcess[str], Path]]) -> None:
    run, _ = notebook_runs["04_retrieval_for_teams.ipynb"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert "PgVectorRetriever(public.tutorial_superbowl on" in run.stdout
    assert "12 passages" in run.stdout


def test_there_is_at_least_one_notebook() -> None:
    assert NOTEBOOKS
