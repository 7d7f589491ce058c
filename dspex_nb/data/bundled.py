"""Loaders for the data shipped inside the package (see files/ATTRIBUTION.md)."""

from __future__ import annotations

from importlib import resources

from dspex_nb.errors import ArgumentError
from dspex_nb.primitives import Example

SST2_LABELS = {"0": "negative", "1": "positive"}


def load_sst2(limit: int | None = None, *, split: str = "dev") -> list[Example]:
    """Bundled SST-2 samples: `sentence` -> `sentiment` (positive/negative). `split` is "dev"
    (200 examples, for reporting) or "train" (64, for optimizing)."""
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
