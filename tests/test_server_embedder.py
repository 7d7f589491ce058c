"""ServerEmbedder: embeddings from an OpenAI-compatible /v1/embeddings, through dx.LM's
transport. Fault behaviour against a scripted loopback server; the real thing against
llama.cpp's server (llama-cpp-python) with the bundled model."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import numpy as np
import pytest

import dspex_nb as dx
from dspex_nb.lm.local import bundled_model_path
from dspex_nb.retrieve import ChromaRetriever, ServerEmbedder
from tests.support.fault_server import FaultServer, embeddings, status
from tests.support.llama_server import LlamaServer


def test_vectors_come_back_in_the_order_of_the_texts(fault_server: FaultServer) -> None:
    fault_server.script(embeddings([1.0, 0.0], [0.0, 1.0], [0.5, 0.5], shuffle=True))
    vectors = ServerEmbedder("emb", base_url=fault_server.url, api_key="k")(["a", "b", "c"])
    assert [v.tolist() for v in vectors] == [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    assert vectors[0].dtype == np.float32


def test_the_request_names_model_inputs_format_and_dimensions(fault_server: FaultServer) -> None:
    fault_server.script(embeddings([1.0, 0.0]))
    ServerEmbedder("openai/emb", base_url=fault_server.url, api_key="k", dimensions=2)(["a"])
    [request] = fault_server.requests
    assert request["body"] == {"model": "emb", "input": ["a"], "encoding_format": "float",
                               "dimensions": 2}
    assert request["headers"]["Authorization"] == "Bearer k"


def test_texts_are_sent_in_batches(fault_server: FaultServer) -> None:
    fault_server.script(embeddings([1.0], [2.0]), embeddings([3.0], [4.0]), embeddings([5.0]))
    embedder = ServerEmbedder("emb", base_url=fault_server.url, api_key="k", batch_size=2)
    vectors = embedder(["a", "b", "c", "d", "e"])
    assert sorted(len(r["body"]["input"]) for r in fault_server.requests) == [1, 2, 2]
    assert sorted(float(v[0]) for v in vectors) == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_the_key_is_in_no_name_repr_or_collection(fault_server: FaultServer) -> None:
    secret = "sk-embed-SECRET-3"
    fault_server.script(embeddings([1.0, 0.0], [0.0, 1.0]))
    embedder = ServerEmbedder("emb", base_url=fault_server.url, api_key=secret)
    docs = ChromaRetriever(f"t-{uuid.uuid4().hex[:8]}", embedder=embedder)
    docs.add(["x", "y"], ids=["x", "y"])
    shown = json.dumps([embedder.name, repr(embedder), repr(docs), docs.collection.metadata])
    assert secret not in shown
    assert docs.collection.metadata["dspex_embedder"] == "emb"


def test_one_vector_per_token_is_refused_unless_mean_pooling_is_asked(
        fault_server: FaultServer) -> None:
    fault_server.script(embeddings([[1.0, 0.0], [3.0, 2.0]]))
    with pytest.raises(dx.BadResponseError, match=r"one vector per token.*pooling='mean'"):
        ServerEmbedder("emb", base_url=fault_server.url, api_key="k")(["a"])
    fault_server.script(embeddings([[1.0, 0.0], [3.0, 2.0]]))
    [vector] = ServerEmbedder("emb", base_url=fault_server.url, api_key="k",
                              pooling="mean")(["a"])
    assert vector.tolist() == [2.0, 1.0]


def test_mean_pooling_sends_one_text_per_request(fault_server: FaultServer) -> None:
    fault_server.script(embeddings([[1.0, 0.0]]))
    ServerEmbedder("emb", base_url=fault_server.url, api_key="k", pooling="mean")(["a", "b"])
    assert [r["body"]["input"] for r in fault_server.requests] in (
        [["a"], ["b"]], [["b"], ["a"]])


@pytest.mark.parametrize(("action", "message"), [
    (embeddings([1.0]), "sent 1 embeddings for 2 texts"),
    (embeddings([1.0], ["x"]), "not a list of numbers"),
    (embeddings([1.0], []), "not a list of numbers"),
    (embeddings([1.0], [1.0, 2.0]), "vectors of different sizes"),
    (embeddings([1.0], "AAAA"), "base64"),
])
def test_an_unusable_answer_is_a_bad_response_error(
        fault_server: FaultServer, action: object, message: str) -> None:
    fault_server.script(action)  # type: ignore[arg-type]
    with pytest.raises(dx.BadResponseError, match=message):
        ServerEmbedder("emb", base_url=fault_server.url, api_key="k", max_retries=0)(["a", "b"])


def test_server_errors_are_retried_and_typed_like_chat_calls(fault_server: FaultServer) -> None:
    fault_server.script(status(503), embeddings([1.0]))
    fast = dx.RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.01)
    embedder = ServerEmbedder("emb", base_url=fault_server.url, api_key="k")
    embedder._lm.retry = fast
    assert embedder(["a"])[0].tolist() == [1.0]
    fault_server.script(status(401))
    with pytest.raises(dx.AuthenticationError):
        embedder(["a"])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"pooling": "max"}, "pooling must be one of"),
    ({"batch_size": 0}, "batch_size must be a whole number"),
    ({"batch_size": 8, "pooling": "mean"}, "one text per request"),
    ({"dimensions": -3}, "dimensions must be a whole number"),
    ({"colour": "red"}, "colour"),
])
def test_bad_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises((dx.ArgumentError, TypeError), match=message):
        ServerEmbedder("emb", base_url="http://127.0.0.1:9/v1", api_key="k", **kwargs)  # type: ignore[arg-type]


def test_empty_or_non_string_texts_are_refused() -> None:
    embedder = ServerEmbedder("emb", base_url="http://127.0.0.1:9/v1", api_key="k")
    with pytest.raises(dx.ArgumentError, match="empty text"):
        embedder(["a", "  "])
    with pytest.raises(dx.ArgumentError, match="list of strings"):
        embedder("a")  # type: ignore[arg-type]


# -- a real server ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def embedding_server() -> Iterator[LlamaServer]:
    """llama.cpp's server with the bundled SmolLM2 serving /v1/embeddings (one vector per
    token: the model has no pooling of its own)."""
    server = LlamaServer(bundled_model_path(), n_ctx=512, embedding=True).start()
    yield server
    server.stop()


@pytest.mark.integration
def test_a_retriever_searches_with_a_real_embedding_server(
        embedding_server: LlamaServer) -> None:
    embedder = ServerEmbedder("smollm2", base_url=embedding_server.url, api_key="unused",
                              pooling="mean")
    passages = ["Vienna is the capital of Austria.", "The Danube flows into the Black Sea.",
                "Photosynthesis makes sugar from light.", "The Broncos won Super Bowl 50."]
    docs = ChromaRetriever(f"t-{uuid.uuid4().hex[:8]}", embedder=embedder)
    docs.add(passages, ids=["a", "b", "c", "d"])
    for passage, doc_id in zip(passages, "abcd", strict=True):
        found = docs.retrieve(passage, k=2)
        assert found[0].id == doc_id and found[0].score == pytest.approx(1.0, abs=1e-4)
    vectors = embedder(passages)
    assert len({v.shape for v in vectors}) == 1 and vectors[0].shape[0] > 100


@pytest.mark.integration
def test_without_pooling_the_real_server_answer_is_refused_with_the_fix(
        embedding_server: LlamaServer) -> None:
    with pytest.raises(dx.BadResponseError, match="--pooling mean"):
        ServerEmbedder("smollm2", base_url=embedding_server.url, api_key="unused")(["a text"])
