"""Does optimization hold on unseen data? SIMBA on four tasks, three seeds, at a fixed budget
of LM calls, reported on a dev split the optimizer never sees.

    .venv/bin/python benchmarks/optimizers.py                       # every task, seed, config
    .venv/bin/python benchmarks/optimizers.py --tasks sst2 --seeds 0 --configs validated
    .venv/bin/python benchmarks/optimizers.py --table               # the table, from the log

Each task is split once, with SPLIT_SEED, three ways: train (64, the optimizer's mini-batches),
validation (64, what the optimizer may use to choose) and dev (200, touched only by the final
report). A run is one (task, seed, config): an `Experiment` with a "baseline" and an
"optimized" arm on dev, whose paired delta, 95% interval, p and McNemar (binary metrics) are
appended to a JSON-lines log (default benchmarks/results/optimizers.jsonl). Runs already in
the log are skipped, so a long benchmark resumes where it stopped. The embedded model
(SmolLM2-135M, in-process llama.cpp) runs everything; one LM-call cache serves all runs, so
a repeated call (the unchanged baseline on dev) is paid once; budgets count every call,
cached or not, so they do not depend on the order of the runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets"
LOG = ROOT / "benchmarks" / "results" / "optimizers.jsonl"
SPLIT_SEED = 2026
SIZES = {"train": 64, "val": 64, "dev": 200}
BUDGET = 1000  # LM calls per optimization run, the final selection included
COMMON = {"bsize": 16, "num_candidates": 4, "max_steps": 12, "max_demos": 3}
CONFIGS: dict[str, dict[str, Any]] = {
    "reference": {"algorithm": "reference"},
    "validated": {"algorithm": "validated"},
    # train and validation handed over together as trainset=: each candidate is judged on the
    # examples that neither picked nor taught it
    "validated-pooled": {"algorithm": "validated", "pool": True},
    # ablations of the reference's two strategies
    "reference-demos": {"algorithm": "reference", "strategies": ["append_demo"]},
    "reference-rules": {"algorithm": "reference", "strategies": ["append_rule"]},
    "validated-both": {"algorithm": "validated", "strategies": ["append_demo", "append_rule"]},
}


@dataclass
class Task:
    name: str
    description: str
    make_program: Callable[[], Any]
    metric: Callable[..., float]
    splits: dict[str, list[dict[str, Any]]]
    inputs: tuple[str, ...]


def _split(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(SPLIT_SEED)
    rows = list(rows)
    rng.shuffle(rows)
    out, start = {}, 0
    for name, size in SIZES.items():
        out[name] = rows[start:start + size]
        start += size
    if start > len(rows):
        raise SystemExit(f"not enough rows: {len(rows)} < {start}")
    return out


def sst2() -> Task:
    import dspex_nb as dx

    labels = {"0": "negative", "1": "positive"}
    rows = []
    for line in (DATA / "sst2" / "train.txt").read_text().splitlines():
        label, _, sentence = line.partition(" ")
        rows.append({"sentence": sentence, "sentiment": labels[label]})

    class Sentiment(dx.Signature):
        """Classify the sentiment of a movie review sentence."""

        sentence: str = dx.InputField()
        sentiment: Literal["positive", "negative"] = dx.OutputField()

    def sentiment_match(example: Any, prediction: Any, trace: Any = None) -> float:
        return float(example.sentiment == prediction.sentiment)

    return Task("sst2", "SST-2 movie-review sentiment (2 labels), Predict",
                lambda: dx.Predict(Sentiment), sentiment_match, _split(rows), ("sentence",))


def banking77() -> Task:
    import dspex_nb as dx

    categories = sorted(json.loads((DATA / "banking77" / "categories.json").read_text()))
    intents = sorted(random.Random(SPLIT_SEED).sample(categories, 10))
    with (DATA / "banking77" / "train.csv").open() as f:
        rows = [{"text": r["text"], "intent": r["category"]} for r in csv.DictReader(f)
                if r["category"] in intents]

    global Intent  # string annotations resolve in the module's scope
    Intent = Literal[tuple(intents)]  # type: ignore[valid-type]

    class Classify(dx.Signature):
        """Classify the banking customer's message into one of the intents."""

        text: str = dx.InputField()
        intent: Intent = dx.OutputField()  # type: ignore[valid-type]

    def intent_match(example: Any, prediction: Any, trace: Any = None) -> float:
        return float(example.intent == prediction.intent)

    return Task("banking77", f"Banking77, 10 intents drawn with seed {SPLIT_SEED}, Predict",
                lambda: dx.Predict(Classify), intent_match, _split(rows), ("text",))


