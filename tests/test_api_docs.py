"""The API reference: every public name (`dx.__all__` and every public subpackage's `__all__`)
has a docstring naming each of its parameters, is on a page of the reference, and the site
builds offline with `mkdocs build --strict`."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import dspex_nb as dx

ROOT = Path(__file__).resolve().parent.parent



def _packages() -> list[types.ModuleType]:
    found = [dx]
    for info in pkgutil.walk_packages(dx.__path__, prefix="dspex_nb."):
        if info.ispkg and not info.name.split(".")[-1].startswith("_"):
            found.append(importlib.import_module(info.name))
    return found


def public_objects() -> dict[str, Any]:
    """Every object a public `__all__` names (modules aside), once, by its shortest path."""
    seen: dict[int, str] = {}
    objects: dict[str, Any] = {}
    for package in _packages():
        for name in getattr(package, "__all__", []):
            value = getattr(package, name)
            if isinstance(value, types.ModuleType) or id(value) in seen:
                continue
            path = f"{package.__name__}.{name}".removeprefix("dspex_nb.")
            seen[id(value)] = path
            objects[path] = value
    return objects


def _documented_text(value: Any) -> str:
    text = value.__doc__ or ""
    if inspect.isclass(value):
        text += "\n" + (value.__init__.__doc__ or "")
    return text


def missing_parameters(value: Any) -> set[str]:
    """Parameters of a function or class (its `__init__`) that its docstring never names."""
    if inspect.isclass(value) and issubclass(value, BaseException | Warning):
        return set()
    target = value.__init__ if inspect.isclass(value) else value
    if not callable(target):
        return set()
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return set()
    text = _documented_text(value)
    return {p.name for p in parameters
            if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            and not re.search(rf"\b{re.escape(p.name)}\b", text)}


def test_every_public_name_has_a_docstring() -> None:
    undocumented = [path for path, value in public_objects().items()
                    if (inspect.isclass(value) or inspect.isroutine(value))
                    and not (value.__doc__ or "").strip()]
    assert undocumented == []


def test_every_parameter_is_named_in_its_docstring() -> None:
    found = {path: missing for path, value in public_objects().items()
             if (missing := missing_parameters(value))}
    assert found == {}, "document these parameters"


def test_the_coverage_counts(capsys: Any) -> None:
    objects = public_objects()
    with capsys.disabled():
        params = sum(len(missing_parameters(v)) for v in objects.values())
        print(f"\npublic API: {len(objects)} names documented; {params} parameters "
              f"undocumented")
    assert objects


def test_every_name_in_dx_all_is_on_a_reference_page() -> None:
    pages = "\n".join(p.read_text() for p in (ROOT / "docs" / "api").glob("*.md"))
    shown = set(re.findall(r"^::: dspex_nb\.(\w+)", pages, flags=re.M))
    assert sorted(set(dx.__all__) - shown) == []


@pytest.mark.skipif(sys.platform == "win32", reason="the docs build runs on the CI machine")
def test_the_site_builds_offline_in_strict_mode(tmp_path: Path) -> None:
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                            str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
                           env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
                           timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    html = "\n".join(p.read_text() for p in (tmp_path / "site").rglob("*.html"))
    assert "SIMBA" in html and "max_lm_calls" in html  # the reference was rendered
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html)  # nothing remote
