"""Did the optimizer's choice beat the unchanged program beyond noise? The paired check that
decides what `SIMBA(algorithm="validated")` returns, and the sentence that says why.

The best of k candidates scored on the same examples looks better than it is (the winner's
curse: on SST-2 a validated +0.141, p = 0.026, chosen among several, was -0.020 on dev). So
the interval is simultaneous over the k candidates: the examples are resampled jointly and
the bound is the largest deviation over candidates (max-T), which allows for the k choices as
Bonferroni does, without charging k full tests for candidates that are near copies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dspex_nb.evaluation.stats import format_p, simultaneous_bootstrap


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
    comparisons: int = 1  # candidates scored on the selection set; the interval covers all

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ci"] = list(self.ci)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SelectionVerdict:
        return cls(**{**data, "ci": tuple(data["ci"])})


def judge(baseline: Sequence[float], candidates: Mapping[int, Sequence[float]], *,
          judged_on: Mapping[int, Sequence[int]] | None = None, selected_on: str,
          confidence: float, fall_back: bool, seed: int = 0) -> SelectionVerdict:
    """Pick the candidate with the largest mean gain over the baseline and judge it, allowing
    for every candidate scored: scores are per example of one selection set, candidate `pid`
    compared on `judged_on[pid]` (default: all). With `fall_back`, a candidate whose interval
    reaches zero is not returned: the baseline is, and the message says so plainly."""
    everywhere = list(range(len(baseline)))
    kept = {pid: list((judged_on or {}).get(pid, everywhere)) for pid in candidates}
    pids = [pid for pid in sorted(candidates) if pid != 0 and kept[pid]]
    observed: list[float] = []
    if pids:
        gains = [[c - b for b, c in zip(baseline, candidates[pid], strict=True)]
                 for pid in pids]
        observed, low, high, p_of = simultaneous_bootstrap(
            gains, [kept[pid] for pid in pids], confidence=confidence, seed=seed)
    best = max(range(len(pids)), key=lambda j: (observed[j], -j), default=None)
    if best is None or observed[best] <= 0:  # nothing scored above the baseline
        base_mean = sum(baseline) / len(baseline) if baseline else float("nan")
        return SelectionVerdict(0, 0, selected_on, len(baseline), base_mean, base_mean, 0.0,
                                (0.0, 0.0), 1.0, False,
                                f"no candidate scored above the baseline on the {selected_on} "
                                f"({len(baseline)} examples); returning the baseline",
                                len(pids))
    candidate_id, delta = pids[best], observed[best]
    rows = kept[candidate_id]
    base_mean = sum(baseline[i] for i in rows) / len(rows)
    cand_mean = sum(candidates[candidate_id][i] for i in rows) / len(rows)
    ci, p = (delta - low, delta + high), p_of(delta)
    beat = ci[0] > 0
    returned = candidate_id if beat or not fall_back else 0
    where = f"the {selected_on} ({len(rows)} examples)"
    level = f" ({confidence:.0%} interval over the {len(pids)} candidates scored there)" \
        if len(pids) > 1 else ""
    figures = (f"{base_mean:.3f} -> {cand_mean:.3f}, {delta:+.3f} [{ci[0]:+.3f}, {ci[1]:+.3f}]"
               f"{level}, {format_p(p)}")
    if beat:
        message = f"program {candidate_id} beat the baseline on {where}: {figures}"
    elif fall_back:
        message = (f"no candidate beat the baseline beyond noise on {where} (best: program "
                   f"{candidate_id}, {figures}); returning the baseline")
    else:
        message = (f"program {candidate_id} is returned, but it did not beat the baseline "
                   f"beyond noise on {where}: {figures}")
    return SelectionVerdict(candidate_id, returned, selected_on, len(rows), base_mean,
                            cand_mean, delta, ci, p, beat, message, len(pids))
