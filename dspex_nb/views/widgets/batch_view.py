"""`BatchView`: a batch in progress (`dx.Parallel`, `module.batch`) as a bar with counts,
failures by error type, rate and time left; one `state` trait, updated a few times a second."""

from __future__ import annotations

import time
from typing import Any

import anywidget
import traitlets

from dspex_nb.telemetry import Event
from dspex_nb.views._protocols import BatchProgress
from dspex_nb.views.live import LiveView, Ticker
from dspex_nb.views.widgets._static import bundle

REFRESH = 0.25  # seconds between updates while the batch runs


def batch_state(run: BatchProgress) -> dict[str, Any]:
    return {"module": run.module, "total": run.total, "done": run.done,
            "failures": run.failures, "concurrency": run.concurrency,
            "elapsed_s": time.perf_counter() - run.started, "finished": run.finished,
            "stop_reason": run.stop_reason, "error_types": dict(run.error_types)}


class BatchView(anywidget.AnyWidget):
    _esm = bundle("batch_view")
    state = traitlets.Dict().tag(sync=True)


class LiveBatchView(LiveView):
    """Shows a BatchView and refreshes it from the run a few times a second."""

    EVENTS = ()  # it reads the run a few times a second; no event is needed

    def __init__(self, run: BatchProgress):
        super().__init__(run)
        self.widget = BatchView(state=batch_state(run))
        self._ticker = Ticker(self._refresh, REFRESH, "dspex_nb-batch-view")

    def _on(self, event: Event) -> None:
        return None

    def _refresh(self) -> None:
        self.widget.state = batch_state(self.run)

    def _show(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]
        self._ticker.start()

    def _close(self) -> None:
        self._ticker.stop()
        self._refresh()
