from __future__ import annotations

import pytest

import dspex_nb as dx
from dspex_nb.lm import Usage, estimate_cost


def test_known_model_cost_follows_the_price_table() -> None:
    cost = estimate_cost("gpt-4o-mini", Usage(prompt_tokens=1_000_000, completion_tokens=0))
    assert cost == pytest.approx(0.15)


def test_longest_matching_prefix_wins() -> None:
    assert estimate_cost("openai/gpt-4o-mini-2024-07-18", Usage(0, 1_000_000)) == pytest.approx(0.6)


def test_set_price_overrides_and_is_applied_to_each_call() -> None:
    dx.set_price("my-model", input_per_million=2.0, output_per_million=4.0)
    lm = dx.ScriptedLM(["hi"], model="my-model-v1", tokens=(500_000, 250_000))
    lm("x")
    response = lm.history[-1].response
    assert response is not None
    assert response.cost_usd == pytest.approx(2.0)
    assert lm.cost_usd == pytest.approx(2.0)


def test_unknown_models_cost_nothing() -> None:
    assert estimate_cost("local/SmolLM2", Usage(1000, 1000)) == 0.0


def test_a_price_set_for_the_name_an_lm_reports_applies_to_it() -> None:
    # lm.model spells the provider ("local/..."): pricing it as spelled must not be a silent 0
    dx.set_price("local/priced-test-model", input_per_million=1.0, output_per_million=1.0)
    assert estimate_cost("local/priced-test-model.Q4", Usage(1_000_000, 0)) == pytest.approx(1.0)
