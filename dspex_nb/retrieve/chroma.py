"""`ChromaRetriever`: passages in a Chroma collection — in-process and ephemeral, persistent
under a folder (it survives a kernel restart), or on a Chroma server through `client=`.

dspex_nb embeds (the default embedder works offline) and hands Chroma the vectors, so the
same code works against a server, and the collection remembers which embedder built it: a
retriever with another embedder is refused rather than returning nonsense. Scores are cosine
similarities (the collection measures cosine distance; score = 1 - distance).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import chromadb
import chromadb.errors

from dspex_nb.errors import ArgumentError, ConfigurationError, DspexError, RetrievalError
from dspex_nb.retrieve.base import Document, Retriever
from dspex_nb.retrieve.embedder import default_embedder

Embedder = Callable[[list[str]], Sequence[Sequence[float]]]
MARK = "dspex_embedder"  # collection metadata: the embedder that built it
_SCALARS = (str, int, float, bool)


def embedder_name(embedder: Any) -> str:
    """What the collection records of an embedder: its `name` (an attribute, or Chroma's
    `name()` method), else its class."""
    name = getattr(embedder, "name", None)
    if callable(name):
        name = name()
    return str(name or f"{type(embedder).__module__}.{type(embedder).__qualname__}")


class ChromaRetriever(Retriever):
    """Retrieve from the Chroma collection `collection` (created on first use).

    `path=None` keeps it in memory for this process; a folder keeps it on disk. `client=`
    takes any Chroma client instead (e.g. `chromadb.HttpClient(host=..., port=...)` for a
    team's server). `embedder` is any function from a list of texts to vectors (Chroma
    embedding functions included); the default is the offline all-MiniLM-L6-v2.
    `adopt=True` accepts a non-empty collection that dspex_nb did not build (and records the
    embedder in it): only do so when it was built with the same embedder.
    """

    def __init__(self, collection: str, *, path: str | os.PathLike[str] | None = None,
                 embedder: Embedder | None = None, client: Any = None, adopt: bool = False):
        if not isinstance(collection, str):
            raise ArgumentError(f"collection is a name, not {collection!r:.60}")
        if client is not None and path is not None:
            raise ArgumentError("give path= or client=, not both")
        if embedder is not None and not callable(embedder):
            raise ArgumentError(f"embedder must be a function of a list of texts, not "
                                f"{embedder!r:.60}")
        self.embedder: Embedder = embedder or default_embedder()  # type: ignore[assignment]
        self.embedder_name = embedder_name(self.embedder)
        self.path = Path(path) if path is not None else None
        self.client = client or (chromadb.PersistentClient(path=str(path)) if path is not None
                                 else chromadb.EphemeralClient())
        try:
            self.collection = self.client.get_or_create_collection(
                collection, embedding_function=None, metadata={MARK: self.embedder_name},
                configuration={"hnsw": {"space": "cosine"}})
        except chromadb.errors.InvalidArgumentError as exc:
            raise ArgumentError(f"collection {collection!r}: {exc}") from None
        except Exception as exc:  # a server that cannot be reached, a locked folder
            raise RetrievalError(f"cannot open collection {collection!r}: "
                                 f"{type(exc).__name__}: {exc}") from None
        self._check_embedder(adopt)

    def _check_embedder(self, adopt: bool) -> None:
        built_with = (self.collection.metadata or {}).get(MARK)
        if built_with == self.embedder_name:
            return
        if built_with is None and (adopt or len(self) == 0):
            with _store_errors(f"marking {self.collection.name!r}"):
                self.collection.modify(metadata={**(self.collection.metadata or {}),
                                                 MARK: self.embedder_name})
            return
        raise ConfigurationError(
            f"collection {self.collection.name!r} was built with the embedder "
            f"{built_with or '(unknown: not built by dspex_nb)'}, and this retriever embeds with "
            f"{self.embedder_name}: its vectors would not be comparable. Pass the same "
            f"embedder=, use another collection"
            + (", or adopt=True if it was built with this embedder" if built_with is None
               else ""))

    @property
    def name(self) -> str:
        return f"chroma:{self.collection.name}"

    def __len__(self) -> int:
        with _store_errors(f"counting {self.collection.name!r}"):
            return int(self.collection.count())

    # -- writing --------------------------------------------------------------------------------
    def add(self, texts: Sequence[str], *, ids: Sequence[str] | None = None,
            metadatas: Sequence[Mapping[str, Any] | None] | None = None) -> list[str]:
        """Add (or replace, by id) passages; returns their ids. Idempotent: the same ids again
        change nothing. Without `ids`, a passage's id is a hash of its text. Everything is
        checked and embedded before anything is written, and a write that fails part way is
        undone: a failed `add` leaves the collection as it was."""
        texts = _texts(texts)
        ids = _ids(ids, texts)
        metadatas = _metadatas(metadatas, len(texts))
        vectors = self._embed(texts)
        with _store_errors(f"adding to {self.collection.name!r}"):
            before = self.collection.get(ids=ids,
                                         include=["documents", "metadatas", "embeddings"])
            batch = max(1, int(self.client.get_max_batch_size()))
        try:
            for start in range(0, len(ids), batch):
                end = start + batch
                self.collection.upsert(ids=ids[start:end], documents=texts[start:end],
                                       embeddings=vectors[start:end],  # type: ignore[arg-type]
                                       metadatas=metadatas[start:end])  # type: ignore[arg-type]
        except Exception as exc:
            self._undo(ids, before)
            raise RetrievalError(f"adding {len(ids)} passages to {self.collection.name!r} "
                                 f"failed and was undone: {type(exc).__name__}: {exc}") from None
        return ids

    def _undo(self, ids: list[str], before: Any) -> None:
        existed = set(before["ids"])
        new = [i for i in ids if i not in existed]
        if new:
            self.collection.delete(ids=new)
        if before["ids"]:
            self.collection.upsert(ids=before["ids"], documents=before["documents"],
                                   embeddings=before["embeddings"],
                                   metadatas=before["metadatas"])

    def delete(self, ids: Sequence[str]) -> None:
        with _store_errors(f"deleting from {self.collection.name!r}"):
            self.collection.delete(ids=list(_ids(ids, None)))

    # -- searching ------------------------------------------------------------------------------
    def _embed(self, texts: list[str]) -> list[list[float]]:
        vectors = [list(map(float, v)) for v in self.embedder(texts)]
        if len(vectors) != len(texts) or len({len(v) for v in vectors}) > 1:
            raise ConfigurationError(f"the embedder {self.embedder_name} returned "
                                     f"{len(vectors)} vectors of mixed or wrong sizes for "
                                     f"{len(texts)} texts")
        return vectors

    def _search(self, queries: list[str], k: int, where: Mapping[str, Any] | None
                ) -> list[list[Document]]:
        if len(self) == 0:
            return [[] for _ in queries]
        try:
            found = self.collection.query(
                query_embeddings=self._embed(queries),  # type: ignore[arg-type]
                n_results=k, where=dict(where) if where else None,
                include=["documents", "metadatas", "distances"])
        except (chromadb.errors.InvalidArgumentError, ValueError) as exc:
            raise ArgumentError(f"search in {self.collection.name!r} refused: {exc}") from None
        except Exception as exc:
            raise RetrievalError(f"search in {self.collection.name!r} failed: "
                                 f"{type(exc).__name__}: {exc}") from None
        results = []
        for q in range(len(queries)):
            results.append([
                Document(id=doc_id, text=text or "", score=1.0 - float(distance),
                         metadata=dict(meta or {}))
                for doc_id, text, meta, distance in zip(
                    found["ids"][q], found["documents"][q],  # type: ignore[index]
                    found["metadatas"][q], found["distances"][q],  # type: ignore[index]
                    strict=True)])
        return results

    def __repr__(self) -> str:
        where = str(self.path) if self.path is not None else "in memory"
        return (f"ChromaRetriever({self.collection.name!r}, {len(self)} passages, {where}, "
                f"embedder={self.embedder_name})")


@contextlib.contextmanager
def _store_errors(what: str) -> Iterator[None]:
    """A store failure (a server gone, a locked folder) as a RetrievalError saying what was
    being done; dspex_nb's own errors pass through."""
    try:
        yield
    except DspexError:
        raise
    except Exception as exc:
        raise RetrievalError(f"{what} failed: {type(exc).__name__}: {exc}") from None


def _texts(texts: Any) -> list[str]:
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise ArgumentError(f"texts must be a list of strings, not {texts!r:.60}")
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise ArgumentError(f"text {i} is not a non-empty string: {text!r:.60}")
    if not texts:
        raise ArgumentError("texts is empty: nothing to add")
    return list(texts)


def _ids(ids: Any, texts: list[str] | None) -> list[str]:
    if ids is None:
        assert texts is not None
        ids = [hashlib.sha256(t.encode()).hexdigest()[:32] for t in texts]
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


def _metadatas(metadatas: Any, n: int) -> list[dict[str, Any] | None]:
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
                                    f"or bool value (Chroma stores no others), not "
                                    f"{type(value).__name__}")
        out.append(dict(meta))
    return out
