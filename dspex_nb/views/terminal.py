"""Terminal views of long operations: a progress bar redrawn in place, fed by telemetry."""

from __future__ import annotations

import sys
import time
from typing import Any

from dspex_nb.optimize.result import calls_text
from dspex_nb.telemetry import Event
from dspex_nb.views import registry
from dspex_nb.views.live import LiveView


class _TerminalView(LiveView):
    """Writes to stderr from the telemetry events named in EVENTS, only on a terminal (so a
    script's redirected output and a notebook's stay clean)."""

    def __init__(self, run: Any, *, stream: Any = None):
        super().__init__(run)
        self.stream = stream or sys.stderr
        self._last = 0.0  # when the view last drew (time.monotonic)

    def active(self) -> bool:
        return bool(self.stream.isatty())

    def _due(self, event: Event) -> bool:
        """Redraw at most 5 times a second, and always for the last item."""
        now = time.monotonic()
        if now - self._last >= 0.2 or event.attrs["done"] == event.attrs["total"]:
            self._last = now
            return True
        return False


class EvaluationBar(_TerminalView):
    """`[#####.....] 120/400  failures 3  answer_exact_match 0.62` on stderr, at most 5/s."""

    EVENTS = ("evaluation.progress",)

    def __init__(self, run: Any, *, stream: Any = None, width: int = 30):
        super().__init__(run, stream=stream)
        self.width = width
        self._sums: dict[str, float] = {}

    def _on(self, event: Event) -> None:
        if not self.mine(event):
            return
        for name, value in event.attrs["scores"].items():
            self._sums[name] = self._sums.get(name, 0.0) + value
        if self._due(event):
            self._draw(event.attrs["done"], event.attrs["total"], event.attrs["failures"])

    def _draw(self, done: int, total: int, failures: int) -> None:
        filled = self.width * done // max(total, 1)
        means = "  ".join(f"{k} {v / max(done, 1):.3f}" for k, v in self._sums.items())
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}  "
                          f"failures {failures}  {means}")
        self.stream.flush()

    def _close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class BatchBar(_TerminalView):
    """`[#####.....] 120/400  failures 3  12.5/s` on stderr, at most 5/s (a terminal only)."""

    EVENTS = ("batch.progress",)

    def __init__(self, run: Any, *, stream: Any = None, width: int = 30):
        super().__init__(run, stream=stream)
        self.width = width

    def _show(self) -> None:
        self._draw()

    def _on(self, event: Event) -> None:
        if self.mine(event) and self._due(event):
            self._draw()

    def _draw(self) -> None:
        run = self.run
        filled = self.width * run.done // max(run.total, 1)
        elapsed = time.perf_counter() - run.started
        rate = run.done / elapsed if elapsed > 0 else 0.0
        self.stream.write(f"\r{run.module} [{'#' * filled}{'.' * (self.width - filled)}] "
                          f"{run.done}/{run.total}  failures {run.failures}  {rate:.1f}/s")
        self.stream.flush()

    def _close(self) -> None:
        self._draw()
        self.stream.write("\n")
        self.stream.flush()


class OptimizationLog(_TerminalView):
    """One line per optimization step on stderr (a terminal only)."""

    EVENTS = ("optimization.step",)

    def _on(self, event: Event) -> None:
        if not self.mine(event):
            return
        a = event.attrs
        validated = (f", validation {a['val_score']:.3f}" if a.get("val_score") is not None
                     else "")
        self.stream.write(f"step {a['step'] + 1}/{a['max_steps']}: winner {a['winner_id']} "
                          f"({a['winner_score']:.3f}{validated}), best so far "
                          f"{a['best_so_far_id']} ({a['best_so_far_score']:.3f}), baseline "
                          f"{a['baseline_mean']:.3f}, "
                          f"{calls_text(a['lm_calls'], a.get('max_lm_calls'))}\n")
        self.stream.flush()

    def _close(self) -> None:
        verdict = self.run.result.verdict
        if verdict is not None:
            self.stream.write(verdict.message + "\n")
            self.stream.flush()


class ExperimentLog(_TerminalView):
    """A line on stderr as each arm of an experiment starts a phase (a terminal only)."""

    EVENTS = ("experiment.phase",)

    def _on(self, event: Event) -> None:
        a = event.attrs
        if a.get("experiment_id") != self.run.id:
            return
        self.stream.write(f"experiment {a['experiment']!r}: arm {a['arm']!r} ({a['index']} of "
                          f"{a['total']}): {a['phase']}\n")
        self.stream.flush()


def register() -> None:
    registry.register("evaluation", "text", EvaluationBar)
    registry.register("optimization", "text", OptimizationLog)
    registry.register("experiment", "text", ExperimentLog)
    registry.register("batch", "text", BatchBar)
