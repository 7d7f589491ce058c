import { expect, test } from "vitest";
import { statusLine, view } from "../src/batch_view.js";

const running = { module: "Predict", total: 200, done: 50, failures: 5, concurrency: 16,
                  elapsed_s: 10, finished: false, error_types: { ParseError: 4, "<b>x</b>": 1 } };

test("the status line counts, gives the rate and the time left while running", () => {
  const line = statusLine(running);
  expect(line).toContain("50 / 200");
  expect(line).toContain("5 failed");
  expect(line).toContain("5.0/s");
  expect(line).toContain("about 30.0 s left");
});

test("a finished batch says done, a stopped one why", () => {
  expect(statusLine({ ...running, done: 200, finished: true })).toContain("done");
  expect(statusLine({ ...running, finished: true, stop_reason: "interrupted" })).toContain("stopped: interrupted");
});

test("the bar splits into succeeded and failed parts", () => {
  const el = view(running);
  expect(el.querySelector(".ok").style.width).toBe("22.5%");
  expect(el.querySelector(".bad").style.width).toBe("2.5%");
});

test("error types are listed as text", () => {
  const el = view(running);
  expect([...el.querySelectorAll("[data-error]")].map((e) => e.textContent)).toEqual(["ParseError × 4", "<b>x</b> × 1"]);
  expect(el.querySelector("b b")).toBeNull();
});

test("no state says so", () => expect(view({}).textContent).toBe("no batch"));
