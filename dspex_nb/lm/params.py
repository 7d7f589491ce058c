"""Which keyword arguments are sampling parameters, the one list every LM and predictor
checks against: an unknown keyword used to travel to the server as a parameter (DSPy's
`api_base=` did, and the request went to the public endpoint with the key).

The list is OpenAI's chat-completions parameters plus the sampling extensions that vLLM,
llama.cpp and Ollama accept. Anything else a server understands goes in `extra_body={...}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dspex_nb._checks import known_keywords
from dspex_nb.errors import ArgumentError

SAMPLING = frozenset({
    # OpenAI chat completions
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed",
    "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "user",
    "reasoning_effort", "service_tier",
    # vLLM / llama.cpp / Ollama extensions
    "top_k", "min_p", "typical_p", "repeat_penalty", "repetition_penalty", "tfs_z",
    "mirostat_mode", "mirostat_tau", "mirostat_eta",
})

# What DSPy (and LiteLLM) users pass, and what it is called here.
HINTS = {
    "api_base": "dx.LM(..., base_url=...) takes the server's URL",
    "num_retries": "it is max_retries= here",
    "rollout_id": "it is sample_id= here (distinct ids give distinct cached samples)",
    "model_type": "dx.LM is always a chat model; drop it",
    "n": "one completion per call; for several, call with distinct sample_id= values",
    "stream": "answers are read whole; streaming is not supported",
    "response_format": "the adapter sets it from the signature; drop it",
    "messages": "messages come from the signature and inputs",
    "model": "the model is the first argument of dx.LM",
    "api_key": "the key belongs to dx.LM(..., api_key=...), never to a predictor",
}


def check_sampling(what: str, params: Mapping[str, Any], *,
                   also: frozenset[str] = frozenset()) -> None:
    """Refuse a keyword that is not a sampling parameter (nor one of `also`), naming the
    right one when it is a known confusion."""
    known_keywords(what, params, sorted(SAMPLING | also), HINTS)


def checked_extra_body(extra: Any) -> dict[str, Any]:
    """`extra_body={...}`: server-specific parameters sent as given, unchecked on purpose
    (but never the fields the library itself sets)."""
    if extra is None:
        return {}
    if not isinstance(extra, Mapping) or not all(isinstance(k, str) for k in extra):
        raise ArgumentError(f"extra_body must be a dict of parameters to send as they are, "
                            f"not {type(extra).__name__}")
    clash = sorted(set(extra) & {"model", "messages", "response_format"})
    if clash:
        raise ArgumentError(f"extra_body may not set {clash}: the library sets them")
    return dict(extra)
