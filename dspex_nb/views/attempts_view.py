"""How results of modules that try more than once show in a notebook, as HTML tables
(all text escaped): a prediction with its attempts (Retry, BestOfN, Refine) or its chains
(MultiChainComparison), and a batch's outcomes (`dx.Parallel`, `module.batch`)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from dspex_nb.modules.attempts import attempts_frame
from dspex_nb.modules.batch import BatchResult
from dspex_nb.primitives import Prediction

if TYPE_CHECKING:  # pandas loads when a table is drawn, not with dspex_nb in a kernel
    import pandas as pd

MAX_ROWS = 50


def _frame_html(frame: pd.DataFrame) -> str:
    return str(frame.to_html(index=False, escape=True, max_rows=MAX_ROWS, na_rep="",
                             border=0))


def prediction_html(pred: Prediction) -> str | None:
    """The outputs, then every attempt or chain; None (the plain repr) when it has neither."""
    attempts, chains = pred.attempts, pred.chains
    if not attempts and not chains:
        return None
    outputs = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(str(v))}</td></tr>"
                      for k, v in pred.items())
    parts = [f"<div class='dx-prediction'><table>{outputs}</table>"]
    if attempts:
        chosen = next((a for a in attempts if a.chosen), None)
        verdict = ("" if chosen is None else
                   f" · returned attempt {chosen.index + 1}"
                   + ("" if chosen.passed else " (it did not pass)"))
        parts.append(f"<div><b>{len(attempts)} attempt{'s' if len(attempts) != 1 else ''}"
                     f"</b>{verdict}</div>{_frame_html(attempts_frame(attempts))}")
    if chains:
        import pandas as pd

        frame = pd.DataFrame([c.row() for c in chains])
        parts.append(f"<div><b>{len(chains)} chains</b> compared</div>{_frame_html(frame)}")
    return "".join(parts) + "</div>"


def batch_html(result: BatchResult) -> str:
    head = html.escape(repr(result))
    return f"<div class='dx-batch-result'><div>{head}</div>{_frame_html(result.to_pandas())}</div>"


def register(html_formatter: Any) -> None:
    html_formatter.for_type(Prediction, prediction_html)
    html_formatter.for_type(BatchResult, batch_html)
