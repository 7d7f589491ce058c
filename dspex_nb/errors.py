"""Every exception dspex_nb raises, in one tree, so callers can catch by kind.

    DspexError
    ├── SignatureError          a malformed signature (string or class form)
    ├── InputError              missing or ill-typed inputs, caught before any LM call
    ├── DataError               a data row that cannot be used as given (e.g. an empty gold)
    ├── MetricError             a metric raised, or returned something not a finite number
    ├── ArgumentError           an argument value a call cannot use (the message names it)
    ├── AllFailedError          every example failed, so there is nothing to optimize
    ├── ParseError              LM output that cannot be parsed into the output fields
    ├── AssertionFailed         a `dx.Assert` or a hard check failed (outside a Retry)
    ├── AttemptsFailed          Retry, BestOfN, Refine or MultiChainComparison: no usable attempt
    ├── MaxErrorsReached        a batch stopped at its `max_errors` (the partial result kept)
    ├── ConfigurationError      nothing (or something unusable) configured
    │   └── MissingToolError    a saved program calls tools not registered here
    ├── RetrievalError          a retrieval store failed (the collection is left as it was)
    ├── FormatError             a saved document of another kind, or from a newer dspex_nb
    │   └── SnapshotError       a registered program's snapshot is damaged, changed or newer
    ├── TrustError              loading would run saved code the caller has not trusted
    └── LMError                 the language model call failed
        ├── RateLimitError      429 after all retries
        ├── ContextWindowError  the prompt does not fit the model
        ├── AuthenticationError 401/403: the key is missing or wrong
        ├── BadResponseError    a reply that is not a valid chat completion
        ├── LMTimeoutError      no answer within the timeout
        ├── LMConnectionError   the server cannot be reached
        └── ServerError         5xx after all retries
"""

from __future__ import annotations

from typing import Any


class DspexError(Exception):
    """Base of every error raised by dspex_nb."""


class SignatureError(DspexError, ValueError):
    """A signature could not be understood.

    `position` is the character offset in the signature string where the problem is,
    when the signature came from a string.
    """

    def __init__(self, message: str, *, signature: str | None = None, position: int | None = None):
        self.signature = signature
        self.position = position
        if signature is not None and position is not None:
            pointer = " " * position + "^"
            message = f"{message} (at position {position})\n  {signature}\n  {pointer}"
        super().__init__(message)


class InputError(DspexError, ValueError):
    """Inputs given to a predictor do not match its signature; `fields` names the inputs at
    fault (missing, or of the wrong type) when known."""

    def __init__(self, message: str, *, fields: list[str] | None = None):
        self.fields = list(fields or [])
        super().__init__(message)


class DataError(DspexError, ValueError):
    """A row of data cannot be used as given: a gold label that is missing, None, or empty
    after normalization, a metric that returned NaN for it. Never scored as a pass."""


class MetricError(DspexError, ValueError):
    """A metric raised, or returned a score that is not a finite number (NaN, inf, text).
    In bulk work it is a recorded failure of that example, counted in the summary."""


class ArgumentError(DspexError, ValueError, TypeError):
    """An argument has a value (or a type) the call cannot use; the message names the
    argument. Also a TypeError, so code written to catch Python's own error still does."""


class AllFailedError(DspexError, RuntimeError):
    """Every example of a run that needs scores failed (e.g. SIMBA's baseline): there is
    nothing to optimize or compare. `reason` is the most common failure, `count` how many."""

    def __init__(self, message: str, *, reason: str = "", count: int = 0):
        self.reason = reason
        self.count = count
        super().__init__(message)


class RetrievalError(DspexError, RuntimeError):
    """A retrieval store failed (a Chroma server that cannot be reached, a write that did not
    complete); a failed `add` leaves the collection as it was."""


class ParseError(DspexError, ValueError):
    """The LM's answer could not be parsed into the signature's output fields.

    `raw` keeps the exact text the LM returned, so nothing is lost; `calls` the LM calls made
    trying (the first reply and the JSON retry), when the adapter made them.
    """

    def __init__(self, message: str, *, raw: str, field: str | None = None,
                 calls: list[Any] | None = None):
        self.raw = raw
        self.field = field
        self.calls: list[Any] = calls or []
        super().__init__(f"{message}\n--- raw LM output ---\n{raw[:2000]}")


