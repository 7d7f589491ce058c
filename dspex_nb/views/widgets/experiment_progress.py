"""The notebook view of a running experiment: a heading line above each arm's live views
(its SIMBA chart, its evaluation table), so a long run reads as "arm 2 of 3: evaluate"."""

from __future__ import annotations

import html

from dspex_nb.telemetry import Event
from dspex_nb.views._protocols import ExperimentProgress
from dspex_nb.views.live import LiveView


class LiveExperimentHeadings(LiveView):
    EVENTS = ("experiment.phase",)

    def __init__(self, run: ExperimentProgress):
        super().__init__(run)

    def _on(self, event: Event) -> None:
        from IPython.display import HTML, display

        a = event.attrs
        if a.get("experiment_id") != self.run.id:
            return
        display(HTML(  # type: ignore[no-untyped-call]
            f'<div class="dx-exp-phase" style="margin:8px 0 2px;font-weight:bold">'
            f"Experiment {html.escape(repr(a['experiment']))} · arm {html.escape(repr(a['arm']))} "
            f"({a['index']} of {a['total']}) · {html.escape(a['phase'])}</div>"))
