"""Loaders for the data shipped inside the package (see files/ATTRIBUTION.md)."""

from __future__ import annotations

from importlib import resources

from dspex_nb.primitives import Example

SST2_LABELS = {"0": "negative", "1": "positive"}


def load_sst2(limit: int | None = None) -> list[Example]:
    """The bundled 200-example SST-2 dev sample: `sentence` -> `sentiment` (positive/negative)."""
    text = resources.files("dspex_nb.data").joinpath("files/sst2_dev_200.txt").read_text("utf-8")
    examples = []
    for line in text.splitlines():
        label, _, sentence = line.partition(" ")
        examples.append(
            Example(sentence=sentence, sentiment=SST2_LABELS[label]).with_inputs("sentence")
        )
    return examples[:limit] if limit is not None else examples
