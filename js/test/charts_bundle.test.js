import { expect, test } from "vitest";

const { WIDGETS, widgetFor, default: bundle } = await import("../src/bundles/charts.js");

test("the charts bundle holds the three Vega widgets by their _widget names", () => {
  expect(Object.keys(WIDGETS).sort()).toEqual(["dashboard", "experiment_view", "optimization_chart"]);
});

test("an unknown widget name is an error naming it", () => {
  expect(() => widgetFor("nope")).toThrow(/no widget named "nope"/);
});

test("render dispatches on the model's _widget trait", () => {
  const calls = [];
  const original = WIDGETS.dashboard.render;
  WIDGETS.dashboard.render = (ctx) => { calls.push(ctx); return "cleanup"; };
  try {
    const ctx = { model: { get: (k) => (k === "_widget" ? "dashboard" : undefined) }, el: {} };
    expect(bundle.render(ctx)).toBe("cleanup");
    expect(calls).toEqual([ctx]);
  } finally {
    WIDGETS.dashboard.render = original;
  }
});
