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
