"""The dashboard and the trace view in JupyterLab, in headless Debian Chromium."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.jupyter_lab import JupyterLab, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]

XSS = "<img src=x onerror=alert(1)>"
CALLS = 10  # real LocalLM calls made by the notebook while the dashboard watches


def _read(page: Any, selector: str, attribute: str | None = None) -> str | None:
    element = page.query_selector(selector)
    if element is None:
        return None
    value = element.get_attribute(attribute) if attribute else element.text_content()
    return str(value) if value is not None else None


def test_dashboard_counters_rise_and_chart_gains_points_while_another_cell_runs(
    jupyter_lab: JupyterLab, browser_page: Any
) -> None:
    page = browser_page
    jupyter_lab.run_notebook(page, "dashboard.ipynb", [
        "import dspex_nb as dx\nboard = dx.dashboard(interval=0.25)\nboard",
        "from typing import Literal\n"
        "lm = dx.LocalLM()  # the real embedded model\n"
        "classify = dx.Predict(\"sentence -> sentiment: Literal['positive', 'negative']\", lm=lm)\n"
        f"for i in range({CALLS}):\n"
        "    classify(sentence=f'review {i}: a fine and moving film', config={'cache': False})\n"
        "print('loop done')",
        "from dspex_nb.retrieve import ChromaRetriever\n"
        "docs = ChromaRetriever('dash')\n"
        "docs.add(['Vienna is the capital of Austria.', 'The Danube flows east.'])\n"
        "for q in ['capital of Austria?', 'which river?', 'where does it flow?']:\n"
        "    docs.retrieve(q, k=1)",
    ], ready=".dx-dash")
    page.wait_for_selector(".dx-dash svg", timeout=30_000)

    calls_seen: list[int] = []
    points_seen: list[int] = []
    busy_while_counting = False
    deadline = time.monotonic() + 300  # generous: a loaded machine slows the model a lot
    while time.monotonic() < deadline:
        calls = _read(page, '.dx-dash [data-card="calls"] .value')
        points = _read(page, "[data-points]", "data-points")
        if calls is not None:
            value = int(calls.replace(",", ""))
            if not calls_seen or calls_seen[-1] != value:
                calls_seen.append(value)
                running = page.query_selector(
                    '.jp-Notebook-ExecutionIndicator[data-status="busy"]') is not None
                busy_while_counting |= running and 0 < value < CALLS
        if points is not None and (not points_seen or points_seen[-1] != int(points)):
            points_seen.append(int(points))
        if calls_seen and calls_seen[-1] >= CALLS and points_seen and points_seen[-1] >= CALLS:
            break
        time.sleep(0.2)
    screenshot(page, "dashboard")

    assert calls_seen[-1] == CALLS
    assert len(calls_seen) >= 3, calls_seen  # it rose in steps, live, not once at the end
    assert calls_seen == sorted(calls_seen)
    assert busy_while_counting  # seen rising while the other cell was still running
    assert points_seen[-1] >= CALLS
    assert len(points_seen) >= 3, points_seen
    assert page.query_selector_all(".dx-dash svg .mark-symbol path")

    # then the retrieval cell: its searches are counted beside the LM calls
    row = page.wait_for_selector('.dx-dash tr[data-retriever="chroma:dash"]', timeout=120_000)
    assert row is not None
    page.wait_for_function(
        """() => document.querySelector('.dx-dash [data-card="searches"] .value')
                 ?.textContent === '3'""", timeout=30_000)
    # the card and the table are drawn separately: wait for the row's own counts as well
    page.wait_for_function(
        """() => [...document.querySelectorAll(
                   '.dx-dash tr[data-retriever="chroma:dash"] td')].slice(1, 4)
                 .every(td => td.textContent === '3')""", timeout=30_000)
    row = page.query_selector('.dx-dash tr[data-retriever="chroma:dash"]')  # as drawn now
    assert row is not None
    cells = [c.text_content() for c in row.query_selector_all("td")]
    assert cells[:4] == ["chroma:dash", "3", "3", "3"] and cells[4].endswith(" ms")
    assert _read(page, '.dx-dash [data-card="calls"] .value') == str(CALLS)
    assert page.dialogs == []


def test_trace_view_shows_the_tree_and_lm_text_escaped(
    jupyter_lab: JupyterLab, browser_page: Any
) -> None:
    page = browser_page
    jupyter_lab.run_notebook(page, "trace.ipynb", [
        "import dspex_nb as dx\n"
        f"lm = dx.ScriptedLM([{{'answer': {XSS!r}}}])\n"
        "with dx.trace() as t:\n"
        "    dx.Predict('question -> answer', lm=lm)(question='hello?')\n"
        "t",
    ], ready=".dx-trace .row")
    kinds = [r.get_attribute("data-kind") for r in page.query_selector_all(".dx-trace .row")]
    assert kinds == ["trace", "predict", "lm"]

    page.click('.dx-trace .row[data-kind="lm"]')
    response = page.wait_for_selector(".dx-trace .details:not([hidden]) .response")
    assert response is not None
    assert XSS in (response.text_content() or "")
    screenshot(page, "trace_view")
    assert page.query_selector_all(".dx-trace img") == []
    assert page.dialogs == []
