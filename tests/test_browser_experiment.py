"""The experiment comparison widget in JupyterLab, in headless Debian Chromium: verdict, chart,
delta table, flipped examples with their filter, the prompt diff, and LM text kept as text."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.jupyter_lab import JupyterLab, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]

XSS = "<img src=x onerror=alert(1)>"

CELL = f"""
import dspex_nb as dx

def control_answer(request):
    text = request.messages[-1]["content"]
    return {{"answer": "yes" if any(f"q{{i}}" in text for i in (0, 1, 2)) else "no"}}

def arm_answer(request):
    text = request.messages[-1]["content"]
    if "q0" in text:
        return {{"answer": {XSS!r}}}
    return {{"answer": "yes" if "q3" not in text else "no"}}

devset = [dx.Example(question=f"q{{i}}", answer="yes").with_inputs("question") for i in range(8)]
control = dx.Predict("question -> answer", lm=dx.ScriptedLM(control_answer))
arm = dx.Predict("question -> answer", lm=dx.ScriptedLM(arm_answer))
arm.instructions = control.instructions + " Always weigh the question twice."
exp = dx.Experiment("browser check", "the new instructions raise exact match",
                    arms={{"old": control, "new": arm}},
                    metrics=[dx.metrics.answer_exact_match], store="store")
exp.run(devset=devset)
print("VERDICT", exp.verdict)
exp
"""


def test_experiment_view_renders_verdict_chart_flips_and_prompt_diff(
    jupyter_lab: JupyterLab, browser_page: Any
) -> None:
    page = browser_page
    jupyter_lab.run_notebook(page, "experiment.ipynb", [CELL], ready=".dx-exp .chart svg")
    printed = page.wait_for_selector("text=/VERDICT /", timeout=30_000).text_content() or ""
    verdict = printed.split("VERDICT ", 1)[1].strip()
    badge = page.query_selector(".dx-exp .verdict")
    assert badge is not None and badge.get_attribute("data-verdict") == verdict
    assert "new vs old, answer_exact_match" in (page.text_content(".dx-exp .verdict-text") or "")

    # One interval and one point per (arm, variable): 2 arms x 4 variables.
    page.wait_for_function(
        "() => document.querySelectorAll('.dx-exp .chart .mark-symbol path').length >= 8",
        timeout=30_000)
    assert len(page.query_selector_all(".dx-exp .chart .mark-rule line")) >= 8
    assert page.query_selector('.dx-exp .deltas tr[data-variable="answer_exact_match"]')
    # While it ran: a heading above each arm's live evaluation table.
    headings = [h.text_content() for h in page.query_selector_all(".dx-exp-phase")]
    assert headings == ["Experiment 'browser check' · arm 'old' (1 of 2) · evaluate",
                        "Experiment 'browser check' · arm 'new' (2 of 2) · evaluate"]
    assert len(page.query_selector_all(".dx-eval")) == 2

    # control: q0-q2 right; arm: q1, q2, q4-q7 right (q0 answered with markup, q3 "no").
    def flipped() -> list[tuple[str | None, str | None]]:
        return [(r.get_attribute("data-index"), r.get_attribute("data-direction"))
                for r in page.query_selector_all(".dx-exp table.flipped tbody tr")]

    assert flipped() == [("0", "lost"), ("4", "gained"), ("5", "gained"), ("6", "gained"),
                         ("7", "gained")]
    page.select_option(".dx-exp select.direction", "lost")
    page.wait_for_function(
        "() => document.querySelectorAll('.dx-exp table.flipped tbody tr').length === 1")
    row = page.query_selector(".dx-exp table.flipped tbody tr")
    assert row is not None and XSS in (row.text_content() or "")
    page.select_option(".dx-exp select.direction", "all")
    page.fill(".dx-exp input.search", "q5")
    page.wait_for_function(
        "() => document.querySelectorAll('.dx-exp table.flipped tbody tr').length === 1")
    assert flipped() == [("5", "gained")]

    added = [e.text_content() for e in page.query_selector_all(".dx-exp .diff ins.add")]
    assert any("weigh the question twice" in (t or "") for t in added)
    screenshot(page, "experiment_view")
    assert page.query_selector_all(".dx-exp img") == []
    assert page.dialogs == []
