"""Datasets: small bundled samples for demos, tutorials and tests."""

from dspex_nb.data.bundled import load_sst2

__all__ = ["load_sst2"]
