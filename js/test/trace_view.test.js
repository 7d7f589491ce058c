import { expect, test } from "vitest";
import { summary, view } from "../src/trace_view.js";

const XSS = "<img src=x onerror=alert(1)>";
const tree = {
  kind: "predict", name: "q -> answer", duration: 0.2, error: null,
  attrs: { inputs: { q: "hi" }, outputs: { answer: XSS } },
  children: [{
    kind: "lm", name: "smollm2", duration: 0.15, error: null,
    attrs: { messages: [{ role: "user", content: "q: hi" }], response: `{"answer": "${XSS}"}`,
             prompt_tokens: 12, completion_tokens: 5, cached: false, retries: 1 },
    children: [{ kind: "http", name: "POST", duration: 0.1, attrs: { status: 429 }, children: [] }],
  }],
};

test("renders one row per span, nested", () => {
  const el = view(tree);
  expect([...el.querySelectorAll(".row")].map((r) => r.dataset.kind)).toEqual(["predict", "lm", "http"]);
});

test("lm rows summarise tokens and retries, http rows their status", () => {
  expect(summary(tree.children[0])).toContain("17 tokens");
  expect(summary(tree.children[0])).toContain("1 retry");
  expect(summary(tree.children[0].children[0])).toContain("HTTP 429");
});

test("clicking a row opens its details with prompt and response as text", () => {
  const el = view(tree);
  const lmRow = el.querySelector('.row[data-kind="lm"]');
  const details = lmRow.nextElementSibling;
  expect(details.hidden).toBe(true);
  lmRow.click();
  expect(details.hidden).toBe(false);
  expect(details.querySelector(".response").textContent).toContain(XSS);
  expect(el.querySelector("img")).toBeNull();
});

test("an empty tree says so", () => expect(view({}).textContent).toBe("no trace"));

test("retrieve rows summarise the passages found and list them with scores, as text", () => {
  const span = {
    kind: "retrieve", name: "chroma:docs", duration: 0.006, error: null,
    attrs: { k: 2, count: 2, top_score: 0.71234, query: "who won?",
             documents: [{ id: "p1", score: 0.71234, text: XSS }, { id: "p2", score: 0.5, text: "second" }] },
    children: [],
  };
  expect(summary(span)).toContain("2 passages");
  expect(summary(span)).toContain("top 0.712");
  const el = view(span);
  const rows = [...el.querySelectorAll("table.documents tr[data-id]")];
  expect(rows.map((r) => r.dataset.id)).toEqual(["p1", "p2"]);
  expect(rows[0].querySelector(".passage").textContent).toBe(XSS);
  expect(el.querySelector("img")).toBeNull();
});

test("attempts are shown side by side, each column marked passed or not", () => {
  const attempt = (i, passed, failures) => ({
    kind: "attempt", name: `attempt ${i}`, duration: 0.1, error: null,
    attrs: { index: i - 1, passed, failures }, children: [
      { kind: "predict", name: "question -> answer", duration: 0.09, attrs: { outputs: { answer: passed ? "4" : "four" } }, children: [] }],
  });
  const tree = { kind: "module", name: "Retry", duration: 0.2, attrs: {}, children: [attempt(1, false, ["digits only"]), attempt(2, true, [])] };
  const el = view(tree);
  const columns = [...el.querySelectorAll(".side > ul")];
  expect(columns.map((c) => c.dataset.passed)).toEqual(["false", "true"]);
  expect(columns[0].querySelector('.row[data-kind="predict"]')).not.toBeNull();
  expect(summary(tree.children[0])).toContain("not passed");
  expect(summary(tree.children[0])).toContain("digits only");
});

test("chains are side by side with their temperature and answer, reasoning left to the details", () => {
  const chain = (i, answer) => ({ kind: "chain", name: `chain ${i}`, duration: 0.1, error: null,
    attrs: { temperature: 0.7, outputs: { reasoning: "long reasoning", answer } }, children: [] });
  const tree = { kind: "module", name: "MultiChainComparison", duration: 0.3, attrs: {},
    children: [chain(1, "4"), chain(2, "5"), { kind: "predict", name: "compare", duration: 0.1, attrs: {}, children: [] }] };
  const el = view(tree);
  expect(el.querySelectorAll(".side > ul").length).toBe(2);
  expect(summary(tree.children[1])).toContain("answer: 5");
  expect(summary(tree.children[1])).not.toContain("long reasoning");
  // the comparison call stays below, in the ordinary list
  expect(el.querySelector(':scope > ul > li > ul .row[data-kind="predict"]')).not.toBeNull();
});
