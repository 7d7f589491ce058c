"""Data: `Dataset` (examples with schema, statistics, fingerprint and splits) and the small
bundled samples for demos, tutorials and tests."""

from dspex_nb.data.bundled import (
    Banking77Intent,
    load_banking77,
    load_squad_sample,
    load_sst2,
)
from dspex_nb.data.dataset import Dataset, FieldSchema

__all__ = ["Banking77Intent", "Dataset", "FieldSchema", "load_banking77", "load_squad_sample",
           "load_sst2"]
