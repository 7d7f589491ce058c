"""DSPy for the tests that need it: skipped where it is not installed, except in CI, which
installs it (make setup) and must run them. Call at a test module's top."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest


def import_dspy() -> Any:
    os.environ.setdefault("DSPY_CACHEDIR", tempfile.mkdtemp(prefix="dspy-cache-"))
    try:
        import dspy
    except ImportError:
        if os.environ.get("CI"):
            raise  # CI installs DSPy (make setup): these tests must run there
        pytest.skip("DSPy is not installed (make setup installs it)", allow_module_level=True)
    return dspy
