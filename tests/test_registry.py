"""The program registry: `dx.save` versions, `dx.load` by name, version or id, listings, and
loads that refuse (damaged, changed, newer, untrusted) without building anything."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest

import dspex_nb as dx
from dspex_nb.registry import snapshot
from tests.support.fault_server import FaultServer, ok

SECRET = "sk-test-SECRET-0123456789abcdef"


class Hop(dx.Module):
    def __init__(self, num_hops: int = 2) -> None:
        self.num_hops = num_hops
        self.query = dx.Predict("question -> query")
        self.answer = dx.ChainOfThought("question, query -> answer")

    def forward(self, question: str) -> dx.Prediction:
        query = self.query(question=question).query
        return self.answer(question=question, query=query)


def _program() -> Hop:
    program = Hop(num_hops=3)
    program.answer.predict.demos = [{"question": "q", "query": "x", "reasoning": "r",
                                     "answer": "a"}]
    program.query.instructions = "Write a search query."
    return program


def _lm() -> dx.ScriptedLM:
    return dx.ScriptedLM(lambda r: {"query": "paris", "reasoning": "r", "answer": "Paris"})


@pytest.fixture
def store(tmp_path: Path) -> dx.ProgramStore:
    return dx.ProgramStore(tmp_path / "programs")


def test_saving_again_makes_the_next_version_and_overwrites_nothing(
        store: dx.ProgramStore) -> None:
    first = dx.save(_program(), "hop", store=store)
    before = (store.root / "hop" / "1" / "program.json").read_bytes()
    second = dx.save(Hop(num_hops=5), "hop", store=store)
    assert (first, second) == ("hop@1", "hop@2")
    assert (store.root / "hop" / "1" / "program.json").read_bytes() == before


def test_load_by_name_gives_the_latest_and_by_version_that_one(store: dx.ProgramStore) -> None:
    dx.save(_program(), "hop", store=store)
    dx.save(Hop(num_hops=5), "hop", store=store)
    latest, first = dx.load("hop", store=store), dx.load("hop@1", store=store)
    assert (latest.num_hops, first.num_hops) == (5, 3)  # type: ignore[attr-defined]


def test_a_loaded_program_has_the_saved_state(store: dx.ProgramStore) -> None:
    program = _program()
    loaded = dx.load(dx.save(program, "hop", store=store), store=store)
    assert isinstance(loaded, Hop)
    assert loaded.dump_state() == program.dump_state()
    dx.configure(lm=_lm())
    assert loaded(question="capital of France?").answer == "Paris"


def test_load_by_id_or_a_unique_start_of_it(store: dx.ProgramStore) -> None:
    dx.save(_program(), "hop", store=store)
    snapshot_id = store.manifest("hop@1")["id"]
    assert dx.load(snapshot_id, store=store).num_hops == 3  # type: ignore[attr-defined]
    assert dx.load(snapshot_id[:6], store=store).num_hops == 3  # type: ignore[attr-defined]


def test_an_unknown_name_or_version_says_what_there_is(store: dx.ProgramStore) -> None:
    dx.save(_program(), "hop", store=store)
    with pytest.raises(dx.DspexError, match=r"no program 'nope'.*programs: hop"):
        dx.load("nope", store=store)
    with pytest.raises(dx.DspexError, match=r"no version 7 of 'hop'.*there are 1"):
        dx.load("hop@7", store=store)


def test_programs_lists_every_version_newest_first(store: dx.ProgramStore) -> None:
    dx.configure(lm=_lm())
    dx.save(_program(), "hop", tags=["rag", "v1"], description="first", store=store)
    program = _program()
    program.query.lm = dx.ScriptedLM(lambda r: {"query": "q"}, model="scripted-b")
    dx.save(program, "hop", store=store)
    frame = dx.programs(store=store)
    assert list(frame["ref"]) == ["hop@2", "hop@1"]
    first = frame.iloc[1]
    assert (first["class"], first["predictors"], first["demos"], first["format"]) == (
        "Hop", 2, 1, "json")
    assert (first["tags"], first["description"]) == (["rag", "v1"], "first")
    assert frame.iloc[0]["lm"] == "scripted-b"


def test_names_and_options_are_checked(store: dx.ProgramStore) -> None:
    with pytest.raises(dx.ArgumentError, match="name"):
        dx.save(_program(), "hop@2", store=store)
    with pytest.raises(dx.ArgumentError, match=r"'json'.*'pickle'"):
        dx.save(_program(), "hop", format="yaml", store=store)
    with pytest.raises(dx.ArgumentError, match="tags"):
        dx.save(_program(), "hop", tags=[1], store=store)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        dx.save(_program(), "hop", tag=["x"], store=store)  # type: ignore[call-arg]


def test_concurrent_saves_each_get_their_own_version(store: dx.ProgramStore) -> None:
    with ThreadPoolExecutor(8) as pool:
        refs = list(pool.map(lambda i: dx.save(Hop(num_hops=i), "hop", store=store), range(8)))
    assert sorted(refs, key=lambda r: int(r.split("@")[1])) == [f"hop@{v}" for v in range(1, 9)]
    assert sorted(dx.load(r, store=store).num_hops for r in refs) == list(range(8))  # type: ignore[attr-defined]


# -- loads that refuse, building nothing -------------------------------------------------------
def _saved(store: dx.ProgramStore) -> Path:
    dx.save(_program(), "hop", store=store)
    return store.root / "hop" / "1"


def test_a_changed_payload_is_refused(store: dx.ProgramStore) -> None:
    folder = _saved(store)
    data = json.loads((folder / "program.json").read_text())
    data["program"]["init"]["num_hops"] = 99
    (folder / "program.json").write_text(json.dumps(data))
    with pytest.raises(dx.SnapshotError, match="changed after it was saved"):
        dx.load("hop", store=store)


def test_a_truncated_manifest_is_refused(store: dx.ProgramStore) -> None:
    folder = _saved(store)
    text = (folder / "manifest.json").read_bytes()
    (folder / "manifest.json").write_bytes(text[: len(text) // 2])
    with pytest.raises(dx.SnapshotError, match="not valid JSON"):
        dx.load("hop@1", store=store)


def test_a_missing_payload_is_refused(store: dx.ProgramStore) -> None:
    (_saved(store) / "program.json").unlink()
    with pytest.raises(dx.SnapshotError, match="missing"):
        dx.load("hop", store=store)


def test_a_snapshot_from_a_newer_dspex_nb_is_refused(store: dx.ProgramStore) -> None:
    folder = _saved(store)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["version"] = snapshot.MANIFEST_VERSION + 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(dx.SnapshotError, match="newer dspex_nb"):
        dx.load("hop", store=store)


def test_a_failed_load_leaves_a_program_loaded_before_as_it_was(
        store: dx.ProgramStore) -> None:
    folder = _saved(store)
    loaded = dx.load("hop", store=store)
    state = loaded.dump_state()
    data = json.loads((folder / "program.json").read_text())
    data["program"]["state"]["query"]["demos"] = "not a list"
    (folder / "program.json").write_text(json.dumps(data))
    with pytest.raises(dx.SnapshotError):
        dx.load("hop", store=store)
    assert loaded.dump_state() == state


def test_an_older_manifest_is_upgraded(store: dx.ProgramStore,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _saved(store)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["version"] = 0
    del manifest["kind"]  # as if version 0 had no kinds (only JSON)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setitem(snapshot.UPGRADES, 0, lambda m: {**m, "kind": "json"})
    assert dx.load("hop", store=store).num_hops == 3  # type: ignore[attr-defined]


def test_other_package_versions_warn_once(store: dx.ProgramStore) -> None:
    folder = _saved(store)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["packages"]["dspex_nb"] = "0.0.1-test"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(dx.SnapshotVersionWarning, match="dspex_nb 0.0.1-test") as caught:
        _ = dx.load("hop", store=store), dx.load("hop", store=store)
    assert len([w for w in caught if w.category is dx.SnapshotVersionWarning]) == 1


def test_an_unreadable_snapshot_is_named_and_the_others_listed(
        store: dx.ProgramStore) -> None:
    folder = _saved(store)
    dx.save(_program(), "other", store=store)
    (folder / "manifest.json").write_text("{")
    with pytest.warns(dx.UnreadableRecordWarning, match="cannot be read"):
        frame = dx.programs(store=store)
    assert list(frame["ref"]) == ["other@1"]
    assert str(folder) in frame.attrs["unreadable"]


# -- pickle ------------------------------------------------------------------------------------
def test_a_pickle_snapshot_loads_only_when_allowed(store: dx.ProgramStore) -> None:
    dx.save(_program(), "hop", format="pickle", store=store)
    with pytest.raises(dx.TrustError, match="allow_pickle=True"):
        dx.load("hop", store=store)
    loaded = dx.load("hop", allow_pickle=True, store=store)
    assert isinstance(loaded, Hop) and loaded.dump_state() == _program().dump_state()


def test_a_pickle_holds_no_api_key_and_its_lm_comes_back(
        store: dx.ProgramStore, fault_server: FaultServer) -> None:
    program = _program()
    lm = dx.LM("gpt-4o-mini", base_url=fault_server.url, api_key=SECRET, cache=False)
    for p in program.predictors():
        p.lm = lm
    dx.save(program, "hop", format="pickle", store=store)
    blob = (store.root / "hop" / "1" / "program.pkl").read_bytes()
    assert blob and SECRET.encode() not in blob
    loaded = dx.load("hop", allow_pickle=True, store=store)
    assert [p.lm.server for p in loaded.predictors()] == [lm.server, lm.server]  # type: ignore[union-attr]


def test_a_json_snapshot_holds_no_api_key(store: dx.ProgramStore,
                                          fault_server: FaultServer) -> None:
    program = _program()
    program.query.lm = dx.LM("gpt-4o-mini", base_url=fault_server.url, api_key=SECRET)
    dx.save(program, "hop", store=store)
    everything = b"".join(p.read_bytes() for p in store.root.rglob("*") if p.is_file())
    assert b"gpt-4o-mini" in everything and SECRET.encode() not in everything


# -- where a saved LM may send the environment's key -------------------------------------------
def _saved_with_server(store: dx.ProgramStore, url: str) -> None:
    dx.configure(cache=False)  # each test's call must reach the server
    program = dx.Predict("question -> answer")
    program.lm = dx.LM("gpt-4o-mini", base_url=url, api_key="sk-other", cache=False)
    dx.save(program, "qa", store=store)


def test_a_saved_server_other_than_the_environments_never_gets_its_key(
        store: dx.ProgramStore, fault_server: FaultServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _saved_with_server(store, fault_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)  # meant for api.openai.com
    with pytest.warns(dx.KeyWithheldWarning, match="not sent there"):
        program = dx.load("qa", store=store)
    fault_server.script(ok('{"answer": "hi"}'))
    assert program(question="q").answer == "hi"
    assert "Authorization" not in fault_server.requests[-1]["headers"]


def test_the_environments_own_server_gets_its_key(
        store: dx.ProgramStore, fault_server: FaultServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _saved_with_server(store, fault_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_BASE_URL", fault_server.url)
    program = dx.load("qa", store=store)
    fault_server.script(ok('{"answer": "hi"}'))
    assert program(question="q").answer == "hi"
    assert fault_server.requests[-1]["headers"]["Authorization"] == f"Bearer {SECRET}"


def test_the_manifest_is_json_with_a_hash_of_the_payload(store: dx.ProgramStore) -> None:
    folder = _saved(store)
    manifest: dict[str, Any] = orjson.loads((folder / "manifest.json").read_bytes())
    assert manifest["sha256"] == snapshot.sha256((folder / "program.json").read_bytes())
    assert manifest["id"] == manifest["sha256"][:12]
