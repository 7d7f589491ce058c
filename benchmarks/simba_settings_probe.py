"""Which SIMBA settings give a real gain on dev in a few minutes? Banking77 with six intents
(the data and signature of simba_improvement.py), each configuration a JSON object:

    .venv/bin/python benchmarks/simba_settings_probe.py \\
        '[{"train_per": 8, "dev_per": 20, "bsize": 16, "num_candidates": 4, "max_steps": 4,
           "max_demos": 3, "algorithm": "reference"}]'

`train_per` / `dev_per`: examples per intent for SIMBA and for dev; `val`: how many of the
train examples to hand over as `valset=` instead; `val_per`: examples per intent, apart from
both, handed over as `valset=`; `data_seed`; the rest are SIMBA's keywords
(demos only). Prints one JSON line per configuration: dev accuracy before and after, the
paired comparison, the optimizer's calls and its result."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DSPEX_CACHE_DIR", tempfile.mkdtemp(prefix="simba-probe-"))

from simba_improvement import INSTRUCTIONS, Intent, load

import dspex_nb as dx


class Classify(dx.Signature):
    """Classify the banking customer's message into one of the intents."""

    text: str = dx.InputField()
    intent: Intent = dx.OutputField()


def metric(example: dx.Example, prediction: dx.Prediction, trace: object = None) -> float:
    return float(example.intent == prediction.intent)


def probe(cfg: dict[str, Any], lm: dx.LocalLM) -> dict[str, Any]:
    cfg = dict(cfg)
    dev_per, val_per = cfg.pop("dev_per"), cfg.pop("val_per", 0)
    train, dev = load(seed=cfg.pop("data_seed", 0), train_per=cfg.pop("train_per"),
                      dev_per=dev_per + val_per)
    nval = cfg.pop("val", 0)
    trainset = [dx.Example(**r).with_inputs("text") for r in train]
    devset = [dx.Example(**r).with_inputs("text") for r in dev]
    valset = None
    if nval:
        valset, trainset = trainset[:nval], trainset[nval:]
    if val_per:  # dev comes intent by intent: the first val_per of each intent validate
        chunks = [devset[i:i + dev_per + val_per]
                  for i in range(0, len(devset), dev_per + val_per)]
        valset = (valset or []) + [e for c in chunks for e in c[:val_per]]
        devset = [e for c in chunks for e in c[val_per:]]
    start, calls = time.perf_counter(), lm.calls
    before = dx.evaluate(dx.Predict(Classify), devset, [metric], concurrency=2, display="none")
    simba = dx.SIMBA(metric, strategies=("append_demo",), concurrency=2, display="none", **cfg)
    optimized = simba.compile(dx.Predict(Classify), trainset=trainset, valset=valset)
    opt_s = time.perf_counter() - start
    after = dx.evaluate(optimized, devset, [metric], concurrency=2, display="none")
    return {"cfg": cfg, "n_train": len(trainset), "n_val": len(valset or []),
            "n_dev": len(devset), "before": before.score, "after": after.score,
            "comparison": str(dx.compare(before, after)), "calls": lm.calls - calls,
            "wall_s": round(time.perf_counter() - start), "optimizer_wall_s": round(opt_s),
            "result": str(simba.result)}


def main() -> None:
    assert Classify.__doc__ == INSTRUCTIONS
    lm = dx.LocalLM()
    dx.configure(lm=lm)
    for cfg in json.loads(sys.argv[1]):
        print(json.dumps(probe(cfg, lm)), flush=True)


if __name__ == "__main__":
    main()
