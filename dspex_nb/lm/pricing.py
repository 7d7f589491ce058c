"""Estimated cost: a small price table (USD per million tokens), overridable by the user."""

from __future__ import annotations

import functools
import threading

from dspex_nb._checks import finite_number
from dspex_nb.errors import ArgumentError
from dspex_nb.lm.types import Usage

# (input, output) USD per 1M tokens, public list prices; the longest matching prefix wins.
_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "o4-mini": (1.10, 4.40),
    "gpt-3.5-turbo": (0.50, 1.50),
}
_lock = threading.Lock()


def set_price(model_prefix: str, *, input_per_million: float, output_per_million: float) -> None:
    """Add or override the price of models whose name starts with `model_prefix`, in dollars
    per million tokens: `input_per_million` (prompt), `output_per_million` (completion)."""
    if not isinstance(model_prefix, str) or not model_prefix:
        raise ArgumentError(f"model_prefix must be a model name (prefix), not {model_prefix!r}")
    for name, value in (("input_per_million", input_per_million),
                        ("output_per_million", output_per_million)):
        if finite_number(name, value) < 0:
            raise ArgumentError(f"{name} must be >= 0 (USD per million tokens), not {value!r}")
    with _lock:
        _PRICES[model_prefix] = (input_per_million, output_per_million)
        price_of.cache_clear()


@functools.lru_cache(maxsize=1024)
def price_of(model: str) -> tuple[float, float] | None:
    """The price of the longest prefix matching the model's name, with or without its
    provider ("openai/gpt-4o" and "gpt-4o"; a user may price "local/SmolLM2" as `lm.model`
    spells it)."""
    name = model.split("/")[-1]
    best: str | None = None
    for prefix in _PRICES:
        if (name.startswith(prefix) or model.startswith(prefix)) and (
                best is None or len(prefix) > len(best)):
            best = prefix
    return _PRICES[best] if best else None


def estimate_cost(model: str, usage: Usage) -> float:
    """USD for this usage of `model` (priced as `price_of` finds it); 0.0 for models with
    no known price (local models)."""
    price = price_of(model)
    if price is None:
        return 0.0
    return (usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]) / 1_000_000
