"""What a cache layer is: the one protocol `Cache` composes (memory, disk, Redis, yours).

A layer stores entries (plain JSON objects) under keys (hex SHA-256 of a request). Layers
that talk to a network say so (`networked = True`) and give async forms, which `Cache` awaits
on the engine loop; the others are called directly. A layer may raise on any failure: `Cache`
turns that into a miss, a warning and a `cache.error` event, never a failed call.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class CacheLayer(Protocol):
    """`get`/`put`/`delete`/`clear`; networked layers add `aget`/`aput`/`adelete`/`aclear`."""

    name: str  # shown in events and on the dashboard ("memory", "disk", "redis")
    networked: bool

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, entry: dict[str, Any]) -> None: ...

    def delete(self, key: str) -> None: ...

    def clear(self) -> None: ...


def is_entry(value: Any) -> bool:
    """Does a stored value look like an LM response entry (what `LMResponse.from_entry` reads)?
    Anything else found in a layer (edited, written by another program) is not served."""
    return (isinstance(value, dict) and isinstance(value.get("text"), str)
            and isinstance(value.get("model"), str))
