"""How a program shows in a notebook: what it is made of, as an HTML summary (all text
escaped): its class and where its code comes from, the snapshot it was loaded from, and per
predictor the signature, instructions, demos and the LM with the server it calls."""

from __future__ import annotations

import html
from typing import Any

from dspex_nb.errors import SnapshotError
from dspex_nb.modules.module import Module
from dspex_nb.registry.source import defined_in_main, definition_source

INSTRUCTIONS_SHOWN = 300  # characters of each predictor's instructions; the rest on demand


def _code_origin(program: Module) -> tuple[str, str | None]:
    """(where the class comes from, its source when it was defined in a notebook/script)."""
    cls = type(program)
    if not defined_in_main(cls):
        return f"{cls.__module__}.{cls.__qualname__}", None
    try:
        return "defined in this notebook or script", definition_source(cls)
    except SnapshotError:
        return "defined in this notebook or script", None


def program_html(program: Module) -> str:
    origin, source = _code_origin(program)
    head = f"<b>{html.escape(type(program).__qualname__)}</b> · {html.escape(origin)}"
    snapshot = program.__dict__.get("_snapshot")
    if isinstance(snapshot, dict):
        head += (f" · loaded from <code>{html.escape(str(snapshot.get('ref')))}</code> "
                 f"(id {html.escape(str(snapshot.get('id')))})")
    rows = []
    for name, p in program.named_predictors():
        text = p.instructions
        shown = html.escape(text[:INSTRUCTIONS_SHOWN])
        if len(text) > INSTRUCTIONS_SHOWN:
            shown += (f"<details><summary>… {len(text) - INSTRUCTIONS_SHOWN} more characters"
                      f"</summary>{html.escape(text[INSTRUCTIONS_SHOWN:])}</details>")
        rows.append(f"<tr><td><code>{html.escape(name)}</code></td>"
                    f"<td><code>{html.escape(p.signature.signature_text)}</code></td>"
                    f"<td style='text-align:left'>{shown}</td><td>{len(p.demos)}</td>"
                    f"<td>{html.escape(p.lm.label if p.lm else 'the configured LM')}</td></tr>")
    table = ("<table><thead><tr><th>predictor</th><th>signature</th><th>instructions</th>"
             "<th>demos</th><th>LM</th></tr></thead><tbody>" + "".join(rows)
             + "</tbody></table>") if rows else "<div>no predictors</div>"
    code = ("" if source is None else
            f"<details><summary>source</summary><pre>{html.escape(source)}</pre></details>")
    return f"<div class='dx-program'><div>{head}</div>{table}{code}</div>"


def register(html_formatter: Any) -> None:
    html_formatter.for_type(Module, program_html)
