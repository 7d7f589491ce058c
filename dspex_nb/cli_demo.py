"""The headless demo: evaluate an SST-2 classifier on the embedded model, optimize it with a
short SIMBA run on a train sample, and compare baseline and optimized on the same dev set."""

from __future__ import annotations

from typing import Literal

import dspex_nb as dx
from dspex_nb.data import load_sst2
from dspex_nb.evaluation.metrics import answer_exact_match
from dspex_nb.lm import default_local_lm


class Sentiment(dx.Signature):
    """Classify the sentiment of a movie review sentence."""

    sentence: str = dx.InputField()
    sentiment: Literal["positive", "negative"] = dx.OutputField()


def sentiment_match(example: dx.Example, prediction: dx.Prediction, trace: object = None
                    ) -> float:
    return answer_exact_match(example, prediction, trace, field="sentiment")


def run_demo(*, n: int = 100, use_cache: bool = True, steps: int = 2, train: int = 32,
             store: str = ".dspex/experiments") -> int:
    devset = load_sst2(limit=n)
    trainset = load_sst2(limit=train, split="train")
    lm = default_local_lm()
    print(f"dspex_nb demo: model {lm.model} (in-process), {len(devset)} SST-2 dev sentences, "
          f"{len(trainset)} train sentences for SIMBA")
    # The embedded model runs one call at a time; a little concurrency overlaps the Python.
    simba = dx.SIMBA(sentiment_match, bsize=8, num_candidates=3, max_steps=steps,
                     max_demos=2, concurrency=2)
    experiment = dx.Experiment(
        "sst2-simba-demo",
        "a short SIMBA run raises the embedded model's accuracy on SST-2 dev sentences",
        independent_variables={"optimizer": ["none", f"SIMBA ({steps} steps)"]},
        dependent_variables=["sentiment_match", "latency", "tokens"],
        dataset="SST-2 (GLUE) sample", program=dx.Predict(Sentiment), optimizer=simba,
        concurrency=2, store=store)
    print("Experiment: baseline on dev, SIMBA on train, optimized on the same dev sentences\n")
    with dx.context(cache=None if use_cache else False):
        experiment.run(trainset=trainset, devset=devset)
    print(f"\nbaseline on dev\n{experiment.report('baseline')}")
    print(f"\nSIMBA on train\n{experiment.optimization('optimized')}")
    print(f"\noptimized on dev\n{experiment.report('optimized')}")
    print(f"\npaired deltas, optimized vs baseline\n{experiment.deltas().to_string(index=False)}")
    print(f"\n{experiment}")
    print(f"\nLM calls {lm.calls} ({lm.cache_hits} from cache)")
    return 0 if experiment.status == "finished" else 1
