"""`dx.compare(a, b)`: a paired comparison of two evaluations over the same examples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dspex_nb import _checks as checks
from dspex_nb.data.examples import content_key
from dspex_nb.errors import ArgumentError
from dspex_nb.evaluation.report import EvaluationReport, ExampleResult
from dspex_nb.evaluation.stats import (
    RESAMPLES,
    format_p,
    is_binary,
    mcnemar_exact,
    paired_bootstrap,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class MetricDelta:
    metric: str
    mean_a: float
    mean_b: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    mcnemar_p: float | None
    n: int
    resamples: int = RESAMPLES  # of the bootstrap: the smallest p it can give is 1/(R+1)

    @property
    def significant(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0

    @property
    def p_text(self) -> str:
        """"p = 0.0123", or "p < 0.0005 (bootstrap floor, 2000 resamples)" at the floor."""
        return format_p(self.p_value, self.resamples)


@dataclass
class Comparison:
    """b minus a, per metric, with a paired-bootstrap 95% interval and p-value.

    `name_a` and `name_b` name the two sides; `deltas` holds each metric's `MetricDelta`;
    `flipped` lists the examples whose first metric changed pass/fail."""

    name_a: str
    name_b: str
    deltas: dict[str, MetricDelta]
    flipped: list[int]  # example indices whose first metric changed pass/fail

    def __getitem__(self, metric: str) -> MetricDelta:
        return self.deltas[metric]

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([{**d.__dict__, "p_text": d.p_text}
                             for d in self.deltas.values()]).set_index("metric")

    def __str__(self) -> str:
        lines = [f"{self.name_b} vs {self.name_a} (paired, n={next(iter(self.deltas.values())).n})"
                 if self.deltas else "no metrics"]
        for d in self.deltas.values():
            mc = f", McNemar p={d.mcnemar_p:.3g}" if d.mcnemar_p is not None else ""
            lines.append(f"  {d.metric}: {d.mean_a:.3f} -> {d.mean_b:.3f}, delta {d.delta:+.3f} "
                         f"[{d.ci_low:+.3f}, {d.ci_high:+.3f}], {d.p_text}{mc}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return self.to_pandas().to_html(float_format=lambda v: f"{v:.4g}")


def paired_delta(name: str, xs: Sequence[float], ys: Sequence[float], *,
                 resamples: int = RESAMPLES, seed: int = 0) -> MetricDelta:
    """ys minus xs for one measure over paired examples (McNemar too when both are 0/1)."""
    delta, (low, high), p_value = paired_bootstrap(xs, ys, resamples=resamples, seed=seed)
    binary = is_binary(xs) and is_binary(ys)
    return MetricDelta(metric=name, mean_a=sum(xs) / len(xs), mean_b=sum(ys) / len(ys),
                       delta=delta, ci_low=low, ci_high=high, p_value=p_value,
                       mcnemar_p=mcnemar_exact(xs, ys) if binary else None, n=len(xs),
                       resamples=resamples)


def pair_results(a: EvaluationReport, b: EvaluationReport
                 ) -> list[tuple[ExampleResult, ExampleResult]]:
    """The (a, b) results of the same examples (matched by content), in a's order; a
    ValueError if either report has examples the other lacks."""
    by_key = {content_key(r.example): r for r in a.results}
    keyed = ((by_key.get(content_key(r.example)), r) for r in b.results)
    pairs = [(x, y) for x, y in keyed if x is not None]
    if not pairs:
        raise ArgumentError("the two reports share no examples: a paired comparison needs the same "
                         "devset")
    if len(pairs) < max(a.n, b.n):
        missing = max(a.n, b.n) - len(pairs)
        raise ArgumentError(f"{missing} examples are in only one report; evaluate both programs on "
                         f"the same devset (a partial report can be compared with "
                         f"compare(a, b) only over the examples both finished)")
    pairs.sort(key=lambda p: p[0].index)
    return pairs


def flipped_pairs(pairs: list[tuple[ExampleResult, ExampleResult]], metric: str,
                  threshold: float) -> list[tuple[ExampleResult, ExampleResult]]:
    """The pairs whose `metric` changed between pass and fail."""
    return [(x, y) for x, y in pairs
            if (x.scores[metric] >= threshold) != (y.scores[metric] >= threshold)]


def compare(a: EvaluationReport, b: EvaluationReport, *, names: tuple[str, str] | None = None,
            resamples: int = RESAMPLES, seed: int = 0) -> Comparison:
    """Pair the examples of two reports `a` and `b` (by their content) and compare every
    shared metric: the delta b - a with its bootstrap interval (`resamples`, `seed`), the
    paired p-value and McNemar's test. `names` labels the two sides (default: the programs')."""
    for name, report in (("a", a), ("b", b)):
        if not isinstance(report, EvaluationReport):
            raise ArgumentError(f"compare() takes two EvaluationReports (what dx.evaluate "
                                f"returns); {name} is {type(report).__name__} {report!r:.60}")
    checks.whole_number("resamples", resamples)
    pairs = pair_results(a, b)
    shared = [m for m in a.metrics if m in b.metrics]
    deltas: dict[str, MetricDelta] = {}
    for metric in shared:
        deltas[metric] = paired_delta(metric, [p[0].scores[metric] for p in pairs],
                                      [p[1].scores[metric] for p in pairs],
                                      resamples=resamples, seed=seed)
    flipped: list[int] = []
    if shared:
        first = shared[0]
        flipped = [x.index for x, _ in flipped_pairs(pairs, first, a.metrics[first].threshold)]
    name_a, name_b = names or (a.program, b.program)
    return Comparison(name_a, name_b, deltas, flipped)
