"""Attempts and chains side by side in the trace view, a batch's live view, and a retried
prediction as a table, in JupyterLab in headless Debian Chromium."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.jupyter_lab import JupyterLab, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]

XSS = "<img src=x onerror=alert(1)>"


def test_retry_attempts_stand_side_by_side_in_the_trace_and_as_a_table(
    jupyter_lab: JupyterLab, browser_page: Any
) -> None:
    page = browser_page
    jupyter_lab.run_notebook(page, "retry.ipynb", [
        "import dspex_nb as dx\n"
        f"lm = dx.ScriptedLM([{{'answer': {XSS!r}}}, {{'answer': '4'}}])\n"
        "digits = lambda inputs, pred: pred.answer.isdigit() or 'digits only'\n"
        "robust = dx.Retry(dx.Predict('question -> answer', lm=lm), checks=[digits])\n"
        "with dx.trace() as t:\n"
        "    pred = robust(question='2+2?')\n"
        "t",
        "pred",
    ], ready=".dx-trace .side")
    columns = page.query_selector_all(".dx-trace .side > ul")
    assert [c.get_attribute("data-passed") for c in columns] == ["false", "true"]
    assert all(c.query_selector('.row[data-kind="predict"]') for c in columns)
    table = page.wait_for_selector(".dx-prediction", timeout=30_000)
    assert table is not None
    text = table.text_content() or ""
    assert "2 attempts" in text and "returned attempt 2" in text and XSS in text
    screenshot(page, "retry_attempts")
    assert page.query_selector_all(".dx-trace img, .dx-prediction img") == []
    assert page.dialogs == []


def test_a_long_batch_shows_a_live_view_that_counts_up_and_ends_done(
    jupyter_lab: JupyterLab, browser_page: Any
) -> None:
    page = browser_page
    jupyter_lab.run_notebook(page, "batch.ipynb", [
        "import dspex_nb as dx\n"
        "lm = dx.ScriptedLM(lambda r: dx.ServerError('down') if 'q7' in r.messages[1]['content']"
        " else {'answer': 'ok'}, latency=0.2)\n"
        "qa = dx.Predict('question -> answer', lm=lm)\n"
        "result = qa.batch([{'question': f'q{i}'} for i in range(40)], concurrency=2)\n"
        "result",
    ], ready=".dx-batch")
    seen: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = page.query_selector(".dx-batch .status")
        text = status.text_content() if status is not None else None
        if text and (not seen or seen[-1] != text):
            seen.append(text)
        if text and "done" in text.split(" · "):
            break
        time.sleep(0.2)
    screenshot(page, "batch_view")
    assert seen and seen[-1].startswith("40 / 40 · 1 failed")
    assert len(seen) >= 3, seen  # it counted up while the cell ran, not once at the end
    assert page.query_selector('.dx-batch [data-error="ServerError"]') is not None
    summary = page.wait_for_selector(".dx-batch-result", timeout=30_000)
    assert summary is not None and "40/40 done, 1 failed" in (summary.text_content() or "")
