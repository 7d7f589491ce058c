"""Retrieval: `Document`, the `Retriever` base every retrieval model shares, the offline
default embedder, `ServerEmbedder` (an OpenAI-compatible /v1/embeddings), and
`ChromaRetriever` (in-process or persistent Chroma, or a Chroma server).

`ChromaRetriever` is imported on first use: chromadb takes about 4 s to import, and a program
that retrieves nothing never pays for it.
"""

from typing import TYPE_CHECKING, Any

from dspex_nb.retrieve.base import Document, Retriever
from dspex_nb.retrieve.embedder import MiniLMEmbedder, TruncationWarning, default_embedder
from dspex_nb.retrieve.server_embedder import ServerEmbedder

if TYPE_CHECKING:
    from dspex_nb.retrieve.chroma import ChromaRetriever


def __getattr__(name: str) -> Any:
    if name == "ChromaRetriever":
        from dspex_nb.retrieve.chroma import ChromaRetriever

        return ChromaRetriever
    raise AttributeError(f"module 'dspex_nb.retrieve' has no attribute {name!r}")


__all__ = ["ChromaRetriever", "Document", "MiniLMEmbedder", "Retriever", "ServerEmbedder",
           "TruncationWarning", "default_embedder"]
