"""`Module`: the base of every LM program, and how programs are composed, copied and saved.

A subclass writes `forward` (sync) or `aforward` (async), or both; the other form is derived:
`program(...)` runs `forward` directly or `aforward` on the engine loop, and
`await program.acall(...)` awaits `aforward` or runs `forward` in a worker thread.

A program's learnable state is plain JSON: `dump_state()` maps each predictor's dotted name
to its state (signature with instructions, demos, LM settings without secrets).
"""

from __future__ import annotations

import copy
import functools
import inspect
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import orjson

from dspex_nb._atomic import write_atomic
from dspex_nb._engine import in_thread, run_sync
from dspex_nb._formats import check
from dspex_nb._imports import import_object
from dspex_nb.errors import ArgumentError, ConfigurationError, DspexError, FormatError
from dspex_nb.modules.assertions import Check, check_checks, enforce
from dspex_nb.modules.batch import Batch, BatchResult
from dspex_nb.modules.tools import find_tools, tool_name, tool_origin
from dspex_nb.telemetry.spans import span

if TYPE_CHECKING:
    from dspex_nb.lm.base import BaseLM
    from dspex_nb.signatures import Signature

FORMAT = "dspex_nb.program"
FORMAT_VERSION = 1

R = TypeVar("R")


class _ClassOrInstanceMethod(Generic[R]):
    """`Module.load(path)` builds a program; `program.load(path)` loads into an existing one."""

    def __init__(self, on_class: Callable[..., R], on_instance: Callable[..., R]):
        self.on_class = on_class
        self.on_instance = on_instance

    def __get__(self, obj: Any, cls: type) -> Callable[..., R]:
        if obj is None:
            return functools.partial(self.on_class, cls)
        return functools.partial(self.on_instance, obj)


_overridden: dict[tuple[type, str], bool] = {}


def _defines(cls: type, name: str) -> bool:
    """Does this Module subclass write its own `forward` / `aforward`? (memoized: hot path)"""
    key = (cls, name)
    found = _overridden.get(key)
    if found is None:
        found = _overridden[key] = getattr(cls, name) is not getattr(Module, name)
    return found


