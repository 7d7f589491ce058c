"""Loaders for the data shipped inside the package (see files/ATTRIBUTION.md)."""

from __future__ import annotations

import json
from importlib import resources

from dspex_nb.data.dataset import Dataset
from dspex_nb.errors import ArgumentError
from dspex_nb.primitives import Example

SST2_LABELS = {"0": "negative", "1": "positive"}


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
