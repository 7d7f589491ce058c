"""Programs: the Module base, the built-in predictors, the retrieval step, and the modules
that run another one more than once (Retry, BestOfN, Refine, MultiChainComparison, Parallel)."""

from dspex_nb.modules.assertions import Assert, Suggest
from dspex_nb.modules.attempts import Attempt
from dspex_nb.modules.batch import BatchResult, Outcome
from dspex_nb.modules.best_of_n import BestOfN
from dspex_nb.modules.chain_of_thought import ChainOfThought
from dspex_nb.modules.module import Module, Predictor, Stateful
from dspex_nb.modules.multi_chain import Chain, MultiChainComparison
from dspex_nb.modules.parallel import Parallel
from dspex_nb.modules.predict import Predict
from dspex_nb.modules.rag import RAG
from dspex_nb.modules.refine import Refine
from dspex_nb.modules.retrieve import Retrieve
from dspex_nb.modules.retry import Retry

__all__ = ["RAG", "Assert", "Attempt", "BatchResult", "BestOfN", "Chain", "ChainOfThought",
           "Module", "MultiChainComparison", "Outcome", "Parallel", "Predict", "Predictor",
           "Refine", "Retrieve", "Retry", "Stateful", "Suggest"]
