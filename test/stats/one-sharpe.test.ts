/**
 * One Sharpe ratio per run: the run summary, a one-trial optimization over the same data and
 * parameters, and the tear sheet report the same number, and it is the Sharpe ratio recomputed
 * here from the run's own equity samples without the stats layer's grid: the engine's grid
 * samples (multiples of the interval since the epoch), PnL changes between them, mean / sd
 * (ddof = 1), × √(252 × 6.5 h / interval) for a NASDAQ instrument.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { readLobster, type TickBatch } from "../../src/venues/data-aliases.js";
import { backtest, type BacktestResult } from "../../src/engine/index.js";
import { optimize, range } from "../../src/optimize/index.js";
import { tearSheet } from "../../src/report/index.js";
import { ROOT } from "../helpers/paths.js";

const ZIP = join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip");
const INTERVAL = 10_000_000_000;
const OPTIONS = { latencyNs: 100_000, equityIntervalNs: INTERVAL, initialCash: 1_000_000 };
const PARAMS = { gamma: 0.1, kappa: 5, minHalfSpreadTicks: 2 };

/** Grid samples by hand: for each multiple g of the interval in [first sample, last sample], the last sample at or before g. */
function handSharpe(ts: BigInt64Array, equity: Float64Array, interval: bigint): { perPeriod: number; periods: number } {
  const first = ts[0]!;
  const last = ts[ts.length - 1]!;
  const values: number[] = [];
  let g = first % interval === 0n ? first : (first / interval + 1n) * interval;
  let j = 0;
  for (; g <= last; g += interval) {
    while (j + 1 < ts.length && ts[j + 1]! <= g) j++;
    values.push(equity[j]!);
  }
  const d = values.slice(1).map((v, k) => v - values[k]!);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (d.length - 1));
  return { perPeriod: mean / sd, periods: d.length };
}

describe("one Sharpe ratio per run", () => {
  let data: TickBatch;
  let run: BacktestResult;
  let trialSharpe: number;
  let trialDrawdown: number;

  beforeAll(async () => {
    data = readLobster({ messages: ZIP }).batch;
    const sweep = await optimize({ data, strategy: "marketMaker", space: { gamma: PARAMS.gamma, kappa: PARAMS.kappa, minHalfSpreadTicks: range(1, 3, 1) }, filter: (p) => p.minHalfSpreadTicks === PARAMS.minHalfSpreadTicks, backtest: OPTIONS, workers: 0 });
    expect(sweep.trials.length).toBe(1);
    const trial = sweep.trials[0]!;
    trialSharpe = trial.metrics.sharpe!;
    trialDrawdown = trial.metrics.maxDrawdown!;
    // The trial's seed, so the run is the trial's backtest.
    const { strategies } = await import("../../src/strategy/index.js");
    run = backtest(data, strategies.marketMaker(PARAMS), { ...OPTIONS, seed: trial.seed >>> 0 });
  }, 120_000);

  it("summary, optimizer trial and tear sheet agree, and equal the Sharpe recomputed from the equity samples", () => {
    const s = run.summary;
    expect(s.trades).toBeGreaterThan(20);
    const hand = handSharpe(run.equity.ts, run.equity.equity, BigInt(INTERVAL));
    // 6.5 h session in 10 s periods: 2,340 grid periods (first and last row are inside 09:30–16:00).
    expect(hand.periods).toBeGreaterThan(2_300);
    const annual = hand.perPeriod * Math.sqrt((252 * 6.5 * 3600e9) / INTERVAL);
    expect(s.sharpePerPeriod).toBeCloseTo(hand.perPeriod, 12);
    expect(s.sharpe).toBeCloseTo(annual, 10);
    expect(trialSharpe).toBe(s.sharpe);
    const sheet = tearSheet({ equity: run.equity, instruments: run.instruments, bootstrap: { resamples: 50 } });
    expect(sheet.metrics.values.sharpe).toBe(s.sharpe);
    expect(sheet.inference.values.sharpePerPeriod).toBe(s.sharpePerPeriod);
    expect(sheet.perPeriod.sharpePerDay).toBe(s.sharpePerDay);
    expect(sheet.returns.length).toBe(hand.periods);
  });

  it("drawdown is one depth ≥ 0: currency in the summary and the trial, the same fall as a fraction in the tear sheet", () => {
    const e = run.equity.equity;
    let peak = -Infinity;
    let depth = 0;
    for (const v of e) {
      peak = Math.max(peak, v);
      depth = Math.max(depth, peak - v);
    }
    expect(depth).toBeGreaterThan(0);
    expect(run.summary.maxDrawdown).toBe(depth);
    expect(trialDrawdown).toBe(depth);
    // The tear sheet's drawdown is of the grid (no fill samples): at most the samples' depth.
    const sheet = tearSheet({ equity: run.equity, instruments: run.instruments, bootstrap: { resamples: 50 } });
    const dd = sheet.metrics.values.maxDrawdown!;
    expect(dd).toBeGreaterThan(0);
    expect(dd * 1_000_000).toBeLessThanOrEqual(depth * 1.01);
  });
});
