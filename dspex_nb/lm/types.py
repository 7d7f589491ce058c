"""What goes into and comes out of one LM call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )

    def to_dict(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}


@dataclass(slots=True)
class LMRequest:
    """A chat request: `messages` (OpenAI chat format) and sampling `params` (temperature,
    max_tokens...). `response_schema` asks for a JSON object of that schema (None: free text),
    named `schema_name` where the server wants a name.

    `sample_id` tells apart samples of the same request at temperature > 0: the cache keeps one
    entry per id, so the same id gives the same sample again and distinct ids distinct ones.
    """

    messages: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)
    response_schema: dict[str, Any] | None = None
    schema_name: str = "response"
    sample_id: int | None = None
    cache: bool = True


@dataclass(slots=True)
class LMResponse:
    text: str
    model: str
    usage: Usage
    latency_s: float
    cost_usd: float = 0.0
    cached: bool = False
    attempts: int = 1
    finish_reason: str | None = None
    structured_mode: str = "none"
    waits: tuple[float, ...] = ()  # seconds slept before each retry

    def to_entry(self) -> dict[str, Any]:
        """The cache entry: what the model said and what it cost the first time."""
        return {
            "text": self.text,
            "model": self.model,
            "usage": self.usage.to_dict(),
            "finish_reason": self.finish_reason,
            "structured_mode": self.structured_mode,
        }

    @classmethod
    def from_entry(cls, entry: dict[str, Any], latency_s: float) -> LMResponse:
        """A cache hit: same text, but no tokens and no cost are spent."""
        return cls(
            text=entry["text"],
            model=entry["model"],
            usage=Usage(),
            latency_s=latency_s,
            cached=True,
            attempts=0,
            finish_reason=entry.get("finish_reason"),
            structured_mode=entry.get("structured_mode", "none"),
        )


@dataclass(slots=True)
class HistoryEntry:
    """One call as kept in `lm.history` (bounded): enough to see exactly what was asked and said:
    when (`timestamp`, Unix time), the `model`, the `messages` and `params` sent, and the
    `response` (None when it failed, with `error` saying why)."""

    timestamp: float
    model: str
    messages: list[dict[str, Any]]
    params: dict[str, Any]
    response: LMResponse | None
    error: str | None = None
