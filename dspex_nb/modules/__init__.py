"""Programs: the Module base and the built-in predictors."""

from dspex_nb.modules.chain_of_thought import ChainOfThought
from dspex_nb.modules.module import Module, Predictor
from dspex_nb.modules.predict import Predict

__all__ = ["ChainOfThought", "Module", "Predict", "Predictor"]
