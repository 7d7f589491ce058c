"""The headless demo: evaluate an SST-2 classifier on the embedded model with the harness."""

from __future__ import annotations

from typing import Literal

import dspex_nb as dx
from dspex_nb.data import load_sst2
from dspex_nb.evaluate.metrics import answer_exact_match
from dspex_nb.lm import default_local_lm


class Sentiment(dx.Signature):
    """Classify the sentiment of a movie review sentence."""

    sentence: str = dx.InputField()
    sentiment: Literal["positive", "negative"] = dx.OutputField()


def sentiment_match(example: dx.Example, prediction: dx.Prediction, trace: object = None
                    ) -> float:
    return answer_exact_match(example, prediction, trace, field="sentiment")


def run_demo(*, n: int = 100, use_cache: bool = True) -> int:
    devset = load_sst2(limit=n)
    lm = default_local_lm()
    print(f"dspex_nb demo: {len(devset)} SST-2 dev sentences, model {lm.model} (in-process)")
    with dx.context(cache=None if use_cache else False):
        # The embedded model runs one call at a time; more concurrency would only queue.
        report = dx.evaluate(dx.Predict(Sentiment), devset, [sentiment_match], concurrency=2)
    print(report)
    print(f"LM calls      {lm.calls} ({lm.cache_hits} from cache)")
    return 0 if report.failures < len(devset) else 1
