// EvalTable: an evaluation's rows as they finish, a header with running aggregates and their
// intervals, sorting, filtering (text, pass/fail), score colours, and a detail panel with the
// exact prompt and response of each LM call. Everything the LM wrote is set as text.
import { h, pretty } from "./lib/dom.js";
import { fmtInt } from "./lib/format.js";
import { style, BASE_CSS } from "./lib/style.js";

const MAX_SHOWN = 500;
const CSS = `
.dx-eval .head { display: flex; flex-wrap: wrap; gap: 14px; align-items: baseline; margin-bottom: 6px; }
.dx-eval .metric b { font-size: 15px; }
.dx-eval .controls { display: flex; gap: 8px; margin: 6px 0; }
.dx-eval .scroll { max-height: 420px; overflow: auto; border: 1px solid var(--jp-border-color2, #ddd); }
.dx-eval table { width: 100%; }
.dx-eval th { position: sticky; top: 0; background: var(--jp-layout-color1, #fff); cursor: pointer; user-select: none; }
.dx-eval tbody tr { cursor: pointer; }
.dx-eval tbody tr:hover { background: var(--jp-layout-color2, #f3f3f3); }
.dx-eval td { max-width: 280px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.dx-eval .detail { border: 1px solid var(--jp-border-color2, #ddd); padding: 6px 10px; margin-top: 8px; }
.dx-eval .detail h4 { margin: 8px 0 2px; }
`;

export function scoreColor(value) {
  if (typeof value !== "number" || Number.isNaN(value)) return "";
  const v = Math.max(0, Math.min(1, value));
  return `hsla(${Math.round(v * 120)}, 70%, 45%, 0.25)`;
}

export function passes(row, metric, threshold) {
  return !row.error && (row.scores[metric] ?? -Infinity) >= threshold;
}

const joined = (obj) => Object.values(obj || {}).join(" | ");

export function cellValue(row, column) {
  if (column === "index") return row.index;
  if (column === "inputs") return joined(row.inputs);
  if (column === "outputs") return joined(row.outputs);
  if (column === "gold") return joined(row.gold);
  if (column === "latency") return row.latency_ms;
  if (column === "error") return row.error || "";
  return row.scores[column];
}

// The rows to show: filtered by text and pass/fail, sorted; `shown` is capped for speed.
const SEARCHABLE = { inputs: (r) => joined(r.inputs), outputs: (r) => joined(r.outputs), gold: (r) => joined(r.gold), error: (r) => r.error || "" };

export function visibleRows(rows, { query = "", column = "any", outcome = "all", sortBy = "index", descending = false, metric, threshold = 1 }) {
  const q = query.trim().toLowerCase();
  let out = rows.filter((r) => {
    if (outcome === "pass" && !passes(r, metric, threshold)) return false;
    if (outcome === "fail" && (r.error || passes(r, metric, threshold))) return false;
    if (outcome === "error" && !r.error) return false;
    if (!q) return true;
    const fields = column === "any" ? Object.values(SEARCHABLE) : [SEARCHABLE[column]];
    return fields.some((get) => get(r).toLowerCase().includes(q));
  });
  out = out.slice().sort((a, b) => {
    const x = cellValue(a, sortBy), y = cellValue(b, sortBy);
    const cmp = typeof x === "number" && typeof y === "number" ? x - y : String(x ?? "").localeCompare(String(y ?? ""));
    return descending ? -cmp : cmp;
  });
  return out;
}

export function header(info) {
  const metrics = Object.entries(info.metrics || {}).map(([name, m]) =>
    h("span", { class: "metric", "data-metric": name },
      `${name} `, h("b", { text: m.mean == null ? "–" : m.mean.toFixed(3) }),
      m.ci_low == null ? null : h("span", { class: "muted", text: ` [${m.ci_low.toFixed(3)}, ${m.ci_high.toFixed(3)}]` })));
  return h("div", { class: "head" },
    h("b", { text: info.program || "evaluation" }),
    h("span", { class: "progress", text: `${fmtInt(info.done || 0)} / ${fmtInt(info.total || 0)}` }),
    h("span", { class: info.failures ? "err" : "muted", text: `${fmtInt(info.failures || 0)} failed` }),
    ...metrics,
    h("span", { class: "status muted", text: info.status || "" }));
}

function detailPanel(d) {
  if (!d || d.index == null) return null;
  const sections = [h("h4", { text: `example #${d.index}` })];
  const block = (title, value, cls) => [h("h4", { text: title }), h("pre", { class: cls, text: pretty(value) })];
  sections.push(...block("inputs", d.inputs), ...block("outputs", d.prediction), ...block("gold", d.gold), ...block("scores", d.scores));
  if (d.feedback && Object.keys(d.feedback).length) sections.push(...block("feedback", d.feedback));
  if (d.error) sections.push(h("h4", { text: "error" }), h("pre", { class: "err", text: d.error }));
  for (const call of d.trace || []) {
    sections.push(h("h4", { text: `predictor ${call.signature}` }));
    for (const lm of call.lm_calls || []) {
      sections.push(h("div", { class: "muted", text: `${lm.model} · ${lm.prompt_tokens + lm.completion_tokens} tokens${lm.cached ? " · cached" : ""}` }));
      for (const m of lm.messages || []) sections.push(h("pre", { class: "prompt", text: `${m.role}: ${pretty(m.content)}` }));
      sections.push(h("pre", { class: "response", text: lm.response }));
    }
  }
  return h("div", { class: "detail" }, sections);
}

