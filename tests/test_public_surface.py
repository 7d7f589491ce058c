"""The public surface: importable by dotted path, no name hiding a module, one exception tree."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types

import pytest

import dspex_nb as dx
from dspex_nb import errors


def _modules() -> list[types.ModuleType]:
    found = [dx]
    for info in pkgutil.walk_packages(dx.__path__, prefix="dspex_nb."):
        if info.name.endswith(("__main__", ".otel", ".mlflow_log")):
            continue  # an entry point, and modules of optional extras
        found.append(importlib.import_module(info.name))
    return found


@pytest.mark.parametrize("module", _modules(), ids=lambda m: m.__name__)
def test_a_module_is_reachable_by_its_dotted_path(module: types.ModuleType) -> None:
    reached: object = dx
    for part in module.__name__.split(".")[1:]:
        reached = getattr(reached, part)
    assert reached is module


def test_no_exported_name_is_also_the_name_of_a_submodule() -> None:
    clashes = []
    for module in _modules():
        if not hasattr(module, "__path__"):
            continue
        submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
        for name in getattr(module, "__all__", []):
            value = getattr(module, name)
            if name in submodules and not isinstance(value, types.ModuleType):
                clashes.append(f"{module.__name__}.{name}")
    assert clashes == []


def test_every_exception_is_defined_in_errors_and_exported() -> None:
    defined_elsewhere = []
    for module in _modules():
        for name, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, errors.DspexError)
                    and value.__module__ != errors.__name__):
                defined_elsewhere.append(f"{module.__name__}.{name}")
    assert defined_elsewhere == []
    tree = [v for v in vars(errors).values()
            if inspect.isclass(v) and issubclass(v, errors.DspexError)]
    assert all(getattr(dx, cls.__name__) is cls for cls in tree)


def test_the_version_is_read_without_the_front_door() -> None:
    from dspex_nb._version import __version__

    assert dx.__version__ == __version__
