"""Every Python block in docs/ runs in CI or says why it cannot.

A block preceded by `<!-- not runnable: <reason> -->` is a fragment (it names the reader's own
program, a server or a file they have); every other block runs here, the blocks of a page in
order and in one namespace (as a reader pastes them into a notebook), in a folder of its own,
on the embedded model, offline. Pages with a runner of their own are listed in ELSEWHERE.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.doc_blocks import blocks

DOCS = Path(__file__).parent.parent / "docs"
ELSEWHERE = {"coming-from-dspy.md": "tests/test_coming_from_dspy.py (a schema-aware ScriptedLM)"}
RUN_PAGE = """
import json, linecache, sys, traceback, types
main = types.ModuleType("__main__")  # as in a kernel: classes defined here can be found again
sys.modules["__main__"] = main
for n, (line, code) in enumerate(json.load(open(sys.argv[1]))):
    cell = f"{sys.argv[2]}:{line}"
    linecache.cache[cell] = (len(code), None, code.splitlines(True), cell)  # as IPython keeps it
    try:
        exec(compile(code, cell, "exec"), main.__dict__)
    except BaseException:
        traceback.print_exc()
        sys.exit(f"block {n + 1} (line {line}) failed")
"""


PAGES = sorted(DOCS.rglob("*.md"))
RUNNABLE = [p for p in PAGES if p.name not in ELSEWHERE
            and any(b.reason is None for b in blocks(p))]


def test_every_not_runnable_marker_gives_a_reason_and_precedes_a_python_block() -> None:
    for page in PAGES:
        text = page.read_text()
        markers = re.findall(r"<!-- not runnable:([^>]*?)-->", text)
        marked = [b for b in blocks(page) if b.reason is not None]
        assert len(markers) == len(marked), f"{page.name}: a marker not right above ```python"
        assert all(len(b.reason.strip()) > 10 for b in marked), page.name  # type: ignore


def test_the_cookbook_has_at_least_twelve_runnable_recipes() -> None:
    page = DOCS / "cookbook.md"
    recipes = re.findall(r"^## ", page.read_text(), flags=re.M)
    assert len(recipes) >= 12
    assert len([b for b in blocks(page) if b.reason is None]) >= 12


@pytest.mark.integration
@pytest.mark.parametrize("page", RUNNABLE, ids=lambda p: p.name)
def test_the_runnable_blocks_of_a_page_run(page: Path, tmp_path: Path) -> None:
    code = [(b.line, b.code) for b in blocks(page) if b.reason is None]
    (tmp_path / "blocks.json").write_text(json.dumps(code))
    env = {**os.environ, "DSPEX_CACHE_DIR": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-c", RUN_PAGE, str(tmp_path / "blocks.json"),
                          page.name], capture_output=True, text=True, timeout=900, env=env,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-4000:]
