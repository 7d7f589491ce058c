"""Advanced modules measured: Retry's success rate, MultiChainComparison against one
ChainOfThought, and Parallel's efficiency beside dspy.Parallel.

    .venv/bin/python benchmarks/advanced_modules.py                     # all parts
    .venv/bin/python benchmarks/advanced_modules.py --parts retry -n 200

retry:      SST-2 dev sentences (../shared/datasets/sst2), `sentence -> sentiment` with a free
            text field on the embedded SmolLM2-135M. The constraint a reader expects: the
            sentiment is exactly "positive" or "negative". The bare predictor and
            `dx.Retry(..., checks=[is_label], max_attempts=3, on_fail="best")` run on the same
            sentences; `dx.compare` pairs them: the constraint pass rate and accuracy.
mcc:        `dx.Experiment` with two arms on the same sentences (Literal-typed sentiment):
            ChainOfThought vs MultiChainComparison(M=3, temperature 0.7), accuracy, latency
            and tokens, paired.
mcc-server: one MultiChainComparison call through llama.cpp's OpenAI-compatible server
            (`dx.LM`), to show the comparison call parses there.
parallel:   2,000 calls against the loopback server answering in 50 ms, at concurrency 64:
            `dx.Parallel` and `dspy.Parallel` (when DSPy is installed), efficiency =
            (n x latency / concurrency) / wall.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dspex_nb as dx  # noqa: E402

SST2 = ROOT.parent / "shared" / "datasets" / "sst2" / "dev.txt"
LABELS = ("negative", "positive")


def sst2(n: int) -> list[dx.Example]:
    rows = [line.split(" ", 1) for line in SST2.read_text().splitlines() if line.strip()]
    return [dx.Example(sentence=text.strip(), sentiment=LABELS[int(label)]).with_inputs("sentence")
            for label, text in rows[:n]]


def is_label(inputs: dict[str, Any], pred: dx.Prediction) -> bool | str:
    return pred.sentiment.strip() in LABELS or (
        "The sentiment must be exactly one word: positive or negative (lower case, nothing "
        "else).")


def label_ok(example: dx.Example, pred: dx.Prediction) -> float:
    return float(is_label({}, pred) is True)


def sentiment_match(example: dx.Example, pred: dx.Prediction) -> float:
    return float(pred.sentiment.strip() == example.sentiment)


def part_retry(n: int) -> dict[str, Any]:
    devset = sst2(n)
    lm = dx.LocalLM(max_tokens=64)
    bare = dx.Predict("sentence -> sentiment", lm=lm)
    retry = dx.Retry(dx.Predict("sentence -> sentiment", lm=lm), checks=[is_label],
                     max_attempts=3, on_fail="best")
    out: dict[str, Any] = {}
    reports = {}
    with dx.context(cache=False):
        for name, program in (("bare", bare), ("retry", retry)):
            start = time.perf_counter()
            reports[name] = dx.evaluate(program, devset, [label_ok, sentiment_match],
                                        concurrency=2, display="text")
            out[f"{name}_wall_s"] = time.perf_counter() - start
            print(reports[name])
    comparison = dx.compare(reports["bare"], reports["retry"], names=("bare", "retry"))
    print(comparison)
    for name, report in reports.items():
        for metric, summary in report.metrics.items():
            out[f"{name}.{metric}"] = [summary.mean, summary.ci_low, summary.ci_high]
        out[f"{name}.failures"] = report.failures
        out[f"{name}.lm_calls"] = sum(r.lm_calls for r in report.results)
    for metric, delta in comparison.deltas.items():
        out[f"delta.{metric}"] = [delta.delta, delta.ci_low, delta.ci_high, delta.p_value,
                                  delta.mcnemar_p]
    return out


class Sentiment(dx.Signature):
    """Classify the sentiment of a movie review sentence."""

    sentence: str = dx.InputField()
    sentiment: Literal["positive", "negative"] = dx.OutputField()


def part_mcc(n: int) -> dict[str, Any]:
    store = dx.ExperimentStore(tempfile.mkdtemp(prefix="dspex-mcc-"))
    exp = dx.Experiment(
        "sst2-cot-vs-mcc", "Comparing three reasoning chains raises SST-2 accuracy over one",
        arms={"cot": dx.Arm(dx.ChainOfThought(Sentiment, max_tokens=160),
                            variables={"module": "ChainOfThought"}),
              "mcc": dx.Arm(dx.MultiChainComparison(Sentiment, M=3, max_tokens=160),
                            variables={"module": "MultiChainComparison"})},
        independent_variables={"module": ["ChainOfThought", "MultiChainComparison"]},
        metrics=[sentiment_match], dependent_variables=["sentiment_match", "latency", "tokens"],
        dataset="SST-2 dev", concurrency=2, store=store, display="text")
    start = time.perf_counter()
    with dx.context(cache=False):
        exp.run(devset=sst2(n))
    wall = time.perf_counter() - start
    print(exp.summary().to_string())
    print(exp.deltas().to_string(index=False))
    print(exp.verdict_text)
    return {"wall_s": wall, "summary": json.loads(exp.summary().to_json()),
            "deltas": json.loads(exp.deltas().to_json()), "verdict": exp.verdict_text}


def part_mcc_server() -> dict[str, Any]:
    from dspex_nb.lm import bundled_model_path
    from tests.support.llama_server import LlamaServer

    server = LlamaServer(bundled_model_path(), n_threads=2).start()
    try:
        lm = dx.LM("smollm2", base_url=server.url, api_key="none", max_tokens=160)
        program = dx.MultiChainComparison(Sentiment, M=3, lm=lm)
        outcomes = []
        with dx.context(cache=False):
            for example in sst2(3):
                try:
                    pred = program(sentence=example.sentence)
                    outcomes.append({"sentiment": pred.sentiment, "rationale": pred.rationale,
                                     "chains": [c.prediction.sentiment if c.prediction else
                                                c.error for c in pred.chains]})
                except dx.DspexError as exc:
                    outcomes.append({"error": f"{type(exc).__name__}: {exc}"[:300]})
        print(json.dumps(outcomes, indent=1))
        return {"outcomes": outcomes}
    finally:
        server.stop()


def part_parallel(n: int = 2000, latency: float = 0.05, concurrency: int = 64) -> dict[str, Any]:
    from loopback_server import LoopbackServer

    out: dict[str, Any] = {}
    with LoopbackServer(latency) as url:
        dx.configure(cache=False)
        program = dx.Predict("question -> answer", lm=dx.LM("bench", base_url=url, api_key="x"))
        inputs = [{"question": f"What is item {i}?"} for i in range(n)]
        dx.Parallel(program, concurrency=128, display="none")(inputs[:200])  # warm up
        walls = []
        for _ in range(3):
            start = time.perf_counter()
            result = dx.Parallel(program, concurrency=concurrency, display="none")(inputs)
            walls.append(time.perf_counter() - start)
            if result.failures or result.partial:
                raise RuntimeError(f"the run was not clean: {result}")
        wall = sorted(walls)[1]
        out["dx.Parallel"] = {"wall_s": wall, "efficiency": (n * latency / concurrency) / wall,
                              "walls": walls}
        try:
            os.environ.setdefault("DSPY_CACHEDIR", tempfile.mkdtemp(prefix="bench-dspy-"))
            import dspy
        except ImportError:
            dspy = None
        if dspy is not None:
            dspy.configure(lm=dspy.LM("openai/bench", api_base=url, api_key="x", cache=False),
                           adapter=dspy.JSONAdapter())
            predict = dspy.Predict("question -> answer")
            pairs = [(predict, dspy.Example(**kw).with_inputs("question")) for kw in inputs]
            dspy.Parallel(num_threads=128, disable_progress_bar=True)(pairs[:200])
            walls = []
            for _ in range(3):
                start = time.perf_counter()
                results = dspy.Parallel(num_threads=concurrency,
                                        disable_progress_bar=True)(pairs)
                walls.append(time.perf_counter() - start)
                if any(r is None for r in results):
                    raise RuntimeError("dspy.Parallel returned None for some inputs")
            wall = sorted(walls)[1]
            out[f"dspy.Parallel {dspy.__version__}"] = {
                "wall_s": wall, "efficiency": (n * latency / concurrency) / wall,
                "walls": walls}
    for name, row in out.items():
        print(f"{name}: efficiency {row['efficiency']:.3f}, wall {row['wall_s']:.2f} s "
              f"(median of {len(row['walls'])})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", nargs="+", default=["retry", "mcc", "mcc-server", "parallel"],
                        choices=["retry", "mcc", "mcc-server", "parallel"])
    parser.add_argument("-n", type=int, default=200, help="examples for retry")
    parser.add_argument("--mcc-n", type=int, default=60, help="examples for mcc")
    parser.add_argument("--json", default=None, help="write the figures here")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    for part in args.parts:
        print(f"== {part}", flush=True)
        if part == "retry":
            figures[part] = part_retry(args.n)
        elif part == "mcc":
            figures[part] = part_mcc(args.mcc_n)
        elif part == "mcc-server":
            figures[part] = part_mcc_server()
        else:
            figures[part] = part_parallel()
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    main()
