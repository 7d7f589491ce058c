"""Does SIMBA improve a real program on the embedded model? dspex_nb's SIMBA and dspy.SIMBA
side by side, same model, same data, same settings.

    .venv-bench/bin/python benchmarks/simba_improvement.py             # both (needs .venv-bench)
    .venv/bin/python benchmarks/simba_improvement.py --skip-dspy        # dspex_nb alone

Task: Banking77 intent classification restricted to six intents (the tiny model's zero-shot
accuracy leaves headroom there). From ../shared/datasets/banking77/train.csv, seeded: 8 examples
per intent for training (48), 40 other examples per intent held out for dev (240).
dspex_nb runs SmolLM2-135M in-process; DSPy runs the same GGUF through llama.cpp's
OpenAI-compatible server (llama-cpp-python), started here on loopback. Both report dev
accuracy before and after, the paired delta with its 95% bootstrap interval, the p-value and
McNemar's test (dspex_nb's statistics for both), and the LM calls spent.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets" / "banking77" / "train.csv"
INTENTS = ("card_arrival", "lost_or_stolen_card", "exchange_rate", "top_up_failed",
           "pin_blocked", "request_refund")
Intent = Literal["card_arrival", "lost_or_stolen_card", "exchange_rate", "top_up_failed",
                 "pin_blocked", "request_refund"]
SETTINGS = {"bsize": 16, "num_candidates": 4, "max_steps": 4, "max_demos": 3}
INSTRUCTIONS = "Classify the banking customer's message into one of the intents."


def load(seed: int = 0, train_per: int = 8, dev_per: int = 40) -> tuple[list[dict[str, str]],
                                                                          list[dict[str, str]]]:
    rows = [r for r in csv.DictReader(DATA.open()) if r["category"] in INTENTS]
    rng = random.Random(seed)
    train, dev = [], []
    for intent in INTENTS:
        mine = [{"text": r["text"], "intent": intent} for r in rows if r["category"] == intent]
        rng.shuffle(mine)
        train += mine[:train_per]
        dev += mine[train_per:train_per + dev_per]
    rng.shuffle(train)
    return train, dev


def paired(a: list[float], b: list[float]) -> dict[str, Any]:
    from dspex_nb.evaluation.stats import mcnemar_exact, paired_bootstrap

    delta, (low, high), p = paired_bootstrap(a, b)
    return {"before": sum(a) / len(a), "after": sum(b) / len(b), "delta": delta,
            "ci": [low, high], "p": p, "mcnemar_p": mcnemar_exact(a, b), "n": len(a)}


def run_dspex(train: list[dict[str, str]], dev: list[dict[str, str]]) -> dict[str, Any]:
    os.environ["DSPEX_CACHE_DIR"] = tempfile.mkdtemp(prefix="simba-bench-")
    import dspex_nb as dx

    class Classify(dx.Signature):
        """Classify the banking customer's message into one of the intents."""

        text: str = dx.InputField()
        intent: Intent = dx.OutputField()

    def metric(example: dx.Example, prediction: dx.Prediction, trace: object = None) -> float:
        return float(example.intent == prediction.intent)

    lm = dx.LocalLM()
    dx.configure(lm=lm)
    trainset = [dx.Example(**r).with_inputs("text") for r in train]
    devset = [dx.Example(**r).with_inputs("text") for r in dev]
    program = dx.Predict(Classify)
    start = time.perf_counter()
    before = dx.evaluate(program, devset, [metric], concurrency=2, display="none")
    simba = dx.SIMBA(metric, **SETTINGS, concurrency=2, display="none")  # type: ignore[arg-type]
    optimized = simba.compile(program, trainset=trainset)
    after = dx.evaluate(optimized, devset, [metric], concurrency=2, display="none")
    assert simba.result is not None
    out = paired(before.scores("metric"), after.scores("metric"))
    out.update(optimizer_lm_calls=simba.result.lm_calls,
               optimizer_tokens=simba.result.prompt_tokens + simba.result.completion_tokens,
               optimizer_wall_s=simba.result.wall_time_s, total_wall_s=time.perf_counter() - start,
               final_program=simba.result.final_program_id,
               instructions=optimized.instructions, demos=len(optimized.demos),
               train_scores=simba.result.final_scores)
    return out


