"""`ExperimentStore`: experiment records on local disk, one folder per experiment.

It deals in `ExperimentRecord`s only (`dx.Experiment.load(id)` makes a runnable experiment of
one).
Each record is `<root>/<id>/experiment.json`, written atomically: a crash mid-write (even a
SIGKILL) leaves the previous complete record, never a corrupt one. Temp files of interrupted
writes start with "." and are ignored. Records carry a format version: an older one is
upgraded on read, a newer one refused with a clear message.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from dspex_nb._atomic import write_atomic
from dspex_nb.errors import ArgumentError, DspexError, FormatError, UnreadableRecordWarning
from dspex_nb.experiments.record import RECORD_VERSION, ExperimentRecord

if TYPE_CHECKING:
    import pandas as pd

RECORD_FILE = "experiment.json"
SUMMARY_FILE = "summary.json"  # the listing fields alone, so list() need not parse records
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

# Upgrades from older record versions: version -> function(record) -> record of version + 1.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

SUMMARY_FIELDS = ("name", "created_at", "status", "hypothesis", "verdict")


def new_id(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:40] or "experiment"
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}-{uuid.uuid4().hex[:6]}"


class ExperimentStore:
    """The folder experiments are saved to as they run (`path`, default
    `.dspex/experiments`): list them as a DataFrame, load a record, delete one."""

    def __init__(self, path: str | Path = ".dspex/experiments"):
        self.root = Path(path)

    def _file(self, experiment_id: str) -> Path:
        if not isinstance(experiment_id, str) or not _ID.match(experiment_id):
            raise ArgumentError(f"not a valid experiment id: {experiment_id!r:.80} (ids are "
                                f"letters, digits, '_', '.' and '-', as store.list() shows)")
        return self.root / experiment_id / RECORD_FILE

    def path_of(self, experiment_id: str) -> Path:
        """The record file of an experiment (whether or not it exists yet)."""
        return self._file(experiment_id)

    def save(self, record: ExperimentRecord) -> str:
        """Write (or overwrite) a record, atomically; its summary after it."""
        payload = orjson.dumps(record.to_dict(), default=str, option=orjson.OPT_INDENT_2)
        path = self._file(record.id)
        write_atomic(path, payload)
        # After the record: a summary older than its record (a crash in between) is not used.
        summary = {k: getattr(record, k) for k in SUMMARY_FIELDS}
        write_atomic(path.with_name(SUMMARY_FILE), orjson.dumps(summary, default=str))
        return record.id

    def _summary(self, experiment_id: str, fields: Any) -> dict[str, Any]:
        """The listing fields from summary.json when it is newer than the record and has
        them all; else from the record itself."""
        path = self._file(experiment_id)
        summary_path = path.with_name(SUMMARY_FILE)
        try:
            fresh = summary_path.stat().st_mtime_ns > path.stat().st_mtime_ns
        except FileNotFoundError:
            fresh = False
        if fresh and all(k in SUMMARY_FIELDS for k in fields):
            try:
                summary = orjson.loads(summary_path.read_bytes())
                if isinstance(summary, dict):
                    return summary
            except orjson.JSONDecodeError:
                pass
        return self._read(experiment_id)

    def _read(self, experiment_id: str) -> dict[str, Any]:
        """The record's JSON document, upgraded to this version's form."""
        path = self._file(experiment_id)
        if not path.is_file():
            raise DspexError(f"no experiment {experiment_id!r} in {self.root}")
        try:
            data = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise FormatError(f"{path} is not valid JSON (truncated or edited?): {exc}") from None
        if not isinstance(data, dict):
            raise FormatError(f"{path} is not an experiment record (a JSON "
                              f"{type(data).__name__}, not an object)")
        version = data.get("version", 0)
        if isinstance(version, bool) or not isinstance(version, int):
            raise FormatError(f"{path} has a record version that is not a whole number: "
                              f"{version!r:.40}")
        if version > RECORD_VERSION:
            raise FormatError(f"{path} was written by a newer dspex_nb (record version "
                              f"{version}; this one reads up to {RECORD_VERSION})")
        while version < RECORD_VERSION and version in UPGRADES:
            data = UPGRADES[version](data)
            version += 1
            data["version"] = version
        if data.get("version", 0) < RECORD_VERSION:
            raise FormatError(f"{path} has record version {data.get('version')}, which this "
                              f"dspex_nb cannot upgrade (it reads {RECORD_VERSION})")
        result: dict[str, Any] = data
        return result

    def load(self, experiment_id: str) -> ExperimentRecord:
        """The record; `dx.Experiment.load(id)` makes a runnable experiment of it."""
        return ExperimentRecord.from_dict(self._read(experiment_id),
                                          source=str(self._file(experiment_id)))

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.parent.name for p in self.root.glob(f"*/{RECORD_FILE}"))

    def list(self, **filters: Any) -> pd.DataFrame:
        """One row per experiment (id, name, created_at, hypothesis, verdict, ...), newest first;
        `filters` keep rows whose field equals the value (or, for a callable, where it is True).

        A record that cannot be read (truncated, edited, from a newer dspex_nb) does not hide
        the others: it is left out, named with its path and reason in a warning and in
        `frame.attrs["unreadable"]`."""
        import pandas as pd

        rows = []
        unreadable: dict[str, str] = {}
        for experiment_id in self.ids():
            try:
                record = self._summary(experiment_id, filters)
            except DspexError as exc:
                unreadable[str(self._file(experiment_id))] = str(exc)
                continue
            row = {"id": experiment_id, **{k: record.get(k) for k in SUMMARY_FIELDS}}
            row.update({k: record.get(k) for k in filters if k not in row})
            if all(f(row.get(k)) if callable(f) else row.get(k) == f for k, f in filters.items()):
                rows.append(row)
        frame = pd.DataFrame(rows, columns=["id", *SUMMARY_FIELDS, *[
            k for k in filters if k not in SUMMARY_FIELDS]])
        if not frame.empty:
            frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s")
            frame = frame.sort_values("created_at", ascending=False).reset_index(drop=True)
        frame.attrs["unreadable"] = unreadable
        if unreadable:
            first = next(iter(unreadable.values()))
            warnings.warn(f"{len(unreadable)} experiment record(s) in {self.root} cannot be "
                          f"read and are not listed: {', '.join(unreadable)} (first: {first})",
                          UnreadableRecordWarning, stacklevel=2)
        return frame

    def delete(self, experiment_id: str) -> None:
        folder = self._file(experiment_id).parent
        if not folder.is_dir():
            raise DspexError(f"no experiment {experiment_id!r} in {self.root}")
        shutil.rmtree(folder)

    def __repr__(self) -> str:
        return f"ExperimentStore({str(self.root)!r}, {len(self.ids())} experiments)"