class AssertionFailed(DspexError, AssertionError):
    """A `dx.Assert` (or a hard check attached to a module) failed outside a `dx.Retry`.

    `message` is the assertion's text (the feedback a Retry would give the LM), `prediction`
    the outputs it judged (the last predictor call's, or the module's for a check).
    """

    def __init__(self, message: str, *, prediction: Any = None, target: Any = None):
        self.message = message
        self.prediction = prediction
        self.target = target  # the predictor the failure is laid on (a Retry revises it)
        super().__init__(message)


class AttemptsFailed(DspexError, RuntimeError):
    """No attempt gave a result that can be returned: every attempt of a `dx.Retry` failed
    with `on_fail="raise"`, every attempt of `dx.BestOfN`/`dx.Refine` raised (or none reached
    the threshold with `on_fail="raise"`), or every chain of a `dx.MultiChainComparison`
    failed. `attempts` holds them all, with their errors and feedback: nothing is lost."""

    def __init__(self, message: str, *, attempts: list[Any]):
        self.attempts = attempts
        super().__init__(message)


class MaxErrorsReached(DspexError, RuntimeError):
    """A batch (`dx.Parallel`, `module.batch`) stopped because `max_errors` items failed;
    `result` is the partial `BatchResult`, finished items and their errors included."""

    def __init__(self, message: str, *, result: Any):
        self.result = result
        super().__init__(message)


class ConfigurationError(DspexError, RuntimeError):
    """dspex_nb is not configured for what was asked (e.g. no LM)."""


class FormatError(DspexError, ValueError):
    """A saved document is not of the expected kind, or newer than this dspex_nb reads."""


class SnapshotError(FormatError):
    """A registered program's snapshot cannot be used as it is: corrupted, truncated,
    changed since it was saved (its hash does not match), or from a newer dspex_nb. Nothing
    was built or changed."""


class TrustError(DspexError, PermissionError):
    """Loading would run code saved with a program (classes from a notebook, a pickle), and
    the caller did not say it trusts it (`trust=True`, `allow_pickle=True`)."""


class MissingToolError(ConfigurationError):
    """A saved program calls tools (`@dx.tool`) that are not registered in this process;
    `missing` names them."""

    def __init__(self, message: str, *, missing: list[str]):
        self.missing = missing
        super().__init__(message)


class LMError(DspexError, RuntimeError):
    """A language-model call failed.

    `status` is the HTTP status when there was one; `attempts` how many tries were made.
    """

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 1):
        self.status = status
        self.attempts = attempts
        super().__init__(message)


class RateLimitError(LMError):
    """The server kept answering 429 (too many requests)."""


class ContextWindowError(LMError):
    """The request is longer than the model's context window."""


class AuthenticationError(LMError):
    """The server refused the credentials (401/403)."""


class BadResponseError(LMError):
    """The server answered, but not with a usable chat completion (or embeddings)."""


class LMTimeoutError(LMError, TimeoutError):
    """No complete answer arrived within the timeout."""


class LMConnectionError(LMError, ConnectionError):
    """The server could not be reached."""


class ServerError(LMError):
    """The server kept failing with 5xx."""


class DSPyNameNote(UserWarning):
    """A note (shown once per name) that an option was given under DSPy's name, e.g.
    `num_threads=` for `concurrency=`; it was accepted. Not an error."""


class CacheWarning(UserWarning):
    """A cache layer failed (Redis down or slow, a damaged entry): the call went on without
    it. Shown once per outage; every failure is a `cache.error` event."""


class SnapshotVersionWarning(UserWarning):
    """A program snapshot was saved with other package versions than these (shown once per
    package and version pair); it was loaded."""


class KeyWithheldWarning(UserWarning):
    """A saved program's LM points at another server than the one the environment's API key
    is for, so the key is not sent there (pass `lm=` with that server's key if it needs one)."""


class UnreadableRecordWarning(UserWarning):
    """Some records of an experiment store could not be read (truncated, edited, newer);
    `store.list()` lists the others and names these with their paths."""
