"""Loaders for the data shipped inside the package (see files/ATTRIBUTION.md)."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from typing import Literal

from dspex_nb.data.dataset import Dataset
from dspex_nb.errors import ArgumentError
from dspex_nb.primitives import Example

SST2_LABELS = {"0": "negative", "1": "positive"}

Banking77Intent = Literal["card_arrival", "lost_or_stolen_card", "exchange_rate",
                          "top_up_failed", "pin_blocked", "request_refund"]
"""The six intents of the bundled Banking77 sample, as a type for a signature's output."""


def load_sst2(limit: int | None = None, *, split: str = "dev") -> list[Example]:
    """Bundled SST-2 samples: `sentence` -> `sentiment` (positive/negative). `split` is "dev"
    (200 examples, for reporting) or "train" (64, for optimizing); `limit` keeps the first
    that many."""
    files = {"dev": "sst2_dev_200.txt", "train": "sst2_train_64.txt"}
    if split not in files:
        raise ArgumentError(f"split is one of {sorted(files)}")
    text = resources.files("dspex_nb.data").joinpath(f"files/{files[split]}").read_text("utf-8")
    examples = []
    for line in text.splitlines():
        label, _, sentence = line.partition(" ")
        examples.append(
            Example(sentence=sentence, sentiment=SST2_LABELS[label]).with_inputs("sentence")
        )
    return examples[:limit] if limit is not None else examples


def load_banking77(limit: int | None = None, *, split: str = "dev") -> list[Example]:
    """Bundled Banking77 sample, six intents (`Banking77Intent`): `text` -> `intent`. `split`
    is "train" (48 messages, for an optimizer to learn from), "validation" (48, for it to
    choose on) or "dev" (60, for reporting; the intents take turns, so a prefix stays
    balanced); `limit` keeps the first that many."""
    splits = ("train", "validation", "dev")
    if split not in splits:
        raise ArgumentError(f"split is one of {list(splits)}, not {split!r}")
    text = resources.files("dspex_nb.data").joinpath("files/banking77_six_intents.csv"
                                                     ).read_text("utf-8")
    examples = [Example(text=row["text"], intent=row["intent"]).with_inputs("text")
                for row in csv.DictReader(io.StringIO(text)) if row["split"] == split]
    return examples[:limit] if limit is not None else examples


def load_squad_sample() -> tuple[list[dict[str, str]], Dataset]:
    """A small bundled RAG sample from SQuAD v1.1's Super_Bowl_50 article (CC BY-SA 4.0):
    12 passages (`{"id", "text"}`) and a Dataset of 24 questions written on them, with their
    gold answers (`answer`, a list) and the id of their passage (`gold_ids`)."""
    folder = resources.files("dspex_nb.data").joinpath("files")
    passages = [json.loads(line) for line in
                folder.joinpath("squad_sb50_passages.jsonl").read_text("utf-8").splitlines()]
    rows = [json.loads(line) for line in
            folder.joinpath("squad_sb50_questions.jsonl").read_text("utf-8").splitlines()]
    questions = Dataset.from_records(
        rows, input_keys=["question"], label_keys=["answer", "gold_ids"],
        name="squad-superbowl50-sample", license="CC BY-SA 4.0",
        source="SQuAD v1.1 dev, article Super_Bowl_50 (Rajpurkar et al. 2016)")
    return passages, questions
