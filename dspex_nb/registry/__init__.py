"""Programs registered by name and version, restored in another process: `dx.save`,
`dx.load`, `dx.programs`, on a `ProgramStore`."""

from dspex_nb.registry.api import load, programs, save
from dspex_nb.registry.store import ProgramStore

__all__ = ["ProgramStore", "load", "programs", "save"]
