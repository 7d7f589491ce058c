"""Saved JSON documents (programs, reports, optimization results, checkpoints) carry a format
name and version; this is the one check of both, so every loader refuses the same way."""

from __future__ import annotations

from typing import Any

from dspex_nb.errors import FormatError


def stamp(data: dict[str, Any], name: str, version: int) -> dict[str, Any]:
    data["format"], data["version"] = name, version
    return data


def check(data: Any, name: str, version: int, what: str) -> dict[str, Any]:
    """The document's fields without format/version, or FormatError saying what is wrong."""
    if not isinstance(data, dict) or data.get("format") != name:
        raise FormatError(f"not a saved {what} (expected format {name!r})")
    found = data.get("version", 0)
    if isinstance(found, bool) or not isinstance(found, int):
        raise FormatError(f"this {what} has a version that is not a whole number: {found!r:.40}")
    if found > version:
        raise FormatError(f"this {what} was saved by a newer dspex_nb (format version "
                          f"{data['version']}); this one reads up to {version}")
    return {k: v for k, v in data.items() if k not in ("format", "version")}
