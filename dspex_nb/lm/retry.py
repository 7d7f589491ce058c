"""When and how long to wait before trying an LM request again."""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

from dspex_nb._checks import finite_number, whole_number
from dspex_nb.errors import ArgumentError

RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; a server's Retry-After wins when given.

    Attributes:
        max_retries: retries after the first attempt.
        base_delay: seconds before the first retry (doubled for each one after).
        max_delay: the cap on one backoff, in seconds.
        max_retry_after: the longest Retry-After honoured, in seconds (longer: an error).
    """

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        whole_number("max_retries", self.max_retries, minimum=0)
        for name in ("base_delay", "max_delay", "max_retry_after"):
            if finite_number(name, getattr(self, name)) < 0:
                raise ArgumentError(f"{name} must be >= 0 seconds, not {getattr(self, name)!r}")

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number `attempt` (1 = first retry)."""
        told = parse_retry_after(retry_after)
        if told is not None:
            return min(told, self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
