"""`dx.trace()` collects the span tree of everything run inside it; `dx.last_trace()` is the
most recent top-level call's tree."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dspex_nb.accounting import LMCallRecord, UsageTotals
from dspex_nb.errors import ConfigurationError
from dspex_nb.telemetry.spans import Span, last_root, span

if TYPE_CHECKING:
    import pandas as pd


def lm_call_of(s: Span) -> LMCallRecord:
    """What an `lm` span observed of its call, as the accounting record of it."""
    a = s.attrs
    return LMCallRecord(model=str(a.get("model", "")), messages=a.get("messages", []),
                        response=str(a.get("response", "")),
                        prompt_tokens=int(a.get("prompt_tokens", 0)),
                        completion_tokens=int(a.get("completion_tokens", 0)),
                        cost_usd=float(a.get("cost_usd", 0.0)), cached=bool(a.get("cached")),
                        latency_s=s.duration or 0.0)


class Trace:
    """A span tree from its `root` span, with the sums people ask for: tokens, cost, LM
    calls."""

    def __init__(self, root: Span):
        self.root = root

    def spans(self, kind: str | None = None) -> list[Span]:
        return [s for s in self.root.walk() if kind is None or s.kind == kind]

    @property
    def lm_calls(self) -> list[Span]:
        return self.spans("lm")

    @property
    def usage(self) -> UsageTotals:
        """Tokens, cost and cache hits of the LM calls in this tree."""
        return UsageTotals.of(lm_call_of(s) for s in self.lm_calls)

    @property
    def prompt_tokens(self) -> int:
        return self.usage.prompt_tokens

    @property
    def completion_tokens(self) -> int:
        return self.usage.completion_tokens

    @property
    def total_tokens(self) -> int:
        return self.usage.total_tokens

    @property
    def cost_usd(self) -> float:
        return self.usage.cost_usd

    def to_dict(self) -> dict[str, Any]:
        return self.root.to_dict()

    def to_pandas(self) -> pd.DataFrame:
        """One row per span, indented by depth, times in ms from the start of the trace."""
        import pandas as pd

        rows = []

        def visit(s: Span, depth: int) -> None:
            rows.append({
                "span": "  " * depth + f"{s.kind}: {s.name}",
                "start_ms": (s.start_time - self.root.start_time) * 1000,
                "duration_ms": None if s.duration is None else s.duration * 1000,
                "tokens": lm_call_of(s).prompt_tokens + lm_call_of(s).completion_tokens
                if s.kind == "lm" else None,
                "error": s.error,
            })
            for child in s.children:
                visit(child, depth + 1)

        visit(self.root, 0)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (f"Trace({len(self.spans())} spans, {len(self.lm_calls)} LM calls, "
                f"{self.total_tokens} tokens)")


@contextlib.contextmanager
def trace(name: str = "trace") -> Iterator[Trace]:
    """Collect every span started inside the block (in this thread or task) under one root
    span called `name`."""
    with span("trace", name) as root:
        if root is None:
            raise ConfigurationError("telemetry is disabled: dx.telemetry.enable() first")
        yield Trace(root)


def last_trace() -> Trace | None:
    """The span tree of the last finished top-level program call in this process, or None."""
    root = last_root()
    return Trace(root) if root is not None else None
