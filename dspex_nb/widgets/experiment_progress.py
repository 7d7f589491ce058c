"""The notebook view of a running experiment: a heading line above each arm's live views
(its SIMBA chart, its evaluation table), so a long run reads as "arm 2 of 3: evaluate"."""

from __future__ import annotations

import html
from types import TracebackType
from typing import Any

from dspex_nb.telemetry import Event, attach, detach


class LiveExperimentHeadings:
    def __init__(self, run: Any):
        self.run = run

    def _on(self, event: Event) -> None:
        from IPython.display import HTML, display

        a = event.attrs
        if a.get("experiment_id") != self.run.id:
            return
        display(HTML(  # type: ignore[no-untyped-call]
            f'<div class="dx-exp-phase" style="margin:8px 0 2px;font-weight:bold">'
            f"Experiment {html.escape(repr(a['experiment']))} · arm {html.escape(repr(a['arm']))} "
            f"({a['index']} of {a['total']}) · {html.escape(a['phase'])}</div>"))

    def __enter__(self) -> LiveExperimentHeadings:
        attach(self._on, events=["experiment.phase"])
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        detach(self._on)
