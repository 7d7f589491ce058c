"""Data: `Dataset` (examples with schema, statistics, fingerprint and splits) and the small
bundled samples for demos, tutorials and tests."""

from dspex_nb.data.bundled import load_squad_sample, load_sst2
from dspex_nb.data.dataset import Dataset, FieldSchema

__all__ = ["Dataset", "FieldSchema", "load_squad_sample", "load_sst2"]
