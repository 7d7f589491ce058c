"""`ExperimentRecord`: what an experiment leaves behind, typed, versioned and checked.

The record is the experiment's whole story as data: the question (hypothesis, variables, arms),
what was run (program documents before and after, optimizer settings and result, evaluation
reports), what was found (per-arm summaries, paired comparisons, the verdict) and where
(versions, seed, timings, tokens, cost). `to_dict()` is its JSON document (format
"dspex_nb.experiment"); `from_dict` reads one back and refuses another kind or a newer version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from dspex_nb._formats import check, stamp
from dspex_nb.errors import DspexError, FormatError
from dspex_nb.evaluation.comparison import MetricDelta
from dspex_nb.evaluation.report import EvaluationReport
from dspex_nb.evaluation.stats import RESAMPLES
from dspex_nb.optimize.result import OptimizationResult

RECORD_FORMAT = "dspex_nb.experiment"
RECORD_VERSION = 1

ARM_STATUSES = ("pending", "running", "finished", "interrupted", "skipped", "failed")
RUN_STATUSES = ("running", "finished", "interrupted", "failed")


@dataclass
class VariableSummary:
    """One dependent variable of one arm: its mean and 95% interval over n examples."""

    mean: float
    ci_low: float
    ci_high: float
    n: int


@dataclass
class FlippedExample:
    """An example whose first metric changed between pass and fail from control to arm, with
    what a reader needs to see why."""

    index: int
    metric: str
    direction: str  # "gained" | "lost"
    control_score: float
    arm_score: float
    inputs: dict[str, Any]
    gold: dict[str, Any]
    control_output: dict[str, Any] | None
    control_error: str | None
    arm_output: dict[str, Any] | None
    arm_error: str | None


@dataclass
class ArmComparison:
    """One arm against the control: the paired delta of every dependent variable, and the
    verdict from the primary one."""

    arm: str
    control: str
    primary: str
    verdict: str
    statement: str
    deltas: dict[str, MetricDelta]
    flipped: list[FlippedExample] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArmComparison:
        return cls(**{**data,
                      "deltas": {k: MetricDelta(**d) for k, d in data["deltas"].items()},
                      "flipped": [FlippedExample(**f) for f in data.get("flipped", [])]})


@dataclass
class OptimizerInfo:
    name: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class ArmRecord:
    """One arm: its condition (variables, LM, optimizer), its programs and what they scored.
    `timings`, `tokens`, `cost_usd` and `lm_calls` are per phase ("optimization",
    "evaluation"; `lm_calls` also "evaluation_cached")."""

    status: str = "pending"
    variables: dict[str, Any] = field(default_factory=dict)
    lm: dict[str, Any] | None = None  # LM settings without secrets, or None for the default
    models: list[str] = field(default_factory=list)
    optimizer: OptimizerInfo | None = None
    program_before: dict[str, Any] | None = None  # Module.to_document()
    program_after: dict[str, Any] | None = None
    optimization: OptimizationResult | None = None
    report: EvaluationReport | None = None
    summary: dict[str, VariableSummary] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    cost_usd: dict[str, float] = field(default_factory=dict)
    lm_calls: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["optimizer"] = asdict(self.optimizer) if self.optimizer else None
        data["optimization"] = self.optimization.to_dict() if self.optimization else None
        data["report"] = self.report.to_dict() if self.report else None
        data["summary"] = {k: asdict(s) for k, s in self.summary.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArmRecord:
        return cls(**{
            **data,
            "optimizer": OptimizerInfo(**data["optimizer"]) if data.get("optimizer") else None,
            "optimization": (OptimizationResult.from_dict(data["optimization"])
                             if data.get("optimization") else None),
            "report": EvaluationReport.from_dict(data["report"]) if data.get("report") else None,
            "summary": {k: VariableSummary(**s) for k, s in data.get("summary", {}).items()},
        })


@dataclass
class DatasetInfo:
    """Which data the arms ran on: the dev examples' count and fingerprint (two experiments
    with the same fingerprint can be paired), the train and validation sizes."""

    name: str | None
    dev_n: int
    dev_fingerprint: str
    train_n: int | None = None
    val_n: int | None = None


@dataclass
class ExperimentRecord:
    id: str
    name: str
    created_at: float
    hypothesis: str = ""
    status: str = "running"
    verdict: str | None = None  # "supported" | "not supported" | "inconclusive"
    verdict_text: str = ""
    finished_at: float | None = None
    independent_variables: dict[str, Any] = field(default_factory=dict)
    dependent_variables: list[str] = field(default_factory=list)
    expect: dict[str, str] = field(default_factory=dict)
    min_effect: dict[str, float] = field(default_factory=dict)
    control: str = ""
    metrics: list[str] = field(default_factory=list)
    dataset: DatasetInfo | None = None
    seed: int = 0
    resamples: int = RESAMPLES
    concurrency: int = 16
    environment: dict[str, Any] = field(default_factory=dict)  # python, platform, packages
    arms: dict[str, ArmRecord] = field(default_factory=dict)
    comparisons: list[ArmComparison] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    tokens: int = 0
    cost_usd: float = 0.0
    caveats: list[str] = field(default_factory=list)
    error: str | None = None
    stop_reason: str | None = None

    def arm(self, name: str) -> ArmRecord:
        if name not in self.arms:
            raise DspexError(f"experiment {self.id} has no arm {name!r}; arms: {list(self.arms)}")
        return self.arms[name]

    # -- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["dataset"] = asdict(self.dataset) if self.dataset else None
        data["arms"] = {k: a.to_dict() for k, a in self.arms.items()}
        data["comparisons"] = [c.to_dict() for c in self.comparisons]
        return stamp(data, RECORD_FORMAT, RECORD_VERSION)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "record") -> ExperimentRecord:
        """A record from its JSON document; a `FormatError` naming `source` if it is not one."""
        try:
            body = check(data, RECORD_FORMAT, RECORD_VERSION, "experiment record")
        except FormatError as exc:
            raise FormatError(f"{source}: {exc}") from None
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(body) - known)
        if unknown:
            raise FormatError(f"{source}: unknown fields {unknown} in an experiment record")
        try:
            return cls(**{
                **body,
                "dataset": DatasetInfo(**body["dataset"]) if body.get("dataset") else None,
                "arms": {k: ArmRecord.from_dict(a) for k, a in body.get("arms", {}).items()},
                "comparisons": [ArmComparison.from_dict(c) for c in body.get("comparisons", [])],
            })
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FormatError(f"{source}: not a valid experiment record "
                              f"({type(exc).__name__}: {exc})") from None
