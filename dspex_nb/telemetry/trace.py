"""`dx.trace()` collects the span tree of everything run inside it; `dx.last_trace()` is the
most recent top-level call's tree."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dspex_nb.telemetry.spans import Span, last_root, span

if TYPE_CHECKING:
    import pandas as pd


class Trace:
    """A span tree with the sums people ask for: tokens, cost, LM calls."""

    def __init__(self, root: Span):
        self.root = root

    def spans(self, kind: str | None = None) -> list[Span]:
        return [s for s in self.root.walk() if kind is None or s.kind == kind]

    @property
    def lm_calls(self) -> list[Span]:
        return self.spans("lm")

    @property
    def prompt_tokens(self) -> int:
        return sum(int(s.attrs.get("prompt_tokens", 0)) for s in self.lm_calls)

    @property
    def completion_tokens(self) -> int:
        return sum(int(s.attrs.get("completion_tokens", 0)) for s in self.lm_calls)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost_usd(self) -> float:
        return sum(float(s.attrs.get("cost_usd", 0.0)) for s in self.lm_calls)

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
                "tokens": int(s.attrs.get("prompt_tokens", 0))
                + int(s.attrs.get("completion_tokens", 0)) if s.kind == "lm" else None,
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
    """Collect every span started inside the block (in this thread or task) under one root."""
    with span("trace", name) as root:
        if root is None:
            raise RuntimeError("telemetry is disabled: dx.telemetry.enable() first")
        yield Trace(root)


def last_trace() -> Trace | None:
    root = last_root()
    return Trace(root) if root is not None else None
