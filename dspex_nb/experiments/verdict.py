"""What an experiment found: per-arm summaries, paired comparisons with the control, and the
verdict on the hypothesis, from evaluation reports. Pure functions of reports and settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from dspex_nb.evaluation.comparison import (
    MetricDelta,
    flipped_pairs,
    pair_results,
    paired_delta,
)
from dspex_nb.evaluation.report import EvaluationReport, ExampleResult
from dspex_nb.evaluation.stats import bootstrap_ci
from dspex_nb.experiments.record import ArmComparison, ArmRecord, FlippedExample, VariableSummary

# Dependent variables measured on every example besides the metrics; lower is better.
MEASURES: dict[str, Callable[[ExampleResult], float]] = {
    "latency": lambda r: r.latency_s,
    "tokens": lambda r: float(r.prompt_tokens + r.completion_tokens),
    "cost": lambda r: r.cost_usd,
}


def value(var: str, result: ExampleResult) -> float:
    """One example's value of a dependent variable (a metric's score, or a measure)."""
    measure = MEASURES.get(var)
    return measure(result) if measure is not None else float(result.scores[var])


def summarize(report: EvaluationReport, variables: Sequence[str], *, resamples: int,
              seed: int) -> dict[str, VariableSummary]:
    """Mean and 95% interval per dependent variable: the report's for metrics (same seed and
    resamples), bootstrapped here for the per-example measures."""
    out = {}
    for var in variables:
        if var in report.metrics:
            m = report.metrics[var]
            out[var] = VariableSummary(m.mean, m.ci_low, m.ci_high, m.n)
            continue
        values = [value(var, r) for r in report.results]
        low, high = bootstrap_ci(values, resamples=resamples, seed=seed)
        out[var] = VariableSummary(sum(values) / len(values) if values else float("nan"),
                                   low, high, len(values))
    return out


def judge(delta: MetricDelta, expect: str, min_effect: float) -> str:
    """Supported if the whole 95% interval lies beyond `min_effect` in the expected direction,
    not supported if it lies at or short of it, inconclusive if it straddles it."""
    low, high = ((delta.ci_low, delta.ci_high) if expect == "increase"
                 else (-delta.ci_high, -delta.ci_low))
    if low > min_effect:
        return "supported"
    if high <= min_effect:
        return "not supported"
    return "inconclusive"


def statement(verdict: str, arm: str, control: str, d: MetricDelta, expect: str,
              min_effect: float) -> str:
    sign = "" if expect == "increase" else "-"
    where = {"supported": "lies beyond", "not supported": "does not reach",
             "inconclusive": "straddles"}[verdict]
    return (f"{verdict}: {arm} vs {control}, {d.metric} {d.mean_a:.4g} -> {d.mean_b:.4g}, "
            f"delta {d.delta:+.4g} [95% CI {d.ci_low:+.4g}, {d.ci_high:+.4g}], {d.p_text}, "
            f"n={d.n}; the interval {where} the expected {expect} of {sign}{min_effect:g}")


def compare_arm(name: str, report: EvaluationReport, control_name: str,
                control: EvaluationReport, variables: Sequence[str], expect: Mapping[str, str],
                min_effect: Mapping[str, float], *, resamples: int, seed: int) -> ArmComparison:
    """The arm against the control, example by example, for every dependent variable; the
    verdict from the first."""
    pairs = pair_results(control, report)
    deltas = {var: paired_delta(var, [value(var, a) for a, _ in pairs],
                                [value(var, b) for _, b in pairs],
                                resamples=resamples, seed=seed)
              for var in variables}
    primary = variables[0]
    effect = min_effect.get(primary, 0.0)
    verdict = judge(deltas[primary], expect[primary], effect)
    return ArmComparison(
        arm=name, control=control_name, primary=primary, verdict=verdict,
        statement=statement(verdict, name, control_name, deltas[primary], expect[primary],
                            effect),
        deltas=deltas, flipped=flipped(pairs, control))


def flipped(pairs: list[tuple[ExampleResult, ExampleResult]], control: EvaluationReport
            ) -> list[FlippedExample]:
    """Examples whose first metric changed pass/fail between the control and the arm."""
    metric = next(iter(control.metrics))
    threshold = control.metrics[metric].threshold
    out = []
    for a, b in flipped_pairs(pairs, metric, threshold):
        keys = set(a.input_keys)
        out.append(FlippedExample(
            index=a.index, metric=metric,
            direction="gained" if b.scores[metric] >= threshold else "lost",
            control_score=a.scores[metric], arm_score=b.scores[metric],
            inputs={k: v for k, v in a.example.items() if k in keys},
            gold={k: v for k, v in a.example.items() if k not in keys},
            control_output=a.prediction, control_error=a.error,
            arm_output=b.prediction, arm_error=b.error))
    return out


def overall(comparisons: Sequence[ArmComparison], control: str) -> tuple[str, str]:
    """The experiment's verdict and its text: the arms' verdict when they agree, else
    inconclusive, with every arm's statement."""
    verdicts = [c.verdict for c in comparisons]
    if not verdicts:
        return "inconclusive", ("inconclusive: no arm finished its evaluation beside the "
                                f"control {control!r}")
    lines = [c.statement for c in comparisons]
    if len(set(verdicts)) > 1:
        return "inconclusive", "\n".join(["inconclusive: the arms disagree", *lines])
    return verdicts[0], "\n".join(lines)


def caveats(arms: Mapping[str, ArmRecord], variables: Sequence[str]) -> list[str]:
    """What the numbers cannot be trusted for: measures taken on cached answers."""
    measures = [v for v in variables if v in MEASURES]
    out = []
    for name, arm in arms.items():
        cached = arm.lm_calls.get("evaluation_cached", 0)
        if measures and cached:
            out.append(f"{cached} of {arm.lm_calls['evaluation']} LM calls of arm {name!r} were "
                       f"answered from the cache, so its {', '.join(measures)} describe the "
                       f"cache, not the model; run with dx.context(cache=False) to measure them")
    return out
