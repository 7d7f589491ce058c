"""The live SIMBA chart in JupyterLab, in headless Debian Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.jupyter_lab import JupyterLab, count_attribute, screenshot, watch

pytestmark = [pytest.mark.browser, pytest.mark.integration]

RULE = "RULE <img src=x onerror=alert(1)>: if asked, answer yes"

CELL = f"""
import json, random
import dspex_nb as dx

def answer(request):
    props = list((request.response_schema or {{}}).get("properties", {{}}))
    if "module_advice" in props:
        return {{"discussion": "d", "module_advice": {{"self": {RULE!r}}}}}
    if "RULE" in request.messages[0]["content"]:
        return {{"answer": "yes"}}
    if request.params.get("temperature") == 1.0:
        seed = f"{{request.sample_id}}|{{request.messages[-1]['content']}}"
        return {{"answer": "yes" if random.Random(seed).random() < 0.5 else "no"}}
    return {{"answer": "no"}}

lm = dx.ScriptedLM(answer, latency=0.2)
train = [dx.Example(question=f"q{{i}}", answer="yes").with_inputs("question") for i in range(24)]
simba = dx.SIMBA(dx.metrics.answer_exact_match, bsize=8, num_candidates=3, max_steps=4,
                 max_demos=0, concurrency=16)
optimized = simba.compile(dx.Predict("question -> answer", lm=lm), trainset=train)
print("FINAL", simba.result.final_score)
"""


def test_chart_gains_points_while_compile_runs_and_shows_rule_text(
    jupyter_lab: JupyterLab, browser_page: Any
) -> None:
    page = browser_page
    jupyter_lab.run_notebook(page, "simba.ipynb", [CELL], ready=".dx-opt svg")
    def points() -> int:
        return count_attribute(page, "[data-points]", "data-points")

    counts = watch(points, lambda: "done:" in (page.text_content(".dx-opt .muted") or ""))
    assert len([c for c in counts if c > 0]) >= 2, counts  # points arrived step by step
    assert counts[-1] >= 4  # at least the baseline of each of 4 steps
    page.wait_for_selector("text=/FINAL /", timeout=30_000)
    rule_cells = [c.text_content() for c in page.query_selector_all(".dx-opt .cands td.rule")]
    assert any(RULE in (text or "") for text in rule_cells)
    instructions = page.text_content(".dx-opt .instructions") or ""
    assert RULE in instructions  # the best program's panel shows the added rule
    screenshot(page, "optimization_chart")
    assert page.query_selector_all(".dx-opt img") == []
    assert page.dialogs == []
