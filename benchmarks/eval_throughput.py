"""Evaluation throughput: efficiency of a whole evaluation under concurrency.

    .venv/bin/python benchmarks/eval_throughput.py           # dspex_nb alone
    .venv-bench/bin/python benchmarks/eval_throughput.py     # with dspy.Evaluate side by side

2,000 examples of `question -> answer` against the loopback server (50 ms per answer), at
concurrency 8/64/128 (DSPy: num_threads equal). Efficiency = (N x latency / concurrency) / wall,
wall measured around the whole call (for dspex_nb that includes the bootstrap intervals).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import LoopbackServer


def bench_dspex(url: str, n: int, latency: float, levels: list[int]) -> dict[str, float]:
    import dspex_nb as dx

    dx.configure(cache=False)
    program = dx.Predict("question -> answer", lm=dx.LM("bench", base_url=url, api_key="x"))
    devset = [dx.Example(question=f"What is item {i}?", answer=str(i)).with_inputs("question")
              for i in range(n)]
    dx.evaluate(program, devset[:200], [dx.metrics.answer_exact_match], concurrency=128,
                display="none")  # warm up connections
    out = {}
    for c in levels:
        start = time.perf_counter()
        report = dx.evaluate(program, devset, [dx.metrics.answer_exact_match], concurrency=c,
                             display="none")
        wall = time.perf_counter() - start
        if report.n != n or report.failures:
            raise RuntimeError(f"the benchmark run was not clean:\n{report}")
        out[f"eff_{c}"] = (n * latency / c) / wall
        out[f"wall_{c}"] = wall
    return out


def bench_dspy(url: str, n: int, latency: float, levels: list[int]) -> dict[str, Any] | None:
    os.environ.setdefault("DSPY_CACHEDIR", tempfile.mkdtemp(prefix="bench-dspy-"))
    try:
        import dspy
    except ImportError:
        return None
    dspy.configure(lm=dspy.LM("openai/bench", api_base=url, api_key="x", cache=False),
                   adapter=dspy.JSONAdapter())
    program = dspy.Predict("question -> answer")
    devset = [dspy.Example(question=f"What is item {i}?", answer=str(i)).with_inputs("question")
              for i in range(n)]

    def metric(example: Any, prediction: Any, trace: Any = None) -> bool:
        return bool(example.answer == prediction.answer)

    dspy.Evaluate(devset=devset[:200], metric=metric, num_threads=128,
                  display_progress=False)(program)
    out: dict[str, Any] = {"version": dspy.__version__}
    for c in levels:
        evaluate = dspy.Evaluate(devset=devset, metric=metric, num_threads=c,
                                 display_progress=False, max_errors=n)
        start = time.perf_counter()
        evaluate(program)
        wall = time.perf_counter() - start
        out[f"eff_{c}"] = (n * latency / c) / wall
        out[f"wall_{c}"] = wall
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 64, 128])
    parser.add_argument("--skip-dspy", action="store_true")
    args = parser.parse_args()
    with LoopbackServer(args.latency) as url:
        results = {"dspex_nb": bench_dspex(url, args.examples, args.latency, args.concurrency)}
        if not args.skip_dspy:
            dspy_result = bench_dspy(url, args.examples, args.latency, args.concurrency)
            if dspy_result is not None:
                results["dspy.Evaluate"] = dspy_result
    names = list(results)
    print(f"{args.examples} examples, loopback latency {args.latency * 1000:.0f} ms, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"| {'concurrency':12} | " + " | ".join(f"{n + ' eff (wall s)':>26}" for n in names)
          + " |")
    print("|" + "-" * 14 + "|" + "|".join("-" * 28 for _ in names) + "|")
    for c in args.concurrency:
        cells = [f"{results[n][f'eff_{c}']:>18.3f} ({results[n][f'wall_{c}']:5.1f})"
                 for n in names]
        print(f"| {c:12} | " + " | ".join(f"{cell:>26}" for cell in cells) + " |")


if __name__ == "__main__":
    main()
