import { describe, expect, it } from "vitest";
import { formatEpoch, formatNs, parseDuration, parseEpoch, parseIso, parseTime, toSafeNumber, LabError } from "../../src/core/index.js";

describe("exact nanosecond time", () => {
  it("parses ISO with 9 fractional digits exactly", () => {
    // 2024-08-08 is day 19943 after the epoch: 19943*86400 + 23*3600 + 54*60 + 15 = 1723161255 s.
    expect(parseIso("2024-08-08T23:54:15.030314667Z")).toBe(1_723_161_255_030_314_667n);
  });

  it("round-trips ISO and epoch-ns strings without float rounding", () => {
    const iso = "2024-08-08T23:54:15.030314667Z";
    const ns = parseTime(iso);
    expect(formatNs(ns)).toBe(iso);
    expect(parseTime("1723161255030314667")).toBe(ns);
    expect(formatEpoch(ns)).toBe("1723161255030314667");
    // A float64 cannot hold this value: the nearest double differs, which is exactly the bug avoided.
    expect(BigInt(Number("1723161255030314667"))).not.toBe(ns);
  });

  it.each([
    ["1723161255", "s", 1_723_161_255_000_000_000n],
    ["1723161255.030314667", "s", 1_723_161_255_030_314_667n],
    ["1723161255030", "ms", 1_723_161_255_030_000_000n],
    ["1723161255030.314667", "ms", 1_723_161_255_030_314_667n],
    ["1723161255030314", "us", 1_723_161_255_030_314_000n],
    ["1723161255030314.667", "us", 1_723_161_255_030_314_667n],
    ["1723161255030314667", "ns", 1_723_161_255_030_314_667n],
  ] as const)("epoch %s in %s", (text, unit, expected) => {
    expect(parseEpoch(text, unit)).toBe(expected);
    expect(parseEpoch(text)).toBe(expected); // unit guessed from the digit count
    expect(formatEpoch(expected, unit)).toBe(text);
  });

  it("handles offsets, dates before 1970 and leap days", () => {
    expect(parseIso("2024-08-08T19:54:15.5-04:00")).toBe(parseIso("2024-08-08T23:54:15.500Z"));
    expect(parseIso("1969-12-31T23:59:59.999999999Z")).toBe(-1n);
    expect(formatNs(-1n)).toBe("1969-12-31T23:59:59.999999999Z");
    expect(formatNs(parseIso("2024-02-29T00:00:00Z"))).toBe("2024-02-29T00:00:00.000000000Z");
    expect(formatNs(parseIso("2000-03-01"), { digits: 0 })).toBe("2000-03-01T00:00:00Z");
  });

  it("round-trips every ns of a random sample exactly", () => {
    let x = 1_723_161_255_030_314_667n;
    for (let i = 0; i < 2000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) % 4_000_000_000_000_000_000n;
      expect(parseIso(formatNs(x))).toBe(x);
      expect(parseEpoch(formatEpoch(x, "s"), "s")).toBe(x);
    }
  });

  it.each(["2024-13-01", "2023-02-29", "yesterday", "1723161255.0303146671"])("rejects %s with a LabError and hint", (bad) => {
    expect(() => parseTime(bad)).toThrow(LabError);
    try {
      parseTime(bad);
    } catch (error) {
      expect((error as LabError).code).toBe("BAD_TIME");
      expect((error as LabError).hint).toMatch(/ISO 8601/);
    }
  });

  it("refuses unsafe JavaScript numbers instead of rounding", () => {
    expect(() => parseEpoch(1723161255030314667)).toThrow(/2\^53/);
    expect(() => toSafeNumber(1n << 60n)).toThrow(LabError);
    expect(toSafeNumber(123n)).toBe(123);
  });

  it("parses durations exactly", () => {
    expect(parseDuration("100ms")).toBe(100_000_000n);
    expect(parseDuration("1.5s")).toBe(1_500_000_000n);
    expect(parseDuration("250us")).toBe(250_000n);
    expect(parseDuration("2m")).toBe(120_000_000_000n);
    expect(() => parseDuration("5 parsecs")).toThrow(/cannot parse duration/);
  });
});
