"""`run_pool`: the one way bulk work runs items concurrently on the engine loop (an
evaluation's examples, a batch's inputs): `concurrency` workers each take the next index, and
a stop request (Ctrl-C, `max_errors`, `.stop()` from another thread) ends the run with the
items finished so far kept by the caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class Stopper:
    """A stop request that may come from any thread; the first reason given is kept."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def request(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        loop, event = self._loop, self._event
        if loop is not None and event is not None:
            loop.call_soon_threadsafe(event.set)

    def _bind(self) -> asyncio.Event:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        if self.reason is not None:
            self._event.set()
        return self._event


async def run_pool(count: int, work: Callable[[int], Awaitable[None]], *, concurrency: int,
                   stopper: Stopper) -> None:
    """Call `work(i)` for i in range(count), `concurrency` at a time, until done or stopped.
    A stop cancels the items in flight; an exception out of `work` is a bug of ours (items
    record their own failures) and is raised. Cancelling the caller stops the run too."""
    queue = iter(range(count))
    stop_event = stopper._bind()

    async def worker() -> None:
        for i in queue:
            # Checked before each item, not only by the stopper task: failures that come back
            # at once never yield to the loop, so the stopper would run late.
            if stopper.reason is not None:
                return
            await work(i)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, count))]
    waiter: asyncio.Future[Any] = asyncio.ensure_future(stop_event.wait())
    try:
        pending: set[asyncio.Future[Any]] = set(workers)
        while pending:
            done, pending = await asyncio.wait(pending | {waiter},
                                               return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not waiter and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
            pending.discard(waiter)
            if waiter in done:
                break
    except asyncio.CancelledError:
        stopper.request("cancelled")
    finally:
        waiter.cancel()
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, waiter, return_exceptions=True)
