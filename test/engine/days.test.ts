/**
 * Per-day rows of a run (`run.days()`, src/stats/daily.ts) on the real Binance capture, which
 * spans midnight UTC: the days' PnL adds up to the run's, fills and fees per day match a count by
 * the fills' own dates, drawdown is within the day, and the day boundary can move.
 */
import { describe, expect, it } from "vitest";
import { readFile } from "../../src/venues/data-aliases.js";
import { backtest } from "../../src/engine/index.js";
import "../../src/report/index.js";
import { strategies } from "../../src/strategy/index.js";
import { join } from "node:path";
import { ROOT } from "../helpers/paths.js";

const DAY = 86_400_000_000_000n;

describe("run.days()", () => {
  it("splits a run across midnight into days that add up to the run", async () => {
    const batch = await readFile(join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz"));
    const run = backtest(batch, strategies.imbalance({ threshold: 0.3, size: 1 }), { latencyNs: 50_000, clockOffsetNs: "auto" });
    const days = run.days();
    expect(days.rows.map((d) => d.day)).toEqual(["2024-08-08", "2024-08-09"]);
    const eq = run.equity;
    const total = eq.equity[eq.equity.length - 1]! - eq.equity[0]!;
    expect(days.rows.reduce((a, d) => a + d.pnl, 0)).toBeCloseTo(total, 9);
    // fills and fees by the fills' own UTC dates
    const f = run.fills;
    for (const d of days.rows) {
      let count = 0;
      let fees = 0;
      for (let i = 0; i < f.ts.length; i++) {
        if (new Date(Number(f.ts[i]! / 1_000_000n)).toISOString().slice(0, 10) !== d.day) continue;
        count++;
        fees += f.fee[i]!;
      }
      expect([d.day, d.fills]).toEqual([d.day, count]);
      expect(d.fees).toBeCloseTo(fees, 9);
    }
    expect(days.rows[0]!.fills + days.rows[1]!.fills).toBe(f.ts.length);
    // drawdown of the second day from its opening equity (the first day's close)
    const midnight = (eq.ts[0]! / DAY + 1n) * DAY;
    let peak = 0;
    let dd = 0;
    let open = NaN;
    for (let i = 0; i < eq.ts.length; i++) {
      if (eq.ts[i]! < midnight) {
        open = eq.equity[i]!;
        continue;
      }
      if (peak === 0) peak = open;
      peak = Math.max(peak, eq.equity[i]!);
      dd = Math.max(dd, peak - eq.equity[i]!);
    }
    expect(days.rows[1]!.maxDrawdown).toBeCloseTo(dd, 9);
    expect(days.rows[1]!.closingPositions).toEqual([run.positions[0]![run.positions[0]!.length - 1]]);
    // a day that starts at 23:58 UTC moves the boundary: the first day ends earlier
    const shifted = run.days({ dayStartNs: (23 * 60 + 58) * 60e9 });
    expect(shifted.rows.map((d) => d.day)).toEqual(["2024-08-08", "2024-08-09"]);
    expect(shifted.rows[0]!.fills).toBeLessThan(days.rows[0]!.fills);
    expect(shifted.rows[0]!.fills + shifted.rows[1]!.fills).toBe(f.ts.length);
    // text and notebook display
    const lines = String(days).split("\n");
    expect(lines.length).toBe(3);
    expect(lines[0]).toMatch(/^day\s+pnl\s+max dd\s+fills\s+notional\s+fees\s+pos BTCUSDT$/);
    expect(lines[2]!.startsWith("2024-08-09")).toBe(true);
    expect(String(days)).toContain("pos BTCUSDT");
    const shown = (days as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("strategy-lab.display")]!();
    expect(shown["text/html"]).toContain("2024-08-09");
    expect(JSON.parse(JSON.stringify(days))[1].day).toBe("2024-08-09");
  });
});
