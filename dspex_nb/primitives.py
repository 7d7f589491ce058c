"""Example (one data point, with which keys are inputs) and Prediction (a program's output)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dspex_nb.errors import ArgumentError, InputError


class Record(Mapping[str, Any]):
    """A small mapping with attribute access, shared by Example and Prediction."""

    __slots__ = ("_data",)
    _data: dict[str, Any]

    def __init__(self, data: Mapping[str, Any] | None = None, /, **fields: Any):
        object.__setattr__(self, "_data", {**(data or {}), **fields})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__} has no field {name!r}; it has {sorted(self._data)}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._data[name] = value

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record):
            return type(self) is type(other) and self._data == other._data
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self._data.items())
        return f"{type(self).__name__}({body})"

    def to_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def __getstate__(self) -> dict[str, Any]:
        return self._data

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "_data", state)


class Example(Record):
    """One data point; `with_inputs(...)` names the keys a program receives, the rest are labels."""

    __slots__ = ("_input_keys",)
    _input_keys: tuple[str, ...] | None

    def __init__(self, data: Mapping[str, Any] | None = None, /, **fields: Any):
        super().__init__(data, **fields)
        keys = data._input_keys if isinstance(data, Example) else None
        object.__setattr__(self, "_input_keys", keys)

    def with_inputs(self, *keys: str) -> Example:
        unknown = [k for k in keys if k not in self._data]
        if unknown:
            raise ArgumentError(f"with_inputs: {unknown} are not fields of this example "
                                f"({sorted(self)})")
        copy = Example(self._data)
        object.__setattr__(copy, "_input_keys", tuple(keys))
        return copy

    @property
    def input_keys(self) -> tuple[str, ...]:
        if self._input_keys is None:
            raise InputError("call .with_inputs(...) first to say which fields are inputs")
        return self._input_keys

    def inputs(self) -> Example:
        keys = self.input_keys
        return Example({k: self._data[k] for k in keys}).with_inputs(*keys)

    def labels(self) -> Example:
        keys = set(self.input_keys)
        return Example({k: v for k, v in self._data.items() if k not in keys})

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Example):
            return self._data == other._data and self._input_keys == other._input_keys
        return NotImplemented

    __hash__ = None

    def __getstate__(self) -> dict[str, Any]:
        return {"data": self._data, "input_keys": self._input_keys}

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "_data", state["data"])
        object.__setattr__(self, "_input_keys", state["input_keys"])


class Score(float):
    """A metric's score with feedback text: `Score(0.0, feedback="the date is wrong")`.

    It is a float (so it adds, averages and compares as one); optimizers and Retry read the
    feedback to learn why an answer scored as it did.
    """

    feedback: str

    def __new__(cls, value: float, feedback: str = "") -> Score:
        obj = super().__new__(cls, float(value))
        obj.feedback = feedback
        return obj

    def __repr__(self) -> str:
        return f"Score({float(self)!r}, feedback={self.feedback!r})"

    def __reduce__(self) -> tuple[type[Score], tuple[float, str]]:
        return (Score, (float(self), self.feedback))


class Prediction(Record):
    """The outputs of a program call, by field name: `Prediction(data)` from a mapping, or
    `Prediction(answer=...)` from keywords.

    Modules that try more than once say how it went beside the outputs, not among them:
    `attempts` (Retry, BestOfN, Refine) and `chains` (MultiChainComparison) are empty lists
    otherwise. An output field of the same name wins (it is then also `pred["attempts"]`).
    """

    __slots__ = ("_trail",)

    @classmethod
    def from_items(cls, items: Iterable[tuple[str, Any]]) -> Prediction:
        return cls(dict(items))

    def set_trail(self, **trail: Any) -> None:
        """Keep how this prediction was reached (`attempts=`, `chains=`) beside its outputs."""
        current = self._trail_dict()
        object.__setattr__(self, "_trail", {**current, **trail})

    def _trail_dict(self) -> dict[str, Any]:
        try:
            return object.__getattribute__(self, "_trail")  # type: ignore[no-any-return]
        except AttributeError:
            return {}

    @property
    def attempts(self) -> list[Any]:
        """Every attempt a Retry, BestOfN or Refine made for this prediction, in order."""
        if "attempts" in self._data:
            return self._data["attempts"]  # type: ignore[no-any-return]
        return list(self._trail_dict().get("attempts", []))

    @property
    def chains(self) -> list[Any]:
        """Every reasoning chain a MultiChainComparison compared for this prediction."""
        if "chains" in self._data:
            return self._data["chains"]  # type: ignore[no-any-return]
        return list(self._trail_dict().get("chains", []))
