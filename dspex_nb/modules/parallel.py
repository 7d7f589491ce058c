"""`dx.Parallel`: a module run over a list of inputs concurrently, as a module of its own.

`dx.Parallel(qa, concurrency=16)(inputs)` is `qa.batch(inputs, concurrency=16)`; as a module
it can sit inside a program and be saved with it (its state is the inner module's).
"""

from __future__ import annotations

from typing import Any

from dspex_nb import _checks
from dspex_nb.modules.batch import Batch, BatchResult
from dspex_nb.modules.module import Module


class Parallel(Module):
    """`dx.Parallel(module, concurrency=16, max_errors=None, timeout=None)`: called with a
    list of inputs (dicts, Examples, DataFrame rows, or a DataFrame), it returns a
    `BatchResult` in input order; see `Module.batch`. `timeout` is per input, in seconds;
    `display` shows progress as `dx.evaluate` does ("auto", "widget", "text", "none")."""

    def __init__(self, module: Module, *, concurrency: int = 16, max_errors: int | None = None,
                 timeout: float | None = None, display: str | bool = "auto"):
        self.module: Module = _checks.program("module", module)
        self._batch = Batch(concurrency=concurrency, max_errors=max_errors, timeout=timeout,
                            display=display)

    def __call__(self, inputs: Any) -> BatchResult:
        with self._call_span():
            return self._batch.run(self.module, inputs)

    async def acall(self, inputs: Any) -> BatchResult:
        with self._call_span():
            return await self._batch.arun(self.module, inputs)

    def _init_args(self) -> dict[str, Any]:
        b = self._batch
        return {"concurrency": b.concurrency, "max_errors": b.max_errors, "timeout": b.timeout}

    def _init_unsaved(self) -> list[str]:
        return [f"module={type(self.module).__name__}"]

    def __repr__(self) -> str:
        return f"Parallel({self.module!r}, concurrency={self._batch.concurrency})"
