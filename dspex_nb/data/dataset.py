"""`Dataset`: examples with what a scientist needs around them — a name, where they came from
and under which license, a schema (each field's type and role), statistics, a fingerprint of
every row, reproducible splits, and a save format (JSONL plus a small JSON manifest).

A Dataset iterates as `Example`s with their inputs marked, so it goes wherever a devset or
trainset goes (the harness, SIMBA, an Experiment, which records its name and fingerprint).
Bad rows are a `DataError` naming the row (and line, for files) and the field.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import orjson

from dspex_nb import _checks as checks
from dspex_nb._atomic import write_atomic
from dspex_nb._formats import check, stamp
from dspex_nb._json import to_jsonable
from dspex_nb.data.examples import fingerprint
from dspex_nb.errors import ArgumentError, DataError, FormatError
from dspex_nb.primitives import Example

if TYPE_CHECKING:
    import pandas as pd

FORMAT = "dspex_nb.dataset"
FORMAT_VERSION = 1
DATA_FILE = "data.jsonl"
MANIFEST_FILE = "manifest.json"
ROLES = ("input", "label", "metadata")
_BALANCE_MAX = 30  # label balance is shown for fields with at most this many distinct values


@dataclass(frozen=True)
class FieldSchema:
    """One field, by `name`: the type its values have (`str`, `int`, `float`, `bool`, `list`,
    `dict`, or `a|b` when rows disagree), its role (input, label or metadata), and whether
    some rows lack it or hold None (`nullable`)."""

    name: str
    type: str
    role: str
    nullable: bool


@dataclass
class Dataset:
    """Examples with a name, a source, a license, a schema, statistics and a fingerprint.

    Build one with `from_records`, `from_pandas`, `from_csv` or `from_jsonl`; `split`,
    `sample` and `filter` make new Datasets (never touching the global RNG); `save(folder)` and
    `Dataset.load(folder)` keep it across sessions.

    Attributes:
        examples: the rows, as `dx.Example`s with their inputs marked.
        name: shown in views and recorded by experiments.
        input_keys, label_keys, metadata_keys: the fields in each role.
        source, license: where the data came from and on what terms.
        created: when it was made (Unix time).
        lineage: how it was made from another Dataset (`split`, `sample`, `filter`).
    """

    examples: list[Example]
    name: str
    input_keys: tuple[str, ...]
    label_keys: tuple[str, ...]
    metadata_keys: tuple[str, ...] = ()
    source: str = ""
    license: str = ""
    created: float = field(default_factory=time.time)
    lineage: dict[str, Any] = field(default_factory=dict)  # how it was made from another

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def from_records(cls, rows: Iterable[Mapping[str, Any]], *, input_keys: Sequence[str],
                     name: str, label_keys: Sequence[str] | None = None,
                     metadata_keys: Sequence[str] = (), source: str = "",
                     license: str = "") -> Dataset:
        """From dicts (or Examples). Every row must have every input field; the label fields
        are the rest, unless `label_keys` names them (then other fields are metadata)."""
        inputs = _key_list("input_keys", input_keys, required=True)
        metadata = _key_list("metadata_keys", metadata_keys)
        if not isinstance(name, str) or not name.strip():
            raise ArgumentError(f"name must be a non-empty string, not {name!r:.60}")
        checks.collection("rows", rows)
        records: list[dict[str, Any]] = []
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise DataError(f"row {i} is a {type(row).__name__}, not a record of fields")
            records.append(dict(row))
        return cls._build(records, inputs, label_keys, metadata, name=name, source=source,
                          license=license, where=lambda i: f"row {i}")

    @classmethod
    def from_pandas(cls, frame: pd.DataFrame, *, input_keys: Sequence[str],
                    name: str = "dataframe", label_keys: Sequence[str] | None = None,
                    metadata_keys: Sequence[str] = (), source: str = "",
                    license: str = "") -> Dataset:
        """From a DataFrame, one example per row; NaN cells are missing values (None)."""
        import pandas as pd

        if not isinstance(frame, pd.DataFrame):
            raise ArgumentError(f"from_pandas takes a DataFrame, not {type(frame).__name__}")
        rows = [{str(k): (None if _is_nan(v) else v) for k, v in row.items()}
                for row in frame.to_dict("records")]
        return cls.from_records(rows, input_keys=input_keys, name=name, label_keys=label_keys,
                                metadata_keys=metadata_keys, source=source, license=license)

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str], *, input_keys: Sequence[str],
                 name: str | None = None, label_keys: Sequence[str] | None = None,
                 metadata_keys: Sequence[str] = (), source: str | None = None,
                 license: str = "", encoding: str = "utf-8", delimiter: str = ",") -> Dataset:
        """From a CSV file with a header row; every cell is text. A row with more or fewer
        cells than the header is a DataError naming its line."""
        path = Path(path)
        text = _read_text(path, encoding)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError(f"{path} has no header row") from None
        if len(set(header)) != len(header) or any(not h.strip() for h in header):
            raise DataError(f"{path}: the header {header} has empty or repeated names")
        records: list[dict[str, Any]] = []
        lines: list[int] = []
        for cells in reader:
            if not cells:
                continue  # a blank line
            if len(cells) != len(header):
                raise DataError(f"{path} line {reader.line_num}: {len(cells)} cells, the header "
                                f"has {len(header)} ({', '.join(header)})")
            records.append(dict(zip(header, cells, strict=True)))
            lines.append(reader.line_num)
        if not records:
            raise DataError(f"{path} has a header but no rows")
        return cls._build(records, _key_list("input_keys", input_keys, required=True),
                          label_keys, _key_list("metadata_keys", metadata_keys),
                          name=name or path.stem, source=source or str(path), license=license,
                          where=lambda i: f"{path} line {lines[i]}")

    @classmethod
    def from_jsonl(cls, path: str | os.PathLike[str], *, input_keys: Sequence[str],
                   name: str | None = None, label_keys: Sequence[str] | None = None,
                   metadata_keys: Sequence[str] = (), source: str | None = None,
                   license: str = "", encoding: str = "utf-8") -> Dataset:
        """From a file of one JSON object per line (blank lines are skipped)."""
        path = Path(path)
        records: list[dict[str, Any]] = []
        lines: list[int] = []
        for number, line in enumerate(_read_text(path, encoding).splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path} line {number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path} line {number}: a JSON {type(row).__name__}, "
                                f"not an object of fields")
            records.append(row)
            lines.append(number)
        if not records:
            raise DataError(f"{path} has no rows")
        return cls._build(records, _key_list("input_keys", input_keys, required=True),
                          label_keys, _key_list("metadata_keys", metadata_keys),
                          name=name or path.stem, source=source or str(path), license=license,
                          where=lambda i: f"{path} line {lines[i]}")

    @classmethod
    def _build(cls, records: list[dict[str, Any]], inputs: tuple[str, ...],
               label_keys: Sequence[str] | None, metadata: tuple[str, ...], *, name: str,
               source: str, license: str, where: Callable[[int], str]) -> Dataset:
        if not records:
            raise DataError(f"dataset {name!r} has no rows")
        fields = list(dict.fromkeys(k for r in records for k in r))
        for i, record in enumerate(records):
            missing = [k for k in inputs if k not in record]
            if missing:
                raise DataError(f"{where(i)}: no input field {missing[0]!r} "
                                f"(fields: {', '.join(record)})")
        labels = (_key_list("label_keys", label_keys) if label_keys is not None
                  else tuple(k for k in fields if k not in inputs and k not in metadata))
        if label_keys is not None:
            metadata = tuple(dict.fromkeys([*metadata, *(k for k in fields
                                                         if k not in inputs + labels)]))
        overlap = (set(inputs) & set(labels)) | (set(inputs) & set(metadata)) | (
            set(labels) & set(metadata))
        if overlap:
            raise ArgumentError(f"fields {sorted(overlap)} are given two roles")
        unknown = [k for k in (*labels, *metadata) if k not in fields]
        if unknown:
            raise ArgumentError(f"fields {unknown} are in no row (fields: {fields})")
        examples = [Example(r).with_inputs(*inputs) for r in records]
        return cls(examples, name, inputs, labels, metadata, source=source, license=license)

    # -- a collection of examples --------------------------------------------------------------
    def __iter__(self) -> Iterator[Example]:
        return iter(self.examples)

    def __len__(self) -> int:
        return len(self.examples)

    @overload
    def __getitem__(self, index: int) -> Example: ...
    @overload
    def __getitem__(self, index: slice) -> list[Example]: ...

    def __getitem__(self, index: int | slice) -> Example | list[Example]:
        return self.examples[index]

    # -- what it is ----------------------------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON of every row, in order (one changed row gives another
        fingerprint). `dspex_nb.data.examples.fingerprint(ds, ordered=False)` is the
        order-independent one."""
        return fingerprint(self.examples)

    def role_of(self, key: str) -> str:
        if key in self.input_keys:
            return "input"
        return "label" if key in self.label_keys else "metadata"

    @property
    def fields(self) -> list[str]:
        return [*self.input_keys, *self.label_keys, *self.metadata_keys]

    @property
    def schema(self) -> dict[str, FieldSchema]:
        """Each field's inferred type and role, in the order inputs, labels, metadata."""
        out: dict[str, FieldSchema] = {}
        for key in self.fields:
            values = [e.get(key) for e in self.examples]
            kinds = sorted({_kind(v) for v in values if v is not None})
            if kinds == ["float", "int"]:
                kinds = ["float"]
            out[key] = FieldSchema(key, "|".join(kinds) or "none", self.role_of(key),
                                   any(v is None for v in values))
        return out

    def statistics(self) -> pd.DataFrame:
        """One row per field: role, type, count, nulls, distinct values, text lengths (min,
        mean, max characters) and, for labels with few values, their balance."""
        import pandas as pd

        rows = []
        for key, schema in self.schema.items():
            values = [e.get(key) for e in self.examples]
            present = [v for v in values if v is not None]
            texts = [v for v in present if isinstance(v, str)]
            lengths = [len(t) for t in texts]
            distinct = len({_hashable(v) for v in present})
            rows.append({
                "field": key, "role": schema.role, "type": schema.type, "count": len(present),
                "nulls": len(values) - len(present), "distinct": distinct,
                "min_len": min(lengths) if lengths else None,
                "mean_len": round(sum(lengths) / len(lengths), 1) if lengths else None,
                "max_len": max(lengths) if lengths else None,
                "balance": (_balance_text(self.label_balance(key))
                            if schema.role == "label" and distinct <= _BALANCE_MAX else None),
            })
        frame = pd.DataFrame(rows).set_index("field")
        for column in ("min_len", "max_len"):
            frame[column] = frame[column].astype("Int64")
        return frame

    def label_balance(self, key: str | None = None) -> list[tuple[Any, int]]:
        """(value, count) of a label field (the first label by default), most common first."""
        if key is None:
            if not self.label_keys:
                raise ArgumentError(f"dataset {self.name!r} has no label field")
            key = self.label_keys[0]
        if key not in self.fields:
            raise ArgumentError(f"dataset {self.name!r} has no field {key!r}")
        counts = Counter(_hashable(e.get(key)) for e in self.examples)
        return counts.most_common()

    # -- new datasets from this one ------------------------------------------------------------
    def split(self, *, train: float | int | None = None, dev: float | int | None = None,
              test: float | int | None = None, seed: int = 0) -> tuple[Dataset, ...]:
        """Disjoint random parts, in the order train, dev, test (those given). Sizes are all
        fractions (summing to at most 1; when they sum to 1 every example is used, rounding
        by largest remainder) or all counts. A seeded RNG of its own: the same seed gives the
        same parts, and the global `random` state is never touched. Each part records its
        seed, sizes and parent."""
        asked = {k: v for k, v in (("train", train), ("dev", dev), ("test", test))
                 if v is not None}
        if not asked:
            raise ArgumentError("split needs at least one of train=, dev=, test=")
        seed = checks.whole_number("seed", seed, minimum=0)
        sizes = _sizes(asked, len(self))
        order = list(range(len(self)))
        random.Random(seed).shuffle(order)
        parts, start = [], 0
        for part, size in sizes.items():
            chosen = sorted(order[start:start + size])
            start += size
            parts.append(self._derived(f"{self.name}:{part}", [self.examples[i] for i in chosen],
                                       {"split": part, "seed": seed, "sizes": sizes,
                                        "parent": self.name,
                                        "parent_fingerprint": self.fingerprint}))
        return tuple(parts)

    def sample(self, n: int, *, seed: int = 0) -> Dataset:
        """`n` examples drawn without replacement by a seeded RNG of its own, in their order."""
        n = checks.whole_number("n", n)
        if n > len(self):
            raise ArgumentError(f"cannot sample {n} of {len(self)} examples")
        seed = checks.whole_number("seed", seed, minimum=0)
        chosen = sorted(random.Random(seed).sample(range(len(self)), n))
        return self._derived(f"{self.name}:sample{n}", [self.examples[i] for i in chosen],
                             {"sample": n, "seed": seed, "parent": self.name,
                              "parent_fingerprint": self.fingerprint})

    def filter(self, keep: Callable[[Example], Any], *, name: str | None = None) -> Dataset:
        """The examples for which `keep(example)` is true."""
        if not callable(keep):
            raise ArgumentError(f"filter takes a function of an example, not {keep!r:.60}")
        kept = [e for e in self.examples if keep(e)]
        if not kept:
            raise DataError(f"the filter kept none of the {len(self)} examples of {self.name!r}")
        return self._derived(name or f"{self.name}:filtered", kept,
                             {"filter": getattr(keep, "__name__", "function"),
                              "parent": self.name, "parent_fingerprint": self.fingerprint})

    def _derived(self, name: str, examples: list[Example], lineage: dict[str, Any]) -> Dataset:
        return Dataset(examples, name, self.input_keys, self.label_keys, self.metadata_keys,
                       source=self.source, license=self.license, lineage=lineage)

    # -- views and files -----------------------------------------------------------------------
    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([e.to_dict() for e in self.examples], columns=self.fields)

    def manifest(self) -> dict[str, Any]:
        """What `save` writes beside the rows: everything but the rows."""
        return stamp({
            "name": self.name, "source": self.source, "license": self.license,
            "created": self.created, "n": len(self), "fingerprint": self.fingerprint,
            "input_keys": list(self.input_keys), "label_keys": list(self.label_keys),
            "metadata_keys": list(self.metadata_keys), "lineage": to_jsonable(self.lineage),
        }, FORMAT, FORMAT_VERSION)

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """`folder/data.jsonl` (one example per line) and `folder/manifest.json`."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        rows = b"".join(orjson.dumps(to_jsonable(e.to_dict())) + b"\n" for e in self.examples)
        write_atomic(folder / DATA_FILE, rows)
        write_atomic(folder / MANIFEST_FILE, orjson.dumps(self.manifest(),
                                                          option=orjson.OPT_INDENT_2))
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> Dataset:
        """A saved dataset; rows that no longer match the manifest's fingerprint (edited by
        hand) are a FormatError, not a silently different dataset."""
        folder = Path(folder)
        manifest_path = folder / MANIFEST_FILE
        if not manifest_path.is_file():
            raise DataError(f"{folder} holds no saved dataset ({MANIFEST_FILE} is missing)")
        try:
            manifest = check(orjson.loads(manifest_path.read_bytes()), FORMAT, FORMAT_VERSION,
                             "dataset")
        except orjson.JSONDecodeError as exc:
            raise FormatError(f"{manifest_path} is not valid JSON: {exc}") from None
        except FormatError as exc:
            raise FormatError(f"{manifest_path}: {exc}") from None
        try:
            loaded = cls.from_jsonl(folder / DATA_FILE, input_keys=manifest["input_keys"],
                                    name=manifest["name"], label_keys=manifest["label_keys"],
                                    metadata_keys=manifest["metadata_keys"],
                                    source=manifest["source"], license=manifest["license"])
        except KeyError as exc:
            raise FormatError(f"{manifest_path} lacks {exc}") from None
        if loaded.fingerprint != manifest.get("fingerprint"):
            raise FormatError(f"{folder / DATA_FILE} does not match its manifest's fingerprint "
                              f"(edited after it was saved?)")
        loaded.created = manifest.get("created", loaded.created)
        loaded.lineage = manifest.get("lineage", {})
        return loaded

    def __repr__(self) -> str:
        schema = ", ".join(f"{s.name}: {s.type} ({s.role})" for s in self.schema.values())
        return (f"Dataset({self.name!r}, {len(self)} examples, {schema}; "
                f"fingerprint {self.fingerprint[:12]})")


def _key_list(name: str, keys: Any, *, required: bool = False) -> tuple[str, ...]:
    if isinstance(keys, str) or not isinstance(keys, Sequence) or not all(
            isinstance(k, str) and k for k in keys):
        raise ArgumentError(f"{name} must be a list of field names, not {keys!r:.60}")
    if required and not keys:
        raise ArgumentError(f"{name} must name at least one field")
    return tuple(keys)


def _read_text(path: Path, encoding: str) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"no file at {path}") from None
    if not data.strip():
        raise DataError(f"{path} is empty")
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise DataError(f"{path} line {line}: bytes that are not {encoding} (at byte "
                        f"{exc.start}); pass encoding=... if the file uses another") from None


def _sizes(asked: dict[str, float | int], total: int) -> dict[str, int]:
    values = list(asked.values())
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        if any(v < 0 for v in values) or sum(values) > total:
            raise ArgumentError(f"split counts {asked} exceed the {total} examples")
        return {k: int(v) for k, v in asked.items()}
    if not all(isinstance(v, float) and 0 <= v <= 1 for v in values):
        raise ArgumentError(f"split sizes are all fractions in [0, 1] or all counts, not {asked}")
    if sum(values) > 1 + 1e-9:
        raise ArgumentError(f"split fractions {asked} add up to more than 1")
    exact = {k: v * total for k, v in asked.items()}
    sizes = {k: math.floor(x) for k, x in exact.items()}
    if abs(sum(values) - 1) < 1e-9:  # the whole dataset: leftovers by largest remainder
        by_remainder = sorted(exact, key=lambda k: (-(exact[k] - sizes[k]), list(exact).index(k)))
        for k in by_remainder[:total - sum(sizes.values())]:
            sizes[k] += 1
    return sizes


def _kind(value: Any) -> str:
    for kind in (bool, int, float, str, list, dict):
        if isinstance(value, kind):
            return kind.__name__
    return type(value).__name__


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None)) else orjson.dumps(
        to_jsonable(value), option=orjson.OPT_SORT_KEYS).decode()


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _balance_text(balance: list[tuple[Any, int]]) -> str:
    total = sum(c for _, c in balance)
    return ", ".join(f"{v} {c / total:.0%}" for v, c in balance[:6]) + (
        f", +{len(balance) - 6} more" if len(balance) > 6 else "")