def gsm8k() -> Task:
    import dspex_nb as dx

    rows = []
    for line in (DATA / "gsm8k" / "train.jsonl").read_text().splitlines():
        item = json.loads(line)
        gold = item["answer"].split("####")[-1].strip().replace(",", "")
        rows.append({"question": item["question"], "answer": float(gold)})

    class Solve(dx.Signature):
        """Solve the grade-school math word problem; give the final number."""

        question: str = dx.InputField()
        answer: float = dx.OutputField()

    def numeric_match(example: Any, prediction: Any, trace: Any = None) -> float:
        try:
            return float(abs(float(prediction.answer) - example.answer) < 1e-6)
        except (TypeError, ValueError):
            return 0.0

    return Task("gsm8k", "GSM8K word problems, numeric answer, Predict",
                lambda: dx.Predict(Solve), numeric_match, _split(rows), ("question",))


def squad() -> Task:
    import dspex_nb as dx

    data = json.loads((DATA / "squad_superbowl50" / "dev.json").read_text())
    rows = [{"context": p["context"], "question": q["question"],
             "answer": sorted({a["text"] for a in q["answers"]})}
            for p in data["data"][0]["paragraphs"] for q in p["qas"]]

    class Answer(dx.Signature):
        """Answer the question with a short span copied from the paragraph."""

        context: str = dx.InputField()
        question: str = dx.InputField()
        answer: str = dx.OutputField()

    def answer_f1(example: Any, prediction: Any, trace: Any = None) -> float:
        return dx.metrics.f1_score(example, prediction, trace)

    return Task("squad", "SQuAD v1.1 Super_Bowl_50, paragraph given, token F1, Predict",
                # unbounded, the 135M model's answer string rambles to 512 tokens (~10 s a call)
                lambda: dx.Predict(Answer, max_tokens=64), answer_f1, _split(rows),
                ("context", "question"))


Intent: Any = str  # banking77() sets the ten intents' Literal

TASKS = {"sst2": sst2, "banking77": banking77, "gsm8k": gsm8k, "squad": squad}


def examples_of(task: Task) -> dict[str, list[Any]]:
    """The task's splits as dx.Examples, by split name."""
    import dspex_nb as dx

    return {name: [dx.Example(**r).with_inputs(*task.inputs) for r in rows]
            for name, rows in task.splits.items()}


def run_one(task: Task, seed: int, config: str, budget: int, store: Path) -> dict[str, Any]:
    import dspex_nb as dx

    settings = {**COMMON, **CONFIGS[config], "max_lm_calls": budget, "seed": seed}
    pool = settings.pop("pool", False)
    examples = examples_of(task)
    optimizer = dx.SIMBA(task.metric, **settings, concurrency=2, display="none")
    exp = dx.Experiment(
        f"{task.name}-{config}-seed{seed}",
        f"SIMBA ({config}) raises {task.name} dev accuracy at <= {budget} LM calls",
        program=task.make_program(), optimizer=optimizer, metrics=[task.metric],
        independent_variables={"task": task.name, "config": config, "seed": seed},
        dataset=task.name, concurrency=2, store=dx.ExperimentStore(store), display="none")
    started = time.perf_counter()
    if pool:
        exp.run(trainset=examples["train"] + examples["val"], devset=examples["dev"])
    else:
        exp.run(trainset=examples["train"], valset=examples["val"], devset=examples["dev"])
    assert exp.record is not None
    d = exp.record.comparisons[0].deltas[task.metric.__name__]  # optimized vs baseline on dev
    result = exp.optimization("optimized")
    assert result is not None
    return {"before": d.mean_a, "after": d.mean_b, "delta": d.delta,
            "ci": [d.ci_low, d.ci_high], "p": d.p_value, "mcnemar_p": d.mcnemar_p, "n": d.n,
            "task": task.name, "config": config, "seed": seed, "budget": budget,
            "settings": {k: v for k, v in settings.items() if k != "seed"},
            "experiment": exp.id, "wall_s": round(time.perf_counter() - started, 1),
            "optimizer_wall_s": round(result.wall_time_s, 1), "lm_calls": result.lm_calls,
            "steps": len(result.steps), "final_program": result.final_program_id,
            "stop_reason": result.stop_reason, "selection": _selection(result),
            "strategies": _strategy_gains(result)}


