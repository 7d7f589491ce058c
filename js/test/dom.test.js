import { expect, test } from "vitest";
import { h } from "../src/lib/dom.js";

test("strings become text, never markup", () => {
  const el = h("div", { text: "<img src=x onerror=alert(1)>" }, "<b>bold</b>");
  expect(el.querySelector("img")).toBeNull();
  expect(el.querySelector("b")).toBeNull();
  expect(el.textContent).toBe("<img src=x onerror=alert(1)><b>bold</b>");
});

test("links and sources cannot be set", () => {
  expect(() => h("a", { href: "javascript:alert(1)" })).toThrow(/not allowed/);
});
