"""Retrieval: `Document`, the `Retriever` base every retrieval model shares, the offline
default embedder, `ServerEmbedder` (an OpenAI-compatible /v1/embeddings), and
`ChromaRetriever` (in-process or persistent Chroma, or a Chroma server), and
`PgVectorRetriever` (a PostgreSQL table with pgvector, for teams), and `DSPyRetriever` (any
DSPy retrieval model; `retriever.as_dspy()` goes the other way).

The two stores are imported on first use: chromadb takes about 4 s to import, psycopg is an
extra (`dspex_nb[postgres]`), and a program that retrieves nothing never pays for either.
"""

from typing import TYPE_CHECKING, Any

from dspex_nb.retrieve.base import Document, Retriever
from dspex_nb.retrieve.dspy_bridge import DSPyRetriever
from dspex_nb.retrieve.embedder import MiniLMEmbedder, TruncationWarning, default_embedder
from dspex_nb.retrieve.server_embedder import ServerEmbedder

if TYPE_CHECKING:
    from dspex_nb.retrieve.chroma import ChromaRetriever
    from dspex_nb.retrieve.pgvector import PgVectorRetriever


def __getattr__(name: str) -> Any:
    if name == "ChromaRetriever":
        from dspex_nb.retrieve.chroma import ChromaRetriever

        return ChromaRetriever
    if name == "PgVectorRetriever":
        from dspex_nb.retrieve.pgvector import PgVectorRetriever

        return PgVectorRetriever
    raise AttributeError(f"module 'dspex_nb.retrieve' has no attribute {name!r}")


__all__ = ["ChromaRetriever", "DSPyRetriever", "Document", "MiniLMEmbedder", "PgVectorRetriever",
           "Retriever", "ServerEmbedder", "TruncationWarning", "default_embedder"]
