"""Rich display in notebooks: lower-layer result objects render as widgets without importing
them (a Trace knows nothing of TraceView; this registers how IPython should show it)."""

from __future__ import annotations

from typing import Any

from dspex_nb.telemetry import Trace


def _trace_bundle(trace: Trace) -> Any:
    from dspex_nb.widgets.trace_view import TraceView

    return TraceView(trace)._repr_mimebundle_()


def register(ipython: Any) -> None:
    """Teach IPython's display to show dspex_nb results as widgets."""
    formatter = ipython.display_formatter.mimebundle_formatter
    formatter.for_type(Trace, _trace_bundle)
