// TraceView: the span tree of one program call, with timings; click a span for its details
// (inputs, outputs, the exact prompt and response of LM calls), all shown as text.
import { h, pretty } from "./lib/dom.js";
import { fmtMs, fmtInt, fmtCost } from "./lib/format.js";
import { style, BASE_CSS } from "./lib/style.js";

const CSS = `
.dx-trace ul { list-style: none; padding-left: 18px; margin: 0; }
.dx-trace > ul { padding-left: 0; }
.dx-trace .row { cursor: pointer; padding: 2px 4px; border-radius: 3px; display: flex; gap: 8px; }
.dx-trace .row:hover { background: var(--jp-layout-color2, #f0f0f0); }
.dx-trace .kind { font-weight: 600; min-width: 56px; }
.dx-trace .bar { height: 6px; background: var(--jp-brand-color1, #1976d2); border-radius: 3px;
                 align-self: center; opacity: .6; }
.dx-trace .details { margin: 2px 0 6px 22px; }
.dx-trace .details[hidden] { display: none; }
.dx-trace .side { display: flex; gap: 8px; align-items: flex-start; padding-left: 18px; overflow-x: auto; }
.dx-trace .side > ul { padding-left: 0; flex: 1 1 0; min-width: 220px; border-left: 3px solid var(--jp-border-color2, #ddd); }
.dx-trace .side > ul[data-passed="true"] { border-left-color: var(--jp-success-color1, #388e3c); }
.dx-trace .side > ul[data-passed="false"] { border-left-color: var(--jp-error-color1, #d32f2f); }
`;

// Attempts (Retry, BestOfN, Refine) and chains (MultiChainComparison) are shown side by side.
const SIDE_BY_SIDE = new Set(["attempt", "chain"]);

export function summary(span) {
  const parts = [fmtMs(span.duration)];
  const a = span.attrs || {};
  if (span.kind === "lm") {
    if (a.cached) parts.push("cached");
    parts.push(`${fmtInt((a.prompt_tokens || 0) + (a.completion_tokens || 0))} tokens`);
    if (a.cost_usd) parts.push(fmtCost(a.cost_usd));
    if (a.retries) parts.push(`${a.retries} retr${a.retries === 1 ? "y" : "ies"}`);
  }
  if (span.kind === "http" && a.status != null) parts.push(`HTTP ${a.status}`);
  if (span.kind === "attempt") {
    if (a.passed != null) parts.push(a.passed ? "passed" : "not passed");
    if (a.reward != null) parts.push(`reward ${Number(a.reward).toFixed(3)}`);
    if (a.failures && a.failures.length) parts.push(a.failures.join("; "));
  }
  if (span.kind === "chain") {
    if (a.temperature != null) parts.push(`temperature ${a.temperature}`);
    if (a.outputs) {
      const shown = Object.entries(a.outputs).filter(([k]) => k !== "reasoning");
      if (shown.length) parts.push(shown.map(([k, v]) => `${k}: ${pretty(v)}`).join(", "));
    }
  }
  if (span.kind === "cache") parts.push(a.hit ? "hit" : "miss");
  if (span.kind === "retrieve") {
    parts.push(`${fmtInt(a.count || 0)} passage${a.count === 1 ? "" : "s"}`);
    if (a.top_score != null) parts.push(`top ${Number(a.top_score).toFixed(3)}`);
  }
  return parts.join(" · ");
}

function details(span) {
  const a = span.attrs || {};
  const box = h("div", { class: "details", hidden: "" });
  if (span.error) box.append(h("div", { class: "err", text: span.error }));
  if (a.inputs !== undefined) box.append(h("div", { class: "muted", text: "inputs" }), h("pre", { text: pretty(a.inputs) }));
  if (a.outputs !== undefined) box.append(h("div", { class: "muted", text: "outputs" }), h("pre", { text: pretty(a.outputs) }));
  if (Array.isArray(a.messages)) {
    box.append(h("div", { class: "muted", text: "prompt" }));
    for (const m of a.messages) box.append(h("pre", { "data-role": m.role, text: `${m.role}: ${pretty(m.content)}` }));
  }
  if (a.response !== undefined) box.append(h("div", { class: "muted", text: "response" }), h("pre", { class: "response", text: pretty(a.response) }));
  if (Array.isArray(a.documents) && a.documents.length) {
    box.append(h("div", { class: "muted", text: "retrieved" }), h("table", { class: "documents" },
      h("tr", {}, ["score", "id", "passage"].map((c) => h("th", { text: c }))),
      a.documents.map((d) => h("tr", { "data-id": d.id },
        h("td", { text: d.score == null ? "–" : Number(d.score).toFixed(3) }), h("td", { text: d.id }),
        h("td", { class: "passage", text: d.text })))));
  }
  const rest = Object.entries(a).filter(([k]) => !["inputs", "outputs", "messages", "response", "documents"].includes(k));
  if (rest.length) {
    box.append(h("table", {}, rest.map(([k, v]) => h("tr", {}, h("td", { class: "muted", text: k }), h("td", { text: pretty(v) })))));
  }
  return box;
}

export function spanNode(span, total) {
  const box = details(span);
  const width = total > 0 && span.duration != null ? Math.max(2, Math.round((span.duration / total) * 160)) : 0;
  const row = h("div", { class: "row", "data-kind": span.kind, onclick: () => { box.hidden = !box.hidden; } },
    h("span", { class: "kind", text: span.kind }),
    h("span", { class: "name", text: span.name }),
    h("span", { class: "bar", style: { width: `${width}px` } }),
    h("span", { class: span.error ? "err" : "muted", text: summary(span) }));
  return h("li", {}, row, box, children(span.children || [], total));
}

// A span's children: nested as a list, except attempts and chains, which go side by side.
export function children(kids, total) {
  if (!kids.length) return null;
  const side = kids.filter((c) => SIDE_BY_SIDE.has(c.kind));
  if (side.length < 2) return h("ul", {}, kids.map((c) => spanNode(c, total)));
  const rest = kids.filter((c) => !SIDE_BY_SIDE.has(c.kind));
  const column = (c) => h("ul", { "data-kind": c.kind, "data-passed": c.attrs && c.attrs.passed != null ? String(c.attrs.passed) : null }, spanNode(c, total));
  return [h("div", { class: "side" }, side.map(column)), rest.length ? h("ul", {}, rest.map((c) => spanNode(c, total))) : null];
}

export function view(tree) {
  if (!tree || !tree.kind) return h("div", { class: "dx dx-trace muted", text: "no trace" });
  return h("div", { class: "dx dx-trace" }, style(BASE_CSS + CSS), h("ul", {}, spanNode(tree, tree.duration || 0)));
}

export default {
  render({ model, el }) {
    const draw = () => el.replaceChildren(view(model.get("tree")));
    draw();
    model.on("change:tree", draw);
    return () => model.off("change:tree", draw);
  },
};
