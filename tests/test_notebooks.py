"""Every tutorial notebook's code cells run, in order, inside a running event loop (as in a
Jupyter kernel: top-level `await` works, and sync calls must work beside the running loop)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
pytestmark = pytest.mark.integration

RUNNER = """
import ast, asyncio, json, sys

async def main(path):
    namespace = {"__name__": "__main__"}
    for cell in json.load(open(path))["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        code = compile(source, path, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, namespace)
        if asyncio.iscoroutine(result):
            await result

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_code_cells_run(notebook: Path, tmp_path: Path) -> None:
    assert json.loads(notebook.read_text())["metadata"]["kernelspec"]["name"] == "python3"
    env = {**os.environ, "DSPEX_CACHE_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", RUNNER, str(notebook)], capture_output=True,
                         text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr[-3000:]


def test_there_is_at_least_one_notebook() -> None:
    assert NOTEBOOKS
