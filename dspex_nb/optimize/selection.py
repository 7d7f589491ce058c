"""Did the optimizer's choice beat the unchanged program beyond noise? The paired check that
decides what `SIMBA(algorithm="validated")` returns, and the sentence that says why.

The best of k candidates scored on the same examples looks better than it is (the winner's
curse: on SST-2 a validated +0.141, p = 0.026, chosen among several, was -0.020 on dev). So
the interval is widened for the k comparisons (Bonferroni: confidence 1 - (1 - c) / k)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dspex_nb.evaluation.stats import format_p, paired_bootstrap


@dataclass
class SelectionVerdict:
    """The best candidate against the baseline, example by example, on the selection set."""

    candidate_id: int  # the best candidate found (0 when nothing scored above the baseline)
    returned_id: int  # what the optimizer returned
    selected_on: str  # "valset", "held-out trainset" or "trainset"
    n: int
    baseline_score: float
    candidate_score: float
    delta: float
    ci: tuple[float, float]
    p: float
    beat_baseline: bool  # the interval's lower end is above zero
    message: str
    comparisons: int = 1  # candidates scored on the selection set; the interval allows for them

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ci"] = list(self.ci)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SelectionVerdict:
        return cls(**{**data, "ci": tuple(data["ci"])})


def judge(baseline: Sequence[float], candidate: Sequence[float], *, candidate_id: int,
          selected_on: str, confidence: float, fall_back: bool, comparisons: int = 1,
          seed: int = 0) -> SelectionVerdict:
    """Compare paired per-example scores; with `fall_back`, a candidate whose interval reaches
    zero is not returned: the baseline is, and the message says so plainly. `comparisons` is
    how many candidates were scored on these examples to pick this one."""
    comparisons = max(1, comparisons)
    level = 1 - (1 - confidence) / comparisons
    delta, (low, high), p = paired_bootstrap(baseline, candidate, confidence=level, seed=seed)
    base_mean = sum(baseline) / len(baseline)
    cand_mean = sum(candidate) / len(candidate)
    beat = candidate_id != 0 and low > 0
    returned = candidate_id if beat or not fall_back else 0
    where = f"the {selected_on} ({len(baseline)} examples)"
    widened = (f" ({level:.1%} interval: best of {comparisons} candidates scored there)"
               if comparisons > 1 else "")
    figures = (f"{base_mean:.3f} -> {cand_mean:.3f}, {delta:+.3f} [{low:+.3f}, {high:+.3f}]"
               f"{widened}, {format_p(p)}")
    if candidate_id == 0:
        message = f"no candidate scored above the baseline on {where}; returning the baseline"
    elif beat:
        message = f"program {candidate_id} beat the baseline on {where}: {figures}"
    elif fall_back:
        message = (f"no candidate beat the baseline beyond noise on {where} (best: program "
                   f"{candidate_id}, {figures}); returning the baseline")
    else:
        message = (f"program {candidate_id} is returned, but it did not beat the baseline "
                   f"beyond noise on {where}: {figures}")
    return SelectionVerdict(candidate_id, returned, selected_on, len(baseline), base_mean,
                            cand_mean, delta, (low, high), p, beat, message, comparisons)
