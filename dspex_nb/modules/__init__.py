"""Programs: the Module base, the built-in predictors and the retrieval step."""

from dspex_nb.modules.chain_of_thought import ChainOfThought
from dspex_nb.modules.module import Module, Predictor, Stateful
from dspex_nb.modules.predict import Predict
from dspex_nb.modules.rag import RAG
from dspex_nb.modules.retrieve import Retrieve

__all__ = ["RAG", "ChainOfThought", "Module", "Predict", "Predictor", "Retrieve", "Stateful"]
