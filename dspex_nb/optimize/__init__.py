"""Optimizers: change a program's prompts (instructions, demos) to raise a metric."""

from dspex_nb.optimize.protocol import Optimizer
from dspex_nb.optimize.result import CandidateRecord, OptimizationResult, StepRecord
from dspex_nb.optimize.simba import SIMBA

__all__ = ["SIMBA", "CandidateRecord", "OptimizationResult", "Optimizer", "StepRecord"]
