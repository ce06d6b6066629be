/**
 * Cross-engine acceptance: the reference market maker of hftbacktest 1.8.4
 * (../shared/data/reference/hftbacktest-1.8.4/README.md) rerun here from the same event file with
 * compat "hftbacktest", the square-prob queue, 10 ms / 10 ms latency, maker −0.5 bp, taker 7 bp.
 * Its summary (mm_squareprob_summary.json) must agree at the printed precision and its fills CSV
 * (mm_squareprob_fills.csv) byte for byte.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { readHftbacktest } from "../../src/venues/data-aliases.js";
import { backtest, fillsCsv, strategyCounts, type Context, type StrategyHandlers } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";
import { SHARED_DATA } from "../helpers/paths.js";

const REF = join(SHARED_DATA, "..", "reference", "hftbacktest-1.8.4");
const SPEC = instrument({ symbol: "BTCUSDT", venue: "BINANCE-FUTURES", tickSize: "0.1", lotSize: "0.001" });
const OPTIONS = { compat: "hftbacktest", latencyNs: 10_000_000, fees: { maker: -0.00005, taker: 0.0007 } } as const;

interface Summary {
  result: { steps: number; orders_sent: number; cancels_sent: number; fills: number; traded_qty: number; traded_notional: number; position: number; balance: number; fee: number; final_mid: number; equity: number };
  params: { step_ns: number; warmup_ns: number; half_spread_ticks: number; skew_ticks: number; order_qty: number; max_position: number; entry_latency_ns: number; response_latency_ns: number; tick: number; lot: number; maker_fee: number; taker_fee: number };
  rows: number;
}

/** Digits after the point in the reference's printed number (its precision). */
const decimalsOf = (x: number): number => (String(x).split(".")[1] ?? "").length;

describe("hftbacktest 1.8.4 reference market maker, reproduced", () => {
  const ref = JSON.parse(readFileSync(join(REF, "mm_squareprob_summary.json"), "utf8")) as Summary;
  const batch = readHftbacktest(join(REF, "btcusdt_20240808.npz"), { instrument: SPEC });
  const p = ref.params;
  const mm = strategies.get("skewedMarketMaker")({ stepMs: p.step_ns / 1e6, warmupMs: p.warmup_ns / 1e6, halfSpreadTicks: p.half_spread_ticks, skewTicks: p.skew_ticks, orderQty: p.order_qty, maxPosition: p.max_position });
  // The final mid as the strategy's book shows it after the last row (hftbacktest's hbt.mid).
  let finalMidTicks = NaN;
  const withEnd = { name: mm.name, params: mm.params, create: (): StrategyHandlers => ({ ...mm.create(), onEnd: (ctx: Context) => void (finalMidTicks = ctx.book(0).mid()) }) };

  it("the reference's parameters are the template's defaults and the run's options", () => {
    expect([p.entry_latency_ns, p.response_latency_ns, p.tick, p.lot, p.maker_fee, p.taker_fee]).toEqual([OPTIONS.latencyNs, OPTIONS.latencyNs, 0.1, 0.001, OPTIONS.fees.maker, OPTIONS.fees.taker]);
    expect(strategies.get("skewedMarketMaker").defaults()).toEqual({ stepMs: 100, warmupMs: 1000, halfSpreadTicks: 10, skewTicks: 2, orderQty: 0.01, maxPosition: 0.1 });
    expect(batch.length).toBe(ref.rows);
  });

  it("square-prob queue: every count and amount of mm_squareprob_summary.json, and its fills CSV byte for byte", () => {
    const run = backtest(batch, withEnd, { ...OPTIONS, queue: "squareProb" });
    const f = run.fills;
    let qty = 0, notional = 0, position = 0, balance = 0, fee = 0;
    for (let j = 0; j < f.ts.length; j++) {
      const q = f.qty[j]!;
      qty += q;
      notional += q * f.price[j]!;
      position += f.side[j]! * q;
      balance -= f.side[j]! * q * f.price[j]!;
      fee += f.fee[j]!;
    }
    const finalMid = finalMidTicks * 0.1;
    const equity = balance + position * finalMid - fee;
    const counts = strategyCounts(run);
    const r = ref.result;
    const round = (x: number, like: number): number => Number(x.toFixed(decimalsOf(like)));
    expect({
      steps: counts.steps,
      orders_sent: run.orders.id.length,
      cancels_sent: counts.cancelsSent,
      fills: new Set(f.orderId).size,
      traded_qty: round(qty, r.traded_qty),
      traded_notional: round(notional, r.traded_notional),
      position: round(position, r.position),
      balance: round(balance, r.balance),
      fee: round(fee, r.fee),
      final_mid: round(finalMid, r.final_mid),
      equity: round(equity, r.equity),
    }).toEqual({ steps: r.steps, orders_sent: r.orders_sent, cancels_sent: r.cancels_sent, fills: r.fills, traded_qty: r.traded_qty, traded_notional: r.traded_notional, position: r.position, balance: r.balance, fee: r.fee, final_mid: r.final_mid, equity: r.equity });
    // Every order filled whole, once (no-partial fills).
    expect(f.ts.length).toBe(r.fills);
    expect(fillsCsv(run, { stepNs: p.step_ns })).toBe(readFileSync(join(REF, "mm_squareprob_fills.csv"), "utf8"));
  }, 120_000);

  it("the same semantics run the risk-averse queue (no reference given): fills only after trades reach the order, fewer than square-prob", () => {
    const averse = backtest(batch, mm, { ...OPTIONS, queue: "riskAverse" });
    const square = backtest(batch, mm, { ...OPTIONS, queue: "squareProb" });
    // Risk-averse never advances on cancels, so each order reaches the front no earlier.
    expect(averse.fills.ts.length).toBeGreaterThan(0);
    expect(averse.fills.ts.length).toBeLessThan(square.fills.ts.length);
    expect(strategyCounts(averse).steps).toBe(ref.result.steps);
  }, 120_000);
});
