"""`LiveView`: the one base of every view of a running operation, terminal or notebook.

A live view is a context manager around the run. On entry it shows itself (if it can) and
attaches to the telemetry events it names; on exit it detaches and closes. `mine(event)`
keeps the events of this run only (several runs can be live at once).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from dspex_nb.telemetry import Event, attach, detach


class Ticker:
    """Calls `tick()` every `interval` seconds on a daemon thread until `stop()`: how a live
    widget sends its updates a few times a second instead of once per event. A tick that
    raises (the comm went away: the kernel is shutting down) ends it quietly."""

    def __init__(self, tick: Callable[[], object], interval: float, name: str):
        self._tick = tick
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=name)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._tick()
            except Exception:
                return

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)


class LiveView:
    EVENTS: tuple[str, ...] = ()

    def __init__(self, run: Any):
        self.run = run
        self._attached = False

    def active(self) -> bool:
        """Can this view show anything here? (a terminal view: only on a terminal)"""
        return True

    def _show(self) -> None:
        """Put the view on screen, on entry."""

    def _on(self, event: Event) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        """Last update, on exit."""

    def mine(self, event: Event) -> bool:
        """Is this event from the run this view shows? (events carry the run's span)"""
        return event.span is not None and event.span is getattr(self.run, "span", None)

    def __enter__(self) -> Self:
        if self.active():
            self._show()
            attach(self._on, events=self.EVENTS)
            self._attached = True
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._attached:
            detach(self._on)
            self._attached = False
            self._close()
