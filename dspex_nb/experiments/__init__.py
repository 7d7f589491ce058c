"""Experiments: hypotheses, arms and results, kept in a local store.

So far: the store (records on disk, written atomically). The `Experiment` class comes next.
"""

from dspex_nb.experiments.store import ExperimentStore

__all__ = ["ExperimentStore"]
