"""LM clients: the OpenAI-compatible `LM`, the embedded `LocalLM`, and `ScriptedLM` for tests."""

from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.local import LocalLM, bundled_model_path, default_local_lm, local_available
from dspex_nb.lm.openai import LM
from dspex_nb.lm.pricing import estimate_cost, set_price
from dspex_nb.lm.retry import RetryPolicy
from dspex_nb.lm.scripted import ScriptedLM
from dspex_nb.lm.types import HistoryEntry, LMRequest, LMResponse, Usage

__all__ = [
    "LM",
    "BaseLM",
    "HistoryEntry",
    "LMRequest",
    "LMResponse",
    "LocalLM",
    "RetryPolicy",
    "ScriptedLM",
    "Usage",
    "bundled_model_path",
    "default_local_lm",
    "estimate_cost",
    "local_available",
    "set_price",
]
