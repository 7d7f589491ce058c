"""An experiment with arms on the embedded model: Predict vs ChainOfThought on SST-2.

    .venv/bin/python benchmarks/experiment_arms.py [-n 100] [--store DIR]

Both arms run on the same dev sentences (bundled SST-2 sample), cache off, so accuracy,
latency and tokens are the model's; the verdict is on accuracy ("ChainOfThought raises
accuracy"). Prints the summary, the paired deltas, the verdict, the record's size on disk and
the time to list and to load it back.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import dspex_nb as dx
from dspex_nb.data import load_sst2


class Sentiment(dx.Signature):
    """Classify the sentiment of a movie review sentence."""

    sentence: str = dx.InputField()
    sentiment: Literal["positive", "negative"] = dx.OutputField()


def sentiment_match(example: dx.Example, prediction: dx.Prediction, trace: Any = None) -> bool:
    return bool(dx.metrics.answer_exact_match(example, prediction, trace, field="sentiment"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--store", default=None)
    args = parser.parse_args()
    store = dx.ExperimentStore(args.store or tempfile.mkdtemp(prefix="dspex-arms-"))
    exp = dx.Experiment(
        "sst2-predict-vs-cot", "ChainOfThought raises the embedded model's SST-2 accuracy",
        arms={"predict": dx.Arm(dx.Predict(Sentiment), variables={"module": "Predict"}),
              "cot": dx.Arm(dx.ChainOfThought(Sentiment, max_tokens=160),
                            variables={"module": "ChainOfThought"})},
        independent_variables={"module": ["Predict", "ChainOfThought"]},
        metrics=[sentiment_match], dependent_variables=["sentiment_match", "latency", "tokens"],
        dataset="SST-2 sample", concurrency=2, store=store, display="text")
    started = time.perf_counter()
    with dx.context(cache=False):
        exp.run(devset=load_sst2(limit=args.n))
    wall = time.perf_counter() - started
    print(exp.summary().to_string())
    print(exp.deltas().to_string(index=False))
    print(exp.verdict_text)
    path = store.path_of(exp.id)
    t0 = time.perf_counter()
    store.list()
    t1 = time.perf_counter()
    loaded = dx.Experiment.load(exp.id, store=store)
    loaded.program("cot")
    t2 = time.perf_counter()
    print(f"wall {wall:.1f} s; record {Path(path).stat().st_size / 1e6:.2f} MB at {path}; "
          f"list {1000 * (t1 - t0):.1f} ms, load + rebuild program {1000 * (t2 - t1):.1f} ms")


if __name__ == "__main__":
    main()
