"""The headless demo: evaluate an SST-2 classifier on the embedded model, optimize it with a
short SIMBA run on a train sample, and compare baseline and optimized on the same dev set."""

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


def run_demo(*, n: int = 100, use_cache: bool = True, steps: int = 2, train: int = 32) -> int:
    devset = load_sst2(limit=n)
    trainset = load_sst2(limit=train, split="train")
    lm = default_local_lm()
    print(f"dspex_nb demo: model {lm.model} (in-process), {len(devset)} SST-2 dev sentences, "
          f"{len(trainset)} train sentences for SIMBA")
    program = dx.Predict(Sentiment)
    # The embedded model runs one call at a time; a little concurrency overlaps the Python.
    with dx.context(cache=None if use_cache else False):
        print("\n1. baseline on dev")
        baseline = dx.evaluate(program, devset, [sentiment_match], concurrency=2)
        print(baseline)
        print(f"\n2. SIMBA on train ({steps} steps)")
        simba = dx.SIMBA(sentiment_match, bsize=8, num_candidates=3, max_steps=steps,
                         max_demos=2, concurrency=2)
        optimized = simba.compile(program, trainset=trainset)
        print(simba.result)
        print("\n3. optimized on dev")
        after = dx.evaluate(optimized, devset, [sentiment_match], concurrency=2)
        print(after)
    print("\n4. paired comparison on the same dev examples")
    print(dx.compare(baseline, after, names=("baseline", "optimized")))
    print(f"\nLM calls {lm.calls} ({lm.cache_hits} from cache)")
    return 0
