/**
 * One strategy on the Binance BTCUSDT futures and spot captures (data/binance, SOURCE.md):
 * every book update and trade of both instruments reaches it in exact receive-time order.
 * Expected order computed from the data alone: each row is received at max(localTs, exchTs)
 * (the collector clock runs ~1.27 s behind Binance, SOURCE.md, so receive times are raised to
 * the exchange time), kept non-decreasing per feed; feeds are merged by that time, futures first
 * on ties.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EventFlag, EventKind, readFile, type TickBatch } from "../../src/venues/data-aliases.js";
import "../../src/venues/index.js";
import { backtest } from "../../src/engine/index.js";
import { defineStrategy } from "../../src/strategy/index.js";
import { ROOT } from "../helpers/paths.js";
import { callbackRecorder } from "./scenarios/helpers.js";

function received(batch: TickBatch): bigint[] {
  const out: bigint[] = [];
  let last = -(2n ** 62n);
  for (let i = 0; i < batch.length; i++) {
    let t = batch.localTs[i]! > batch.exchTs[i]! ? batch.localTs[i]! : batch.exchTs[i]!;
    if (t < last) t = last;
    last = t;
    out.push(t);
  }
  return out;
}

describe("two instruments: Binance futures + spot", async () => {
  const futures = await readFile(join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz"), { format: "binance-raw" });
  const spot = await readFile(join(ROOT, "data", "binance", "spot_btcusdt_20240808.gz"), { format: "binance-raw" });

  it("callbacks arrive in exact receive-time order across both feeds", () => {
    const feeds = [futures, spot];
    const times = feeds.map(received);
    const events = feeds.map((b, k) => {
      const hasLast = b.flags.some((f) => (f & EventFlag.Last) !== 0);
      const list: { t: bigint; k: number; what: string }[] = [];
      for (let i = 0; i < b.length; i++) {
        if (b.kind[i] === EventKind.Trade) list.push({ t: times[k]![i]!, k, what: "trade" });
        const groupEnd = hasLast ? (b.flags[i]! & EventFlag.Last) !== 0 : i === b.length - 1 || times[k]![i + 1] !== times[k]![i];
        if (groupEnd) list.push({ t: times[k]![i]!, k, what: "book" });
      }
      return list;
    });
    const expected: string[] = [];
    let a = 0;
    let b = 0;
    const [ea, eb] = events as [typeof events[0], typeof events[0]];
    while (a < ea.length || b < eb.length) {
      const takeA = b >= eb.length || (a < ea.length && ea[a]!.t <= eb[b]!.t);
      const e = takeA ? ea[a++]! : eb[b++]!;
      expected.push(`${e.t}|${e.k}|${e.what}`);
    }
    const seen: string[] = [];
    const run = backtest([futures, spot], callbackRecorder(seen));
    expect(expected.length).toBeGreaterThan(100_000);
    expect(seen.length).toBe(expected.length);
    expect(seen).toEqual(expected);
    expect(run.instruments.map((s) => `${s.symbol}@${s.venue}`)).toEqual(["BTCUSDT@BINANCE-FUTURES", "BTCUSDT@BINANCE"]);
    // Both feeds were interleaved, not played one after the other.
    const switches = seen.reduce((n, s, j) => (j > 0 && s.split("|")[1] !== seen[j - 1]!.split("|")[1] ? n + 1 : n), 0);
    expect(switches).toBeGreaterThan(1000);
  });

  it("orders on each instrument trade against that instrument's book", () => {
    const both = defineStrategy({
      name: "buyBoth",
      register: false,
      params: [],
      create: () => {
        const done = [false, false];
        return {
          onBook(ctx, book) {
            if (done[book.instrument] || !(book.bestAsk() > book.bestBid())) return;
            done[book.instrument] = true;
            ctx.buy(book.instrument === 0 ? 2 : 1000, undefined, { instrument: book.instrument });
          },
        };
      },
    })();
    const run = backtest([futures, spot], both, { latencyNs: 2_000_000, feedLatencyNs: 5_000_000 });
    expect(Array.from(run.fills.instrument!).sort()).toEqual(expect.arrayContaining([0, 1]));
    // futures lot 0.001 BTC, spot lot 1e-8 BTC: 2 lots = 0.002 BTC, 1000 lots = 0.00001 BTC.
    const qty = (k: number) => Array.from(run.fills.qty).filter((_, j) => run.fills.instrument![j] === k).reduce((s, q) => s + q, 0);
    expect(qty(0)).toBeCloseTo(0.002, 12);
    expect(qty(1)).toBeCloseTo(0.00001, 12);
    // Futures trade on a 0.1 grid, spot on 0.01.
    for (let j = 0; j < run.fills.ts.length; j++) {
      const step = run.fills.instrument![j] === 0 ? 10 : 100;
      expect(Math.abs(run.fills.price[j]! * step - Math.round(run.fills.price[j]! * step))).toBeLessThan(1e-6);
    }
  });
});
