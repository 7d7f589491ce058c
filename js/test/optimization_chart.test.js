import { expect, test } from "vitest";
import { changeText, chartSpec, newItems } from "../src/optimization_chart.js";

test("a candidate's change is its rule text, or its demo, as one line", () => {
  expect(changeText({ strategy: "append_rule", rules: { self: "If X, do Y." } })).toBe("self: If X, do Y.");
  expect(changeText({ strategy: "append_demo", rules: {}, demos: { self: { q: "a" } } })).toBe('self: {"q":"a"}');
  expect(changeText({ strategy: "baseline", rules: {}, demos: {} })).toBe("(the unchanged program)");
});

test("only new points are streamed", () => {
  const seen = new Set();
  const key = (p) => `${p.step}/${p.program_id}`;
  expect(newItems([{ step: 0, program_id: 1 }], seen, key)).toHaveLength(1);
  expect(newItems([{ step: 0, program_id: 1 }, { step: 1, program_id: 2 }], seen, key)).toEqual([{ step: 1, program_id: 2 }]);
});

test("the chart layers baseline, best-so-far and candidate points by strategy", () => {
  const spec = chartSpec();
  expect(spec.layer.map((l) => l.data.name)).toEqual(["baseline", "best", "points"]);
  expect(spec.layer[2].encoding.shape.field).toBe("strategy");
  expect(spec.layer[2].encoding.tooltip.map((t) => t.field)).toContain("change");
});