def _selection(result: Any) -> dict[str, Any]:
    """What the final choice saw: every finalist's score on the selection set, and the
    verdict against the baseline."""
    return {"final_scores": {str(k): v for k, v in result.final_scores.items()},
            "baseline": result.baseline_score, "final": result.final_score,
            "verdict": result.verdict.to_dict() if result.verdict is not None else None}


def _strategy_gains(result: Any) -> dict[str, Any]:
    """Per strategy: candidates made, and their mean mini-batch score minus their source's on
    the same batch (did adding a rule or a demo help where it was tried?)."""
    gains: dict[str, list[float]] = {}
    for step in result.steps:
        scores = {c.program_id: c.score for c in step.candidates}
        baseline = scores.get(0)
        for c in step.candidates:
            if c.strategy == "baseline" or c.score is None:
                continue
            reference = scores.get(c.source_id, baseline)
            if reference is not None:
                gains.setdefault(c.strategy, []).append(c.score - reference)
    return {s: {"n": len(g), "mean_gain": round(statistics.fmean(g), 4)}
            for s, g in gains.items()}


def selection_study(task: Task, row: dict[str, Any], store: Path) -> dict[str, Any]:
    """Would choosing on the trainset (as DSPy's SIMBA does) have picked another finalist than
    choosing on the validation split, and how does each choice do on dev? The finalists are
    rebuilt from the run's saved programs; the train-set pick is scored on dev when it
    differs (the validation pick's dev score is the run's "after")."""
    import dspex_nb as dx

    result = dx.Experiment.load(row["experiment"], store=dx.ExperimentStore(store)
                                ).optimization("optimized")
    assert result is not None
    examples = examples_of(task)
    metric = task.metric.__name__
    finalists = [int(k) for k in row["selection"]["final_scores"]]
    train: dict[int, float] = {}
    for pid in finalists:
        program = task.make_program().load_state(result.programs[pid])
        train[pid] = dx.evaluate(program, examples["train"], [task.metric], concurrency=2,
                                 display="none")[metric].mean
    train_pick = max(finalists, key=lambda pid: (train[pid], -finalists.index(pid)))
    val_pick = row["final_program"]
    out = {"task": task.name, "config": row["config"], "seed": row["seed"],
           "budget": row["budget"], "train_scores": train,
           "val_scores": row["selection"]["final_scores"], "train_pick": train_pick,
           "val_pick": val_pick, "differ": train_pick != val_pick,
           "dev_val_pick": row["after"], "dev_baseline": row["before"]}
    if train_pick != val_pick:
        program = task.make_program().load_state(result.programs[train_pick])
        out["dev_train_pick"] = dx.evaluate(program, examples["dev"], [task.metric],
                                            concurrency=2, display="none")[metric].mean
    else:
        out["dev_train_pick"] = row["after"]
    return out


def demo_probe(task: Task, label: str) -> list[str]:
    """Does the model use demos at all? The unchanged program on the validation split with no
    demos, one, three of distinct labels, one per label, and three random ones (seed 0)."""
    import dspex_nb as dx

    val = examples_of(task)["val"]
    train = task.splits["train"]
    seen: set[str] = set()
    distinct = [r for r in train if r[label] not in seen and not seen.add(r[label])]
    sets = {"zero-shot": [], "1 demo": train[:1], "3 demos, distinct labels": distinct[:3],
            f"{len(distinct)} demos, one per label": distinct,
            "3 random demos": random.Random(0).sample(train, 3)}
    lines = []
    for name, demos in sets.items():
        program = task.make_program()
        program.demos = [dict(d) for d in demos]
        report = dx.evaluate(program, val, [task.metric], concurrency=2, display="none")
        lines.append(f"| {task.name} | {name} | {report[task.metric.__name__].mean:.3f} |")
        print(lines[-1], flush=True)
    return lines


