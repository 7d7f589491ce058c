"""Statistics on cases with known answers."""

from __future__ import annotations

import pytest

from dspex_nb.evaluation.stats import bootstrap_ci, mcnemar_exact, paired_bootstrap


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
