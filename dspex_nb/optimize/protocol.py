"""`Optimizer`: what the rest of dspex_nb asks of an optimizer, so that one written by a user
runs in an experiment beside SIMBA. Declared as a Protocol (nothing to inherit) and checked
where an optimizer enters, so a missing method is a clear error before any LM call."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from dspex_nb.errors import ConfigurationError

if TYPE_CHECKING:
    from dspex_nb.modules import Module


@runtime_checkable
class Optimizer(Protocol):
    """An optimizer turns a program into a better one.

    Required: `metric` (scores a prediction, `metric(example, prediction, trace=None)`),
    `compile(program, *, trainset, valset=None)` returning the new program, and
    `stop(reason)`, which an experiment calls from another thread (Ctrl-C, `exp.stop()`)
    and after which `compile` should return the best program so far.

    Optional, read when present: `acompile` (the same, as a coroutine: used in place of
    `compile` in a running event loop), `result` (a `dx.OptimizationResult`, stored with
    the experiment and charted) and `settings` (a dict recorded with the experiment).
    """

    metric: Callable[..., Any]

    def compile(self, program: Module, *, trainset: Any, valset: Any = None) -> Module:
        """Return the optimized program (a new one: `program` is left as it was)."""
        ...

    def stop(self, reason: str = "stopped") -> None:
        """Ask a running `compile` to return early with what it has."""
        ...


def check_optimizer(optimizer: object) -> None:
    """A ConfigurationError naming what `optimizer` lacks of the protocol."""
    missing = [name for name in ("metric", "compile", "stop")
               if not hasattr(optimizer, name)]
    missing += [f"{name}()" for name in ("compile", "stop")
                if hasattr(optimizer, name) and not callable(getattr(optimizer, name))]
    if missing:
        raise ConfigurationError(
            f"optimizer {type(optimizer).__name__} lacks {', '.join(missing)}: an optimizer "
            f"needs metric, compile(program, *, trainset, valset=None) and stop(reason) "
            f"(see dx.Optimizer)")
