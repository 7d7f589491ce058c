"""Statistics on cases with known answers."""

from __future__ import annotations

import math

import pytest

import dspex_nb as dx
from dspex_nb.evaluation.stats import (
    bootstrap_ci,
    format_p,
    mcnemar_exact,
    p_floor,
    paired_bootstrap,
)


def test_identical_scores_give_zero_delta_and_no_significance() -> None:
    scores = [1.0, 0.0, 1.0, 1.0, 0.0] * 20
    delta, (low, high), p = paired_bootstrap(scores, scores)
    assert (delta, low, high, p) == (0.0, 0.0, 0.0, 1.0)
    assert mcnemar_exact(scores, scores) == 1.0


def test_always_right_against_always_wrong_is_highly_significant() -> None:
    wrong, right = [0.0] * 50, [1.0] * 50
    delta, (low, high), p = paired_bootstrap(wrong, right)
    assert delta == 1.0
    assert low == high == 1.0
    assert p < 0.001
    assert mcnemar_exact(wrong, right) < 0.001


def test_mcnemar_exact_value_for_ten_discordant_pairs() -> None:
    a = [0.0] * 10 + [1.0] * 5
    b = [1.0] * 10 + [1.0] * 5
    assert mcnemar_exact(a, b) == pytest.approx(2 / 1024)


def test_noisy_small_difference_is_not_significant() -> None:
    a = [1.0, 0.0] * 30
    b = [1.0, 0.0] * 29 + [0.0, 1.0]  # the same but two examples swapped
    delta, (low, high), p = paired_bootstrap(a, b)
    assert delta == 0.0
    assert low < 0 < high
    assert p > 0.5


def test_clear_difference_is_significant_with_an_interval_around_it() -> None:
    a = [0.0, 1.0] * 50
    b = [1.0, 1.0] * 50
    delta, (low, high), p = paired_bootstrap(a, b)
    assert delta == pytest.approx(0.5)
    assert 0.35 < low < 0.5 < high < 0.65
    assert p < 0.001


def test_bootstrap_interval_holds_the_mean_and_is_reproducible() -> None:
    values = [0.2, 0.9, 0.4, 0.7, 0.5, 0.6, 0.1, 0.8] * 5
    low, high = bootstrap_ci(values, seed=3)
    assert low < sum(values) / len(values) < high
    assert bootstrap_ci(values, seed=3) == (low, high)


def test_paired_scores_need_the_same_length() -> None:
    with pytest.raises(ValueError, match="same examples"):
        paired_bootstrap([1.0, 0.0], [1.0])


@pytest.mark.parametrize("side", ["a", "b"])
def test_a_nan_in_either_arm_refuses_the_paired_test(side: str) -> None:
    clean = [0.0, 1.0, 1.0, 0.0]
    dirty = [0.0, math.nan, 1.0, 0.0]
    a, b = (dirty, clean) if side == "a" else (clean, dirty)
    with pytest.raises(dx.DataError, match=r"1 of 4 .* NaN"):
        paired_bootstrap(a, b)


def test_a_nan_score_refuses_the_interval() -> None:
    with pytest.raises(dx.DataError, match="NaN"):
        bootstrap_ci([1.0, math.nan])


@pytest.mark.parametrize("resamples", [0, -1, 2.5, True])
def test_resamples_below_one_or_not_whole_is_an_argument_error(resamples: object) -> None:
    with pytest.raises(dx.ArgumentError, match="resamples"):
        paired_bootstrap([0.0, 1.0], [1.0, 1.0], resamples=resamples)  # type: ignore[arg-type]


def test_a_p_value_at_the_bootstrap_floor_is_shown_as_a_bound() -> None:
    _, _, p = paired_bootstrap([0.0] * 50, [1.0] * 49 + [0.0], resamples=2000)
    assert p == p_floor(2000) == 1 / 2001
    assert format_p(p, 2000) == "p < 0.0005 (bootstrap floor, 2000 resamples)"
    assert format_p(0.0123, 2000) == "p = 0.0123"
