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

from dspex_nb.errors import ArgumentError, DspexError, FormatError, UnreadableRecordWarning
from dspex_nb.experiments import ExperimentRecord, ExperimentStore
from dspex_nb.experiments.store import new_id


def _record(experiment_id: str, name: str = "x", created_at: float = 1.0,
            **fields: object) -> ExperimentRecord:
    return ExperimentRecord(id=experiment_id, name=name, created_at=created_at,
                            **fields)  # type: ignore[arg-type]


def test_a_record_round_trips(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    record = _record(new_id("CoT vs Predict"), "CoT vs Predict", hypothesis="CoT helps",
                     verdict="supported", min_effect={"accuracy": 0.12})
    experiment_id = store.save(record)
    assert "cot-vs-predict" in experiment_id
    assert store.load(experiment_id) == record


def test_a_record_with_unknown_fields_is_refused_naming_its_file(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    store.save(_record("odd"))
    path = tmp_path / "odd" / "experiment.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "surprise": 1}))
    with pytest.raises(FormatError, match=r"odd/experiment.json: unknown fields \['surprise'\]"):
        store.load("odd")


def test_list_is_newest_first_and_filters(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    store.save(_record("a", "first", 1.0, verdict="supported"))
    store.save(_record("b", "second", 2.0, verdict="inconclusive"))
    store.save(_record("c", "third", 3.0, verdict="supported"))
    assert list(store.list()["id"]) == ["c", "b", "a"]
    assert list(store.list(verdict="supported")["id"]) == ["c", "a"]
    assert list(store.list(name=lambda n: n.startswith("s"))["id"]) == ["b"]


def test_delete_removes_the_experiment(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    store.save(_record("gone"))
    store.delete("gone")
    assert store.ids() == []
    with pytest.raises(DspexError, match="gone"):
        store.load("gone")


def test_ids_that_could_escape_the_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a valid experiment id"):
        ExperimentStore(tmp_path).save(_record("../../etc"))


def _stored_with_version(store: ExperimentStore, experiment_id: str, version: int) -> None:
    """A record on disk as another dspex_nb would have written it: only its version differs."""
    store.save(_record(experiment_id))
    path = store.path_of(experiment_id)
    path.write_text(json.dumps({**json.loads(path.read_text()), "version": version}))


def test_a_newer_record_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    _stored_with_version(store, "future", 99)
    with pytest.raises(FormatError, match="newer dspex_nb"):
        store.load("future")


def test_an_older_record_is_upgraded_or_refused(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store = ExperimentStore(tmp_path)
    _stored_with_version(store, "old", 0)
    with pytest.raises(FormatError, match="cannot upgrade"):
        store.load("old")
    from dspex_nb.experiments import store as store_module

    monkeypatch.setitem(store_module.UPGRADES, 0, lambda r: {**r, "hypothesis": "upgraded"})
    assert store.load("old").hypothesis == "upgraded"


WRITER = """
import random, sys
from dspex_nb.experiments import ExperimentRecord, ExperimentStore
store = ExperimentStore(sys.argv[1])
i = 0
while True:
    i += 1
    store.save(ExperimentRecord(id=f"exp-{i % 3}", name="crash", created_at=i,
                                hypothesis="x" * random.randint(10_000, 400_000)))
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
            record = store.load(experiment_id)  # raises on a torn record
            assert record.name == "crash"
            assert len(record.hypothesis) >= 10_000
        assert set(started) <= set(store.ids())


def test_list_reads_summaries_not_whole_records(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store = ExperimentStore(tmp_path)
    store.save(_record("a", "big", verdict="supported", hypothesis="x" * 100_000))
    record = tmp_path / "a" / "experiment.json"
    summary = tmp_path / "a" / "summary.json"
    os.utime(summary, ns=(record.stat().st_mtime_ns + 1_000_000,) * 2)  # newer, as on disk

    def refuse(experiment_id: str) -> dict[str, object]:
        raise AssertionError("list() parsed a whole record")

    monkeypatch.setattr(store, "_read", refuse)
    assert list(store.list()["verdict"]) == ["supported"]


def test_a_summary_older_than_its_record_is_not_trusted(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    store.save(_record("a", verdict="inconclusive"))
    summary_bytes = (tmp_path / "a" / "summary.json").read_bytes()
    store.save(_record("a", verdict="supported"))
    # As after a crash between the record's write and the summary's: the old summary stays.
    summary = tmp_path / "a" / "summary.json"
    summary.write_bytes(summary_bytes)
    record = tmp_path / "a" / "experiment.json"
    os.utime(summary, ns=(record.stat().st_mtime_ns - 1_000_000,) * 2)
    assert list(store.list()["verdict"]) == ["supported"]


def test_filters_on_fields_outside_the_summary_read_the_record(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    store.save(_record("a", seed=7))
    store.save(_record("b", created_at=2.0, seed=8))
    assert list(store.list(seed=7)["id"]) == ["a"]


def _damage(tmp_path: Path, experiment_id: str, text: str) -> Path:
    path = tmp_path / experiment_id / "experiment.json"
    path.write_text(text)
    (tmp_path / experiment_id / "summary.json").unlink()  # as after a crash between writes
    return path


@pytest.mark.parametrize(("damage", "reason"), [
    ('{"format": "dspex_nb.experiment", "vers', "not valid JSON"),
    ('{"format": "dspex_nb.experiment", "version": 99}', "newer dspex_nb"),
    ('{"format": "dspex_nb.experiment", "version": "one"}', "not a whole number"),
    ("[1, 2]", "a JSON list, not an object"),
])
def test_one_unreadable_record_does_not_hide_the_others(tmp_path: Path, damage: str,
                                                       reason: str) -> None:
    store = ExperimentStore(tmp_path)
    store.save(_record("good-a", created_at=1.0))
    store.save(_record("bad", created_at=2.0))
    store.save(_record("good-b", created_at=3.0))
    path = _damage(tmp_path, "bad", damage)
    with pytest.warns(UnreadableRecordWarning, match=r"1 experiment record\(s\).*bad/experiment"):
        frame = store.list()
    assert list(frame["id"]) == ["good-b", "good-a"]
    assert list(frame.attrs["unreadable"]) == [str(path)]
    assert reason in frame.attrs["unreadable"][str(path)]
    with pytest.raises(FormatError, match=rf"{path}.*{reason}"):
        store.load("bad")


def test_a_missing_experiment_is_a_dspex_error_naming_the_store(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path)
    with pytest.raises(DspexError, match=r"no experiment 'nope' in "):
        store.load("nope")


@pytest.mark.parametrize("experiment_id", [None, 5, "../escape", ""])
def test_an_id_that_is_not_one_is_an_argument_error(tmp_path: Path,
                                                    experiment_id: object) -> None:
    with pytest.raises(ArgumentError, match="not a valid experiment id"):
        ExperimentStore(tmp_path).load(experiment_id)  # type: ignore[arg-type]