def run_dspy(train: list[dict[str, str]], dev: list[dict[str, str]], *,
             baseline_only: int | None = None) -> dict[str, Any] | None:
    os.environ.setdefault("DSPY_CACHEDIR", tempfile.mkdtemp(prefix="simba-bench-dspy-"))
    try:
        import dspy
    except ImportError:
        return None
    from dspex_nb.lm import bundled_model_path

    sys.path.insert(0, str(ROOT))
    from tests.support.llama_server import LlamaServer

    # Two threads, as the in-process model uses (the server's default is cpu_count // 2).
    server = LlamaServer(bundled_model_path(), n_threads=2).start()
    try:
        class Classify(dspy.Signature):
            """Classify the banking customer's message into one of the intents."""

            text: str = dspy.InputField()
            intent: Intent = dspy.OutputField()

        def metric(example: Any, prediction: Any, trace: Any = None) -> float:
            return float(example.intent == prediction.intent)

        # 48 tokens hold {"intent": "..."}; unconstrained, the tiny model otherwise rambles on
        # to max_tokens (seen: ~14 s a call at 256 on one server thread).
        lm = dspy.LM("openai/smollm2", api_base=server.url, api_key="x", cache=False,
                     temperature=0.0, max_tokens=48)
        dspy.configure(lm=lm, adapter=dspy.JSONAdapter())
        trainset = [dspy.Example(**r).with_inputs("text") for r in train]
        devset = [dspy.Example(**r).with_inputs("text") for r in dev]

        def scores(program: Any) -> list[float]:
            result = dspy.Evaluate(devset=devset, metric=metric, num_threads=2,
                                   display_progress=False, max_errors=len(devset))(program)
            return [float(score) for _, _, score in result.results]

        start = time.perf_counter()
        program = dspy.Predict(Classify)
        if baseline_only is not None:
            devset = devset[:baseline_only]
            errors_before = 0
            result = dspy.Evaluate(devset=devset, metric=metric, num_threads=2,
                                   display_progress=False, max_errors=len(devset))(program)
            parsed = sum(1 for _, pred, _ in result.results if getattr(pred, "intent", None))
            errors_before = len(devset) - parsed
            accuracy = sum(float(s) for _, _, s in result.results) / len(devset)
            return {"baseline_only": True, "n": len(devset), "before": accuracy,
                    "unparsed": errors_before, "requests": len(lm.history),
                    "wall_s": time.perf_counter() - start, "version": dspy.__version__}
        before = scores(program)
        calls_before = len(lm.history)
        simba = dspy.SIMBA(metric=metric, num_threads=2, **SETTINGS)
        optimized = simba.compile(program, trainset=trainset, seed=0)
        calls = len(lm.history) - calls_before
        tokens = sum((h.get("usage") or {}).get("total_tokens", 0) or 0
                     for h in lm.history[calls_before:])
        opt_wall = time.perf_counter() - start
        after = scores(optimized)
        out = paired(before, after)
        out.update(optimizer_lm_calls=calls, optimizer_tokens=tokens,
                   total_wall_s=time.perf_counter() - start, optimizer_wall_s=opt_wall,
                   instructions=optimized.signature.instructions, demos=len(optimized.demos),
                   version=dspy.__version__)
        return out
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-dspy", action="store_true")
    parser.add_argument("--skip-dspex", action="store_true")
    parser.add_argument("--dspy-baseline-only", type=int, metavar="N",
                        help="only DSPy's zero-shot accuracy on the first N dev examples")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    train, dev = load()
    print(f"Banking77, {len(INTENTS)} intents: {len(train)} train, {len(dev)} dev; "
          f"SIMBA {SETTINGS}", flush=True)
    results: dict[str, Any] = {}
    if not args.skip_dspex:
        results["dspex_nb"] = run_dspex(train, dev)
        print(json.dumps(results["dspex_nb"], indent=1, default=str), flush=True)
    if not args.skip_dspy:
        dspy_result = run_dspy(train, dev, baseline_only=args.dspy_baseline_only)
        if dspy_result is not None:
            results["dspy"] = dspy_result
            print(json.dumps(dspy_result, indent=1, default=str), flush=True)
    print("\n| system | dev before | dev after | delta [95% CI] | p | McNemar p | "
          "optimizer LM calls | optimizer wall |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        if r.get("baseline_only"):
            print(f"| {name} (baseline only, first {r['n']} dev) | {r['before']:.3f} | – | – | "
                  f"– | – | – | – |  unparsed replies: {r['unparsed']}/{r['n']}")
            continue
        print(f"| {name} | {r['before']:.3f} | {r['after']:.3f} | {r['delta']:+.3f} "
              f"[{r['ci'][0]:+.3f}, {r['ci'][1]:+.3f}] | {r['p']:.3g} | {r['mcnemar_p']:.3g} | "
              f"{r['optimizer_lm_calls']} | {r['optimizer_wall_s']:.0f} s |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
