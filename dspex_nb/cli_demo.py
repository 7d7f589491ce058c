"""The headless demo: classify a sample of SST-2 with the embedded model and report."""

from __future__ import annotations

import sys
import time
from typing import Literal

import dspex_nb as dx
from dspex_nb.data import load_sst2
from dspex_nb.lm import default_local_lm


class Sentiment(dx.Signature):
    """Classify the sentiment of a movie review sentence."""

    sentence: str = dx.InputField()
    sentiment: Literal["positive", "negative"] = dx.OutputField()


def _progress(done: int, total: int, correct: int) -> None:
    """A bar redrawn in place on a terminal; in a log, a line at every tenth of the way."""
    width = 30
    filled = width * done // total
    line = (f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  "
            f"accuracy so far {correct / max(done, 1):.1%}")
    if sys.stdout.isatty():
        sys.stdout.write("\r" + line)
    elif done == total or done % max(1, total // 10) == 0:
        sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run_demo(*, n: int = 100, use_cache: bool = True) -> int:
    devset = load_sst2(limit=n)
    lm = default_local_lm()
    print(f"dspex_nb demo: {len(devset)} SST-2 dev sentences, model {lm.model} (in-process)")
    program = dx.Predict(Sentiment)
    correct = 0
    failures = 0
    start = time.perf_counter()
    with dx.context(cache=None if use_cache else False):
        for i, example in enumerate(devset, 1):
            try:
                prediction = program(**example.inputs())
                correct += prediction.sentiment == example.sentiment
            except dx.DspexError as exc:
                failures += 1
                print(f"\nexample {i} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            _progress(i, len(devset), correct)
    wall = time.perf_counter() - start
    if sys.stdout.isatty():
        print()
    print(f"accuracy      {correct}/{len(devset)} = {correct / len(devset):.1%}")
    print(f"failures      {failures}")
    print(f"LM calls      {lm.calls} ({lm.cache_hits} from cache)")
    print(f"tokens        {lm.usage.prompt_tokens} prompt + {lm.usage.completion_tokens} "
          f"completion")
    print(f"wall time     {wall:.1f} s ({wall / len(devset) * 1000:.0f} ms per example)")
    return 0
