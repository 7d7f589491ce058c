"""The pictures of the views in the docs, taken here: each view drawn by a real run on the
embedded model in JupyterLab (headless Debian Chromium), checked to have finished, then saved
to docs/img/views/ so the docs show what the current code draws. Run the browser tests and
commit the images when a view changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.jupyter_lab import JupyterLab, count_attribute

pytestmark = [pytest.mark.browser, pytest.mark.integration]

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "img" / "views"
LONG = 600_000  # ms: a real SIMBA run on a loaded 2-core machine

SETUP = """
from typing import Literal

import dspex_nb as dx
from dspex_nb.data import load_sst2


class Sentiment(dx.Signature):
    \"\"\"Classify the sentiment of a movie review sentence.\"\"\"

    sentence: str = dx.InputField()
    sentiment: Literal["positive", "negative"] = dx.OutputField()


def sentiment_match(example, prediction, trace=None):
    return dx.metrics.answer_exact_match(example, prediction, trace, field="sentiment")


devset = load_sst2(limit=24)
"""


def tall(page: Any) -> Any:
    """A window tall enough for a whole view: a picture of an element taller than the window
    would show JupyterLab's toolbars over it."""
    page.set_viewport_size({"width": 1280, "height": 2400})
    return page


def save_view(page: Any, selector: str, name: str) -> Path:
    """A picture of the first element matching `selector`, once it has a real size."""
    element = page.wait_for_selector(selector, state="visible", timeout=60_000)
    assert element is not None
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 30, box
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / f"{name}.png"
    element.screenshot(path=str(path))
    assert path.stat().st_size > 1_000
    return path


def test_pictures_of_the_evaluation_table_the_dashboard_and_a_batch(
    jupyter_lab: JupyterLab, browser_page: Any
) -> None:
    page = tall(browser_page)
    jupyter_lab.run_notebook(page, "gallery-eval.ipynb", [
        SETUP + "board = dx.dashboard(interval=0.25)\nboard",
        "report = dx.evaluate(dx.Predict(Sentiment), devset, [sentiment_match], concurrency=2)",
        "classify = dx.Predict(Sentiment)\n"
        "result = classify.batch([{'sentence': e.sentence} for e in load_sst2(limit=16, "
        "split='train')], concurrency=2)\nresult",
    ], ready=".dx-eval", timeout_ms=120_000)
    page.wait_for_function(
        "() => (document.querySelector('.dx-eval .status')?.textContent || '').includes('done')"
        " && document.querySelector('[data-rows]')?.getAttribute('data-rows') === '24'",
        timeout=LONG)
    page.wait_for_function(
        "() => (document.querySelector('.dx-batch .status')?.textContent || '')"
        ".split(' · ').includes('done')", timeout=LONG)
    assert (page.text_content(".dx-batch .status") or "").startswith("16 / 16")
    save_view(page, ".dx-batch", "batch")

    # a row's details come from the kernel: asked once the last cell has finished
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=LONG)
    page.click('.dx-eval tbody tr[data-index="0"]')
    page.wait_for_selector(".dx-eval .detail .response", timeout=30_000)
    save_view(page, ".dx-eval", "evaluation-table")

    # 24 evaluated + 16 in the batch, every call counted (some may be cache hits)
    page.wait_for_function(
        """() => Number((document.querySelector('.dx-dash [data-card="calls"] .value')
                 ?.textContent || '0').replace(/,/g, '')) >= 40""", timeout=60_000)
    save_view(page, ".dx-dash", "dashboard")
    assert page.dialogs == []


def test_pictures_of_an_experiment_and_a_trace(
    jupyter_lab: JupyterLab, browser_page: Any
) -> None:
    page = tall(browser_page)
    jupyter_lab.run_notebook(page, "gallery-experiment.ipynb", [
        SETUP +
        "careful = dx.Predict(Sentiment)\n"
        "careful.instructions += ' Words like \"not\" or \"never\" can turn the sentiment.'\n"
        "exp = dx.Experiment('negation hint', 'a hint about negation raises accuracy',\n"
        "                    arms={'plain': dx.Predict(Sentiment), 'hint': careful},\n"
        "                    metrics=[sentiment_match], store='store', concurrency=2)\n"
        "with dx.context(cache=False):  # both arms really called, not read from the cache\n"
        "    exp.run(devset=devset)\n"
        "exp",
        "class Gist(dx.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.shorten = dx.Predict('sentence -> gist', max_tokens=32)\n"
        "        self.classify = dx.Predict(Sentiment)\n"
        "\n"
        "    def forward(self, sentence):\n"
        "        return self.classify(sentence=self.shorten(sentence=sentence).gist)\n"
        "\n"
        "with dx.trace() as t:\n"
        "    Gist()(sentence=devset[0].sentence)\n"
        "t",
    ], ready=".dx-exp .chart svg", timeout_ms=LONG)
    page.wait_for_function(
        "() => document.querySelectorAll('.dx-exp .chart .mark-symbol path').length >= 2",
        timeout=60_000)
    assert page.query_selector(".dx-exp .verdict[data-verdict]") is not None
    save_view(page, ".dx-exp", "experiment")

    page.wait_for_selector('.dx-trace .row[data-kind="lm"]', timeout=LONG)
    kinds = [r.get_attribute("data-kind") for r in page.query_selector_all(".dx-trace .row")]
    assert kinds.count("predict") == 2 and kinds.count("lm") == 2, kinds
    page.click('.dx-trace .row[data-kind="lm"]')
    page.wait_for_selector(".dx-trace .details:not([hidden]) .response", timeout=30_000)
    save_view(page, ".dx-trace", "trace")
    assert page.dialogs == []


def test_picture_of_a_simba_run(jupyter_lab: JupyterLab, browser_page: Any) -> None:
    page = tall(browser_page)
    jupyter_lab.run_notebook(page, "gallery-simba.ipynb", [
        SETUP +
        "labelled = load_sst2(split='train')\n"
        "simba = dx.SIMBA(sentiment_match, bsize=8, num_candidates=2, max_demos=2,\n"
        "                 strategies=['append_demo'], max_lm_calls=200, concurrency=2)\n"
        "optimized = simba.compile(dx.Predict(Sentiment), trainset=labelled[:32],\n"
        "                          valset=labelled[32:])",
    ], ready=".dx-opt svg", timeout_ms=120_000)
    page.wait_for_function(
        "() => (document.querySelector('.dx-opt .muted')?.textContent || '').includes('done:')",
        timeout=LONG)
    assert count_attribute(page, "[data-points]", "data-points") >= 3
    save_view(page, ".dx-opt", "simba")
    assert page.dialogs == []
