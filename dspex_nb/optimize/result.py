"""`OptimizationResult`: everything needed to explain how an optimized program came to be."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from dspex_nb._formats import check, stamp
from dspex_nb.optimize.selection import SelectionVerdict

if TYPE_CHECKING:
    import pandas as pd

RESULT_FORMAT = "dspex_nb.optimization"
RESULT_VERSION = 2  # 2: verdict, ended_by, notes, StepRecord.val_score


def calls_text(spent: int, budget: int | None) -> str:
    """LM calls spent, against the budget when there is one: "412 of 1000 LM calls"."""
    return f"{spent} of {budget} LM calls" if budget is not None else f"{spent} LM calls"


@dataclass
class CandidateRecord:
    """One candidate program made in a step: where it came from and what changed.

    Attributes:
        program_id: its id in the run (0 is the baseline); `source_id` the program it was
            copied from.
        strategy: "append_rule", "append_demo", or "baseline".
        score: its mean on the step's mini-batch.
        rules: advice appended, by predictor name; `demos`: the demo appended, by predictor.
        dropped_demos: demos dropped from the copy before adding one.
        bucket_example: the trainset index of the example it learned from.
    """

    program_id: int
    source_id: int
    strategy: str  # "append_rule" | "append_demo" | "baseline"
    score: float | None = None  # mean on the step's mini-batch
    rules: dict[str, str] = field(default_factory=dict)  # predictor name -> advice appended
    demos: dict[str, dict[str, Any]] = field(default_factory=dict)  # predictor -> demo appended
    dropped_demos: int = 0
    bucket_example: int | None = None  # trainset index of the example it learned from


@dataclass
class StepRecord:
    step: int
    batch: list[int]  # trainset indices
    candidates: list[CandidateRecord]
    winner_id: int
    winner_score: float
    best_so_far_id: int
    best_so_far_score: float
    skipped: int = 0  # buckets whose strategy did not apply (no candidate was added)
    lm_calls: int = 0
    rule_calls: int = 0  # LM calls of the prompt model writing rules
    val_score: float | None = None  # validated: the winner's mean on the selection set


@dataclass
class OptimizationResult:
    optimizer: str
    settings: dict[str, Any]
    baseline_score: float | None = None  # on the selection set (valset, else trainset)
    final_score: float | None = None
    final_program_id: int = 0
    final_scores: dict[int, float] = field(default_factory=dict)  # program id -> score
    verdict: SelectionVerdict | None = None  # the final choice against the baseline
    ended_by: str | None = None  # "max_steps", "budget", "patience", or the stop reason
    notes: list[str] = field(default_factory=list)  # what changed course, in plain words
    steps: list[StepRecord] = field(default_factory=list)
    programs: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> dump_state()
    lm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    wall_time_s: float = 0.0
    partial: bool = False
    stop_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["final_scores"] = {str(k): v for k, v in self.final_scores.items()}
        data["programs"] = {str(k): v for k, v in self.programs.items()}
        data["verdict"] = self.verdict.to_dict() if self.verdict is not None else None
        return stamp(data, RESULT_FORMAT, RESULT_VERSION)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OptimizationResult:
        fields = check(data, RESULT_FORMAT, RESULT_VERSION, "optimization result")
        fields["final_scores"] = {int(k): v for k, v in data["final_scores"].items()}
        fields["programs"] = {int(k): v for k, v in data["programs"].items()}
        if fields.get("verdict") is not None:
            fields["verdict"] = SelectionVerdict.from_dict(fields["verdict"])
        fields["steps"] = [
            StepRecord(**{**s, "candidates": [CandidateRecord(**c) for c in s["candidates"]]})
            for s in data["steps"]
        ]
        return cls(**fields)

    def candidates(self) -> pd.DataFrame:
        """One row per candidate of every step: score, strategy, the rule or demo it added."""
        import pandas as pd

        rows = []
        for s in self.steps:
            for c in s.candidates:
                rows.append({"step": s.step, "program_id": c.program_id,
                             "source_id": c.source_id, "strategy": c.strategy, "score": c.score,
                             "winner": c.program_id == s.winner_id,
                             "rules": " | ".join(f"{k}: {v}" for k, v in c.rules.items()),
                             "demos": len(c.demos), "dropped_demos": c.dropped_demos})
        return pd.DataFrame(rows)

    @property
    def max_lm_calls(self) -> int | None:
        budget: int | None = self.settings.get("max_lm_calls")
        return budget

    def __str__(self) -> str:
        ended = f", ended by {self.ended_by}" if self.ended_by and not self.partial else ""
        lines = [f"{self.optimizer}: {len(self.steps)} steps{ended}, "
                 f"{calls_text(self.lm_calls, self.max_lm_calls)}, "
                 f"{self.prompt_tokens + self.completion_tokens} tokens, "
                 f"{self.wall_time_s:.1f} s" + (f" (PARTIAL: {self.stop_reason})"
                                                  if self.partial else "")]
        if self.baseline_score is not None and self.final_score is not None:
            lines.append(f"  baseline {self.baseline_score:.3f} -> final {self.final_score:.3f} "
                         f"(program {self.final_program_id})")
        if self.verdict is not None:
            lines.append(f"  {self.verdict.message}")
        lines.extend(f"  note: {note}" for note in self.notes)
        for s in self.steps:
            lines.append(f"  step {s.step}: winner {s.winner_id} ({s.winner_score:.3f}), "
                         f"best so far {s.best_so_far_id} ({s.best_so_far_score:.3f}), "
                         f"{len(s.candidates)} candidates")
        return "\n".join(lines)

    __repr__ = __str__
