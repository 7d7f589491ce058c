import { describe, expect, test } from "vitest";
import { fmtCost, fmtInt, fmtMs, fmtPct } from "../src/lib/format.js";

describe("format", () => {
  test("milliseconds by size", () => {
    expect(fmtMs(0.0004)).toBe("0.40 ms");
    expect(fmtMs(0.0123)).toBe("12 ms");
    expect(fmtMs(2.5)).toBe("2.50 s");
    expect(fmtMs(null)).toBe("–");
  });
  test("integers get thousands separators", () => expect(fmtInt(1234567)).toBe("1,234,567"));
  test("small costs keep their digits", () => {
    expect(fmtCost(0.000123)).toBe("$0.00012");
    expect(fmtCost(3.456)).toBe("$3.46");
    expect(fmtCost(0)).toBe("$0");
  });
  test("percentages", () => expect(fmtPct(0.256)).toBe("25.6%"));
});
