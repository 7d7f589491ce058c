"""The last LM calls of the process, across every LM, and `dx.inspect_history(n)` to print
them as DSPy users know it: the exact prompt (each message under its role) and the reply.

Each LM keeps its own bounded `lm.history`; this keeps references to the most recent entries
of all of them, in order, so "what did the model just see?" needs no LM in hand.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from typing import TextIO

from dspex_nb._checks import whole_number
from dspex_nb.lm.types import HistoryEntry

RECENT = 200
_recent: deque[HistoryEntry] = deque(maxlen=RECENT)
_lock = threading.Lock()


def remember(entry: HistoryEntry) -> None:
    with _lock:
        _recent.append(entry)


def recent(n: int) -> list[HistoryEntry]:
    with _lock:
        return list(_recent)[-n:] if n else []


def format_entry(entry: HistoryEntry) -> str:
    import datetime

    when = datetime.datetime.fromtimestamp(entry.timestamp).strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"[{when}] {entry.model}"
             + (" (from the cache)" if entry.response is not None and entry.response.cached
                else "")]
    for message in entry.messages:
        lines += ["", f"{str(message.get('role', '?')).upper()}:", str(message.get("content"))]
    lines.append("")
    if entry.error is not None:
        lines += ["FAILED:", entry.error]
    elif entry.response is not None:
        usage = entry.response.usage
        lines += [f"RESPONSE ({usage.prompt_tokens} prompt + {usage.completion_tokens} "
                  f"completion tokens):", entry.response.text]
    return "\n".join(lines)


def inspect_history(n: int = 1, *, file: TextIO | None = None) -> None:
    """Print the last `n` LM calls of this process (any LM), oldest first: each message of
    the prompt under its role, then the reply or the error, to `file` (default stdout). Keys
    are never part of it."""
    n = whole_number("n", n, minimum=1)
    entries = recent(n)
    out = file or sys.stdout
    if not entries:
        print("no LM calls yet in this process", file=out)
        return
    rule = "\n" + "-" * 72 + "\n"
    print(rule.join(format_entry(e) for e in entries), file=out)
