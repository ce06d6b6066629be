/**
 * Template defaults on real instruments: orders sized from `orderNotional` (1,000 in the quote
 * currency) at the first two-sided book, so a default market maker on BTCUSDT quotes 0.016 BTC
 * (16 lots of 0.001), not one lot, and a GOOG quote is 2 shares; explicit sizes still mean lots.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { readFile, sliceBatch, type TickBatch } from "../../src/venues/data-aliases.js";
import { backtest } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";
import { DEFAULT_ORDER_NOTIONAL, lotsForNotional } from "../../src/strategy/templates/sizing.js";
import { ROOT } from "../helpers/paths.js";

let futures: TickBatch;
beforeAll(async () => {
  futures = await readFile(join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz"), { format: "binance-raw" });
});

const maxAbs = (x: ArrayLike<number>): number => Array.from(x).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe("order size from a notional", () => {
  it("rounds notional / (price × lot × multiplier) to lots, at least one", () => {
    const btc = instrument({ symbol: "BTCUSDT", venue: "BINANCE-FUTURES", tickSize: "0.1", lotSize: "0.001" });
    expect(lotsForNotional(btc, 618_000, 1000)).toBe(16); // 1000 / 61.8 = 16.18
    expect(lotsForNotional(btc, 618_000, 5000)).toBe(81); // 80.9
    expect(lotsForNotional(btc, 618_000, 10)).toBe(1); // 0.16 lots: at least one
    expect(lotsForNotional(btc, NaN, 1000)).toBe(1);
    const es = instrument({ symbol: "ES", venue: "GLBX", tickSize: "0.25", multiplier: 50 });
    expect(lotsForNotional(es, 22_000, 1_000_000)).toBe(4); // 5,500 × 50 = 275,000 per contract → 3.6
    const goog = instrument({ symbol: "GOOG", venue: "NASDAQ", tickSize: "0.01" });
    expect(lotsForNotional(goog, 58_000, DEFAULT_ORDER_NOTIONAL)).toBe(2); // 1.72 shares
  });

  it("every template documents size (0 = from orderNotional), orderNotional and the position limit in its param spec", () => {
    for (const factory of [strategies.marketMaker, strategies.imbalance, strategies.bidAskBounce]) {
      const spec = Object.fromEntries(factory.schema.map((p) => [p.name, p]));
      expect([factory.schema.length > 0, spec.size?.default, spec.orderNotional?.default, spec.maxPosition?.default]).toEqual([true, 0, 1000, 0]);
      expect(spec.size!.description).toMatch(/0 = from orderNotional/);
      expect(spec.orderNotional!.description).toMatch(/quote currency/);
      expect(spec.maxPosition!.description).toMatch(/0 = (ten|five|one|\d+) (quotes|orders|entry)/);
    }
  });
});

describe("template defaults on the Binance BTCUSDT futures capture", () => {
  it("the default market maker quotes 16 lots (0.016 BTC) and its fees and pnl are not rounding noise", () => {
    const run = backtest(futures, strategies.marketMaker({}), { latencyNs: 1_000_000 });
    expect(run.orders.qtyLots[0]).toBe(16);
    expect(run.fills.qty[0]).toBeCloseTo(0.016, 12);
    // Quotes are cut so that |position| stays within ten quotes' worth (equity.position is in lots).
    expect(maxAbs(run.orders.qtyLots)).toBe(16);
    expect(maxAbs(run.equity.position!)).toBeLessThanOrEqual(160);
    expect(maxAbs(run.equity.position!)).toBeGreaterThan(1);
    expect(run.summary.trades).toBeGreaterThan(50);
    expect(Math.abs(run.summary.fees)).toBeGreaterThan(0.01);
    expect(Math.abs(run.summary.pnl)).toBeGreaterThan(0.01);
    // An explicit size is still lots: one-lot quotes pay a fraction of the fees.
    const oneLot = backtest(futures, strategies.marketMaker({ size: 1 }), { latencyNs: 1_000_000 });
    expect(maxAbs(oneLot.orders.qtyLots)).toBe(1);
    expect(maxAbs(oneLot.equity.position!)).toBeLessThanOrEqual(10);
    expect(Math.abs(oneLot.summary.fees)).toBeLessThan(Math.abs(run.summary.fees) / 4);
  });

  it("an explicit maxPosition below the order size cuts the orders so that |position| stays within it", () => {
    const run = backtest(sliceBatch(futures, 0, 150_000), strategies.marketMaker({ maxPosition: 5, requoteMs: 20 }), { latencyNs: 1_000_000 });
    expect(run.summary.trades).toBeGreaterThan(10);
    // A quote is at most the room to the limit: 5 lots when flat, up to 10 from the other limit.
    expect(run.orders.qtyLots[0]).toBe(5);
    expect(maxAbs(run.orders.qtyLots)).toBeLessThanOrEqual(10);
    expect(maxAbs(run.equity.position!)).toBe(5);
  });

  it("imbalance and bid-ask bounce size their orders the same way", () => {
    const data = sliceBatch(futures, 0, 150_000);
    const obi = backtest(data, strategies.imbalance({}), { latencyNs: 1_000_000 });
    expect(obi.orders.qtyLots[0]).toBe(16);
    expect(maxAbs(obi.orders.qtyLots)).toBe(16);
    // The default target is five orders' worth: 80 lots = 0.08 BTC.
    expect(maxAbs(obi.equity.position!)).toBe(80);
    const bounce = backtest(data, strategies.bidAskBounce({}), { latencyNs: 1_000_000 });
    expect(bounce.orders.qtyLots[0]).toBe(16);
    // One entry's worth of position at most.
    expect(maxAbs(bounce.equity.position!)).toBeLessThanOrEqual(16);
  });
});

