/**
 * `startAt` fast-forwards the books to a time instead of running the strategy from the first row.
 * It must give exactly what a full run gives when the strategy ignores every event before that
 * time (the `startingAt` wrapper): same orders, fills and equity from the start on.
 */
import { describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { generateTicks, type TickBatch } from "../../src/data/index.js";
import { backtest, latency, type BacktestResult } from "../../src/engine/index.js";
import { startingAt } from "../../src/optimize/index.js";
import { strategies } from "../../src/strategy/index.js";

function after(run: BacktestResult, from: bigint) {
  const keep: number[] = [];
  run.equity.ts.forEach((t, j) => {
    if (t > from) keep.push(j);
  });
  return {
    fills: Array.from(run.fills.ts, (t, j) => `${t}|${run.fills.side[j]}|${run.fills.price[j]}|${run.fills.qty[j]}|${run.fills.fee[j]}|${run.fills.liquidity[j]}`),
    orders: Array.from(run.orders.sentTs, (t, j) => `${t}|${run.orders.side[j]}|${run.orders.type[j]}|${run.orders.priceTicks[j]}|${run.orders.qtyLots[j]}|${run.orders.status[j]}|${run.orders.reason[j]}|${run.orders.doneTs[j]}`),
    equity: keep.map((j) => `${run.equity.ts[j]}|${run.equity.equity[j]}|${run.equity.position![j]}`),
  };
}

describe.each([
  ["l2", "imbalance", strategies.imbalance({ threshold: 0.3, cooldownMs: 5 })],
  ["l2", "marketMaker", strategies.marketMaker({ requoteMs: 5, maxPosition: 3 })],
  ["l3", "marketMaker", strategies.marketMaker({ requoteMs: 5, maxPosition: 3 })],
] as const)("startAt on %s data (%s)", (mode, _name, strategy) => {
  const data: TickBatch = generateTicks({ events: 150_000, seed: 12, mode });
  const cut = data.localTs[90_000]!;
  const options = { latencyNs: latency.lognormal({ entryMedianNs: 40_000, sigma: 0.5 }), seed: 3, equityIntervalNs: 100_000_000, initialCash: 10_000 } as const;

  it("equals a full run whose strategy ignores everything before the start", () => {
    const full = backtest(data, startingAt(strategy, cut), options);
    const fast = backtest(data, strategy, { ...options, startAt: cut });
    expect(fast.summary.events).toBe(full.summary.events);
    expect(fast.fills.ts.length).toBeGreaterThan(10);
    const a = after(full, fast.summary.startTs);
    const b = after(fast, fast.summary.startTs);
    expect(b.fills).toEqual(a.fills);
    expect(b.orders).toEqual(a.orders);
    expect(b.equity).toEqual(a.equity);
    expect(fast.summary.pnl).toBe(full.summary.pnl);
    // The run starts at the first row received at or after the start.
    expect(fast.summary.startTs >= cut).toBe(true);
    expect(full.summary.startTs < cut).toBe(true);
  });

  it("refuses a start after the last row", () => {
    expect(() => backtest(data, strategy, { startAt: data.localTs[data.length - 1]! + 1_000_000_000n })).toThrow(/after the last row/);
  });
});

describe("startAt through the generic cursor path (a feed latency model, two instruments)", () => {
  it("equals a full run whose strategy ignores everything before the start", () => {
    const a = generateTicks({ events: 60_000, seed: 21, mode: "l2" });
    const data = [a, generateTicks({ events: 50_000, seed: 22, mode: "l2", instrument: instrument({ symbol: "SYN2", venue: "SIM", tickSize: "0.01" }) })];
    const cut = a.localTs[40_000]!;
    const strategy = strategies.imbalance({ threshold: 0.3, cooldownMs: 5 });
    const options = { latencyNs: 30_000, feedLatencyNs: 20_000, seed: 5, equityIntervalNs: 100_000_000 } as const;
    const full = backtest(data, startingAt(strategy, cut), options);
    const fast = backtest(data, strategy, { ...options, startAt: cut });
    expect(fast.fills.ts.length).toBeGreaterThan(10);
    const x = after(full, fast.summary.startTs);
    const y = after(fast, fast.summary.startTs);
    expect(y.fills).toEqual(x.fills);
    expect(y.orders).toEqual(x.orders);
    expect(y.equity).toEqual(x.equity);
  });
});
