"""dspex_nb: build, evaluate and optimize LM programs, live in JupyterLab.

    import dspex_nb as dx
    qa = dx.Predict("question -> answer")
    qa(question="What is the capital of France?").answer
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from dspex_nb import telemetry
from dspex_nb.adapters import ChatAdapter, JSONAdapter
from dspex_nb.caching import Cache
from dspex_nb.errors import (
    AuthenticationError,
    BadResponseError,
    ConfigurationError,
    ContextWindowError,
    DspexError,
    InputError,
    LMConnectionError,
    LMError,
    LMTimeoutError,
    ParseError,
    RateLimitError,
    ServerError,
    SignatureError,
)
from dspex_nb.evaluate import (
    Comparison,
    EvaluationReport,
    Harness,
    compare,
    evaluate,
    metrics,
)
from dspex_nb.experiments import (
    Arm,
    Experiment,
    ExperimentComparison,
    ExperimentStore,
    compare_experiments,
)
from dspex_nb.lm import BaseLM, LocalLM, RetryPolicy, ScriptedLM, Usage, set_price
from dspex_nb.modules import ChainOfThought, Module, Predict
from dspex_nb.optimize import SIMBA, OptimizationResult
from dspex_nb.primitives import Example, Prediction, Score
from dspex_nb.settings import configure, context
from dspex_nb.signatures import InputField, OutputField, Signature
from dspex_nb.telemetry import last_trace, trace

if TYPE_CHECKING:
    from dspex_nb.lm.openai import LM  # served by __getattr__: its HTTP stack loads on first use

__version__ = "0.1.0"

__all__ = [
    "LM",
    "SIMBA",
    "Arm",
    "AuthenticationError",
    "BadResponseError",
    "BaseLM",
    "Cache",
    "ChainOfThought",
    "ChatAdapter",
    "Comparison",
    "ConfigurationError",
    "ContextWindowError",
    "DspexError",
    "EvaluationReport",
    "Example",
    "Experiment",
    "ExperimentComparison",
    "ExperimentStore",
    "Harness",
    "InputError",
    "InputField",
    "JSONAdapter",
    "LMConnectionError",
    "LMError",
    "LMTimeoutError",
    "LocalLM",
    "Module",
    "OptimizationResult",
    "OutputField",
    "ParseError",
    "Predict",
    "Prediction",
    "RateLimitError",
    "RetryPolicy",
    "Score",
    "ScriptedLM",
    "ServerError",
    "Signature",
    "SignatureError",
    "Usage",
    "compare",
    "compare_experiments",
    "configure",
    "context",
    "dashboard",
    "evaluate",
    "last_trace",
    "metrics",
    "set_price",
    "telemetry",
    "trace",
]


def dashboard(*, interval: float = 0.5) -> Any:
    """A live telemetry dashboard widget (latency, tokens, cost, errors); a cell's value."""
    from dspex_nb.widgets.dashboard import dashboard as make

    return make(interval=interval)


def _register_views() -> None:
    """Terminal views always; in a running IPython kernel, widgets too (results display as
    widgets, long runs show live tables). Costs nothing outside IPython."""
    from dspex_nb import console

    console.register()
    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    ipython = get_ipython()
    if ipython is not None and hasattr(ipython, "display_formatter") and hasattr(ipython,
                                                                                 "kernel"):
        from dspex_nb.widgets.display import register

        register(ipython)


_register_views()


def __getattr__(name: str) -> Any:
    if name == "LM":
        from dspex_nb.lm.openai import LM

        return LM
    # `dx.cache` is the cache in force now (configure(cache=...) or the default), or None if off.
    if name == "cache":
        from dspex_nb import settings
        from dspex_nb.caching import default_cache

        configured = settings.get("cache")
        if configured is False:
            return None
        return configured if isinstance(configured, Cache) else default_cache()
    raise AttributeError(f"module 'dspex_nb' has no attribute {name!r}")
