"""Statistics for evaluation: bootstrap intervals, a paired bootstrap test, McNemar's test.

Everything is seeded, so the same scores always give the same interval and p-value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from dspex_nb.errors import ArgumentError, DataError

RESAMPLES = 2000
_CHUNK = 200  # resamples drawn at once: bounded memory for 10,000-example runs


def _checked(values: Sequence[float], resamples: int, what: str = "scores") -> np.ndarray:
    """The values as an array; a DataError if any is NaN or infinite (a mean, an interval and
    a p-value of those would be silently wrong), an ArgumentError for resamples < 1."""
    if not isinstance(resamples, int) or isinstance(resamples, bool) or resamples < 1:
        raise ArgumentError(f"resamples must be a whole number >= 1, not {resamples!r}")
    data = np.asarray(values, dtype=float)
    bad = int(np.count_nonzero(~np.isfinite(data)))
    if bad:
        raise DataError(f"{bad} of {len(data)} {what} are NaN or infinite: no statistics "
                        f"are computed on them")
    return data


def p_floor(resamples: int) -> float:
    """The smallest p-value a bootstrap with this many resamples can give: 1 / (R + 1)."""
    return 1 / (resamples + 1)


def format_p(p: float, resamples: int = RESAMPLES) -> str:
    """A bootstrap p-value for people: at the floor it says so ("p < 0.0005 (bootstrap
    floor)") instead of printing the floor as if it were an estimate."""
    if math.isnan(p):
        return "p = n/a"
    floor = p_floor(resamples)
    if p <= floor * (1 + 1e-9):
        scale = 10.0 ** math.floor(math.log10(floor))
        bound = math.ceil(floor / scale - 1e-9) * scale  # the floor rounded up: 1/2001 -> 0.0005
        return f"p < {bound:.1g} (bootstrap floor, {resamples} resamples)"
    return f"p = {p:.3g}"


def _resampled_means(values: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = len(values)
    means = np.empty(resamples)
    for start in range(0, resamples, _CHUNK):
        k = min(_CHUNK, resamples - start)
        idx = rng.integers(0, n, size=(k, n))
        means[start : start + k] = values[idx].mean(axis=1)
    return means


def bootstrap_ci(values: Sequence[float], *, confidence: float = 0.95,
                 resamples: int = RESAMPLES, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean."""
    data = _checked(values, resamples)
    if len(data) == 0:
        return (math.nan, math.nan)
    if np.all(data == data[0]):
        return (float(data[0]), float(data[0]))
    means = _resampled_means(data, resamples, seed)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return (float(low), float(high))


def paired_bootstrap(a: Sequence[float], b: Sequence[float], *, confidence: float = 0.95,
                     resamples: int = RESAMPLES, seed: int = 0
                     ) -> tuple[float, tuple[float, float], float]:
    """Mean of b - a over the same examples, its bootstrap interval, and a two-sided p-value.

    The p-value resamples the per-example differences and asks how often a mean at least as
    far from the observed one arises when the true mean is 0 (the differences re-centred):
    (count + 1) / (resamples + 1), so it is never exactly 0.
    """
    x = _checked(a, resamples, "scores of the first arm")
    y = _checked(b, resamples, "scores of the second arm")
    if x.shape != y.shape:
        raise ArgumentError(f"paired scores need the same examples: {len(x)} vs {len(y)}")
    diff = y - x
    if len(diff) == 0:
        return (math.nan, (math.nan, math.nan), math.nan)
    observed = float(diff.mean())
    if np.all(diff == diff[0]):
        p = 1.0 if observed == 0 else 1 / (resamples + 1)
        return (observed, (observed, observed), p)
    means = _resampled_means(diff, resamples, seed)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    extreme = int(np.sum(np.abs(means - observed) >= abs(observed)))
    return (observed, (float(low), float(high)), (extreme + 1) / (resamples + 1))


def simultaneous_bootstrap(diffs: Sequence[Sequence[float]], kept: Sequence[Sequence[int]], *,
                           confidence: float = 0.95, resamples: int = RESAMPLES, seed: int = 0
                           ) -> tuple[list[float], float, float, Callable[[float], float]]:
    """Several candidates' per-example gains over a baseline on one shared set of examples,
    candidate j judged on the examples `kept[j]`; resampled jointly (the same examples drawn
    for all, so correlated candidates count as the near-one test they are).

    Returns each candidate's observed mean gain, `low` and `high` such that every candidate's
    true gain lies within [observed - low, observed + high] at once with `confidence`
    (the quantiles of the largest deviation over candidates: a max-T bound, tighter than
    Bonferroni when candidates agree), and `p_of(g)`: a two-sided p-value for a candidate's
    gain g, allowing for the candidates, that agrees with the bounds (p < 1 - confidence
    exactly when zero is outside them): twice how often the largest deviation towards zero
    reaches |g|."""
    d = np.asarray([_checked(x, resamples, "gains") for x in diffs], dtype=float)
    if d.ndim != 2 or not len(d):
        raise ArgumentError("simultaneous_bootstrap needs at least one candidate's gains")
    weights = np.zeros(d.shape)
    for j, rows in enumerate(kept):
        weights[j, list(rows)] = 1.0
    if np.any(weights.sum(axis=1) == 0):
        raise ArgumentError("every candidate needs at least one example to be judged on")
    judged = d * weights
    observed = judged.sum(axis=1) / weights.sum(axis=1)
    rng = np.random.default_rng(seed)
    below = np.empty(resamples)  # max over candidates of (observed - resampled)
    above = np.empty(resamples)  # max over candidates of (resampled - observed)
    for start in range(0, resamples, _CHUNK):
        m = min(_CHUNK, resamples - start)
        n = d.shape[1]
        counts = np.zeros((m, n))
        np.add.at(counts, (np.repeat(np.arange(m), n), rng.integers(0, n, size=m * n)), 1.0)
        w = counts @ weights.T  # (m, k): how many judged examples each candidate drew
        boot = np.where(w > 0, (counts @ judged.T) / np.where(w > 0, w, 1), observed)
        below[start:start + m] = (observed - boot).max(axis=1)
        above[start:start + m] = (boot - observed).max(axis=1)
    # the order statistic that makes "zero outside the bounds" and "p < 1 - confidence" agree
    rank = max(0, math.floor((1 - confidence) / 2 * (resamples + 1)) - 1)
    low, high = float(np.sort(below)[::-1][rank]), float(np.sort(above)[::-1][rank])

    def p_of(gain: float) -> float:
        towards_zero = below if gain >= 0 else above
        return min(1.0, 2 * (int(np.sum(towards_zero >= abs(gain))) + 1) / (resamples + 1))

    return [float(x) for x in observed], low, high, p_of


def mcnemar_exact(a: Sequence[float], b: Sequence[float]) -> float:
    """McNemar's exact test for paired 0/1 outcomes: two-sided binomial test on the
    discordant pairs (a right and b wrong vs a wrong and b right)."""
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x >= 0.5 > y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y >= 0.5 > x)
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return float(min(1.0, 2 * tail))


def is_binary(values: Sequence[float]) -> bool:
    return all(v in (0.0, 1.0) for v in values)


def quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    return float(np.quantile(np.asarray(values, dtype=float), q))
