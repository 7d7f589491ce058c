from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dspex_nb.errors import FormatError
from dspex_nb.experiments import ExperimentStore


def test_a_record_round_trips_and_gets_an_id(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    experiment_id = store.save({"name": "CoT vs Predict", "hypothesis": "CoT helps",
                                "verdict": "supported", "delta": 0.12})
    assert "cot-vs-predict" in experiment_id
    record = store.load_record(experiment_id)
    assert record["delta"] == 0.12
    assert record["id"] == experiment_id
    assert "format" not in record


def test_list_is_newest_first_and_filters(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    store.save({"id": "a", "name": "first", "verdict": "supported", "created_at": 1.0})
    store.save({"id": "b", "name": "second", "verdict": "inconclusive", "created_at": 2.0})
    store.save({"id": "c", "name": "third", "verdict": "supported", "created_at": 3.0})
    assert list(store.list()["id"]) == ["c", "b", "a"]
    assert list(store.list(verdict="supported")["id"]) == ["c", "a"]
    assert list(store.list(name=lambda n: n.startswith("s"))["id"]) == ["b"]


def test_delete_removes_the_experiment(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    store.save({"id": "gone", "name": "x"})
    store.delete("gone")
    assert store.ids() == []
    with pytest.raises(KeyError, match="gone"):
        store.load_record("gone")


def test_ids_that_could_escape_the_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a valid experiment id"):
        ExperimentStore(tmp_path).save({"id": "../../etc", "name": "x"})


def test_a_newer_record_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    store.save({"id": "future", "name": "x"})
    path = tmp_path / "future" / "experiment.json"
    data = json.loads(path.read_text())
    data["version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(FormatError, match="newer dspex_nb"):
        store.load_record("future")


def test_an_older_record_is_upgraded_or_refused(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store = ExperimentStore(tmp_path)
    store.save({"id": "old", "name": "x"})
    path = tmp_path / "old" / "experiment.json"
    data = json.loads(path.read_text())
    data["version"] = 0
    path.write_text(json.dumps(data))
    with pytest.raises(FormatError, match="cannot upgrade"):
        store.load_record("old")
    from dspex_nb.experiments import store as store_module

    monkeypatch.setitem(store_module.UPGRADES, 0, lambda r: {**r, "upgraded": True})
    assert store.load_record("old")["upgraded"] is True


WRITER = """
import random, sys
from dspex_nb.experiments import ExperimentStore
store = ExperimentStore(sys.argv[1])
i = 0
while True:
    i += 1
    store.save({"id": f"exp-{i % 3}", "name": "crash", "i": i,
                "payload": "x" * random.randint(10_000, 400_000)})
"""


@pytest.mark.integration
def test_sigkill_mid_write_never_leaves_a_corrupt_record(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    rng = random.Random(0)
    def newest_write() -> float:
        return max((p.stat().st_mtime for p in tmp_path.glob("*/experiment.json")), default=0.0)

    for _ in range(15):
        before = newest_write()
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)])
        started = store.ids()
        deadline = time.monotonic() + 60
        while newest_write() <= before and time.monotonic() < deadline:
            time.sleep(0.01)  # this writer is writing now: kill it at a random moment
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        assert store.ids(), "the writer never wrote"
        for experiment_id in store.ids():
            record = store.load_record(experiment_id)  # raises on a torn record
            assert record["name"] == "crash"
            assert len(record["payload"]) >= 10_000
        assert set(started) <= set(store.ids())


def test_list_reads_summaries_not_whole_records(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store = ExperimentStore(tmp_path)
    store.save({"id": "a", "name": "big", "verdict": "supported", "created_at": 1.0,
                "payload": "x" * 100_000})
    record = tmp_path / "a" / "experiment.json"
    summary = tmp_path / "a" / "summary.json"
    os.utime(summary, ns=(record.stat().st_mtime_ns + 1_000_000,) * 2)  # newer, as on disk

    def refuse(experiment_id: str) -> dict[str, object]:
        raise AssertionError("list() parsed a whole record")

    monkeypatch.setattr(store, "load_record", refuse)
    assert list(store.list()["verdict"]) == ["supported"]


def test_a_summary_older_than_its_record_is_not_trusted(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    store.save({"id": "a", "name": "n", "verdict": "inconclusive", "created_at": 1.0})
    summary_bytes = (tmp_path / "a" / "summary.json").read_bytes()
    store.save({"id": "a", "name": "n", "verdict": "supported", "created_at": 1.0})
    # As after a crash between the record's write and the summary's: the old summary stays.
    summary = tmp_path / "a" / "summary.json"
    summary.write_bytes(summary_bytes)
    record = tmp_path / "a" / "experiment.json"
    os.utime(summary, ns=(record.stat().st_mtime_ns - 1_000_000,) * 2)
    assert list(store.list()["verdict"]) == ["supported"]


def test_filters_on_fields_outside_the_summary_read_the_record(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    store.save({"id": "a", "name": "n", "created_at": 1.0, "seed": 7})
    store.save({"id": "b", "name": "n", "created_at": 2.0, "seed": 8})
    assert list(store.list(seed=7)["id"]) == ["a"]
