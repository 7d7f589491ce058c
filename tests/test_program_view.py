"""A program's notebook summary: predictors, instructions, demos, the LM and its server, the
snapshot it came from; every text escaped."""

from __future__ import annotations

from pathlib import Path

import dspex_nb as dx
from dspex_nb.views.program_view import program_html


class TwoStep(dx.Module):
    def __init__(self) -> None:
        self.draft = dx.Predict("question -> draft")
        self.answer = dx.ChainOfThought("question, draft -> answer")


def test_the_summary_shows_each_predictor_with_its_demos_and_lm() -> None:
    program = TwoStep()
    program.draft.instructions = "Draft <quickly> & well."
    program.answer.predict.demos = [{"question": "q", "draft": "d", "reasoning": "r",
                                     "answer": "a"}] * 2
    program.draft.lm = dx.LM("gpt-4o-mini", base_url="http://127.0.0.1:9/v1")
    page = program_html(program)
    assert "<code>draft</code>" in page and "<code>answer.predict</code>" in page
    assert "Draft &lt;quickly&gt; &amp; well." in page
    assert "<td>2</td>" in page
    assert "gpt-4o-mini @ http://127.0.0.1:9/v1" in page
    assert "the configured LM" in page


def test_a_loaded_program_names_its_snapshot(tmp_path: Path) -> None:
    ref = dx.save(TwoStep(), "two-step", store=tmp_path)
    page = program_html(dx.load(ref, store=tmp_path))
    assert f"loaded from <code>{ref}</code>" in page
    assert "tests.test_program_view.TwoStep" in page


def test_long_instructions_are_folded() -> None:
    program = TwoStep()
    program.draft.instructions = "x" * 1000
    assert "700 more characters" in program_html(program)
