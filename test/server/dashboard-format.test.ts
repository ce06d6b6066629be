/**
 * The dashboard's number formats (plain browser JavaScript) read like the product's report
 * formats: checked on hand-computed strings and, over many values, against src/report/format.ts.
 */
import { describe, expect, it } from "vitest";
import { formatCount, formatFixed, formatMoney, formatNumber, formatPct } from "../../src/report/index.js";
// @ts-expect-error plain JavaScript module served to browsers, without type declarations
import * as fmt from "../../src/server/dashboard/format.js";
// @ts-expect-error same
import { defaultRange, fieldPath } from "../../src/server/dashboard/new-job.js";

interface Fmt {
  num(v: unknown): number;
  fixed(v: unknown, d: number): string;
  number(v: unknown, digits?: number): string;
  count(v: unknown): string;
  pct(v: unknown, d?: number): string;
  money(v: unknown): string;
  metric(name: string, v: unknown): string;
  metricDiff(name: string, v: unknown): string;
  dateTime(iso: string): string;
  duration(s: unknown): string;
  bytes(n: unknown): string;
}
const f = fmt as Fmt;

describe("dashboard number formats", () => {
  it("formats each metric as the product does", () => {
    const cases: [string, unknown, string][] = [
      ["sharpe", 1.2312, "1.23"],
      ["sharpe", -17769.3, "-17,769.30"],
      ["psr", 0.9123, "0.912"],
      ["dsr", "NaN", "n/a"],
      ["pnl", 12345.678, "12,345.68"],
      ["pnl", -0.0125, "-0.0125"],
      ["pnl", -0.001, "-0.00100"],
      ["fees", 0, "0.00"],
      ["trades", 1234, "1,234"],
      ["trades", "Infinity", "n/a"],
      ["maxDrawdown", 908.88, "908.88"],
      ["makerShare", 0.8712, "87.1%"],
      ["makerShare", 1, "100.0%"],
      ["somethingElse", 0.012345678, "0.0123457"],
      ["somethingElse", 1234567, "1,234,567"],
    ];
    expect(cases.map(([name, v]) => f.metric(name, v))).toEqual(cases.map((c) => c[2]));
    expect([f.metricDiff("trades", -1136), f.metricDiff("sharpe", 0.5), f.metricDiff("pnl", 0), f.metricDiff("pnl", "NaN")]).toEqual(["-1,136", "+0.50", "0.00", "n/a"]);
  });

  it("reads the REST encoding of non-finite numbers", () => {
    expect([f.num("NaN"), f.num("Infinity"), f.num("-Infinity"), f.num(2), f.num(undefined)]).toEqual([NaN, Infinity, -Infinity, 2, NaN]);
  });

  it("agrees with the report formats over many values", () => {
    const values = [0, -0, 1, -1, 0.5, 0.05, 0.004999, 0.0123, 1.005, 99.995, 999.5, 1000, 61800.1, -61800.15, 123456789.123, 1e-7, -2.5e-5, NaN, Infinity, -Infinity];
    for (let k = 0; k < 200; k++) values.push(Math.sin(k * 12.9898) * 10 ** ((k % 13) - 6));
    for (const v of values) {
      expect(f.fixed(v, 2), `fixed ${v}`).toBe(formatFixed(v, 2));
      expect(f.fixed(v, 0), `fixed0 ${v}`).toBe(formatFixed(v, 0));
      expect(f.pct(v), `pct ${v}`).toBe(formatPct(v));
      expect(f.money(v), `money ${v}`).toBe(formatMoney(v));
      expect(f.count(v), `count ${v}`).toBe(formatCount(v));
      if (Number.isFinite(v)) expect(f.number(v), `number ${v}`).toBe(formatNumber(v));
    }
  });

  it("formats times, durations and sizes", () => {
    expect(f.dateTime("2024-08-08T01:02:03.456Z")).toBe("2024-08-08 01:02:03");
    expect([f.duration(5), f.duration(65), f.duration(3725), f.duration("NaN")]).toEqual(["5s", "1m05s", "1h02m", "–"]);
    expect([f.bytes(512), f.bytes(1_274_097), f.bytes(3 * 1024 ** 3)]).toEqual(["512 B", "1.2 MiB", "3.00 GiB"]);
  });
});

describe("new-job form helpers", () => {
  it("prefills a sweep range around the default, inside the bounds, on the schema's step", () => {
    const range = defaultRange as (spec: Record<string, unknown>) => { min: number; max: number; step: number };
    expect(range({ name: "gamma", type: "number", default: 0.1, min: 0.001, max: 10, step: 0.05 })).toEqual({ min: 0.05, max: 0.2, step: 0.05 });
    expect(range({ name: "kappa", type: "number", default: 5, min: 0.01, max: 100, step: 0.25 })).toEqual({ min: 2.5, max: 10, step: 2 });
    expect(range({ name: "threshold", type: "number", default: 0.3, min: 0, max: 1, step: 0.05 })).toEqual({ min: 0.15, max: 0.6, step: 0.1 });
    expect(range({ name: "exitThreshold", type: "number", default: 0, min: 0, max: 1, step: 0.05 })).toEqual({ min: 0, max: 1, step: 0.2 });
    expect(range({ name: "levels", type: "integer", default: 1, min: 1, max: 20, step: 1 })).toEqual({ min: 1, max: 2, step: 1 });
    expect(range({ name: "requoteMs", type: "number", default: 50, min: 0, max: 60000, step: 10 })).toEqual({ min: 25, max: 100, step: 20 });
  });

  it("reads a server error's field in any of its spellings", () => {
    const path = fieldPath as (field: unknown) => string;
    expect([path("space.gamma.max"), path("/space/gamma/max"), path(["space", "gamma"]), path("body.trials"), path(undefined), path("")]).toEqual(["space.gamma.max", "space.gamma.max", "space.gamma", "trials", "", ""]);
  });
});
