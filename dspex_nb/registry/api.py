"""`dx.save`, `dx.load` and `dx.programs`: programs by name and version, across restarts."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from dspex_nb.errors import ArgumentError
from dspex_nb.lm.base import BaseLM
from dspex_nb.modules.module import Module
from dspex_nb.registry.store import ProgramStore

if TYPE_CHECKING:
    import pandas as pd

Store = ProgramStore | str | os.PathLike[str] | None


def store_of(store: Store) -> ProgramStore:
    if store is None:
        return ProgramStore()
    if isinstance(store, ProgramStore):
        return store
    if isinstance(store, str | os.PathLike):
        return ProgramStore(store)
    raise ArgumentError(f"store is a folder or a dx.ProgramStore, not {type(store).__name__}")


def save(program: Module, name: str, *, tags: list[str] | str | None = None,
         description: str = "", format: str = "json",
         experiment: dict[str, Any] | None = None, store: Store = None) -> str:
    """Register `program` as the next version of `name`; the reference "name@version" (the
    snapshot's id also loads it). `format="pickle"` for programs JSON cannot describe (it
    loads only with `allow_pickle=True`). `experiment` links it to the experiment it came
    from (`exp.register(...)` fills it in). `tags` and `description` are for people and
    `dx.programs()`; `store` is a `ProgramStore` or its folder (default `.dspex/programs`)."""
    if experiment is not None and not isinstance(experiment, dict):
        raise ArgumentError("experiment is filled in by exp.register(name, arm=...)")
    saved = store_of(store).save(program, name, tags=tags, description=description,
                                 format=format, experiment=experiment)
    return saved.ref


def load(ref: str, *, trust: bool = False, allow_pickle: bool = False,
         lm: BaseLM | None = None, store: Store = None) -> Module:
    """The program registered as `ref` ("name" for the latest version, "name@3", or its id),
    runnable. Code saved with it (classes from a notebook) runs only with `trust=True`, a
    pickle only with `allow_pickle=True`; `lm` replaces every predictor's LM. A damaged,
    changed or newer snapshot is a SnapshotError and builds nothing. `store` is a
    `ProgramStore` or its folder (default `.dspex/programs`)."""
    return store_of(store).load(ref, trust=trust, allow_pickle=allow_pickle, lm=lm)


def programs(name: str | None = None, *, store: Store = None) -> pd.DataFrame:
    """Registered programs as a DataFrame, newest first (one name's versions with `name`), in
    `store` (a `ProgramStore` or its folder; default `.dspex/programs`)."""
    return store_of(store).list(name)
