import { expect, test } from "vitest";
import { demoDiff, wordDiff } from "../src/lib/diff.js";

test("an appended rule is one addition after the unchanged text", () => {
  expect(wordDiff("Classify the sentence.", "Classify the sentence. Answer yes.")).toEqual([
    { op: "same", text: "Classify the sentence." },
    { op: "add", text: " Answer yes." },
  ]);
});

test("a replaced word is a removal and an addition", () => {
  const parts = wordDiff("say yes now", "say no now");
  expect(parts.filter((p) => p.op !== "same")).toEqual([{ op: "del", text: "yes" }, { op: "add", text: "no" }]);
  expect(parts.filter((p) => p.op !== "del").map((p) => p.text).join("")).toBe("say no now");
  expect(parts.filter((p) => p.op !== "add").map((p) => p.text).join("")).toBe("say yes now");
});

test("identical and empty texts", () => {
  expect(wordDiff("same text", "same text")).toEqual([{ op: "same", text: "same text" }]);
  expect(wordDiff("", "new")).toEqual([{ op: "add", text: "new" }]);
  expect(wordDiff(null, "")).toEqual([]);
});

test("demos are marked added, kept or removed, whatever their key order", () => {
  const kept = { q: "a", answer: "b" };
  const diff = demoDiff([kept, { q: "old" }], [{ answer: "b", q: "a" }, { q: "new" }]);
  expect(diff.map((d) => d.op)).toEqual(["same", "add", "del"]);
  expect(diff[2].demo).toEqual({ q: "old" });
});
