"""The async engine: one background event loop that runs the library's I/O.

Why: every public call has a sync form that must work inside a running event loop (Jupyter)
without nest_asyncio. A sync call hands its coroutine to this loop's thread and waits; the
caller's contextvars travel with it. Async calls made on another loop hop here for network
I/O (`on_engine`), so each HTTP client lives on exactly one loop for the life of the process.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import contextvars
import functools
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def engine_loop() -> asyncio.AbstractEventLoop:
    """The engine loop, started on first use in a daemon thread."""
    global _loop
    if _loop is not None:
        return _loop
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=run, name="dspex_nb-engine", daemon=True).start()
            ready.wait()
            _loop = loop
    return _loop


def in_engine() -> bool:
    try:
        return asyncio.get_running_loop() is _loop
    except RuntimeError:
        return False


def submit(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Start `coro` on the engine loop with a copy of the caller's context; its future."""
    loop = engine_loop()
    ctx = contextvars.copy_context()
    result: concurrent.futures.Future[T] = concurrent.futures.Future()

    def start() -> None:
        task = loop.create_task(coro, context=ctx)

        def done(t: asyncio.Task[T]) -> None:
            if t.cancelled():
                result.cancel()
            elif (exc := t.exception()) is not None:
                result.set_exception(exc)
            else:
                result.set_result(t.result())

        task.add_done_callback(done)
        result.add_done_callback(
            lambda f: loop.call_soon_threadsafe(task.cancel) if f.cancelled() else None
        )

    loop.call_soon_threadsafe(start)
    return result


def run_stoppable(coro: Coroutine[Any, Any, T], stop: Callable[[str], None], *,
                  grace: float = 600) -> T:
    """Run `coro` on the engine and wait; on Ctrl-C (the notebook's interrupt) call
    `stop("interrupted")` and wait up to `grace` seconds for the partial result it returns."""
    future = submit(coro)
    try:
        return future.result()
    except KeyboardInterrupt:
        stop("interrupted")
        return future.result(timeout=grace)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running loop.

    On KeyboardInterrupt the coroutine is cancelled (so it can clean up) before re-raising.
    """
    if in_engine():
        coro.close()
        raise RuntimeError(
            "a sync dspex_nb call was made on the engine loop itself; use the async form "
            "(`await ...acall(...)`)"
        )
    future = submit(coro)
    try:
        return future.result()
    except KeyboardInterrupt:
        future.cancel()
        raise


_threads: concurrent.futures.ThreadPoolExecutor | None = None
_closers: list[Callable[[], Awaitable[Any]]] = []


def close_at_exit(closer: Callable[[], Awaitable[Any]]) -> None:
    """Have `await closer()` run on the engine loop when the interpreter exits.

    HTTP clients live on the engine loop for the whole process; closing them at exit keeps
    aiohttp from warning about unclosed sessions.
    """
    _closers.append(closer)


@atexit.register
def _shutdown() -> None:
    loop = _loop
    if loop is None or not _closers or not loop.is_running():
        return

    async def close_all() -> None:
        await asyncio.gather(*(c() for c in _closers), return_exceptions=True)

    with contextlib.suppress(Exception):
        asyncio.run_coroutine_threadsafe(close_all(), loop).result(timeout=2)


async def in_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run blocking user code (a module's sync `forward`) in a worker, with this context.

    A pool of its own: the loop's default executor has only cpu+4 threads, which would cap
    the concurrency of an evaluation of sync modules at 6 on these machines.
    """
    global _threads
    if _threads is None:
        with _lock:
            if _threads is None:
                _threads = concurrent.futures.ThreadPoolExecutor(
                    max_workers=256, thread_name_prefix="dspex_nb-worker")
    ctx = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_threads, functools.partial(ctx.run, fn, *args, **kwargs))


async def on_engine(coro: Coroutine[Any, Any, T]) -> T:
    """Await `coro` on the engine loop, from any loop."""
    if in_engine():
        return await coro
    return await asyncio.wrap_future(submit(coro))
