"""The live evaluation table in JupyterLab, in headless Debian Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.jupyter_lab import JupyterLab, count_attribute, screenshot, watch

pytestmark = [pytest.mark.browser, pytest.mark.integration]

XSS = "<img src=x onerror=alert(1)>"

CELL = f"""
import dspex_nb as dx

def answer(request):
    text = request.messages[-1]["content"]
    n = int(text.split("#")[1])
    if n == 7:
        return {{"answer": {XSS!r}}}
    return {{"answer": "yes" if n % 3 else "no"}}

lm = dx.ScriptedLM(answer, latency=0.15)
devset = [dx.Example(question=f"is it #{{i}}", answer="yes").with_inputs("question")
          for i in range(40)]
report = dx.Harness([dx.metrics.answer_exact_match], concurrency=4).run(
    dx.Predict("question -> answer", lm=lm), devset)
print("MEAN", report["answer_exact_match"].mean)
"""


def test_eval_table_streams_rows_matches_the_report_and_escapes_lm_text(
    jupyter_lab: JupyterLab, browser_page: Any
) -> None:
    page = browser_page

    def rows() -> int:
        return count_attribute(page, "[data-rows]", "data-rows")

    def finished() -> bool:
        return rows() == 40 and "done" in (page.text_content(".dx-eval .status") or "")

    jupyter_lab.run_notebook(page, "evaluation.ipynb", [CELL], ready=".dx-eval")
    counts = watch(rows, finished)
    assert counts[-1] == 40, (counts, page.text_content(".dx-eval .status"))
    assert len(counts) >= 3, counts  # rows arrived in batches while the run went on

    output = page.wait_for_selector("text=/MEAN /", timeout=30_000)
    assert output is not None
    python_mean = float(re.search(r"MEAN ([0-9.]+)", output.text_content() or "").group(1))  # type: ignore[union-attr]
    shown = page.text_content('.dx-eval [data-metric="answer_exact_match"] b') or ""
    assert float(shown) == pytest.approx(python_mean, abs=5e-4)
    assert "[" in (page.text_content('.dx-eval [data-metric="answer_exact_match"]') or "")

    page.select_option(".dx-eval select.outcome", "fail")
    page.wait_for_timeout(400)
    failing = page.query_selector_all(".dx-eval tbody tr")
    assert 0 < len(failing) < 40

    page.click('.dx-eval tbody tr[data-index="7"]')
    response = page.wait_for_selector(".dx-eval .detail .response", timeout=15_000)
    assert response is not None
    assert XSS in (response.text_content() or "")
    assert page.query_selector(".dx-eval .detail .prompt") is not None
    screenshot(page, "eval_table")
    assert page.query_selector_all(".dx-eval img") == []
    assert page.dialogs == []


IN_A_TAB = """
import ipywidgets as widgets
import dspex_nb as dx

lm = dx.ScriptedLM(lambda request: {"answer": "yes"}, latency=0.15)
devset = [dx.Example(question=f"is it #{i}", answer="yes").with_inputs("question")
          for i in range(30)]
out, out_simba, out_batch = widgets.Output(), widgets.Output(), widgets.Output()
tabs = widgets.Tab(children=[widgets.HTML("another page"), out, out_simba, out_batch],
                   titles=["notes", "evaluation", "optimization", "batch"])
tabs.selected_index = 1
display(tabs)
with out:
    report = dx.evaluate(dx.Predict("question -> answer", lm=lm), devset,
                         [dx.metrics.answer_exact_match], concurrency=2)
print("MEAN", report["answer_exact_match"].mean)
with out_simba:
    dx.SIMBA(dx.metrics.answer_exact_match, bsize=4, num_candidates=2, max_steps=1,
             max_demos=1, strategies=["append_demo"]).compile(
        dx.Predict("question -> answer", lm=lm), trainset=devset[:8])
with out_batch:
    dx.Predict("question -> answer", lm=lm).batch(
        [{"question": f"q{i}"} for i in range(40)], concurrency=2)
print("ALL", "DONE")  # printed, the two words meet; in this source they never do
"""


def test_live_views_run_inside_the_output_widgets_of_a_tab(
    jupyter_lab: JupyterLab, browser_page: Any
) -> None:
    page = browser_page
    jupyter_lab.run_notebook(page, "in-a-tab.ipynb", [IN_A_TAB], ready=".widget-tab .dx-eval")

    def rows() -> int:
        return count_attribute(page, ".widget-tab [data-rows]", "data-rows")

    counts = watch(rows, lambda: rows() == 30 or "done" in (
        page.text_content(".widget-tab .dx-eval .status") or ""))
    assert len(counts) >= 3, counts  # it grew inside the tab while the cell ran
    page.wait_for_selector("text=/ALL DONE/", timeout=120_000)
    page.wait_for_function(
        "() => document.querySelector('.widget-tab [data-rows]')?.getAttribute('data-rows')"
        " === '30'", timeout=30_000)
    assert float(page.text_content('.widget-tab .dx-eval [data-metric="answer_exact_match"] b')
                 or "nan") == 1.0
    # each run's live view in its own tab, none below the cell
    for view in (".dx-eval", ".dx-opt", ".dx-batch"):
        assert page.query_selector(f".widget-tab {view}") is not None, view
        assert len(page.query_selector_all(view)) == 1, view
    page.click(".widget-tab >> text=optimization")
    page.wait_for_selector(".widget-tab .dx-opt svg", state="visible", timeout=30_000)
    page.click(".widget-tab >> text=batch")
    page.wait_for_selector(".widget-tab .dx-batch", state="visible", timeout=30_000)
    assert (page.text_content(".widget-tab .dx-batch .status") or "").startswith("40 / 40")
    screenshot(page, "views_in_a_tab")
