"""`SIMBA`: Stochastic Introspective Mini-Batch Ascent, native (see shared/design/SIMBA.md).

The reference algorithm, with its defects fixed: the baseline is really scored (it is
evaluated with the candidates on every mini-batch); a trainset smaller than `bsize` uses a
smaller batch; a strategy that does not apply adds no candidate; programs with several LMs
work (each LM gets its own sampling variants); every LM call runs on the async core with
`concurrency` in flight; each step is recorded in full and can be checkpointed and resumed;
an interrupt returns the best program found so far.

Two algorithms. `algorithm="reference"` is the above. `algorithm="validated"` (the default)
keeps the candidate search but chooses differently: each step's winner, when it beat the
baseline on its mini-batch, is scored on the selection set (the valset; without one, the
trainset, where each candidate is judged only on the examples that neither picked it, its
step's batch, nor taught it, those its demos and rules came from); the run stops early when
`patience` steps bring no gain there; and the best candidate is returned only if it beats the
baseline beyond noise (paired bootstrap interval above zero, simultaneous over the candidates
scored), else the baseline is, and the result says so. Both respect
`max_lm_calls`: a step starts only if its estimated cost, and what the final choice needs,
fit in what is left.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from dspex_nb import _checks as checks
from dspex_nb import _engine
from dspex_nb._atomic import write_atomic
from dspex_nb._formats import check
from dspex_nb.accounting import UsageTotals, recording
from dspex_nb.data.examples import to_examples
from dspex_nb.errors import AllFailedError, ArgumentError, DataError
from dspex_nb.evaluation._trial import metric_name, run_trial
from dspex_nb.evaluation.metrics import unusable_golds
from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.resolve import current_lm
from dspex_nb.modules.module import Module
from dspex_nb.modules.predict import Predict
from dspex_nb.optimize.result import CandidateRecord, OptimizationResult, StepRecord
from dspex_nb.optimize.rules import RULE_SIGNATURE, describe_program
from dspex_nb.optimize.selection import SelectionVerdict, judge
from dspex_nb.primitives import Example
from dspex_nb.telemetry.spans import Span, emit, span
from dspex_nb.views import registry as live_views

CHECKPOINT_FORMAT = "dspex_nb.simba_checkpoint"
ALGORITHMS = ("validated", "reference")
# validated: rules are given up after this many rule calls in a row gave no usable advice (a
# 135M prompt model loops until its reply is cut off; measured in benchmarks/README.md)
RULE_ATTEMPTS = 3


@dataclass
class Trajectory:
    """One run of a program on an example: what each predictor saw and said, and the score."""

    example_index: int
    program_id: int
    prediction: dict[str, Any] | None
    score: float
    feedback: str
    calls: list[tuple[str, dict[str, Any], dict[str, Any] | None]]  # (predictor, in, out)
    lm_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    error: str | None = None  # why it failed (program, LM or metric), when it did


class SIMBA:
    """`SIMBA(metric).compile(program, trainset=...)` returns an improved copy of `program`.

    Args:
        metric: `metric(example, prediction, trace=None)`, a number or bool per example.
        bsize: examples per mini-batch (each step samples one).
        num_candidates: new programs made per step.
        max_steps: steps at most (a budget or `patience` may end the run sooner).
        max_demos: demos a predictor may hold; a full one drops one to take a new one.
        prompt_model: the LM that writes rules (default: the program's own).
        temperature_for_sampling: the temperature of the runs that find hard examples.
        temperature_for_candidates: how strongly better-scoring programs are preferred as
            sources of the next candidates (softmax temperature).
        seed: makes batches and sampling repeatable.
        concurrency: program runs at once.
        demo_input_field_maxlen: characters kept of each demo input.
        strategies: `"append_rule"`, `"append_demo"`, or both.
        algorithm: `"validated"` chooses on a validation set and returns a candidate only
            when it beats the baseline beyond noise; `"reference"` is DSPy's algorithm.
        max_lm_calls: bounds the whole run, final choice included (None: no bound).
        patience: steps in a row without a validation gain before stopping (validated).
        confidence: of the paired interval the final candidate must clear (validated),
            simultaneous over the candidates scored on the selection set.
        display: `"auto"` (a live chart in a notebook, a line per step in a terminal),
            `"widget"`, `"terminal"`, or `"none"`/False.
    """

    def __init__(self, metric: Callable[..., Any], *, bsize: int = 32, num_candidates: int = 6,
                 max_steps: int = 8, max_demos: int = 4, prompt_model: BaseLM | None = None,
                 temperature_for_sampling: float = 0.2,
                 temperature_for_candidates: float = 0.2, seed: int = 0,
                 concurrency: int = 16, demo_input_field_maxlen: int = 100_000,
                 strategies: Sequence[str] = ("append_rule", "append_demo"),
                 algorithm: str = "validated", max_lm_calls: int | None = None,
                 patience: int = 3, confidence: float = 0.95,
                 display: str | bool = "auto"):
        checks.metric_takes_trace("metric", metric)
        self.metric = metric
        self.bsize = checks.whole_number("bsize", bsize)
        self.num_candidates = checks.whole_number("num_candidates", num_candidates)
        self.max_steps = checks.whole_number("max_steps", max_steps, minimum=0)
        self.max_demos = checks.whole_number("max_demos", max_demos, minimum=0)
        if prompt_model is not None and not isinstance(prompt_model, BaseLM):
            raise ArgumentError(f"prompt_model must be an LM (dx.LM(...)), not "
                                f"{type(prompt_model).__name__} {prompt_model!r:.60}")
        self.prompt_model = prompt_model
        self.temperature_for_sampling = checks.finite_number("temperature_for_sampling",
                                                             temperature_for_sampling)
        self.temperature_for_candidates = checks.finite_number("temperature_for_candidates",
                                                               temperature_for_candidates)
        self.seed = checks.whole_number("seed", seed, minimum=0)
        self.concurrency = checks.whole_number("concurrency", concurrency)
        self.demo_input_field_maxlen = checks.whole_number("demo_input_field_maxlen",
                                                           demo_input_field_maxlen)
        if isinstance(strategies, str) or not strategies \
                or set(strategies) - {"append_rule", "append_demo"}:
            raise ArgumentError(f"strategies must be a non-empty list of 'append_rule' and/or "
                                f"'append_demo', not {strategies!r}")
        self.strategies = tuple(strategies)
        self.algorithm = checks.one_of("algorithm", algorithm, ALGORITHMS)
        self.max_lm_calls = checks.whole_number("max_lm_calls", max_lm_calls, optional=True)
        self.patience = checks.whole_number("patience", patience)
        self.confidence = checks.finite_number("confidence", confidence)
        if not 0 < self.confidence < 1:
            raise ArgumentError(f"confidence must be between 0 and 1, not {confidence!r}")
        self.display = live_views.check_display(display)
        self.result: OptimizationResult | None = None
        self._stop_requests: list[Callable[[str], None]] = []
        self._lock = threading.Lock()

    @property
    def settings(self) -> dict[str, Any]:
        return {"bsize": self.bsize, "num_candidates": self.num_candidates,
                "max_steps": self.max_steps, "max_demos": self.max_demos,
                "temperature_for_sampling": self.temperature_for_sampling,
                "temperature_for_candidates": self.temperature_for_candidates,
                "seed": self.seed, "concurrency": self.concurrency,
                "strategies": list(self.strategies), "algorithm": self.algorithm,
                "max_lm_calls": self.max_lm_calls, "patience": self.patience,
                "confidence": self.confidence}

    # -- entry points ----------------------------------------------------------------------
    def compile(self, program: Module | None = None, *, trainset: Any, valset: Any = None,
                checkpoint: str | os.PathLike[str] | None = None,
                resume: str | os.PathLike[str] | None = None,
                student: Module | None = None) -> Module:
        """Optimize; Ctrl-C returns the best program so far (with a partial result).
        (`student=` is DSPy's name for `program`.)"""
        return _engine.run_stoppable(
            self.acompile(program, trainset=trainset, valset=valset, checkpoint=checkpoint,
                          resume=resume, student=student), self.stop)

    def stop(self, reason: str = "stopped") -> None:
        with self._lock:
            for request in list(self._stop_requests):
                request(reason)

    async def acompile(self, program: Module | None = None, *, trainset: Any,
                       valset: Any = None, checkpoint: str | os.PathLike[str] | None = None,
                       resume: str | os.PathLike[str] | None = None,
                       student: Module | None = None) -> Module:
        program = checks.dspy_alias("student", student, "program", program, None)
        if not isinstance(program, Module):
            raise ArgumentError(f"SIMBA optimizes a dx.Module (dx.Predict, dx.ChainOfThought "
                                f"or your own), not {type(program).__name__} {program!r:.60}")
        run = _Run(self, program, to_examples(checks.collection("trainset", trainset), None),
                   to_examples(checks.collection("valset", valset), None)
                   if valset is not None else None)
        with self._lock:
            self._stop_requests.append(run.request_stop)
        try:
            with live_views.open_view("optimization", run, self.display), \
                    span("optimization", "SIMBA", optimizer="SIMBA", **self.settings) as root:
                run.span = root
                if resume is not None:
                    run.restore(Path(resume))
                return await run.execute(Path(checkpoint) if checkpoint else None)
        finally:
            with self._lock:
                self._stop_requests.remove(run.request_stop)
            self.result = run.result


class _Run:
    """One compile: the candidate pool, their scores, the RNG, and the record being written."""

    def __init__(self, simba: SIMBA, student: Module, trainset: list[Example],
                 valset: list[Example] | None):
        if not trainset:
            raise ArgumentError("SIMBA needs a non-empty trainset")
        for name, examples in (("trainset", trainset), ("valset", valset or [])):
            bad = unusable_golds([simba.metric], examples)
            if bad:
                i, why = next(iter(bad.items()))
                raise DataError(f"{len(bad)} {name} examples have golds that cannot be scored "
                                f"(example {i}: {why}); SIMBA would optimize against them")
        self.s = simba
        self.metric_name = metric_name(simba.metric)
        self.metrics = {self.metric_name: simba.metric}
        self.validated = simba.algorithm == "validated"
        self.selected_on = "valset" if valset is not None else "trainset"
        # validated, no valset: a candidate is judged on the trainset less what picked or
        # taught it (its step's batch; the examples its demos and rules came from, inherited)
        self.judged_apart = self.validated and valset is None
        if self.judged_apart:
            self.selected_on = "trainset, less the examples that picked or taught it"
        self.trainset = trainset
        self.valset = valset
        self.bsize = simba.bsize
        if len(trainset) < simba.bsize:
            warnings.warn(f"trainset has {len(trainset)} examples, fewer than bsize="
                          f"{simba.bsize}: using batches of {len(trainset)}", stacklevel=4)
            self.bsize = len(trainset)
        self.rng = random.Random(simba.seed)
        self.order = list(range(len(trainset)))
        self.rng.shuffle(self.order)
        self.cursor = 0
        self.student = student
        self.programs: dict[int, Module] = {0: student.deepcopy()}
        self.scores: dict[int, list[float]] = {0: []}
        self.winners: list[int] = [0]
        self.picked_on: dict[int, list[int]] = {0: []}  # the batch each candidate was made on
        self.taught: dict[int, list[int]] = {0: []}  # examples its demos and rules came from
        # per-example scores on the selection set (valset, else trainset), by program id
        self.selection: dict[int, list[float]] = {}
        self.stale = 0  # validated: steps since the best validation score last rose
        self.program_runs = 0  # program runs made, and their LM calls: the cost of one run
        self.program_run_calls = 0
        self.next_step = 0
        self.rule_calls = 0
        self.rules_failed = 0  # rule calls in a row that gave no usable advice
        self.rule_error = ""  # why the last one gave none
        self.result = OptimizationResult(optimizer="SIMBA", settings=simba.settings)
        self.base_lms = self._base_lms(student)
        self.stop_reason: str | None = None
        self.scored = False  # has any example been scored yet (see require_scores)
        self.span: Span | None = None  # the run's optimization span (live views filter on it)
        self.step_task: asyncio.Future[None] | None = None
        self.loop = asyncio.get_running_loop()
        self.started = time.perf_counter()

    # -- stopping ---------------------------------------------------------------------------
    def stopping(self) -> bool:
        return self.stop_reason is not None

    def request_stop(self, reason: str) -> None:
        """From any thread: cancel the step in flight; the run returns the best so far."""
        self.stop_reason = self.stop_reason or reason

        def cancel() -> None:
            if self.step_task is not None and not self.step_task.done():
                self.step_task.cancel()

        self.loop.call_soon_threadsafe(cancel)

    # -- the loop ----------------------------------------------------------------------------
    async def execute(self, checkpoint: Path | None) -> Module:
        self.check_budget()
        try:
            if self.validated and 0 not in self.selection:
                self.step_task = asyncio.ensure_future(self.score_on_selection(0))
                await self.step_task
            while self.stop_reason is None:
                ended_by = self.end_condition()
                if ended_by is not None:
                    self.result.ended_by = ended_by
                    break
                self.step_task = asyncio.ensure_future(self.step(self.next_step))
                try:
                    await self.step_task
                except asyncio.CancelledError:
                    if not self.stopping():  # set from another thread meanwhile
                        raise  # cancelled from outside: handled below
                    break  # stopped mid-step: its unscored candidates cannot be picked
                self.next_step += 1
                if checkpoint is not None:
                    self.save(checkpoint)
        except asyncio.CancelledError:
            self.stop_reason = self.stop_reason or "cancelled"
        if self.stop_reason is not None:
            self.result.partial = True
            self.result.stop_reason = self.result.ended_by = self.stop_reason
        if self.validated and 0 in self.selection:  # scored as it went: nothing more to run
            return self.choose_validated()
        if self.stop_reason is not None:
            return self.finish(self.best_program_id(), None)
        return await self.select_final()

    # -- budget and early stopping -----------------------------------------------------------
    def calls_per_run(self) -> float:
        """LM calls one program run makes: measured once there are runs, else one per
        predictor (a first guess)."""
        if self.program_runs:
            return self.program_run_calls / self.program_runs
        return float(max(1, len(list(self.student.named_predictors()))))

    def selection_cost(self) -> float:
        """Estimated LM calls of scoring one program on the selection set."""
        return len(self.selection_set()) * self.calls_per_run()

    def step_cost(self) -> int:
        """Estimated LM calls of one step: trajectories, candidates and the baseline on the
        batch, rule calls, and (validated) the winner on the selection set."""
        c, b = int(self.s.num_candidates), int(self.bsize)
        runs = b * c + (c + 1) * b + (len(self.selection_set()) if self.validated else 0)
        rules = c if "append_rule" in self.s.strategies else 0
        return math.ceil(runs * self.calls_per_run()) + rules

    def final_cost(self) -> int:
        """Estimated LM calls of the reference's final choice (validated scores as it goes)."""
        if self.validated:
            return 0
        finalists = min(int(self.s.num_candidates) + 1, len(set(self.winners)) + 1)
        return math.ceil(finalists * self.selection_cost())

    def check_budget(self) -> None:
        """A budget that cannot pay for one step is a mistake to report now, not a run that
        returns the unchanged program after spending it."""
        budget = self.s.max_lm_calls
        if budget is None or self.next_step > 0:
            return
        first = self.step_cost() + self.final_cost() + (
            math.ceil(self.selection_cost()) if self.validated else 0)
        if first > budget:
            raise ArgumentError(
                f"max_lm_calls={budget} cannot pay for one step: about {first} LM calls (bsize "
                f"{self.bsize} x num_candidates {self.s.num_candidates}, and "
                f"{len(self.selection_set())} examples to choose on); raise max_lm_calls or "
                f"lower bsize / num_candidates")

    def end_condition(self) -> str | None:
        """Why the run should not start another step, or None to go on."""
        if self.next_step >= self.s.max_steps:
            return "max_steps"
        budget = self.s.max_lm_calls
        if budget is not None and (self.result.lm_calls + self.step_cost() + self.final_cost()
                                   > budget):
            return "budget"
        if self.validated and self.stale >= self.s.patience:
            return "patience"
        return None

    async def step(self, t: int) -> None:
        batch = self.next_batch()
        c = self.s.num_candidates
        lm_calls_before = self.result.lm_calls
        self.rule_calls = 0
        # 1. trajectories: C model variants x bsize examples, program picked by softmax
        variants = [self.variant_lms(k, t) for k in range(c)]
        plan = [(k, i, self.softmax_pick(self.s.temperature_for_sampling))
                for k in range(c) for i in batch]
        runs = await self.gather([
            self.run(self.with_lms(self.programs[pid], variants[k]), i, pid)
            for k, i, pid in plan])
        self.require_scores(runs, "trajectories of the first step")
        buckets = order_buckets(runs, batch)
        all_scores = sorted(r.score for r in runs)
        p10, p90 = _percentile(all_scores, 10), _percentile(all_scores, 90)
        # 3. candidates: walk the buckets until C new programs exist
        candidates: list[tuple[Module, CandidateRecord]] = []
        skipped = 0
        for bucket in buckets:
            if len(candidates) >= c:
                break
            made = await self.make_candidate(bucket, p10, p90)
            if made is None:
                skipped += 1
            else:
                candidates.append(made)
        # 4. evaluate the candidates, and the baseline (really scored), on the same batch
        entries: list[tuple[Module, CandidateRecord]] = [
            (self.programs[0], CandidateRecord(program_id=0, source_id=0, strategy="baseline")),
            *candidates]
        for program, record in candidates:
            record.program_id = len(self.programs)
            self.programs[record.program_id] = program
            self.scores[record.program_id] = []
            self.picked_on[record.program_id] = list(batch)
            learned = [] if record.bucket_example is None else [record.bucket_example]
            self.taught[record.program_id] = sorted(
                {*self.taught.get(record.source_id, []), *learned})
        evaluated = await self.gather([
            self.run(program, i, record.program_id) for program, record in entries for i in batch])
        for n, (_, record) in enumerate(entries):
            mine = evaluated[n * len(batch):(n + 1) * len(batch)]
            record.score = sum(r.score for r in mine) / len(mine)
            self.scores[record.program_id].extend(r.score for r in mine)
            emit("optimization.candidate", step=t, program_id=record.program_id,
                 source_id=record.source_id, strategy=record.strategy, score=record.score,
                 rules=record.rules, demos=record.demos)
        winner = max((r for _, r in entries if r.strategy != "baseline"),
                     key=lambda r: r.score or 0.0, default=entries[0][1])
        self.winners.append(winner.program_id)
        val_score = None
        if self.validated:
            val_score = await self.validate_winner(winner, entries[0][1])
        best = self.best_program_id()
        step_record = StepRecord(
            step=t, batch=batch, candidates=[r for _, r in entries],
            winner_id=winner.program_id, winner_score=winner.score or 0.0,
            best_so_far_id=best, best_so_far_score=self.mean(best), skipped=skipped,
            lm_calls=self.result.lm_calls - lm_calls_before, rule_calls=self.rule_calls,
            val_score=val_score)
        self.result.steps.append(step_record)
        val_best = self.best_on_selection()
        emit("optimization.step", step=t, winner_id=step_record.winner_id,
             winner_score=step_record.winner_score, best_so_far_id=best,
             best_so_far_score=step_record.best_so_far_score,
             baseline_score=entries[0][1].score, baseline_mean=self.mean(0),
             max_steps=self.s.max_steps, val_score=val_score,
             val_best_id=val_best, val_best_score=(self.selection_mean(val_best)
                                                   if val_best is not None else None),
             lm_calls=self.result.lm_calls, max_lm_calls=self.s.max_lm_calls)

    async def validate_winner(self, winner: CandidateRecord, baseline: CandidateRecord
                              ) -> float | None:
        """Score the step's winner on the selection set, if it beat the baseline on the
        batch (else it is not worth the calls); count a step without a new best as stale."""
        best_before = self.best_on_selection()
        before = self.selection_mean(best_before) if best_before is not None else -1.0
        if (winner.program_id == 0 or (winner.score or 0.0) <= (baseline.score or 0.0)
                or not self.judged_on(winner.program_id)):
            self.stale += 1
            return None
        await self.score_on_selection(winner.program_id)
        score = self.selection_mean(winner.program_id)
        self.stale = 0 if score > before else self.stale + 1
        return score

    def selection_set(self) -> list[Example]:
        return self.valset if self.valset is not None else self.trainset

    async def score_on_selection(self, pid: int) -> None:
        examples = self.selection_set()
        runs = await self.gather([self.run(self.programs[pid], i, pid, examples)
                                  for i in range(len(examples))])
        self.require_scores(runs, "examples of the baseline" if pid == 0
                            else "examples of the selection set")
        self.selection[pid] = [r.score for r in runs]

    def judged_on(self, pid: int) -> list[int]:
        """The selection-set examples program `pid` is judged on: all of them, unless it is
        judged apart from the trainset examples that picked or taught it."""
        n = len(self.selection_set())
        if not self.judged_apart or pid == 0:
            return list(range(n))
        used = {*self.picked_on.get(pid, []), *self.taught.get(pid, [])}
        return [i for i in range(n) if i not in used]

    def selection_mean(self, pid: int) -> float:
        """Program `pid`'s mean on the selection set. Judged apart, the baseline's mean on the
        whole set plus the candidate's paired gain where it is judged (an estimate not
        inflated by the examples that picked or taught it)."""
        values = self.selection[pid]
        if not self.judged_apart or pid == 0:
            return sum(values) / len(values)
        base = self.selection[0]
        kept = self.judged_on(pid)
        gain = sum(values[i] - base[i] for i in kept) / len(kept) if kept else 0.0
        return sum(base) / len(base) + gain

    def best_on_selection(self) -> int | None:
        """The highest mean on the selection set; ties go to the earlier program."""
        if not self.selection:
            return None
        return max(self.selection, key=lambda pid: (self.selection_mean(pid), -pid))

    def judge(self, *, fall_back: bool) -> SelectionVerdict:
        """The best candidate scored on the selection set against the baseline, each on the
        examples it is judged on, the interval allowing for every candidate scored there."""
        return judge(self.selection[0], self.selection,
                     judged_on={pid: self.judged_on(pid) for pid in self.selection},
                     selected_on=self.selected_on, confidence=self.s.confidence,
                     fall_back=fall_back, seed=self.s.seed)

    def choose_validated(self) -> Module:
        unjudged = sum(1 for r in self.result.steps if r.winner_id != 0 and r.val_score is None
                       and not self.judged_on(r.winner_id))
        if unjudged:
            self.result.notes.append(
                f"{unjudged} step winners were not judged: every trainset example picked or "
                f"taught them; a larger trainset, or a valset=, leaves examples to judge on")
            emit("optimization.note", text=self.result.notes[-1])
        verdict = self.judge(fall_back=True)
        self.result.verdict = verdict
        self.result.final_scores = {pid: self.selection_mean(pid) for pid in self.selection}
        self.result.baseline_score = self.selection_mean(0)
        return self.finish(verdict.returned_id, self.selection_mean(verdict.returned_id))

    async def make_candidate(self, bucket: list[Trajectory], p10: float, p90: float
                             ) -> tuple[Module, CandidateRecord] | None:
        best, worst = bucket[0], bucket[-1]
        source = self.softmax_pick(self.s.temperature_for_candidates)
        strategies = [s for s in self.s.strategies
                      if (s == "append_rule" and not self.rules_given_up())
                      or (s == "append_demo" and self.s.max_demos > 0)]
        if not strategies:
            return None
        strategy = self.rng.choice(strategies)
        if best.score <= p10 or (strategy == "append_rule" and worst.score >= p90):
            return None  # the strategy does not apply: no (unchanged) candidate is added
        program = self.programs[source].deepcopy()
        record = CandidateRecord(program_id=-1, source_id=source, strategy=strategy,
                                 bucket_example=best.example_index)
        record.dropped_demos = self.drop_demos(program)
        predictors = dict(program.named_predictors())
        if strategy == "append_demo":
            for name, inputs, outputs in best.calls:
                if name in predictors and outputs is not None and name not in record.demos:
                    demo = {k: _truncate(v, self.s.demo_input_field_maxlen)
                            for k, v in inputs.items()}
                    demo.update(outputs)
                    predictors[name].demos.append(demo)
                    record.demos[name] = demo
            if not record.demos:
                return None
        else:
            advice = await self.write_rules(program, best, worst)
            for name, text in advice.items():
                if name in predictors and isinstance(text, str) and text.strip():
                    predictors[name].instructions = (
                        predictors[name].instructions.rstrip() + "\n\n" + text.strip())
                    record.rules[name] = text.strip()
            if not record.rules:
                self.rules_failed += 1
                self.rule_error = self.rule_error or (
                    f"advice for {sorted(advice)[:3]}, not for the modules "
                    f"{sorted(predictors)[:3]}")
                if self.rules_given_up():
                    self.result.notes.append(
                        f"append_rule turned off after {RULE_ATTEMPTS} rule calls in a row "
                        f"gave no usable advice (last: {self.rule_error[:200]}); a stronger "
                        f"prompt_model= may write usable rules")
                    emit("optimization.note", text=self.result.notes[-1])
                return None
            self.rules_failed = 0
        return program, record

    async def write_rules(self, program: Module, better: Trajectory, worse: Trajectory
                          ) -> dict[str, str]:
        example = self.trainset[better.example_index]
        lm = self.s.prompt_model or self.base_lms[0]
        writer = Predict(RULE_SIGNATURE, lm=lm)
        structure, definitions = describe_program(program)
        self.rule_calls += 1
        self.rule_error = ""  # set below if this call fails, so notes name the last failure
        with recording() as ledger, span("rule", "append_rule"):
            try:
                advice = await writer.acall(
                    program_code=structure, modules_defn=definitions,
                    program_inputs=_json(example.inputs().to_dict()),
                    oracle_metadata=_json(example.labels().to_dict()),
                    worse_program_trajectory=_json(worse.calls),
                    worse_program_outputs=_json(worse.prediction),
                    worse_reward_value=worse.score, worse_reward_info=worse.feedback,
                    better_program_trajectory=_json(better.calls),
                    better_program_outputs=_json(better.prediction),
                    better_reward_value=better.score, better_reward_info=better.feedback,
                    module_names=[name for name, _ in program.named_predictors()])
                result: dict[str, str] = dict(advice.module_advice)
            except Exception as exc:
                self.rule_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
                result = {}
        self.count(ledger.totals)
        return result

    def drop_demos(self, program: Module) -> int:
        """Drop some demos before adding: a Poisson draw with mean num_demos / max_demos,
        at least one once the cap is reached."""
        if self.s.max_demos <= 0:
            return 0
        dropped = 0
        for _, predictor in program.named_predictors():
            n = len(predictor.demos)
            if n == 0:
                continue
            k = _poisson(self.rng, n / self.s.max_demos)
            if n >= self.s.max_demos:
                k = max(k, 1)
            k = min(k, n)
            for _ in range(k):
                predictor.demos.pop(self.rng.randrange(len(predictor.demos)))
            dropped += k
        return dropped

    def rules_given_up(self) -> bool:
        """Validated: stop paying for rule calls once the prompt model has shown it cannot
        write usable advice (the reference keeps trying, as DSPy's does)."""
        return self.validated and self.rules_failed >= RULE_ATTEMPTS

    # -- picking -----------------------------------------------------------------------------
    def mean(self, pid: int) -> float:
        values = self.scores.get(pid) or []
        return sum(values) / len(values) if values else 0.0

    def top_programs(self) -> list[int]:
        ranked = sorted(self.scores, key=lambda pid: (-self.mean(pid), pid))
        top = ranked[: self.s.num_candidates]
        if 0 not in top:
            top[-1] = 0  # the baseline is always in the pool
        return top

    def softmax_pick(self, temperature: float) -> int:
        top = self.top_programs()
        means = [self.mean(pid) for pid in top]
        peak = max(means)
        weights = [math.exp((m - peak) / max(temperature, 1e-6)) for m in means]
        return self.rng.choices(top, weights=weights)[0]

    def best_program_id(self) -> int:
        return max(self.scores, key=lambda pid: (self.mean(pid) if self.scores[pid] else -1.0,
                                                 -pid))

    def next_batch(self) -> list[int]:
        if self.cursor + self.bsize > len(self.order):
            self.rng.shuffle(self.order)
            self.cursor = 0
        batch = self.order[self.cursor:self.cursor + self.bsize]
        self.cursor += self.bsize
        return batch

    # -- LMs ---------------------------------------------------------------------------------
    def _base_lms(self, program: Module) -> list[BaseLM]:
        lms: list[BaseLM] = []
        for _, predictor in program.named_predictors():
            lm = predictor.lm or current_lm()
            if all(lm is not other for other in lms):
                lms.append(lm)
        return lms

    def variant_lms(self, k: int, step: int) -> dict[int, BaseLM]:
        """Model variant k: each base LM at temperature 1.0 with its own sample id."""
        return {id(lm): lm.copy(temperature=1.0, sample_id=step * 1000 + k)
                for lm in self.base_lms}

    def with_lms(self, program: Module, lms: dict[int, BaseLM]) -> Module:
        copy = program.deepcopy()
        for _, predictor in copy.named_predictors():
            base = predictor.lm or current_lm()
            predictor.lm = lms.get(id(base), base)
        return copy

    # -- running -----------------------------------------------------------------------------
    async def gather(self, runs: Sequence[Any]) -> list[Trajectory]:
        sem = asyncio.Semaphore(self.s.concurrency)

        async def bounded(coro: Any) -> Trajectory:
            async with sem:
                result: Trajectory = await coro
                return result

        return list(await asyncio.gather(*(bounded(r) for r in runs)))

    async def run(self, program: Module, index: int, program_id: int,
                  examples: list[Example] | None = None) -> Trajectory:
        """One trajectory on `examples[index]` (the trainset by default), through the runner
        the harness uses; counted in the totals."""
        names = {id(p): name for name, p in program.named_predictors()}
        example = (self.trainset if examples is None else examples)[index]
        result = await run_trial(program, example, index, self.metrics,
                                 span_kind="trajectory", program_id=program_id)
        self.count(result.usage)
        self.program_runs += 1
        self.program_run_calls += result.usage.calls
        calls = [(names.get(c.predictor_id or -1, c.signature), c.inputs, c.outputs)
                 for c in result.trace]
        feedback = next(iter(result.feedback.values()), "") or result.error or ""
        return Trajectory(index, program_id, result.prediction, result.scores[self.metric_name],
                          feedback, calls, result.lm_calls, result.prompt_tokens,
                          result.completion_tokens, result.cost_usd, result.error)

    def require_scores(self, runs: list[Trajectory], what: str) -> None:
        """Until one example has been scored, a batch where every one failed (a metric that
        cannot be called, an LM that cannot be reached) stops the run with AllFailedError:
        optimizing failure scores would report "0.000 -> 0.000" as if it had tried."""
        if self.scored or not runs:
            return
        if any(r.error is None for r in runs):
            self.scored = True
            return
        reason, count = Counter((r.error or "").split("\n", 1)[0][:300]
                                for r in runs).most_common(1)[0]
        raise AllFailedError(
            f"SIMBA stopped: all {len(runs)} {what} failed, so there is nothing to optimize; "
            f"{'every one' if count == len(runs) else f'{count} of them'}: {reason}",
            reason=reason, count=count)

    def count(self, usage: UsageTotals) -> None:
        """Add LM calls (and their tokens and cost) to the run's totals."""
        self.result.lm_calls += usage.calls
        self.result.prompt_tokens += usage.prompt_tokens
        self.result.completion_tokens += usage.completion_tokens
        self.result.cost_usd += usage.cost_usd

    # -- final selection ---------------------------------------------------------------------
    async def select_final(self) -> Module:
        m = len(self.winners) - 1
        n = self.s.num_candidates + 1
        picks = [0] * n if m < 1 else [round(i * m / (n - 1)) for i in range(n)]
        candidates = list(dict.fromkeys(self.winners[p] for p in picks))
        if 0 not in candidates:
            candidates.insert(0, 0)
        if self.s.max_lm_calls is not None:  # as many finalists as the budget still pays for
            left = self.s.max_lm_calls - self.result.lm_calls
            candidates = candidates[:max(1, int(left // self.selection_cost()))]
        for pid in candidates:
            await self.score_on_selection(pid)
        scores = {pid: self.selection_mean(pid) for pid in candidates}
        self.result.final_scores = scores
        self.result.baseline_score = scores[0]
        self.result.verdict = self.judge(fall_back=False)
        best = self.result.verdict.returned_id
        return self.finish(best, scores[best])

    def finish(self, best: int, score: float | None) -> Module:
        self.result.final_program_id = best
        self.result.final_score = score
        self.result.wall_time_s += time.perf_counter() - self.started
        self.result.programs = {pid: p.dump_state() for pid, p in self.programs.items()}
        program = self.programs[best].deepcopy()
        program.optimization = self.result  # type: ignore[attr-defined]
        return program

    # -- checkpoints -------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        state = {
            "format": CHECKPOINT_FORMAT, "version": 1, "settings": self.s.settings,
            "next_step": self.next_step, "cursor": self.cursor, "order": self.order,
            "rng": _rng_to_json(self.rng.getstate()),
            "programs": {str(pid): p.dump_state() for pid, p in self.programs.items()},
            "scores": {str(pid): s for pid, s in self.scores.items()},
            "winners": self.winners,
            "picked_on": {str(pid): b for pid, b in self.picked_on.items()},
            "taught": {str(pid): t for pid, t in self.taught.items()},
            "selection": {str(pid): s for pid, s in self.selection.items()},
            "stale": self.stale, "rules_failed": self.rules_failed,
            "program_runs": self.program_runs, "program_run_calls": self.program_run_calls,
            "result": {**self.result.to_dict(),
                       "wall_time_s": self.result.wall_time_s
                       + time.perf_counter() - self.started},
        }
        write_atomic(path, orjson.dumps(state, default=str))

    def restore(self, path: Path) -> None:
        state = check(orjson.loads(path.read_bytes()), CHECKPOINT_FORMAT, 1, "SIMBA checkpoint")
        growable = ("max_steps", "max_lm_calls")  # resuming may continue a run for longer
        mine = {k: v for k, v in self.s.settings.items() if k not in growable}
        theirs = {k: v for k, v in state["settings"].items() if k not in growable}
        if mine != theirs:
            raise ArgumentError(f"{path} was written with other settings: "
                                f"{state['settings']}; resume with the same SIMBA settings")
        self.next_step, self.cursor, self.order = (state["next_step"], state["cursor"],
                                                   state["order"])
        self.scored = self.next_step > 0  # a saved step passed require_scores
        self.rng.setstate(_rng_from_json(state["rng"]))
        self.programs = {int(pid): self.student.deepcopy().load_state(s)
                         for pid, s in state["programs"].items()}
        self.scores = {int(pid): s for pid, s in state["scores"].items()}
        self.winners = state["winners"]
        self.picked_on = {int(pid): b for pid, b in state.get("picked_on", {"0": []}).items()}
        self.taught = {int(pid): t for pid, t in state.get("taught", {"0": []}).items()}
        self.selection = {int(pid): s for pid, s in state.get("selection", {}).items()}
        self.stale = state.get("stale", 0)
        self.rules_failed = state.get("rules_failed", 0)
        self.program_runs = state.get("program_runs", 0)
        self.program_run_calls = state.get("program_run_calls", 0)
        self.result = OptimizationResult.from_dict(state["result"])
        self.result.settings = self.s.settings  # max_steps may have grown
        self.started = time.perf_counter()


def order_buckets(runs: Sequence[Trajectory], batch: Sequence[int]) -> list[list[Trajectory]]:
    """Group runs per example, best first; order the groups by (max - min, max, max - mean),
    highest first: the examples where sampling made the most difference come first."""
    keyed = []
    for i in batch:
        bucket = sorted((r for r in runs if r.example_index == i), key=lambda r: r.score,
                        reverse=True)
        best, worst = bucket[0].score, bucket[-1].score
        mean = sum(r.score for r in bucket) / len(bucket)
        keyed.append(((best - worst, best, best - mean), bucket))
    keyed.sort(key=lambda kb: kb[0], reverse=True)
    return [bucket for _, bucket in keyed]


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method: small means only, seeded by the run's RNG (so checkpoints resume)."""
    limit = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _truncate(value: Any, maxlen: int) -> Any:
    if isinstance(value, str) and len(value) > maxlen:
        return value[:maxlen] + " …"
    return value


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_INDENT_2).decode()


def _rng_to_json(state: tuple[Any, ...]) -> list[Any]:
    return [state[0], list(state[1]), state[2]]


def _rng_from_json(data: list[Any]) -> tuple[Any, ...]:
    return (data[0], tuple(data[1]), data[2])
