"""Experiments: a hypothesis, arms of a program evaluated on the same devset, the verdict,
and the record of it all in a local store (optionally mirrored to MLflow)."""

from dspex_nb.experiments.compare import ExperimentComparison, compare_experiments
from dspex_nb.experiments.experiment import Arm, Experiment
from dspex_nb.experiments.record import ExperimentRecord
from dspex_nb.experiments.store import ExperimentStore

__all__ = ["Arm", "Experiment", "ExperimentComparison", "ExperimentRecord", "ExperimentStore",
           "compare_experiments"]
