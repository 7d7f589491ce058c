import { expect, test, vi } from "vitest";

const inserted = [];
vi.mock("../src/lib/stream_chart.js", () => ({
  streamChart: async () => ({
    view: { data: () => inserted },
    update: (points) => { for (const p of points) if (!inserted.some((q) => q.seq === p.seq)) inserted.push(p); },
    finalize: () => {},
  }),
}));

const { cards, latencySpec, modelTable, retrievalCard, retrieverTable, sourceStrip, default: widget } = await import("../src/dashboard.js");

const stats = (calls) => ({
  totals: { running_programs: 2, calls, prompt_tokens: 100, completion_tokens: 20, cost_usd: 0.5,
            cache_hit_rate: 0.25, error_rate: 0.1, retries: 3, errors: 1 },
  models: [{ model: "gpt-4o-mini", server: "https://api.openai.com/v1", calls, p50_ms: 120,
             p95_ms: 300, errors: 1, errors_by_type: { RateLimitError: 1 }, retries: 3,
             prompt_tokens: 100, completion_tokens: 20, cost_usd: 0.5, cache_hit_rate: 0.25 }],
});

function fakeModel(values) {
  const handlers = {};
  return {
    get: (k) => values[k],
    set: (k, v) => { values[k] = v; (handlers[`change:${k}`] || []).forEach((f) => f()); },
    on: (e, f) => { (handlers[e] ||= []).push(f); },
    off: (e, f) => { handlers[e] = (handlers[e] || []).filter((g) => g !== f); },
  };
}

test("cards show counters", () => {
  const text = cards(stats(10).totals).map((c) => c.textContent);
  expect(text).toContain("2programs running");
  expect(text).toContain("120tokens");
  expect(text).toContain("25.0%cache hit rate");
});

test("model table lists errors by type", () => {
  const table = modelTable(stats(10).models);
  expect(table.querySelector('tr[data-model="gpt-4o-mini"]').textContent).toContain("RateLimitError 1");
});

const retrieval = {
  searches: 12, queries: 14, errors: 1, p50_ms: 7.25, p95_ms: 9.5,
  retrievers: [{ retriever: "chroma:docs", searches: 12, queries: 14, documents: 36, errors: 1,
                 errors_by_type: { RetrievalError: 1 }, p50_ms: 7.25, p95_ms: 9.5 }],
};

test("the retrieval card counts searches with their median latency", () => {
  expect(retrievalCard(retrieval).textContent).toBe("12retrieval searches · p50 7.3 ms");
  expect(retrievalCard(undefined).textContent).toBe("0retrieval searches");
});

test("the retriever table has a row per retriever with its errors by type", () => {
  const row = retrieverTable(retrieval.retrievers).querySelector('tr[data-retriever="chroma:docs"]');
  expect([...row.children].map((td) => td.textContent)).toEqual(
    ["chroma:docs", "12", "14", "36", "7.3 ms", "9.5 ms", "RetrievalError 1"]);
  expect(retrieverTable([]).querySelector("table")).toBeNull();
});

test("latency chart reads a named data stream", () => {
  expect(latencySpec().data).toEqual({ name: "points" });
});

test("render updates counters and streams only new points", async () => {
  const model = fakeModel({ stats: stats(1), latency_points: [{ seq: 0, t: 1, model: "m", latency_ms: 5 }] });
  const el = document.createElement("div");
  const cleanup = await widget.render({ model, el });
  expect(el.querySelector('[data-card="calls"] .value').textContent).toBe("1");
  expect(el.querySelector('[data-card="searches"] .value').textContent).toBe("0");
  model.set("stats", { ...stats(7), retrieval });
  expect(el.querySelector('[data-card="calls"] .value').textContent).toBe("7");
  expect(el.querySelector('[data-card="searches"] .value').textContent).toBe("12");
  expect(el.querySelector('tr[data-retriever="chroma:docs"]')).not.toBeNull();
  model.set("latency_points", [{ seq: 0, t: 1, model: "m", latency_ms: 5 }, { seq: 1, t: 2, model: "m", latency_ms: 6 }]);
  expect(inserted.map((p) => p.seq)).toEqual([0, 1]);
  expect(el.dataset.points).toBe("2");
  cleanup();
});

test("the source strip shows each watched process with its connection state", () => {
  const strip = sourceStrip([
    { url: "http://127.0.0.1:9464", state: "live", error: null, retry_in_s: null },
    { url: "http://10.0.0.2:9464", state: "disconnected", error: "ConnectError: refused", retry_in_s: 2 }]);
  const spans = [...strip.querySelectorAll("[data-source]")];
  expect(spans.map((s) => s.dataset.state)).toEqual(["live", "disconnected"]);
  expect(spans[1].textContent).toBe("○ http://10.0.0.2:9464 · disconnected (retrying in 2.0 s)");
  expect(spans[1].title).toBe("ConnectError: refused");
  expect(sourceStrip([]).querySelector("span")).toBeNull();
});
