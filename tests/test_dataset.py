"""dx.Dataset: building from records, DataFrames and files; schema, statistics, fingerprint;
reproducible splits; save/load; and the bad input a file can hold, each a DataError naming
the row (or line) and the field."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest

import dspex_nb as dx
from dspex_nb.data.examples import fingerprint


def _rows(n: int = 10) -> list[dict[str, object]]:
    return [{"text": "word " * (i + 1), "label": "pos" if i % 3 else "neg", "source": f"s{i}"}
            for i in range(n)]


def _dataset(n: int = 10) -> dx.Dataset:
    return dx.Dataset.from_records(_rows(n), input_keys=["text"], label_keys=["label"],
                                   name="toy", license="CC0", source="made up")


def _label_match(example: dx.Example, prediction: dx.Prediction) -> bool:
    return bool(example["label"] == prediction.label)


# -- building -------------------------------------------------------------------------------------
def test_records_become_examples_with_their_inputs_marked() -> None:
    ds = _dataset(3)
    assert len(ds) == 3
    assert [e.input_keys for e in ds] == [("text",)] * 3
    assert ds[0].inputs().to_dict() == {"text": "word "}


def test_fields_that_are_neither_inputs_nor_labels_are_metadata() -> None:
    schema = _dataset().schema
    assert [(s.name, s.type, s.role) for s in schema.values()] == [
        ("text", "str", "input"), ("label", "str", "label"), ("source", "str", "metadata")]


def test_without_label_keys_every_other_field_is_a_label() -> None:
    ds = dx.Dataset.from_records(_rows(2), input_keys=["text"], name="toy")
    assert ds.label_keys == ("label", "source") and ds.metadata_keys == ()


def test_a_dataframe_becomes_a_dataset_with_nan_as_missing() -> None:
    frame = pd.DataFrame({"q": ["a", "b"], "score": [1.5, float("nan")]})
    ds = dx.Dataset.from_pandas(frame, input_keys=["q"], name="frame")
    assert ds[1]["score"] is None
    assert ds.schema["score"].type == "float" and ds.schema["score"].nullable


def test_csv_and_jsonl_files_load_with_their_source(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text('text,label\n"hello, world",pos\nbye,neg\n')
    (tmp_path / "d.jsonl").write_text('{"text": "hi", "label": "pos"}\n\n{"text": "yo", '
                                      '"label": "neg"}\n')
    from_csv = dx.Dataset.from_csv(tmp_path / "d.csv", input_keys=["text"])
    from_jsonl = dx.Dataset.from_jsonl(tmp_path / "d.jsonl", input_keys=["text"])
    assert from_csv[0]["text"] == "hello, world" and from_csv.name == "d"
    assert from_csv.source == str(tmp_path / "d.csv")
    assert [e["label"] for e in from_jsonl] == ["pos", "neg"]


def test_a_dataset_goes_where_a_devset_goes() -> None:
    ds = _dataset(4)
    program = dx.Predict("text -> label", lm=dx.ScriptedLM([{"label": "pos"}], cycle=True))
    report = dx.evaluate(program, ds, _label_match, display="none")
    assert report.n == 4 and report.failures == 0


def test_an_experiment_records_the_dataset_name_and_fingerprint(tmp_path: Path) -> None:
    ds = _dataset(4)
    program = dx.Predict("text -> label", lm=dx.ScriptedLM([{"label": "pos"}], cycle=True))
    exp = dx.Experiment("data", arms={"a": program}, metrics=[_label_match],
                        store=tmp_path, display="none").run(devset=ds)
    assert exp.record is not None and exp.record.dataset is not None
    assert exp.record.dataset.name == "toy"
    assert exp.record.dataset.dev_fingerprint == ds.fingerprint


# -- what it is ---------------------------------------------------------------------------------
def test_one_changed_row_changes_the_fingerprint() -> None:
    rows = _rows()
    changed = [dict(r) for r in rows]
    changed[7]["label"] = "neg" if rows[7]["label"] == "pos" else "pos"
    make = dx.Dataset.from_records
    a = make(rows, input_keys=["text"], name="a")
    b = make(changed, input_keys=["text"], name="b")
    assert a.fingerprint != b.fingerprint
    assert len(a.fingerprint) == 64  # a whole SHA-256


def test_the_fingerprint_depends_on_order_unless_asked_not_to() -> None:
    rows = _rows()
    shuffled = rows[::-1]
    a = dx.Dataset.from_records(rows, input_keys=["text"], name="a")
    b = dx.Dataset.from_records(shuffled, input_keys=["text"], name="b")
    assert a.fingerprint != b.fingerprint
    assert fingerprint(a, ordered=False) == fingerprint(b, ordered=False)


def test_statistics_count_nulls_distinct_values_lengths_and_label_balance() -> None:
    rows = _rows(6)
    rows[2]["source"] = None
    stats = dx.Dataset.from_records(rows, input_keys=["text"], label_keys=["label"],
                                    name="toy").statistics()
    assert stats.loc["text", "min_len"] == 5 and stats.loc["text", "max_len"] == 30
    assert stats.loc["source", "nulls"] == 1 and stats.loc["source", "count"] == 5
    assert stats.loc["label", "distinct"] == 2
    assert stats.loc["label", "balance"] == "pos 67%, neg 33%"


def test_mixed_types_in_a_field_are_shown_as_such() -> None:
    ds = dx.Dataset.from_records([{"q": "a", "n": 1}, {"q": "b", "n": "two"}],
                                 input_keys=["q"], name="mixed")
    assert ds.schema["n"].type == "int|str"


# -- new datasets ---------------------------------------------------------------------------------
def test_splits_are_disjoint_cover_the_data_and_are_recorded() -> None:
    ds = _dataset(10)
    train, dev, test = ds.split(train=0.6, dev=0.2, test=0.2, seed=3)
    assert (len(train), len(dev), len(test)) == (6, 2, 2)
    texts = [e["text"] for part in (train, dev, test) for e in part]
    assert sorted(texts) == sorted(e["text"] for e in ds)
    assert train.lineage == {"split": "train", "seed": 3,
                             "sizes": {"train": 6, "dev": 2, "test": 2}, "parent": "toy",
                             "parent_fingerprint": ds.fingerprint}
    assert dev.name == "toy:dev"


def test_the_same_seed_gives_the_same_split_and_leaves_the_global_rng_alone() -> None:
    ds = _dataset(20)
    random.seed(123)
    before = random.getstate()
    first = ds.split(train=0.5, dev=0.5, seed=7)
    assert random.getstate() == before
    second = ds.split(train=0.5, dev=0.5, seed=7)
    assert [p.fingerprint for p in first] == [p.fingerprint for p in second]
    assert ds.split(train=0.5, dev=0.5, seed=8)[0].fingerprint != first[0].fingerprint


@pytest.mark.parametrize(("sizes", "message"), [
    ({"train": 0.8, "dev": 0.3}, "more than 1"), ({"train": 8, "dev": 5}, "exceed"),
    ({"train": 0.5, "dev": 3}, "all fractions"), ({}, "at least one"),
])
def test_impossible_splits_are_refused(sizes: dict[str, float], message: str) -> None:
    with pytest.raises(dx.ArgumentError, match=message):
        _dataset(10).split(**sizes)  # type: ignore[arg-type]


def test_sample_and_filter_make_new_datasets() -> None:
    ds = _dataset(10)
    assert len(ds.sample(4, seed=1)) == 4
    assert ds.sample(4, seed=1).fingerprint == ds.sample(4, seed=1).fingerprint
    negatives = ds.filter(lambda e: e["label"] == "neg")
    assert {e["label"] for e in negatives} == {"neg"} and len(negatives) == 4
    with pytest.raises(dx.ArgumentError, match="cannot sample 11"):
        ds.sample(11)
    with pytest.raises(dx.DataError, match="kept none"):
        ds.filter(lambda e: False)


def test_save_and_load_give_the_same_dataset(tmp_path: Path) -> None:
    ds = _dataset(5).split(train=0.6, dev=0.4, seed=2)[0]
    loaded = dx.Dataset.load(ds.save(tmp_path / "toy"))
    assert loaded.fingerprint == ds.fingerprint
    assert (loaded.name, loaded.license, loaded.lineage) == (ds.name, ds.license, ds.lineage)
    assert loaded.metadata_keys == ("source",)
    assert json.loads((tmp_path / "toy" / "manifest.json").read_text())["n"] == 3


def test_a_saved_dataset_edited_by_hand_is_refused(tmp_path: Path) -> None:
    folder = _dataset(3).save(tmp_path / "toy")
    data = folder / "data.jsonl"
    data.write_text(data.read_text().replace("neg", "pos"))
    with pytest.raises(dx.FormatError, match="does not match its manifest's fingerprint"):
        dx.Dataset.load(folder)


def test_to_pandas_has_a_column_per_field_in_role_order() -> None:
    assert list(_dataset(2).to_pandas().columns) == ["text", "label", "source"]


# -- bad input -----------------------------------------------------------------------------------
def test_a_row_without_an_input_field_is_named() -> None:
    rows = _rows(3)
    del rows[1]["text"]
    with pytest.raises(dx.DataError, match="row 1: no input field 'text'"):
        dx.Dataset.from_records(rows, input_keys=["text"], name="toy")


def test_a_ragged_csv_row_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("text,label\na,pos\nb,neg,extra\n")
    with pytest.raises(dx.DataError, match=r"r.csv line 3: 3 cells, the header has 2"):
        dx.Dataset.from_csv(tmp_path / "r.csv", input_keys=["text"])


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "latin.csv").write_bytes("text,label\ncafé,pos\n".encode("latin-1"))
    with pytest.raises(dx.DataError, match=r"latin.csv line 2: bytes that are not utf-8"):
        dx.Dataset.from_csv(tmp_path / "latin.csv", input_keys=["text"])
    ds = dx.Dataset.from_csv(tmp_path / "latin.csv", input_keys=["text"], encoding="latin-1")
    assert ds[0]["text"] == "café"


@pytest.mark.parametrize("content", ["", "  \n\n"])
def test_an_empty_file_is_a_data_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "e.jsonl").write_text(content)
    with pytest.raises(dx.DataError, match=r"e\.jsonl is empty"):
        dx.Dataset.from_jsonl(tmp_path / "e.jsonl", input_keys=["text"])


def test_a_jsonl_line_that_is_not_an_object_is_named(tmp_path: Path) -> None:
    (tmp_path / "b.jsonl").write_text('{"text": "a"}\n[1, 2]\n')
    with pytest.raises(dx.DataError, match=r"b\.jsonl line 2: a JSON list"):
        dx.Dataset.from_jsonl(tmp_path / "b.jsonl", input_keys=["text"])


def test_a_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(dx.DataError, match="no file at"):
        dx.Dataset.from_csv(tmp_path / "nope.csv", input_keys=["text"])


@pytest.mark.parametrize(("options", "message"), [
    ({"input_keys": "text"}, "input_keys must be a list"),
    ({"input_keys": []}, "at least one"),
    ({"input_keys": ["text"], "label_keys": ["text"]}, "two roles"),
    ({"input_keys": ["text"], "label_keys": ["nope"]}, "in no row"),
])
def test_bad_keys_are_argument_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(dx.ArgumentError, match=message):
        dx.Dataset.from_records(_rows(2), name="toy", **options)  # type: ignore[arg-type]


# -- in a notebook ------------------------------------------------------------------------------
def test_a_dataset_shows_as_a_summary_and_a_label_balance_chart() -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from dspex_nb.views.dataset_view import VEGALITE, display_dataset

    InteractiveShell.instance()  # display() needs a shell, as in a kernel

    rows = _rows(6)
    rows[0]["text"] = "<script>alert(1)</script>"
    ds = dx.Dataset.from_records(rows, input_keys=["text"], label_keys=["label"], name="toy",
                                 license="CC0")
    with capture_output() as shown:
        display_dataset(ds)
    summary, chart = shown.outputs
    html = summary.data["text/html"]
    assert "<b>toy</b>: 6 examples" in html and "license CC0" in html
    assert "<script>" not in html  # field values are never markup
    assert html.count("<tr>") == 4  # the header and one row per field
    spec = chart.data[VEGALITE]
    assert spec["data"]["values"] == [{"value": "pos", "count": 4}, {"value": "neg", "count": 2}]


def test_a_dataset_with_list_fields_shows_its_missing_statistics_as_empty_cells() -> None:
    # list fields have no string lengths: pandas' NA, whose `!=` is NA (not a bool)
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from dspex_nb.data import load_squad_sample
    from dspex_nb.views.dataset_view import display_dataset

    InteractiveShell.instance()
    _, questions = load_squad_sample()
    assert questions.statistics().isna().any().any()
    with capture_output() as shown:
        display_dataset(questions)
    html = shown.outputs[0].data["text/html"]
    assert "<td></td>" in html and "<NA>" not in html and "nan" not in html
