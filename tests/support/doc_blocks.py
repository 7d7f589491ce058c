"""The Python blocks of a docs page, and the reason given where one is marked not runnable
(`<!-- not runnable: reason -->` on the line above its fence)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

BLOCK = re.compile(r"(?:[ \t]*<!-- not runnable: (?P<reason>[^>]*?) -->\n)?[ \t]*```python\n"
                   r"(?P<code>.*?)```", re.S)


@dataclass
class Block:
    page: str
    line: int
    code: str
    reason: str | None


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    return [Block(page.name, text[:m.start("code")].count("\n") + 1, m.group("code"),
                  m.group("reason")) for m in BLOCK.finditer(text)]
