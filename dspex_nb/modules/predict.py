"""`Predict`: one LM call shaped by a signature, with instructions and demos it can learn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from dspex_nb import _checks as checks
from dspex_nb import settings
from dspex_nb._engine import run_sync
from dspex_nb._json import to_jsonable
from dspex_nb.accounting import PredictorCall, PredictorScope
from dspex_nb.adapters import Adapter, AdapterResult, JSONAdapter
from dspex_nb.errors import ArgumentError, FormatError, ParseError
from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.params import check_sampling
from dspex_nb.lm.resolve import current_lm, lm_from_state
from dspex_nb.lm.types import LMRequest, LMResponse
from dspex_nb.modules.assertions import enforce
from dspex_nb.modules.attempts import current_frame, note_call
from dspex_nb.modules.module import Predictor
from dspex_nb.primitives import Prediction
from dspex_nb.signatures import Signature, ensure_signature
from dspex_nb.telemetry.spans import current_span

_DEFAULT_ADAPTER = JSONAdapter()


@dataclass
class CheckedState:
    """A predictor's saved state, rebuilt and checked, not applied yet."""

    signature: type[Signature]
    demos: list[dict[str, Any]]
    config: dict[str, Any]
    lm: BaseLM | None
# Per-call options that steer the call but are not sampling parameters sent to the model.
_CALL_OPTIONS = ("cache", "sample_id")



