"""`EvaluationReport`: what an evaluation found, per metric and per example, as plain data."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from dspex_nb._formats import check, stamp
from dspex_nb.accounting import LMCallRecord, PredictorCall, UsageTotals
from dspex_nb.evaluation.stats import bootstrap_ci, quantile

if TYPE_CHECKING:
    import pandas as pd

REPORT_FORMAT = "dspex_nb.evaluation"
REPORT_VERSION = 1


@dataclass
class ExampleResult:
    """One example's run: what went in and came out, its scores or error, what it cost, and
    (unless traces are off) each predictor call with its exact prompts and replies.

    Attributes:
        index: the example's position in the devset.
        example: its fields; `input_keys` names those the program was given.
        prediction: the program's outputs by field (None when it failed).
        scores: per metric; `feedback`: per metric, what a feedback metric said.
        error, error_type: why it failed (message, exception class), or None.
        latency_s: wall time of the program call.
        prompt_tokens, completion_tokens, cost_usd: what its LM calls used.
        lm_calls: LM calls made; `cached_calls` of them answered from the cache.
        trace: each predictor call, with its exact prompts and replies.
    """

    index: int
    example: dict[str, Any]
    input_keys: list[str]
    prediction: dict[str, Any] | None
    scores: dict[str, float]
    feedback: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    error_type: str | None = None
    latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    lm_calls: int = 0
    cached_calls: int = 0  # of lm_calls, answered from the cache
    trace: list[PredictorCall] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def usage(self) -> UsageTotals:
        return UsageTotals(self.lm_calls, self.cached_calls, self.prompt_tokens,
                           self.completion_tokens, self.cost_usd)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExampleResult:
        trace = [PredictorCall(**{**p, "lm_calls": [LMCallRecord(**c) for c in p["lm_calls"]]})
                 for p in data.get("trace", [])]
        return cls(**{**data, "trace": trace})


@dataclass
class MetricSummary:
    name: str
    mean: float
    ci_low: float
    ci_high: float
    pass_rate: float
    n: int
    failures: int
    threshold: float

    def __str__(self) -> str:
        return (f"{self.name}: {self.mean:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}] "
                f"pass {self.pass_rate:.1%} (n={self.n}, failures={self.failures})")


@dataclass
class EvaluationReport:
    """Per metric: mean, 95% bootstrap interval, pass rate, n, failures. Per run: latency
    p50/p95, tokens, estimated cost, wall time. Per example: `results`. `partial` is True when
    the run stopped early (interrupt, cancel or max_errors), with `stop_reason`.

    Attributes:
        program: the program's name (its class, or the name it was given).
        metrics: a `MetricSummary` per metric name.
        wall_time_s: the run's wall time; `started_at` its start (Unix time).
        planned: how many examples the run set out to score.
        settings: the `dx.evaluate` settings it ran with (concurrency, thresholds...).
    """

    program: str
    metrics: dict[str, MetricSummary]
    results: list[ExampleResult]
    wall_time_s: float
    partial: bool = False
    stop_reason: str | None = None
    planned: int = 0
    started_at: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)

    # -- derived figures -------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.results)

    @property
    def failures(self) -> int:
        return sum(r.failed for r in self.results)

    @property
    def latency_p50(self) -> float | None:
        return quantile([r.latency_s for r in self.results if not r.failed], 0.5)

    @property
    def latency_p95(self) -> float | None:
        return quantile([r.latency_s for r in self.results if not r.failed], 0.95)

    @property
    def prompt_tokens(self) -> int:
        return sum(r.prompt_tokens for r in self.results)

    @property
    def completion_tokens(self) -> int:
        return sum(r.completion_tokens for r in self.results)

    @property
    def cost_usd(self) -> float:
        return sum(r.cost_usd for r in self.results)

    @property
    def warning(self) -> str | None:
        """Said plainly when at least half the examples failed: their scores are the
        failure score, not measurements, and the most common reason is the first thing to
        fix. None otherwise."""
        if not self.n or self.failures * 2 < self.n:
            return None
        top, count = self.failure_reasons()[0]
        who = (f"all {self.n} examples failed" if self.failures == self.n
               else f"{self.failures} of {self.n} examples failed")
        fallback = self.settings.get("failure_score", 0.0)
        which = ("every failure" if count == self.failures
                 else f"{count} of the {self.failures} failures")
        return (f"{who}: their scores are the failure score ({fallback:g}), not "
                f"measurements; {which}: {top}")

    @property
    def score(self) -> float:
        """The first metric's mean (what `dspy.Evaluate`'s result calls its score)."""
        return next(iter(self.metrics.values())).mean

    def failure_reasons(self) -> list[tuple[str, int]]:
        """Why examples failed, most common first: (first line of the error, count)."""
        counts = Counter((r.error or "").split("\n", 1)[0][:200] for r in self.results
                         if r.failed)
        return counts.most_common()

    def scores(self, metric: str) -> list[float]:
        return [r.scores[metric] for r in self.results]

    def __getitem__(self, metric: str) -> MetricSummary:
        return self.metrics[metric]

    # -- views -----------------------------------------------------------------------------
    def to_pandas(self) -> pd.DataFrame:
        """One row per example: inputs, prediction, gold labels, scores, error, cost."""
        import pandas as pd

        rows: list[dict[str, Any]] = []
        columns: dict[str, None] = {"index": None}  # inputs, pred.*, gold.*, scores, the rest
        for group in ("inputs", "pred", "gold"):
            for r in self.results:
                keys = (r.input_keys if group == "inputs" else
                        [f"pred.{k}" for k in (r.prediction or {})] if group == "pred" else
                        [f"gold.{k}" for k in r.example if k not in r.input_keys])
                columns.update(dict.fromkeys(keys))
        columns.update(dict.fromkeys(self.metrics))
        columns.update(dict.fromkeys(["error", "latency_s", "tokens", "cost_usd"]))
        for r in self.results:
            row: dict[str, Any] = {"index": r.index}
            for key in r.input_keys:
                row[key] = r.example.get(key)
            for key, value in (r.prediction or {}).items():
                row[f"pred.{key}"] = value
            for key, value in r.example.items():
                if key not in r.input_keys:
                    row[f"gold.{key}"] = value
            for name, score in r.scores.items():
                row[name] = score
            row.update(error=r.error, latency_s=r.latency_s,
                       tokens=r.prompt_tokens + r.completion_tokens, cost_usd=r.cost_usd)
            rows.append(row)
        frame = pd.DataFrame(rows, columns=list(columns))
        return frame.set_index("index")

    def summary(self) -> pd.DataFrame:
        """One row per metric."""
        import pandas as pd

        return pd.DataFrame([asdict(m) for m in self.metrics.values()]).set_index("name")

    def __str__(self) -> str:
        lines = [f"Evaluation of {self.program}: {self.n}"
                 + (f" of {self.planned}" if self.planned and self.planned != self.n else "")
                 + f" examples, {self.failures} failed"
                 + (f" (PARTIAL: {self.stop_reason})" if self.partial else "")]
        if self.warning:
            lines.append(f"  WARNING: {self.warning}")
        reasons = self.failure_reasons()
        if reasons and not self.warning:
            top, count = reasons[0]
            every = "every failure" if count == self.failures else f"{count} of {self.failures}"
            lines.append(f"  failed: {every}: {top}"
                         + (f" (and {len(reasons) - 1} other reasons)" if len(reasons) > 1
                            else ""))
        lines += [f"  {m}" for m in self.metrics.values()]
        p50, p95 = self.latency_p50, self.latency_p95
        if p50 is not None and p95 is not None:
            lines.append(f"  latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
                         f"wall {self.wall_time_s:.1f} s")
        lines.append(f"  tokens {self.prompt_tokens} prompt + {self.completion_tokens} "
                     f"completion; estimated cost ${self.cost_usd:.4f}")
        return "\n".join(lines)

    __repr__ = __str__

    # -- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return stamp(asdict(self), REPORT_FORMAT, REPORT_VERSION)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationReport:
        fields = check(data, REPORT_FORMAT, REPORT_VERSION, "evaluation report")
        fields["metrics"] = {k: MetricSummary(**v) for k, v in data["metrics"].items()}
        fields["results"] = [ExampleResult.from_dict(r) for r in data["results"]]
        return cls(**fields)


def summarize(name: str, results: list[ExampleResult], threshold: float, *,
              resamples: int, seed: int) -> MetricSummary:
    values = [r.scores[name] for r in results]
    low, high = bootstrap_ci(values, resamples=resamples, seed=seed)
    return MetricSummary(
        name=name,
        mean=sum(values) / len(values) if values else math.nan,
        ci_low=low,
        ci_high=high,
        pass_rate=sum(v >= threshold for v in values) / len(values) if values else math.nan,
        n=len(values),
        failures=sum(r.failed for r in results),
        threshold=threshold,
    )
