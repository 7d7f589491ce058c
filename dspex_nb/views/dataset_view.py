"""How a `Dataset` shows in a notebook: a compact summary (name, size, source, license,
fingerprint; one row per field with its role, type and statistics) and, for the first label,
a bar chart of its balance as Vega-Lite, which JupyterLab renders itself (offline, no widget).
"""

from __future__ import annotations

import html
from typing import Any

from dspex_nb.data.dataset import Dataset

VEGALITE = "application/vnd.vegalite.v5+json"


def summary_html(ds: Dataset) -> str:
    stats = ds.statistics()
    head = (f"<b>{html.escape(ds.name)}</b>: {len(ds)} examples"
            + (f" · source {html.escape(ds.source)}" if ds.source else "")
            + (f" · license {html.escape(ds.license)}" if ds.license else "")
            + f" · fingerprint <code>{ds.fingerprint[:16]}</code>")
    columns = ["role", "type", "count", "nulls", "distinct", "min_len", "mean_len", "max_len",
               "balance"]
    rows = "".join(
        "<tr><td><b>" + html.escape(str(field)) + "</b></td>"
        + "".join(f"<td>{html.escape(_cell(row[c]))}</td>" for c in columns) + "</tr>"
        for field, row in stats.iterrows())
    header = "".join(f"<th>{c}</th>" for c in ["field", *columns])
    return (f"<div class='dx-dataset'><div>{head}</div>"
            f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table></div>")


def balance_spec(ds: Dataset) -> dict[str, Any] | None:
    """A Vega-Lite bar chart of the first label's values, or None without a label to show."""
    if not ds.label_keys:
        return None
    label = ds.label_keys[0]
    balance = ds.label_balance(label)
    if len(balance) > 30:
        return None
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": f"{label}: label balance",
        "data": {"values": [{"value": str(v), "count": c} for v, c in balance]},
        "mark": "bar", "width": 320, "height": {"step": 18},
        "encoding": {"y": {"field": "value", "type": "nominal", "sort": "-x", "title": label},
                     "x": {"field": "count", "type": "quantitative"},
                     "tooltip": [{"field": "value"}, {"field": "count"}]},
    }


def display_dataset(ds: Dataset) -> None:
    """IPython's display of a Dataset: the summary, then the balance chart."""
    from IPython.display import display

    display({"text/html": summary_html(ds), "text/plain": repr(ds)},  # type: ignore[no-untyped-call]
            raw=True)
    spec = balance_spec(ds)
    if spec is not None:
        display({VEGALITE: spec,  # type: ignore[no-untyped-call]
                 "text/plain": f"<label balance of {ds.label_keys[0]}>"},
                raw=True)


def _cell(value: Any) -> str:
    """A statistics cell as text; empty for None, NaN and pandas' NA (whose comparisons
    are NA, not a bool: test it by identity first)."""
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)
