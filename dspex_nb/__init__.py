"""dspex_nb: build, evaluate and optimize LM programs, live in JupyterLab.

    import dspex_nb as dx
    qa = dx.Predict("question -> answer")
    qa(question="What is the capital of France?").answer
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from dspex_nb import retrieve, telemetry
from dspex_nb._version import __version__ as __version__
from dspex_nb.adapters import ChatAdapter, JSONAdapter
from dspex_nb.caching import Cache, DiskCache, MemoryCache, RedisCache, current_cache
from dspex_nb.data import Dataset
from dspex_nb.errors import (
    AllFailedError,
    ArgumentError,
    AssertionFailed,
    AttemptsFailed,
    AuthenticationError,
    BadResponseError,
    CacheWarning,
    ConfigurationError,
    ContextWindowError,
    DataError,
    DspexError,
    DSPyNameNote,
    FormatError,
    InputError,
    KeyWithheldWarning,
    LMConnectionError,
    LMError,
    LMTimeoutError,
    MaxErrorsReached,
    MetricError,
    MissingToolError,
    ParseError,
    RateLimitError,
    RetrievalError,
    ServerError,
    SignatureError,
    SnapshotError,
    SnapshotVersionWarning,
    TrustError,
    UnreadableRecordWarning,
)
from dspex_nb.evaluation import (
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
    ExperimentRecord,
    ExperimentStore,
    compare_experiments,
)
from dspex_nb.lm import BaseLM, LocalLM, RetryPolicy, ScriptedLM, Usage, set_price
from dspex_nb.lm.history import inspect_history
from dspex_nb.modules import (
    RAG,
    Assert,
    Attempt,
    BatchResult,
    BestOfN,
    Chain,
    ChainOfThought,
    Module,
    MultiChainComparison,
    Outcome,
    Parallel,
    Predict,
    Refine,
    Retrieve,
    Retry,
    Suggest,
)
from dspex_nb.modules.tools import tool
from dspex_nb.optimize import SIMBA, OptimizationResult, Optimizer
from dspex_nb.primitives import Example, Prediction, Score
from dspex_nb.registry import ProgramStore, load, programs, save
from dspex_nb.settings import configure, context
from dspex_nb.signatures import InputField, OutputField, Signature
from dspex_nb.telemetry import last_trace, trace
from dspex_nb.views import terminal

if TYPE_CHECKING:
    from dspex_nb.lm.openai import LM  # served by __getattr__: its HTTP stack loads on first use


__all__ = [
    "LM",
    "RAG",
    "SIMBA",
    "AllFailedError",
    "ArgumentError",
    "Arm",
    "Assert",
    "AssertionFailed",
    "Attempt",
    "AttemptsFailed",
    "AuthenticationError",
    "BadResponseError",
    "BaseLM",
    "BatchResult",
    "BestOfN",
    "Cache",
    "CacheWarning",
    "Chain",
    "ChainOfThought",
    "ChatAdapter",
    "Comparison",
    "ConfigurationError",
    "ContextWindowError",
    "DSPyNameNote",
    "DataError",
    "Dataset",
    "DiskCache",
    "DspexError",
    "EvaluationReport",
    "Example",
    "Experiment",
    "ExperimentComparison",
    "ExperimentRecord",
    "ExperimentStore",
    "FormatError",
    "Harness",
    "InputError",
    "InputField",
    "JSONAdapter",
    "KeyWithheldWarning",
    "LMConnectionError",
    "LMError",
    "LMTimeoutError",
    "LocalLM",
    "MaxErrorsReached",
    "MemoryCache",
    "MetricError",
    "MissingToolError",
    "Module",
    "MultiChainComparison",
    "OptimizationResult",
    "Optimizer",
    "Outcome",
    "OutputField",
    "Parallel",
    "ParseError",
    "Predict",
    "Prediction",
    "ProgramStore",
    "RateLimitError",
    "RedisCache",
    "Refine",
    "RetrievalError",
    "Retrieve",
    "Retry",
    "RetryPolicy",
    "Score",
    "ScriptedLM",
    "ServerError",
    "Signature",
    "SignatureError",
    "SnapshotError",
    "SnapshotVersionWarning",
    "Suggest",
    "TrustError",
    "UnreadableRecordWarning",
    "Usage",
    "compare",
    "compare_experiments",
    "configure",
    "context",
    "dashboard",
    "evaluate",
    "inspect_history",
    "last_trace",
    "load",
    "metrics",
    "programs",
    "retrieve",
    "save",
    "set_price",
    "telemetry",
    "tool",
    "trace",
]


def dashboard(*, interval: float = 0.5, source: str | list[str] | None = None) -> Any:
    """A live telemetry dashboard widget (latency, tokens, cost, errors), refreshed every
    `interval` seconds; a cell's value.
    `source="http://host:port"` (or a list) watches processes serving `dx.telemetry.serve()`
    instead of this kernel. (anywidget and the widgets load on first use.)"""
    from dspex_nb.views.widgets.dashboard import dashboard as make

    return make(interval=interval, source=source)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext dspex_nb`: the magics `%%predict`, `%%signature` and `%dx` (see magics.py;
    IPython loads only there)."""
    from dspex_nb.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from dspex_nb.magics import unload_ipython_extension as unload

    unload(ipython)


def _register_views() -> None:
    """Terminal views always; in a running IPython kernel, widgets too (results display as
    widgets, long runs show live tables). Costs nothing outside IPython."""
    terminal.register()
    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    ipython = get_ipython()
    if ipython is not None and hasattr(ipython, "display_formatter") and hasattr(ipython,
                                                                                 "kernel"):
        from dspex_nb.views.notebook import register

        register(ipython)


_register_views()


def __getattr__(name: str) -> Any:
    if name == "LM":
        from dspex_nb.lm.openai import LM

        return LM
    # `dx.cache` is the cache in force now (configure(cache=...) or the default), or None if off.
    if name == "cache":
        return current_cache()
    raise AttributeError(f"module 'dspex_nb' has no attribute {name!r}")
