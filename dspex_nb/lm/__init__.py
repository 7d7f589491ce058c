"""LM clients: the OpenAI-compatible `LM`, the embedded `LocalLM`, and `ScriptedLM` for tests.

`LM` is imported on first use: its HTTP stack (httpx, aiohttp) is most of the package's import
time, and the offline embedded model never needs it.
"""

from typing import TYPE_CHECKING, Any

from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.local import LocalLM, bundled_model_path, default_local_lm, local_available
from dspex_nb.lm.pricing import estimate_cost, set_price
from dspex_nb.lm.retry import RetryPolicy
from dspex_nb.lm.scripted import ScriptedLM
from dspex_nb.lm.types import HistoryEntry, LMRequest, LMResponse, Usage

if TYPE_CHECKING:
    from dspex_nb.lm.openai import LM


def __getattr__(name: str) -> Any:
    if name == "LM":
        from dspex_nb.lm.openai import LM

        return LM
    raise AttributeError(f"module 'dspex_nb.lm' has no attribute {name!r}")


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
