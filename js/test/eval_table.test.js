import { expect, test, vi } from "vitest";
import widget, { header, needsReplay, scoreColor, visibleRows } from "../src/eval_table.js";

const XSS = "<img src=x onerror=alert(1)>";
const row = (index, score, extra = {}) => ({
  index, inputs: { question: `q${index}` }, outputs: { answer: `a${index}` }, gold: { answer: `g${index}` },
  scores: { em: score }, error: null, latency_ms: 10 + index, tokens: 5, ...extra,
});

test("filters by pass, fail and error, and by text", () => {
  const rows = [row(0, 1), row(1, 0), row(2, 0, { error: "ServerError" })];
  const opts = { metric: "em", threshold: 1 };
  expect(visibleRows(rows, { ...opts, outcome: "pass" }).map((r) => r.index)).toEqual([0]);
  expect(visibleRows(rows, { ...opts, outcome: "fail" }).map((r) => r.index)).toEqual([1]);
  expect(visibleRows(rows, { ...opts, outcome: "error" }).map((r) => r.index)).toEqual([2]);
  expect(visibleRows(rows, { ...opts, query: "Q1" }).map((r) => r.index)).toEqual([1]);
  expect(visibleRows(rows, { ...opts, query: "a1", column: "outputs" }).map((r) => r.index)).toEqual([1]);
  expect(visibleRows(rows, { ...opts, query: "a1", column: "inputs" })).toEqual([]);
});

test("sorts by a score column, both ways", () => {
  const rows = [row(0, 0.5), row(1, 0.9), row(2, 0.1)];
  expect(visibleRows(rows, { sortBy: "em", metric: "em" }).map((r) => r.index)).toEqual([2, 0, 1]);
  expect(visibleRows(rows, { sortBy: "em", descending: true, metric: "em" }).map((r) => r.index)).toEqual([1, 0, 2]);
});

test("score colours run from red to green", () => {
  expect(scoreColor(0)).toContain("hsla(0,");
  expect(scoreColor(1)).toContain("hsla(120,");
  expect(scoreColor(undefined)).toBe("");
});

test("header shows the mean and its interval", () => {
  const el = header({ program: "P", done: 3, total: 10, failures: 1, metrics: { em: { mean: 0.5, ci_low: 0.2, ci_high: 0.8 } } });
  expect(el.querySelector('[data-metric="em"]').textContent).toBe("em 0.500 [0.200, 0.800]");
  expect(el.textContent).toContain("3 / 10");
});

function fakeModel(values) {
  const handlers = {};
  const sent = [];
  return {
    sent,
    get: (k) => values[k],
    set: (k, v) => { values[k] = v; (handlers[`change:${k}`] || []).forEach((f) => f()); },
    save_changes: () => {},
    send: (m) => sent.push(m),
    on: (e, f) => { (handlers[e] ||= []).push(f); },
    off: () => {},
    emit: (e, payload) => (handlers[e] || []).forEach((f) => f(payload)),
  };
}

test("a run that ended with rows missing from the view asks once for a replay", () => {
  const model = fakeModel({ header: { metric_names: ["em"], thresholds: { em: 1 }, done: 0, total: 3, status: "running" }, detail: {}, detail_index: -1 });
  widget.render({ model, el: document.createElement("div") });
  model.emit("msg:custom", { type: "rows", rows: [row(0, 1)] });
  model.set("header", { ...model.get("header"), done: 2, status: "running" });
  expect(model.sent).toEqual([{ type: "replay" }]); // only the first one, at render
  model.set("header", { ...model.get("header"), done: 3, status: "done in 1.0 s" });
  model.set("header", { ...model.get("header") });
  expect(model.sent).toEqual([{ type: "replay" }, { type: "replay" }]);
});

test("needsReplay: only after the run, only when rows are missing, once per count", () => {
  expect(needsReplay({ status: "running", done: 5 }, 2, null)).toBe(false);
  expect(needsReplay({ status: "done in 1 s", done: 5 }, 5, null)).toBe(false);
  expect(needsReplay({ status: "done in 1 s", done: 5 }, 4, null)).toBe(true);
  expect(needsReplay({ status: "done in 1 s", done: 5 }, 4, 5)).toBe(false);
});

test("rows stream in by message, a click asks for the detail, LM text stays text", () => {
  vi.useFakeTimers();
  const model = fakeModel({ header: { metric_names: ["em"], thresholds: { em: 1 }, done: 0, total: 2 }, detail: {}, detail_index: -1 });
  const el = document.createElement("div");
  widget.render({ model, el });
  expect(model.sent).toEqual([{ type: "replay" }]);
  model.emit("msg:custom", { type: "rows", rows: [row(0, 1, { outputs: { answer: XSS } }), row(1, 0)] });
  model.emit("msg:custom", { type: "rows", rows: [row(1, 0)] }); // a replayed duplicate
  vi.advanceTimersByTime(200);
  expect(el.dataset.rows).toBe("2");
  expect(el.querySelectorAll("tbody tr").length).toBe(2);
  expect(el.querySelector("img")).toBeNull();
  el.querySelector('tbody tr[data-index="0"]').click();
  expect(model.get("detail_index")).toBe(0);
  model.set("detail", { index: 0, inputs: { q: 1 }, prediction: { answer: XSS }, gold: {}, scores: { em: 1 },
    trace: [{ signature: "q -> answer", lm_calls: [{ model: "m", prompt_tokens: 1, completion_tokens: 1, messages: [{ role: "user", content: "hi" }], response: XSS }] }] });
  expect(el.querySelector(".detail .response").textContent).toBe(XSS);
  expect(el.querySelector("img")).toBeNull();
  vi.useRealTimers();
});

test("a finished run's rows arrive as state and complete the table whatever messages were missed", () => {
  vi.useFakeTimers();
  const model = fakeModel({ header: { metric_names: ["em"], thresholds: { em: 1 }, done: 1, total: 3, status: "running" }, detail: {}, detail_index: -1, final_rows: [] });
  const el = document.createElement("div");
  widget.render({ model, el });
  model.emit("msg:custom", { type: "rows", rows: [row(0, 1)] }); // rows 1 and 2 never came
  model.set("final_rows", [row(0, 1), row(1, 0), row(2, 1)]);
  vi.advanceTimersByTime(200);
  expect(el.dataset.rows).toBe("3");
  vi.useRealTimers();
});
