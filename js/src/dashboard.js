// Dashboard: running programs, LM calls, tokens, estimated cost, cache hit rate, error rates and
// retries per model, retrieval searches and their latency per retriever, and a
// latency-over-time chart that new points stream into.
import { h } from "./lib/dom.js";
import { fmtInt, fmtCost, fmtPct } from "./lib/format.js";
import { style, BASE_CSS } from "./lib/style.js";
import { streamChart } from "./lib/stream_chart.js";

const CSS = `
.dx-dash .cards { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 8px; }
.dx-dash .card { border: 1px solid var(--jp-border-color2, #ddd); border-radius: 4px;
                 padding: 6px 10px; min-width: 96px; }
.dx-dash .card .value { font-size: 18px; font-weight: 600; }
.dx-dash .card .label { font-size: 11px; color: var(--jp-ui-font-color2, #777); }
.dx-dash .sources { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 6px; font-size: 12px; }
.dx-dash .source.live { color: var(--jp-success-color1, #2e7d32); }
.dx-dash .source.disconnected { color: var(--jp-error-color1, #c62828); }
.dx-dash .source.connecting { color: var(--jp-ui-font-color2, #777); }
`;

export const CARDS = [
  ["running", "programs running", (s) => fmtInt(s.running_programs)],
  ["calls", "LM calls", (s) => fmtInt(s.calls)],
  ["tokens", "tokens", (s) => fmtInt(s.prompt_tokens + s.completion_tokens)],
  ["cost", "estimated cost", (s) => fmtCost(s.cost_usd)],
  ["cache", "cache hit rate", (s) => fmtPct(s.cache_hit_rate)],
  ["cache_errors", "cache errors", (s) => fmtInt(s.cache_errors || 0)],
  ["errors", "error rate", (s) => fmtPct(s.error_rate)],
  ["retries", "retries", (s) => fmtInt(s.retries)],
];

export function latencySpec() {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 520, height: 160,
    data: { name: "points" },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "t", type: "temporal", title: "time",
           axis: { format: "%H:%M:%S", labelOverlap: true } },
      y: { field: "latency_ms", type: "quantitative", title: "latency (ms)" },
      color: { field: "model", type: "nominal",
               legend: { orient: "bottom", labelLimit: 480, title: null } },
      tooltip: [{ field: "model" }, { field: "latency_ms", format: ".1f" }],
    },
  };
}

export function cards(stats) {
  return CARDS.map(([key, label, value]) =>
    h("div", { class: "card", "data-card": key },
      h("div", { class: "value", text: value(stats) }), h("div", { class: "label", text: label })));
}

// Retrieval beside the LM calls: one card, and a row per retriever once one has searched.
export function retrievalCard(retrieval) {
  const r = retrieval || { searches: 0, p50_ms: null };
  const p50 = r.p50_ms == null ? "" : ` · p50 ${r.p50_ms.toFixed(1)} ms`;
  return h("div", { class: "card", "data-card": "searches" },
    h("div", { class: "value", text: fmtInt(r.searches) }),
    h("div", { class: "label", text: `retrieval searches${p50}` }));
}

export function retrieverTable(retrievers) {
  if (!retrievers || retrievers.length === 0) return h("div", {});
  const ms = (v) => (v == null ? "–" : `${v.toFixed(1)} ms`);
  const head = ["retriever", "searches", "queries", "documents", "p50", "p95", "errors"];
  return h("table", { class: "retrievers" },
    h("tr", {}, head.map((c) => h("th", { text: c }))),
    retrievers.map((r) => h("tr", { "data-retriever": r.retriever },
      h("td", { text: r.retriever }), h("td", { text: fmtInt(r.searches) }),
      h("td", { text: fmtInt(r.queries) }), h("td", { text: fmtInt(r.documents) }),
      h("td", { text: ms(r.p50_ms) }), h("td", { text: ms(r.p95_ms) }),
      h("td", { class: r.errors ? "err" : "", text: Object.entries(r.errors_by_type || {}).map(([k, v]) => `${k} ${v}`).join(", ") || "0" }))));
}

// The processes watched (dx.dashboard(source=...)): each with its connection state.
export function sourceStrip(sources) {
  if (!sources || sources.length === 0) return h("div", {});
  return h("div", { class: "sources" }, sources.map((s) => {
    const retry = s.state === "disconnected" && s.retry_in_s != null
      ? ` (retrying in ${s.retry_in_s.toFixed(1)} s)` : "";
    return h("span", { class: `source ${s.state}`, "data-source": s.url, "data-state": s.state,
                       title: s.error || "",
                       text: `${s.state === "live" ? "●" : "○"} ${s.url} · ${s.state}${retry}` });
  }));
}

export function modelTable(models) {
  const head = ["model", "server", "calls", "p50", "p95", "errors", "retries", "tokens", "cost"];
  return h("table", { class: "models" },
    h("tr", {}, head.map((c) => h("th", { text: c }))),
    models.map((m) => h("tr", { "data-model": m.model },
      h("td", { text: m.model }), h("td", { class: "muted", text: m.server }),
      h("td", { text: fmtInt(m.calls) }),
      h("td", { text: m.p50_ms == null ? "–" : `${m.p50_ms.toFixed(0)} ms` }),
      h("td", { text: m.p95_ms == null ? "–" : `${m.p95_ms.toFixed(0)} ms` }),
      h("td", { class: m.errors ? "err" : "", text: Object.entries(m.errors_by_type || {}).map(([k, v]) => `${k} ${v}`).join(", ") || "0" }),
      h("td", { text: fmtInt(m.retries) }),
      h("td", { text: fmtInt(m.prompt_tokens + m.completion_tokens) }),
      h("td", { text: fmtCost(m.cost_usd) }))));
}

export default {
  async render({ model, el }) {
    const sourceBox = h("div", {});
    const cardBox = h("div", { class: "cards" });
    const tableBox = h("div", {});
    const retrievalBox = h("div", {});
    const chartBox = h("div", { class: "chart" });
    el.replaceChildren(h("div", { class: "dx dx-dash" }, style(BASE_CSS + CSS), sourceBox, cardBox, chartBox,
                         tableBox, retrievalBox));
    const drawStats = () => {
      const stats = model.get("stats");
      cardBox.replaceChildren(...cards(stats.totals), retrievalCard(stats.retrieval));
      tableBox.replaceChildren(modelTable(stats.models));
      retrievalBox.replaceChildren(retrieverTable((stats.retrieval || {}).retrievers));
      el.dataset.updates = String((Number(el.dataset.updates) || 0) + 1);
    };
    const drawSources = () => sourceBox.replaceChildren(sourceStrip(model.get("sources")));
    drawSources();
    drawStats();
    const chart = await streamChart(chartBox, latencySpec());
    const drawPoints = () => {
      chart.update(model.get("latency_points"));
      el.dataset.points = String(chart.view.data("points").length);
    };
    drawPoints();
    model.on("change:stats", drawStats);
    model.on("change:latency_points", drawPoints);
    model.on("change:sources", drawSources);
    return () => {
      model.off("change:sources", drawSources);
      model.off("change:stats", drawStats);
      model.off("change:latency_points", drawPoints);
      chart.finalize();
    };
  },
};