class Predict(Predictor):
    """Predict the output fields of `signature` from its input fields.

    `lm` is this predictor's LM (default: the configured one). `lm_kwargs` (temperature,
    max_tokens, ...) apply to every call; `config={...}` at call time overrides them for one
    call, and may also say `cache=False` or `sample_id=k`.
    """

    _span_kind = "predict"

    def __init__(self, signature: str | type[Signature], *, lm: BaseLM | None = None,
                 **lm_kwargs: Any):
        self.signature = ensure_signature(signature)
        self.demos: list[dict[str, Any]] = []
        self.lm: BaseLM | None = checks.lm_object("lm", lm)
        check_sampling(type(self).__name__, lm_kwargs, also=frozenset(_CALL_OPTIONS))
        self.config: dict[str, Any] = lm_kwargs

    def _span_name(self) -> str:
        return self.signature.signature_text

    def __call__(self, **kwargs: Any) -> Prediction:
        """A synchronous call. A hit in the memory cache is answered right here, in the
        caller's thread; anything else (the LM call, a parse retry) runs on the engine."""
        with self._call_span():
            lm, inputs, adapter, request = self._plan(kwargs)
            with self._scope(inputs) as call:
                response = lm.complete_from_memory(request)
                result = (adapter.parse_first(self.signature, request, response)
                          if response is not None else None)
                if result is None:
                    result = run_sync(self._complete(lm, inputs, adapter, request, response))
                self._done(call, result)
            prediction = Prediction(result.outputs)
            if "_attached_checks" in self.__dict__:
                enforce(self.__dict__["_attached_checks"], inputs, prediction)
        return prediction

    async def aforward(self, **kwargs: Any) -> Prediction:
        lm, inputs, adapter, request = self._plan(kwargs)
        with self._scope(inputs) as call:
            result = await self._complete(lm, inputs, adapter, request, None)
            self._done(call, result)
        return Prediction(result.outputs)

    def _plan(self, kwargs: dict[str, Any]) -> tuple[BaseLM, dict[str, Any], Adapter, LMRequest]:
        """The LM, the validated inputs, the adapter and the request of one call."""
        config = kwargs.pop("config", None) or {}
        if config:
            if not isinstance(config, dict):
                raise ArgumentError(f"config must be a dict of per-call options, not "
                                    f"{type(config).__name__} {config!r:.60}")
            check_sampling("config", config, also=frozenset(_CALL_OPTIONS))
        lm = checks.lm_object("lm", kwargs.pop("lm", None)) or self.lm or current_lm()
        inputs = self.signature.validate_inputs(kwargs)
        frame = current_frame()
        # Inside an attempt (Retry, BestOfN, Refine, a chain): its sampling overrides apply
        # over the predictor's own settings; an explicit per-call config still wins.
        params = ({**self.config, **frame.params, **config} if frame is not None
                  else {**self.config, **config})
        options = {k: params.pop(k) for k in _CALL_OPTIONS if k in params}
        adapter: Adapter = settings.get("adapter") or _DEFAULT_ADAPTER
        request = adapter.request(self.signature, self.demos, inputs, params=params,
                                  sample_id=options.get("sample_id"),
                                  cache=options.get("cache", True))
        if frame is not None:
            revisions = frame.revisions.get(id(self))
            if revisions:
                adapter.revise(request, revisions)
            if frame.fresh_all or id(self) in frame.fresh:
                request.cache = False  # a retried call must not get its failure back
        return lm, inputs, adapter, request

    async def _complete(self, lm: BaseLM, inputs: dict[str, Any], adapter: Adapter,
                        request: LMRequest, response: LMResponse | None) -> AdapterResult:
        try:
            if response is None:
                response = await lm.acomplete(request)
            return await adapter.finish(lm, self.signature, self.demos, inputs, request,
                                        response)
        except ParseError as exc:
            note_call(self, None, exc.raw)  # a Retry lays the failure on this predictor
            raise

    def _scope(self, inputs: dict[str, Any]) -> PredictorScope:
        """Telemetry's predict span learns the inputs; accounting opens the predictor call
        (predictor_id lets an optimizer map a recorded call back to the predictor's name)."""
        here = current_span()
        if here is not None and here.kind == "predict":
            here.set(signature=self.signature.signature_text, inputs=inputs,
                     predictor_id=id(self))
        return PredictorScope(self.signature.signature_text, inputs, id(self))

    def _done(self, call: PredictorCall | None, result: AdapterResult) -> None:
        note_call(self, result.outputs, result.calls[-1].response.text)
        if call is not None:
            call.outputs = result.outputs
        here = current_span()
        if here is not None and here.kind == "predict":
            here.set(outputs=result.outputs)

    # -- state -------------------------------------------------------------------------------
    def dump_state(self) -> dict[str, Any]:
        return {
            "signature": self.signature.dump(),
            "demos": [to_jsonable(dict(d)) for d in self.demos],
            "lm": self.lm.dump_state() if self.lm is not None else None,
            "config": to_jsonable(self.config),
        }

    def check_state(self, state: Any) -> CheckedState:
        """Everything `load_state` needs, rebuilt and checked, with nothing changed yet: a
        program loads all of its predictors' states or none (see `Module.load_state`)."""
        if isinstance(state, dict) and "self" in state and "signature" not in state:
            state = state["self"]  # the whole-program form of a lone predictor
        if not isinstance(state, dict):
            raise FormatError(f"a predictor's state is a JSON object, not "
                              f"{type(state).__name__}")
        if "signature" not in state:
            raise FormatError("a predictor's state lacks its 'signature'")
        signature = Signature.from_dump(state["signature"])
        demos = state.get("demos", [])
        if not isinstance(demos, list) or not all(isinstance(d, dict) for d in demos):
            raise FormatError("demos must be a list of JSON objects (one per demo)")
        config = state.get("config", {})
        if not isinstance(config, dict):
            raise FormatError(f"config must be a JSON object, not {type(config).__name__}")
        try:
            check_sampling("config", config, also=frozenset(_CALL_OPTIONS))
        except ArgumentError as exc:
            raise FormatError(str(exc)) from None
        saved_lm = state.get("lm")
        lm = self.lm
        if not saved_lm:
            lm = None
        elif not isinstance(saved_lm, dict):
            raise FormatError(f"lm must be a JSON object of LM settings, not "
                              f"{type(saved_lm).__name__}")
        elif self.lm is None or self.lm.dump_state() != saved_lm:
            lm = lm_from_state(saved_lm)
        # else: the same LM settings as the live one: keep it (and its connection)
        return CheckedState(signature, [dict(d) for d in demos], dict(config), lm)

    def apply_state(self, checked: CheckedState) -> Self:
        self.signature = checked.signature
        self.demos = checked.demos
        self.config = checked.config
        self.lm = checked.lm
        return self

    def _init_args(self) -> dict[str, Any]:
        return {"signature": self.signature.dump()}

    @classmethod
    def _from_init(cls, init: dict[str, Any]) -> Self:
        return cls(Signature.from_dump(init["signature"]))

    def __repr__(self) -> str:
        return f"Predict({self.signature.signature_text!r}, demos={len(self.demos)})"
