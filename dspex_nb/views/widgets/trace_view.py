"""`TraceView`: one program call's span tree, expandable, prompts and responses as text."""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

from dspex_nb._json import to_jsonable
from dspex_nb.telemetry import Trace
from dspex_nb.views.widgets._static import bundle


class TraceView(anywidget.AnyWidget):
    """A program call's span tree (`trace`, from `dx.trace()`), expandable, with each LM
    call's prompt, reply and usage."""

    _esm = bundle("trace_view")
    tree = traitlets.Dict().tag(sync=True)

    def __init__(self, trace: Trace | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if trace is not None:
            self.tree = to_jsonable(trace.to_dict())
