import { expect, test } from "vitest";
import { chartData, chartSpec, visibleFlips } from "../src/experiment_view.js";

const flips = [
  { index: 1, direction: "gained", inputs: { q: "alpha" }, gold: { a: "yes" }, control_output: { a: "no" }, arm_output: { a: "yes" } },
  { index: 4, direction: "lost", inputs: { q: "beta" }, gold: { a: "yes" }, control_output: { a: "yes" }, arm_output: { a: "<img src=x>" } },
];

test("flipped examples filter by direction and by text in any field", () => {
  expect(visibleFlips(flips, { direction: "gained" }).map((r) => r.index)).toEqual([1]);
  expect(visibleFlips(flips, { query: "BETA" }).map((r) => r.index)).toEqual([4]);
  expect(visibleFlips(flips, { query: "<img" }).map((r) => r.index)).toEqual([4]);
  expect(visibleFlips(flips, {}).length).toBe(2);
});

test("chart labels name the experiment only when there are several", () => {
  const one = [{ name: "E1", points: [{ arm: "baseline", variable: "acc", mean: 0.5 }] }];
  expect(chartData(one)[0].label).toBe("baseline");
  const two = [...one, { name: "E2", points: [{ arm: "baseline", variable: "acc", mean: 0.6 }] }];
  expect(chartData(two).map((p) => p.label)).toEqual(["E1 / baseline", "E2 / baseline"]);
});

test("the chart is an interval and a point per arm, one row per variable, scales apart", () => {
  const spec = chartSpec([]);
  expect(spec.facet.row.field).toBe("variable");
  expect(spec.spec.layer.map((l) => l.mark.type)).toEqual(["rule", "point"]);
  expect(spec.spec.layer[0].encoding.x.field).toBe("ci_low");
  expect(spec.spec.layer[0].encoding.x2.field).toBe("ci_high");
  expect(spec.resolve.scale.x).toBe("independent");
  expect(chartSpec([], ["accuracy", "latency"]).facet.row.sort).toEqual(["accuracy", "latency"]);
});