class Module:
    """Base class of LM programs. Compose predictors and other modules as attributes."""

    _span_kind = "module"  # each call is a telemetry span of this kind

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        # The constructor's arguments, as JSON, so a saved `Hop(num_hops=3)` is rebuilt with
        # num_hops=3 (the state alone holds only the predictors). Taken here so subclasses
        # need not call super().__init__; copies skip it (they carry the snapshot along).
        self = super().__new__(cls)
        if (args or kwargs) and cls._init_args is Module._init_args:
            self.__dict__["_init_snapshot"] = _init_snapshot(cls, args, kwargs)
        return self

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines neither forward nor aforward")

    async def aforward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines neither forward nor aforward")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _defines(type(self), "forward"):
            with self._call_span():
                result = self.forward(*args, **kwargs)
                if "_attached_checks" in self.__dict__:
                    enforce(self.__dict__["_attached_checks"], kwargs, result)
                return result
        return run_sync(self.acall(*args, **kwargs))

    async def acall(self, *args: Any, **kwargs: Any) -> Any:
        with self._call_span():
            if _defines(type(self), "aforward"):
                result = await self.aforward(*args, **kwargs)
            elif _defines(type(self), "forward"):
                result = await in_thread(self.forward, *args, **kwargs)
            else:
                raise NotImplementedError(
                    f"{type(self).__name__} defines neither forward nor aforward")
            if "_attached_checks" in self.__dict__:
                enforce(self.__dict__["_attached_checks"], kwargs, result)
            return result

    def batch(self, inputs: Any, *, concurrency: int = 16, max_errors: int | None = None,
              timeout: float | None = None, display: str | bool = "auto") -> BatchResult:
        """Run this module over many inputs concurrently (dicts, Examples or a DataFrame):
        a `BatchResult` in input order, failures recorded, Ctrl-C keeping what finished.
        The same as `dx.Parallel(module, ...)(inputs)`."""
        return Batch(concurrency=concurrency, max_errors=max_errors, timeout=timeout,
                     display=display).run(self, inputs)

    async def abatch(self, inputs: Any, *, concurrency: int = 16,
                     max_errors: int | None = None,
                     timeout: float | None = None,  # noqa: ASYNC109 - per input, not this call
                     display: str | bool = "auto") -> BatchResult:
        """`batch`, awaited."""
        return await Batch(concurrency=concurrency, max_errors=max_errors, timeout=timeout,
                           display=display).arun(self, inputs)

    def add_check(self, check: Check, *, soft: bool = False) -> Self:
        """Attach a check `check(inputs, prediction) -> bool | str`, run after every call of
        this module: a failure is a failed `dx.Assert` (raises `AssertionFailed`; a Retry
        around the module asks again), or with `soft=True` a failed `dx.Suggest`. Checks are
        code, not state: a saved program does not carry them."""
        (found,) = check_checks("check", [check])
        if not isinstance(soft, bool):
            raise ArgumentError(f"soft must be True or False, not {soft!r:.40}")
        self.__dict__.setdefault("_attached_checks", []).append((found, soft))
        return self

    def _span_name(self) -> str:
        return type(self).__name__

    def _call_span(self) -> Any:
        """The telemetry span of one call of this module (a context manager)."""
        return span(self._span_kind, self._span_name(), program=type(self).__name__)

    # -- structure ---------------------------------------------------------------------------
    def named_stateful(self) -> list[tuple[str, Stateful]]:
        """Every part with state of its own (predictors, retrieval modules) with its dotted
        attribute path: what `dump_state` saves. Parts inside a stateful part are its own."""
        if isinstance(self, Stateful):
            return [("self", self)]
        return [(name, m) for name, m in self._parts(into_stateful=False)
                if isinstance(m, Stateful)]

    def named_modules(self) -> list[tuple[str, Module]]:
        """This module ("self") and every module inside it, each once, with its dotted path."""
        return [("self", self), *self._parts(into_stateful=True)]

    def _parts(self, *, into_stateful: bool) -> list[tuple[str, Module]]:
        """The modules inside this one, depth first, each once (a part shared by two paths is
        listed under the first); the insides of stateful parts only with `into_stateful`."""
        found: list[tuple[str, Module]] = []
        seen: set[int] = {id(self)}

        def visit(module: Module, prefix: str) -> None:
            for name, value in _walk(vars(module), prefix):
                if id(value) not in seen:
                    seen.add(id(value))
                    found.append((name, value))
                    if into_stateful or not isinstance(value, Stateful):
                        visit(value, name)

        visit(self, "")
        return found

    def named_predictors(self) -> list[tuple[str, Predictor]]:
        """Every predictor inside this program with its dotted attribute path."""
        return [(name, p) for name, p in self.named_stateful() if isinstance(p, Predictor)]

    def predictors(self) -> list[Predictor]:
        return [p for _, p in self.named_predictors()]

    def deepcopy(self) -> Self:
        """An independent copy; LM clients are shared, not copied."""
        return copy.deepcopy(self)

    def reset_copy(self) -> Self:
        """A copy with every predictor's demos removed."""
        new = self.deepcopy()
        for p in new.predictors():
            p.demos = []
        return new

    # -- state -------------------------------------------------------------------------------
    def dump_state(self) -> dict[str, Any]:
        return {name: p.dump_state() for name, p in self.named_stateful()}

    def load_state(self, state: dict[str, Any]) -> Self:
        """All or nothing: every predictor's state is rebuilt and checked before any is
        applied, so a bad file leaves the program exactly as it was."""
        if not isinstance(state, dict):
            raise FormatError(f"a program's state is a JSON object, not {type(state).__name__}")
        predictors = dict(self.named_stateful())
        missing = sorted(set(predictors) - set(state))
        unknown = sorted(set(state) - set(predictors))
        if missing or unknown:
            raise ConfigurationError(
                f"saved state does not fit {type(self).__name__}: "
                f"missing parts {missing}, unknown parts {unknown}"
            )
        checked = {}
        for name, p in predictors.items():
            try:
                checked[name] = p.check_state(state[name])
            except FormatError as exc:
                raise FormatError(f"predictor {name}: {exc}") from None
        for name, p in predictors.items():
            p.apply_state(checked[name])
        return self

    def _init_args(self) -> dict[str, Any]:
        """JSON arguments that rebuild this module's structure: those its constructor was
        called with (a subclass with other needs overrides this and `_from_init`)."""
        return dict(self.__dict__.get("_init_snapshot", ({}, []))[0])

    def _init_unsaved(self) -> list[str]:
        """Constructor arguments that are not JSON, so a file alone cannot rebuild them."""
        return list(self.__dict__.get("_init_snapshot", ({}, []))[1])

    @classmethod
    def _from_init(cls, init: dict[str, Any]) -> Self:
        try:
            return cls(**init)
        except TypeError as exc:
            raise ConfigurationError(
                f"cannot build {cls.__name__}() from a file alone ({exc}); build it yourself "
                f"and load the state into it: program.load(path)"
            ) from None

    def to_document(self) -> dict[str, Any]:
        """The program as one JSON document (class path, rebuild arguments, state): what
        `save` writes and what experiment records keep as program snapshots."""
        cls = type(self)
        document = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "class": f"{cls.__module__}:{cls.__qualname__}",
            "init": self._init_args(),
            "state": self.dump_state(),
        }
        if self._init_unsaved():
            document["init_unsaved"] = self._init_unsaved()
        return document

    @staticmethod
    def from_document(document: dict[str, Any], *, source: str = "document",
                      lm: BaseLM | None = None,
                      classes: dict[str, type] | None = None) -> Module:
        """Rebuild a program from `to_document()`'s output (its class must be importable, or
        given in `classes` by the path the document names it with); with `lm`, every
        predictor uses it instead of the LM recorded in the document. Tools among the
        constructor arguments are found by name (`@dx.tool`)."""
        try:
            data = check(document, FORMAT, FORMAT_VERSION, "dspex_nb program")
        except FormatError as exc:
            raise FormatError(f"{source}: {exc}") from None
        if not isinstance(data.get("class"), str):
            raise FormatError(f"{source} names no program class")
        try:
            klass = (classes or {}).get(data["class"]) or import_object(data["class"])
        except (ImportError, AttributeError) as exc:
            raise DspexError(
                f"{source} was saved from {data['class']}, which cannot be imported here "
                f"({exc}); build the program yourself and load its state into it"
            ) from None
        if not (isinstance(klass, type) and issubclass(klass, Module)):
            raise DspexError(f"{source} holds a {data['class']}, not a Module")
        if "state" not in data:
            raise FormatError(f"{source} holds no 'state'")
        if data.get("init_unsaved"):
            raise ConfigurationError(
                f"{source}: {klass.__name__} was built with arguments that are not JSON "
                f"({', '.join(map(str, data['init_unsaved']))}), so the file alone cannot "
                f"rebuild it; build it yourself and load the state into it: "
                f"program = {klass.__name__}(...); program.load(path)")
        init = data.get("init", {})
        if not isinstance(init, dict):
            raise FormatError(f"{source}: 'init' is a JSON object of constructor arguments")
        program: Module = klass._from_init(_with_tools(init))
        state = data["state"]
        try:
            if lm is not None:
                state = {name: {**s, "lm": None} if "signature" in s else s
                         for name, s in predictor_states(state).items()}
            program.load_state(state)
        except FormatError as exc:
            raise FormatError(f"{source}: {exc}") from None
        if lm is not None:
            for p in program.predictors():
                p.lm = lm
        return program

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the program as JSON (atomically: a crash never leaves half a file)."""
        target = Path(path)
        write_atomic(target, orjson.dumps(self.to_document(), option=orjson.OPT_INDENT_2))
        return target

    @staticmethod
    def _read(path: str | os.PathLike[str]) -> dict[str, Any]:
        try:
            data: dict[str, Any] = orjson.loads(Path(path).read_bytes())
        except orjson.JSONDecodeError as exc:
            raise DspexError(f"{path} is not a saved program (bad JSON: {exc})") from None
        return data

    def _load_into(self, path: str | os.PathLike[str]) -> Self:
        try:
            data = check(self._read(path), FORMAT, FORMAT_VERSION, "dspex_nb program")
            if "state" not in data:
                raise FormatError("it holds no 'state'")
            return self.load_state(data["state"])
        except FormatError as exc:
            raise FormatError(f"{path}: {exc}") from None

    @classmethod
    def _load_new(cls, path: str | os.PathLike[str]) -> Module:
        program = Module.from_document(cls._read(path), source=str(path))
        if not isinstance(program, cls):
            raise DspexError(f"{path} holds a {type(program).__name__}, not a {cls.__name__}")
        return program

    load = _ClassOrInstanceMethod(_load_new.__func__, _load_into)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={p.signature.signature_text!r}" for n, p in self.named_predictors())
        return f"{type(self).__name__}({inner})"


class Stateful(Module):
    """A part of a program with state of its own, saved with the program: predictors, and
    modules such as `Retrieve` (its `k`). Loading checks every part's state before applying
    any (`check_state`, then `apply_state`)."""

    def dump_state(self) -> dict[str, Any]:
        raise NotImplementedError

    def check_state(self, state: Any) -> Any:
        """The saved state rebuilt and checked, nothing applied (a FormatError if bad)."""
        raise NotImplementedError

    def apply_state(self, checked: Any) -> Self:
        """Apply what `check_state` returned; cannot fail."""
        raise NotImplementedError

    def load_state(self, state: dict[str, Any]) -> Self:
        if isinstance(state, dict) and "self" in state and len(state) == 1:
            state = state["self"]  # the whole-program form of a lone part
        return self.apply_state(self.check_state(state))


class Predictor(Stateful):
    """A module that holds learnable state of its own: a signature (with its instructions),
    demos, and optionally its LM. Optimizers change only this; `Predict` is the built-in one."""

    signature: type[Signature]
    demos: list[dict[str, Any]]
    lm: BaseLM | None
    config: dict[str, Any]

    @property
    def instructions(self) -> str:
        return self.signature.instructions

    @instructions.setter
    def instructions(self, text: str) -> None:
        self.signature = self.signature.with_instructions(text)


def _init_snapshot(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]
                   ) -> tuple[dict[str, Any], list[str]]:
    """(constructor arguments by name that are plain JSON, names of those that are not)."""
    try:
        signature = inspect.signature(cls.__init__)  # type: ignore[misc]
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return {}, ["(arguments that do not fit __init__)"]  # __init__ itself will say so
    init: dict[str, Any] = {}
    unsaved: list[str] = []
    for name, value in list(bound.arguments.items())[1:]:
        kind = signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL or kind is inspect.Parameter.POSITIONAL_ONLY:
            unsaved.append(f"*{name}" if kind is inspect.Parameter.VAR_POSITIONAL else name)
            continue
        items = value.items() if kind is inspect.Parameter.VAR_KEYWORD else [(name, value)]
        for key, item in items:
            if _plain_json(item):
                init[key] = copy.deepcopy(item)
            elif (name_of_tool := tool_name(item)) is not None:
                init[key] = {TOOL: name_of_tool, "origin": tool_origin(item)}
            else:
                unsaved.append(f"{key}={type(item).__name__}")
    return init, unsaved


TOOL = "$dspex_tool"  # a constructor argument that is a tool, saved by name


def _with_tools(init: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments with each saved tool reference replaced by the registered tool."""
    refs = {k: v for k, v in init.items() if isinstance(v, dict) and TOOL in v}
    if not refs:
        return init
    tools = find_tools({v[TOOL]: v.get("origin") for v in refs.values()})
    return {**init, **{k: tools[v[TOOL]] for k, v in refs.items()}}


def _plain_json(value: Any) -> bool:
    """Does JSON give this value back as it is (no tuple turned list, no NaN)?"""
    if value is None or isinstance(value, bool | int | str):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if type(value) is list:
        return all(_plain_json(v) for v in value)
    if type(value) is dict:
        return all(isinstance(k, str) and _plain_json(v) for k, v in value.items())
    return False


def predictor_states(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each predictor's state by name, from a program document's state: a module's maps names
    to them; a lone predictor's is its own (named "self", as `load_state` accepts it)."""
    return {"self": state} if "signature" in state else state


def _walk(obj: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    items: Any
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list | tuple):
        items = enumerate(obj)
    else:
        return
    for key, value in items:
        if isinstance(key, str) and key.startswith("_"):
            continue
        name = f"{prefix}{key}" if not prefix else (
            f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}")
        if isinstance(value, Module):
            yield name, value
        elif isinstance(value, dict | list | tuple):
            yield from _walk(value, name)