// Rows travel as messages, which a busy kernel or a late view can miss; the header is state
// and always arrives. A run that has ended with more rows than the view holds asks for a
// replay (once per count), so the table ends complete whatever was missed on the way.
export function needsReplay(header, have, lastAsked) {
  if (!header || header.status == null || header.status === "running") return false;
  return (header.done || 0) > have && lastAsked !== header.done;
}

export default {
  render({ model, el }) {
    const rows = new Map();
    const state = { query: "", column: "any", outcome: "all", sortBy: "index", descending: false };
    const headBox = h("div", {});
    const note = h("span", { class: "muted" });
    const body = h("tbody", {});
    const headRow = h("tr", {});
    const detailBox = h("div", {});
    const search = h("input", { type: "search", placeholder: "filter…", oninput: (e) => { state.query = e.target.value; schedule(); } });
    const column = h("select", { class: "column", onchange: (e) => { state.column = e.target.value; schedule(); } },
      ["any", "inputs", "outputs", "gold", "error"].map((c) => h("option", { value: c, text: c === "any" ? "in any column" : `in ${c}` })));
    const outcome = h("select", { class: "outcome", onchange: (e) => { state.outcome = e.target.value; schedule(); } },
      ["all", "pass", "fail", "error"].map((o) => h("option", { value: o, text: o })));
    el.replaceChildren(h("div", { class: "dx dx-eval" }, style(BASE_CSS + CSS), headBox,
      h("div", { class: "controls" }, search, column, outcome, note),
      h("div", { class: "scroll" }, h("table", {}, h("thead", {}, headRow), body)), detailBox));

    const columns = () => ["index", "inputs", "outputs", "gold", ...((model.get("header").metric_names) || []), "latency", "error"];
    let pending = null;
    function schedule() { if (!pending) pending = setTimeout(draw, 150); }
    function draw() {
      pending = null;
      const info = model.get("header");
      const metric = (info.metric_names || [])[0];
      const threshold = (info.thresholds || {})[metric] ?? 1;
      const cols = columns();
      headRow.replaceChildren(...cols.map((c) => h("th", { "data-col": c, text: c + (state.sortBy === c ? (state.descending ? " ▼" : " ▲") : ""),
        onclick: () => { state.descending = state.sortBy === c ? !state.descending : false; state.sortBy = c; draw(); } })));
      const all = [...rows.values()];
      const shown = visibleRows(all, { ...state, metric, threshold });
      body.replaceChildren(...shown.slice(0, MAX_SHOWN).map((r) => h("tr", { "data-index": r.index, class: r.error ? "failed" : "",
        onclick: () => { model.set("detail_index", r.index); model.save_changes(); } },
        cols.map((c) => {
          const v = cellValue(r, c);
          if (info.metric_names && info.metric_names.includes(c)) return h("td", { class: "score", style: { background: scoreColor(v) }, text: typeof v === "number" ? v.toFixed(3) : "" });
          if (c === "latency") return h("td", { text: `${Math.round(v)} ms` });
          return h("td", { class: c === "error" && v ? "err" : "", title: String(v ?? ""), text: String(v ?? "") });
        }))));
      note.textContent = `showing ${Math.min(shown.length, MAX_SHOWN)} of ${shown.length} matching (${all.length} rows)`;
      el.dataset.rows = String(all.length);
    }
    let askedAt = null;
    const drawHeader = () => {
      const info = model.get("header");
      headBox.replaceChildren(header(info));
      if (needsReplay(info, rows.size, askedAt)) { askedAt = info.done; model.send({ type: "replay" }); }
      schedule();
    };
    const drawDetail = () => { detailBox.replaceChildren(...[detailPanel(model.get("detail"))].filter(Boolean)); };
    const onMsg = (msg) => {
      if (msg && msg.type === "rows") { for (const r of msg.rows) rows.set(r.index, r); schedule(); }
    };
    // A finished run's rows, as state: complete whatever messages were missed.
    const takeFinal = () => {
      for (const r of model.get("final_rows") || []) rows.set(r.index, r);
      schedule();
    };
    model.on("msg:custom", onMsg);
    model.on("change:final_rows", takeFinal);
    model.on("change:header", drawHeader);
    model.on("change:detail", drawDetail);
    takeFinal();
    drawHeader();
    drawDetail();
    model.send({ type: "replay" });
    return () => {
      model.off("msg:custom", onMsg);
      model.off("change:final_rows", takeFinal);
      model.off("change:header", drawHeader);
      model.off("change:detail", drawDetail);
      clearTimeout(pending);
    };
  },
};
