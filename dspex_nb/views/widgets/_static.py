"""Where the built widget bundles are (see js/; built by `npm run build`)."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"


def bundle(name: str) -> Path:
    path = STATIC / f"{name}.js"
    if not path.is_file():
        raise FileNotFoundError(f"widget bundle {path} is missing: run `make js` (npm run build)")
    return path
