"""The headless demo: route bank customers' messages to one of six intents (Banking77) on the
embedded model, optimize the classifier with SIMBA, and compare baseline and optimized on dev
messages SIMBA never saw, as a stored experiment.

The setting is one measured in benchmarks/README.md ("The demo's setting"): SIMBA learns demos
on 48 train messages and must beat the baseline beyond noise on 48 validation messages before
it returns a candidate. It uses demos only: the 135M model cannot write useful rules. The cache
is off by default so that both arms' latency and tokens are measured, not read back."""

from __future__ import annotations

import dspex_nb as dx
from dspex_nb.data import Banking77Intent, load_banking77
from dspex_nb.evaluation.metrics import answer_exact_match
from dspex_nb.lm import default_local_lm


class Classify(dx.Signature):
    """Classify the banking customer's message into one of the intents."""

    text: str = dx.InputField()
    intent: Banking77Intent = dx.OutputField()


def intent_match(example: dx.Example, prediction: dx.Prediction, trace: object = None
                 ) -> float:
    return answer_exact_match(example, prediction, trace, field="intent")


def run_demo(*, n: int = 60, use_cache: bool = False, steps: int = 3, train: int = 48,
             val: int = 48, store: str = ".dspex/experiments") -> int:
    devset = load_banking77(limit=n)
    trainset = load_banking77(limit=train, split="train")
    valset = load_banking77(limit=val, split="validation")
    lm = default_local_lm()
    print(f"dspex_nb demo: model {lm.model} (in-process). Task: route a bank customer's "
          f"message to one of 6 intents (Banking77).\n{len(trainset)} train messages for "
          f"SIMBA to learn demos from, {len(valset)} validation messages on which a candidate "
          f"must beat the baseline, {len(devset)} dev messages kept apart for the report.")
    simba = dx.SIMBA(intent_match, bsize=8, num_candidates=4, max_steps=steps, max_demos=3,
                     patience=4, strategies=["append_demo"], concurrency=2)
    experiment = dx.Experiment(
        "banking77-simba-demo",
        "SIMBA raises the embedded model's accuracy on dev messages it never saw",
        independent_variables={"optimizer": ["none", f"SIMBA, demos only ({steps} steps)"]},
        dependent_variables=["intent_match", "latency", "tokens"],
        dataset="Banking77 sample, six intents", program=dx.Predict(Classify),
        optimizer=simba, concurrency=2, store=store)
    cache_note = "the cache is on: repeated calls are read back" if use_cache else \
        "the cache is off, so every call of both arms is measured"
    print(f"Experiment: SIMBA on train and validation, then the baseline and the optimized "
          f"program side by side on the same dev messages; {cache_note}\n")
    with dx.context(cache=None if use_cache else False):
        experiment.run(trainset=trainset, valset=valset, devset=devset)
    print(f"\nSIMBA on train and validation\n{experiment.optimization('optimized')}")
    print(f"\nbaseline on dev\n{experiment.report('baseline')}")
    print(f"\noptimized on dev\n{experiment.report('optimized')}")
    print(f"\npaired deltas, optimized vs baseline\n{experiment.deltas().to_string(index=False)}")
    print(f"\n{experiment}")
    print(f"\nLM calls {lm.calls} ({lm.cache_hits} from cache)")
    print(f"\nNext: open the stored experiment in a notebook with "
          f"dx.Experiment.load({experiment.id!r}, store={store!r}) (its programs run again); "
          f"the tutorials are in notebooks/ (01_quickstart first), the guides in docs/ "
          f"(make docs).")
    return 0 if experiment.status == "finished" else 1