def load_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| task | config | seed | dev before | dev after | delta [95% CI] | p | McNemar p "
             "| LM calls | steps | final | optimizer wall |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (list(TASKS).index(r["task"]), r["config"], r["seed"])):
        mc = "–" if r["mcnemar_p"] is None else f"{r['mcnemar_p']:.3g}"
        lines.append(
            f"| {r['task']} | {r['config']} | {r['seed']} | {r['before']:.3f} | "
            f"{r['after']:.3f} | {r['delta']:+.3f} [{r['ci'][0]:+.3f}, {r['ci'][1]:+.3f}] | "
            f"{r['p']:.3g} | {mc} | {r['lm_calls']} | {r['steps']} | {r['final_program']} | "
            f"{r['optimizer_wall_s']:.0f} s |")
    medians = ["", "| task | config | median delta | median p | runs with p < 0.05 |",
               "|---|---|---|---|---|"]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["task"], r["config"]), []).append(r)
    for (task, config), runs in sorted(groups.items(),
                                       key=lambda kv: (list(TASKS).index(kv[0][0]), kv[0][1])):
        medians.append(f"| {task} | {config} | {statistics.median(r['delta'] for r in runs):+.3f}"
                       f" | {statistics.median(r['p'] for r in runs):.3g} | "
                       f"{sum(r['p'] < 0.05 and r['delta'] > 0 for r in runs)} of {len(runs)} |")
    return "\n".join(lines + medians)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--configs", default="validated,reference")
    parser.add_argument("--budget", type=int, default=BUDGET)
    parser.add_argument("--log", type=Path, default=LOG)
    parser.add_argument("--store", type=Path, default=ROOT / ".dspex" / "bench-experiments")
    parser.add_argument("--table", action="store_true", help="print the table and stop")
    parser.add_argument("--selection-study", action="store_true",
                        help="for logged runs of the chosen configs: train-set vs validation "
                             "choice of the final program (log: *_selection.jsonl)")
    parser.add_argument("--probe-demos", action="store_true",
                        help="validation accuracy of the unchanged program with demo sets")
    args = parser.parse_args()
    if args.table:
        print(table(load_log(args.log)))
        return
    os.environ.setdefault("DSPEX_CACHE_DIR", str(ROOT / ".dspex" / "bench-cache"))
    import dspex_nb as dx

    dx.configure(lm=dx.LocalLM())
    if args.probe_demos:
        labels = {"sst2": "sentiment", "banking77": "intent"}
        for name in args.tasks.split(","):
            if name in labels:
                demo_probe(TASKS[name](), labels[name])
        return
    if args.selection_study:
        study_log = args.log.with_name(args.log.stem + "_selection.jsonl")
        studied = {(r["task"], r["config"], r["seed"], r["budget"])
                   for r in load_log(study_log)}
        for row in load_log(args.log):
            key = (row["task"], row["config"], row["seed"], row["budget"])
            if (row["task"] in args.tasks.split(",") and row["config"] in args.configs.split(",")
                    and key not in studied):
                study = selection_study(TASKS[row["task"]](), row, args.store)
                with study_log.open("a") as f:
                    f.write(json.dumps(study, default=str) + "\n")
                print(json.dumps(study, default=str), flush=True)
        return
    args.log.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["task"], r["config"], r["seed"], r["budget"]) for r in load_log(args.log)}
    for name in args.tasks.split(","):
        task = TASKS[name]()
        for seed in (int(s) for s in args.seeds.split(",")):
            for config in args.configs.split(","):
                if (name, config, seed, args.budget) in done:
                    continue
                row = run_one(task, seed, config, args.budget, args.store)
                with args.log.open("a") as f:
                    f.write(json.dumps(row, default=str) + "\n")
                print(table([row]).split("\n")[2], flush=True)


if __name__ == "__main__":
    main()
