"""What every store shares about passages: the checks of `add`'s arguments (texts, ids,
metadatas), the embedder's recorded name and the check of its vectors, and the embedder
guard (a store built with one embedder is refused by a retriever with another).

One definition each, so Chroma and pgvector accept and refuse exactly the same input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dspex_nb.errors import ArgumentError, ConfigurationError
from dspex_nb.retrieve.embedder import default_embedder

Embedder = Callable[[list[str]], Sequence[Sequence[float]]]
_SCALARS = (str, int, float, bool)


def embedder_name(embedder: Any) -> str:
    """What a store records of an embedder: its `name` (an attribute, or Chroma's `name()`
    method), else its class."""
    name = getattr(embedder, "name", None)
    if callable(name):
        name = name()
    return str(name or f"{type(embedder).__module__}.{type(embedder).__qualname__}")


def check_embedder(embedder: Any) -> Embedder:
    if embedder is not None and not callable(embedder):
        raise ArgumentError(f"embedder must be a function of a list of texts, not "
                            f"{embedder!r:.60}")
    return embedder or default_embedder()  # type: ignore[return-value]


def embed(embedder: Embedder, name: str, texts: list[str]) -> list[list[float]]:
    """The embedder's vectors as lists of floats, one per text, all of one size."""
    vectors = [list(map(float, v)) for v in embedder(texts)]
    if len(vectors) != len(texts) or len({len(v) for v in vectors}) > 1:
        raise ConfigurationError(f"the embedder {name} returned {len(vectors)} vectors of "
                                 f"mixed or wrong sizes for {len(texts)} texts")
    return vectors


def built_with_check(store: str, built_with: str | None, name: str, *, empty: bool,
                     adopt: bool) -> bool:
    """The embedder guard. True when the store must now be marked as built with `name` (new,
    or adopted); False when it already is; a ConfigurationError when it was built with
    another embedder, or is a non-empty store dspex_nb did not build and `adopt` is False."""
    if built_with == name:
        return False
    if built_with is None and (adopt or empty):
        return True
    raise ConfigurationError(
        f"{store} was built with the embedder "
        f"{built_with or '(unknown: not built by dspex_nb)'}, and this retriever embeds with "
        f"{name}: its vectors would not be comparable. Pass the same embedder=, use another "
        f"{store.split()[0]}"
        + (", or adopt=True if it was built with this embedder" if built_with is None else ""))


def texts_to_add(texts: Any) -> list[str]:
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise ArgumentError(f"texts must be a list of strings, not {texts!r:.60}")
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise ArgumentError(f"text {i} is not a non-empty string: {text!r:.60}")
    if not texts:
        raise ArgumentError("texts is empty: nothing to add")
    return list(texts)


def text_id(text: str) -> str:
    """A passage's id when none is given: a hash of its text (the same text, the same id)."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def ids_to_add(ids: Any, texts: list[str] | None) -> list[str]:
    if ids is None:
        assert texts is not None
        ids = [text_id(t) for t in texts]
    elif isinstance(ids, str) or not isinstance(ids, Sequence) or not all(
            isinstance(i, str) and i for i in ids):
        raise ArgumentError(f"ids must be a list of non-empty strings, not {ids!r:.60}")
    if texts is not None and len(ids) != len(texts):
        raise ArgumentError(f"{len(texts)} texts but {len(ids)} ids")
    seen: set[str] = set()
    repeated = [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
    if repeated:
        raise ArgumentError(f"ids repeat within one add: {sorted(set(repeated))[:5]}"
                            + (" (the same text twice)" if texts is not None else ""))
    return list(ids)


def metadatas_to_add(metadatas: Any, n: int) -> list[dict[str, Any] | None]:
    if metadatas is None:
        return [None] * n
    if isinstance(metadatas, Mapping) or not isinstance(metadatas, Sequence):
        raise ArgumentError("metadatas must be a list with one dict (or None) per text")
    if len(metadatas) != n:
        raise ArgumentError(f"{n} texts but {len(metadatas)} metadatas")
    out: list[dict[str, Any] | None] = []
    for i, meta in enumerate(metadatas):
        if meta is None or not meta:
            out.append(None)
            continue
        if not isinstance(meta, Mapping):
            raise ArgumentError(f"metadata {i} is a {type(meta).__name__}, not a dict")
        for key, value in meta.items():
            if not isinstance(key, str) or not isinstance(value, _SCALARS):
                raise ArgumentError(f"metadata {i}: {key!r} must be text with a str, int, float "
                                    f"or bool value (every store keeps these), not "
                                    f"{type(value).__name__}")
        out.append(dict(meta))
    return out
