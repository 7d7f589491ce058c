"""`ChromaRetriever`: passages in a Chroma collection — in-process and ephemeral, persistent
under a folder (it survives a kernel restart), or on a Chroma server through `client=`.

dspex_nb embeds (the default embedder works offline) and hands Chroma the vectors, so the
same code works against a server, and the collection remembers which embedder built it: a
retriever with another embedder is refused rather than returning nonsense. Scores are cosine
similarities (the collection measures cosine distance; score = 1 - distance).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import chromadb
import chromadb.errors

from dspex_nb.errors import ArgumentError, DspexError, RetrievalError
from dspex_nb.retrieve.base import Document, Retriever
from dspex_nb.retrieve.passages import (
    Embedder,
    built_with_check,
    check_embedder,
    embed,
    embedder_name,
    ids_to_add,
    metadatas_to_add,
    texts_to_add,
)

MARK = "dspex_embedder"  # collection metadata: the embedder that built it
# Ids per read or delete: Chroma's SQLite takes at most 32,766 variables in one query, and
# `get(ids=...)` of 100,000 ids failed with "too many SQL variables" (retrieval_stores.py)
ID_CHUNK = 5_000


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
        self.embedder: Embedder = check_embedder(embedder)
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
        if built_with_check(f"collection {self.collection.name!r}", built_with,
                            self.embedder_name, empty=len(self) == 0, adopt=adopt):
            with _store_errors(f"marking {self.collection.name!r}"):
                self.collection.modify(metadata={**(self.collection.metadata or {}),
                                                 MARK: self.embedder_name})

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
        texts = texts_to_add(texts)
        ids = ids_to_add(ids, texts)
        metadatas = metadatas_to_add(metadatas, len(texts))
        vectors = self._embed(texts)
        with _store_errors(f"adding to {self.collection.name!r}"):
            before = self._existing(ids)
            batch = self._batch()
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

    def _batch(self) -> int:
        # a write's size is capped by the client, a read's by SQLite's variables per query
        return max(1, min(int(self.client.get_max_batch_size()), ID_CHUNK))

    def _existing(self, ids: list[str]) -> dict[str, list[Any]]:
        """What the collection holds under these ids now, read in chunks."""
        found: dict[str, list[Any]] = {"ids": [], "documents": [], "metadatas": [],
                                       "embeddings": []}
        for start in range(0, len(ids), ID_CHUNK):
            part = self.collection.get(ids=ids[start:start + ID_CHUNK],
                                       include=["documents", "metadatas", "embeddings"])
            for key in found:
                found[key].extend(part[key])  # type: ignore[literal-required]
        return found

    def _undo(self, ids: list[str], before: dict[str, list[Any]]) -> None:
        existed = set(before["ids"])
        new = [i for i in ids if i not in existed]
        for start in range(0, len(new), ID_CHUNK):
            self.collection.delete(ids=new[start:start + ID_CHUNK])
        batch = self._batch()
        for start in range(0, len(before["ids"]), batch):
            end = start + batch
            self.collection.upsert(ids=before["ids"][start:end],
                                   documents=before["documents"][start:end],
                                   embeddings=before["embeddings"][start:end],
                                   metadatas=before["metadatas"][start:end])

    def delete(self, ids: Sequence[str]) -> None:
        checked = ids_to_add(ids, None)
        with _store_errors(f"deleting from {self.collection.name!r}"):
            for start in range(0, len(checked), ID_CHUNK):
                self.collection.delete(ids=checked[start:start + ID_CHUNK])

    # -- searching ------------------------------------------------------------------------------
    def _embed(self, texts: list[str]) -> list[list[float]]:
        return embed(self.embedder, self.embedder_name, texts)

    def _search(self, queries: list[str], k: int, where: Mapping[str, Any] | None,
                **options: Any) -> list[list[Document]]:
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
