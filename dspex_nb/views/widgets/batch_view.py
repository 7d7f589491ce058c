"""`BatchView`: a batch in progress (`dx.Parallel`, `module.batch`) as a bar with counts,
failures by error type, rate and time left; one `state` trait, updated a few times a second."""

from __future__ import annotations

import threading
import time
from typing import Any

import anywidget
import traitlets

from dspex_nb.telemetry import Event
from dspex_nb.views._protocols import BatchProgress
from dspex_nb.views.live import LiveView
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
    """Shows a BatchView and refreshes it from the run; events only wake it up."""

    EVENTS = ()  # it reads the run a few times a second; no event is needed

    def __init__(self, run: BatchProgress):
        super().__init__(run)
        self.widget = BatchView(state=batch_state(run))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._refresher, daemon=True,
                                        name="dspex_nb-batch-view")

    def _on(self, event: Event) -> None:
        return None

    def _refresher(self) -> None:
        while not self._stop.wait(REFRESH):
            try:
                self.widget.state = batch_state(self.run)
            except Exception:  # the comm went away (kernel shutting down): stop quietly
                return

    def _show(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]
        self._thread.start()

    def _close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.widget.state = batch_state(self.run)
