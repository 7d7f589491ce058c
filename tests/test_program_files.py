"""Saved programs come back as they were built, or not at all: constructor arguments are
saved, a load is all-or-nothing, and an edited or damaged file gives a FormatError that says
what is wrong (never a KeyError, TypeError or AttributeError from inside)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dspex_nb as dx


class Hop(dx.Module):
    def __init__(self, num_hops: int = 2, *, style: dict[str, Any] | None = None) -> None:
        self.num_hops = num_hops
        self.style = style or {}
        self.query = dx.Predict("context, question -> query")
        self.answer = dx.Predict("context, question -> answer")


class Options(dx.Module):
    def __init__(self, **options: Any) -> None:
        self.options = options
        self.p = dx.Predict("a -> b")


def test_constructor_arguments_survive_save_and_load(tmp_path: Path) -> None:
    path = Hop(num_hops=3, style={"tone": "terse"}).save(tmp_path / "hop.json")
    loaded = dx.Module.load(path)
    assert isinstance(loaded, Hop)
    assert loaded.num_hops == 3
    assert loaded.style == {"tone": "terse"}


def test_a_positional_constructor_argument_is_saved_by_name(tmp_path: Path) -> None:
    path = Hop(5).save(tmp_path / "hop.json")
    assert json.loads(path.read_text())["init"] == {"num_hops": 5}
    assert dx.Module.load(path).num_hops == 5  # type: ignore[attr-defined]


def test_keyword_options_are_saved_one_by_one(tmp_path: Path) -> None:
    path = Options(k=3, mode="fast").save(tmp_path / "o.json")
    assert dx.Module.load(path).options == {"k": 3, "mode": "fast"}  # type: ignore[attr-defined]


def test_a_tuple_argument_is_not_rebuilt_as_a_list(tmp_path: Path) -> None:
    path = Options(sizes=(1, 2)).save(tmp_path / "o.json")
    with pytest.raises(dx.ConfigurationError, match="sizes=tuple"):
        dx.Module.load(path)


def test_copies_keep_the_constructor_arguments(tmp_path: Path) -> None:
    copy = Hop(num_hops=4).deepcopy()
    assert dx.Module.load(copy.save(tmp_path / "c.json")).num_hops == 4  # type: ignore[attr-defined]


def _two_predictor_file(tmp_path: Path, edit: Any) -> tuple[Hop, Path]:
    saved = Hop()
    saved.query.instructions = "NEW query instructions"
    saved.answer.instructions = "NEW answer instructions"
    path = saved.save(tmp_path / "hop.json")
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    return Hop(), path


def test_a_failed_load_leaves_the_program_unchanged(tmp_path: Path) -> None:
    def bad_demos(data: dict[str, Any]) -> None:
        data["state"]["answer"]["demos"] = "not a list"

    program, path = _two_predictor_file(tmp_path, bad_demos)
    before = program.dump_state()
    with pytest.raises(dx.FormatError, match="predictor answer: demos must be a list"):
        program.load(path)
    assert program.dump_state() == before
    assert "NEW" not in program.query.instructions


def _set(path: tuple[str, ...], value: Any) -> Any:
    def edit(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def _drop(*path: str) -> Any:
    def edit(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return edit


@pytest.mark.parametrize(("edit", "message"), [
    (_drop("state"), "holds no 'state'"),
    (_set(("version",), "1"), "version that is not a whole number"),
    (_set(("state", "query", "signature"), "context -> query"),
     "predictor query: a saved signature is a JSON object"),
    (_drop("state", "query", "signature", "fields"), "a saved signature lacks 'fields'"),
    (_set(("state", "query", "signature", "fields"), [{"name": "x", "kind": "sideways",
                                                        "type": "str"}]),
     "kind other than input/output"),
    (_set(("state", "query", "signature", "instructions"), 7), "instructions are text"),
    (_set(("state", "query", "config"), {"temprature": 1}), "did you mean 'temperature'"),
    (_set(("state", "query", "lm"), {"class": "LM", "model": "m", "defaults": "hot"}),
     "saved LM defaults are a JSON object"),
    (_set(("state", "query", "lm"), {"class": "LM", "model": "m",
                                      "defaults": {"num_retries": 3}}),
     "saved LM settings cannot be used"),
    (_set(("state",), []), "a program's state is a JSON object"),
])
def test_an_edited_file_gives_a_format_error_saying_what_is_wrong(
    tmp_path: Path, edit: Any, message: str,
) -> None:
    program, path = _two_predictor_file(tmp_path, edit)
    before = program.dump_state()
    with pytest.raises(dx.FormatError, match=message):
        program.load(path)
    with pytest.raises(dx.FormatError, match=message):
        dx.Module.load(path)
    assert program.dump_state() == before
