"""The public API walked with malformed values, as a new user would: every one must come out
as a typed dspex_nb error (a DspexError subclass, whose message names what is wrong), never a
bare KeyError, AttributeError or TypeError from inside the library, and never silence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dspex_nb as dx

URL = "http://127.0.0.1:9/v1"  # nothing listens: no case may get as far as a request


def _program() -> dx.Predict:
    return dx.Predict("question -> answer", lm=dx.ScriptedLM([{"answer": "a"}], cycle=True))


def _devset() -> list[dx.Example]:
    return [dx.Example(question="q", answer="a").with_inputs("question")]


def _metric(example: dx.Example, prediction: dx.Prediction) -> float:
    return 1.0


def _report() -> dx.EvaluationReport:
    return dx.evaluate(_program(), _devset(), _metric, display="none")


CASES: dict[str, tuple[Callable[[], Any], type[dx.DspexError], str]] = {
    # signatures
    "signature of a number": (lambda: dx.Signature(5), dx.SignatureError, "string or a"),
    "signature without outputs": (lambda: dx.Signature("a ->"), dx.SignatureError, "output"),
    "signature with an unclosed type": (lambda: dx.Signature("a -> b: list["),
                                        dx.SignatureError, "unclosed"),
    "signature with a reserved name": (lambda: dx.Signature("lm -> b"), dx.SignatureError,
                                       "reserved"),
    # predictors
    "predictor of a number": (lambda: dx.Predict(5), dx.SignatureError, "string or a"),
    "predictor with a model name as lm": (lambda: dx.Predict("q -> a", lm="gpt-4"),
                                          dx.ArgumentError, "lm must be an LM"),
    "predictor with an unknown keyword": (lambda: dx.Predict("q -> a", temprature=0),
                                          dx.ArgumentError, "temperature"),
    "chain of thought with a number as lm": (lambda: dx.ChainOfThought("q -> a", lm=3),
                                             dx.ArgumentError, "lm must be an LM"),
    "call without its input": (lambda: _program()(query="q"), dx.InputError, "missing input"),
    "call with config that is not a dict": (lambda: _program()(question="q", config=5),
                                            dx.ArgumentError, "config"),
    "call with a number as lm": (lambda: _program()(question="q", lm=5), dx.ArgumentError,
                                 "lm must be an LM"),
    # LMs
    "LM without a model": (lambda: dx.LM(None), dx.ArgumentError, "model"),
    "LM with a number as base_url": (lambda: dx.LM("m", base_url=5), dx.ArgumentError,
                                     "base_url"),
    "LM with a negative timeout": (lambda: dx.LM("m", base_url=URL, timeout=-1),
                                   dx.ArgumentError, "timeout"),
    "LM with DSPy's num_retries": (lambda: dx.LM("m", base_url=URL, num_retries=2),
                                   dx.ArgumentError, "max_retries"),
    "LM copy with a typo": (lambda: dx.LM("m", base_url=URL).copy(temprature=1),
                            dx.ArgumentError, "temperature"),
    "LM called with nothing": (lambda: dx.ScriptedLM([])(), dx.ArgumentError, "prompt"),
    # settings
    "configure with a model name": (lambda: dx.configure(lm="gpt-4"), dx.ArgumentError, "lm"),
    "configure with a typo": (lambda: dx.configure(cahce=False), dx.ArgumentError, "cache"),
    "context with a number as lm": (lambda: dx.context(lm=5).__enter__(), dx.ArgumentError,
                                    "lm"),
    # examples
    "with_inputs of a missing field": (lambda: dx.Example(q=1).with_inputs("x"),
                                       dx.ArgumentError, "not fields"),
    "inputs before with_inputs": (lambda: dx.Example(q=1).inputs(), dx.InputError,
                                  "with_inputs"),
    # evaluation
    "evaluate a string": (lambda: dx.evaluate("prog", _devset(), _metric), dx.ArgumentError,
                          "program"),
    "evaluate on None": (lambda: dx.evaluate(_program(), None, _metric), dx.ArgumentError,
                         "devset"),
    "evaluate on strings": (lambda: dx.evaluate(_program(), ["q"], _metric), dx.InputError,
                            "not an Example"),
    "evaluate rows without inputs": (lambda: dx.evaluate(_program(), [{"question": "q"}],
                                                         _metric), dx.InputError, "inputs"),
    "evaluate with a number as metric": (lambda: dx.evaluate(_program(), _devset(), 5),
                                         dx.ArgumentError, "metric"),
    "evaluate with no metrics": (lambda: dx.evaluate(_program(), _devset(), []),
                                 dx.ArgumentError, "metric"),
    "evaluate with a fractional concurrency": (
        lambda: dx.evaluate(_program(), _devset(), _metric, concurrency=1.5),
        dx.ArgumentError, "concurrency"),
    "evaluate with an unknown display": (
        lambda: dx.evaluate(_program(), _devset(), _metric, display="fancy"),
        dx.ArgumentError, "display"),
    "evaluate with a text failure_score": (
        lambda: dx.evaluate(_program(), _devset(), _metric, failure_score="0"),
        dx.ArgumentError, "failure_score"),
    "evaluate with num_threads and concurrency": (
        lambda: dx.evaluate(_program(), _devset(), _metric, concurrency=4, num_threads=8),
        dx.ArgumentError, "not both"),
    "compare with None": (lambda: dx.compare(_report(), None), dx.ArgumentError, "b is"),
    "compare None with a report": (lambda: dx.compare(None, _report()), dx.ArgumentError,
                                   "a is"),
    "compare with no resamples": (lambda: dx.compare(_report(), _report(), resamples=0),
                                  dx.ArgumentError, "resamples"),
    # optimization
    "SIMBA without a metric": (lambda: dx.SIMBA(None), dx.ArgumentError, "metric"),
    "SIMBA with bsize 0": (lambda: dx.SIMBA(_metric, bsize=0), dx.ArgumentError, "bsize"),
    "SIMBA with a strategy string": (lambda: dx.SIMBA(_metric, strategies="append_rule"),
                                     dx.ArgumentError, "strategies"),
    "SIMBA with a model name as prompt model": (
        lambda: dx.SIMBA(_metric, prompt_model="gpt-4"), dx.ArgumentError, "prompt_model"),
    "SIMBA on a string": (lambda: dx.SIMBA(_metric).compile("prog", trainset=_devset()),
                          dx.ArgumentError, "dx.Module"),
    "SIMBA on no trainset": (lambda: dx.SIMBA(_metric).compile(_program(), trainset=None),
                             dx.ArgumentError, "trainset"),
    "SIMBA on an empty trainset": (lambda: dx.SIMBA(_metric).compile(_program(), trainset=[]),
                                   dx.ArgumentError, "trainset"),
    # experiments
    "experiment store id None": (lambda: dx.ExperimentStore("/tmp/x").load(None),
                                 dx.ArgumentError, "experiment id"),
    "experiment with a number as an arm": (
        lambda: dx.Experiment("x", arms={"a": 5}, metrics=[_metric]), dx.ConfigurationError,
        "arm 'a' is a int"),
    "experiment with an unknown control": (
        lambda: dx.Experiment("x", arms={"a": _program()}, control="b", metrics=[_metric]),
        dx.ConfigurationError, "control"),
    "experiment run on None": (
        lambda: dx.Experiment("x", arms={"a": _program()}, metrics=[_metric], store=False,
                              display="none").run(devset=None), dx.ArgumentError, "devset"),
    "compare_experiments of a string": (lambda: dx.compare_experiments("abc"),
                                        dx.ArgumentError, "list of experiments"),
    # prices and caches
    "price of text": (lambda: dx.set_price("m", input_per_million="1", output_per_million=1),
                      dx.ArgumentError, "input_per_million"),
    "cache of a negative size": (lambda: dx.Cache(memory_size=-1), dx.ArgumentError,
                                 "memory_size"),
    "retry policy of negative retries": (lambda: dx.RetryPolicy(max_retries=-1),
                                         dx.ArgumentError, "max_retries"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gives_a_typed_error_that_names_the_problem(case: str) -> None:
    call, expected, words = CASES[case]
    with pytest.raises(dx.DspexError) as info:
        call()
    assert isinstance(info.value, expected), f"{type(info.value).__name__}: {info.value}"
    assert words in str(info.value)


def test_every_case_of_the_suite_fails_for_its_own_reason(tmp_path: Path) -> None:
    """The suite means something only if the good calls next to the bad ones work."""
    assert _program()(question="q").answer == "a"
    assert _report().score == 1.0
    assert dx.SIMBA(_metric, bsize=1, max_steps=0, display="none").compile(
        _program(), trainset=_devset()) is not None
