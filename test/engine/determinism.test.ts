/**
 * Determinism: same inputs and seed give bit-identical result arrays (hashed); another seed of a
 * random latency model gives different ones. Multi-instrument: one strategy trading two
 * instruments receives every event in exact time order.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/paths.js";
import { instrument } from "../../src/core/index.js";
import { EventFlag, EventKind, generateTicks, mergeBatches, type TickBatch } from "../../src/data/index.js";
import { backtest, latency, type BacktestResult } from "../../src/engine/index.js";
import { defineStrategy, strategies } from "../../src/strategy/index.js";
import { callbackRecorder, hashOf } from "./scenarios/helpers.js";

export function resultHash(run: BacktestResult): string {
  const o = run.orders;
  const f = run.fills;
  return hashOf([
    o.id, o.instrument, o.side, o.type, o.tif, o.priceTicks, o.qtyLots, o.filledLots, o.avgPriceTicks, o.status, o.reason, o.sentTs, o.arrivedTs, o.ackTs, o.doneTs, o.slippageTicks,
    f.ts, f.side, f.price, f.qty, f.fee, f.liquidity, f.instrument, f.orderId,
    run.equity.ts, run.equity.equity, run.equity.position, ...run.positions, run.mid.ts, run.mid.mid,
    { ...run.summary, eventsPerSecond: 0 },
  ]);
}

describe.each(["l2", "l3"] as const)("determinism on %s data", (mode) => {
  const ticks = generateTicks({ events: 30_000, seed: 21, mode });
  const options = (seed: number) => ({ latencyNs: latency.lognormal({ entryMedianNs: 30_000, sigma: 0.7 }), feedLatencyNs: latency.feedLognormal({ medianNs: 20_000 }), seed, equityIntervalNs: 5_000_000 });

  it("the same seed gives bit-identical results; another seed does not", () => {
    const strategy = strategies.marketMaker({ requoteMs: 2 });
    const a = resultHash(backtest(ticks, strategy, options(1)));
    const b = resultHash(backtest(ticks, strategy, options(1)));
    const c = resultHash(backtest(ticks, strategy, options(2)));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });
});

describe("determinism across processes", () => {
  // The same backtest in this process (from source) and in a fresh Node process (from the built
  // package): the fill and equity columns hash to the same bytes.
  const columnsHash = (run: BacktestResult): string => {
    const h = createHash("sha256");
    for (const a of [run.fills.ts, run.fills.price, run.fills.qty, run.fills.fee, run.equity.ts, run.equity.equity]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return h.digest("hex");
  };
  it("a fresh process reproduces the run bit for bit", () => {
    const local = backtest(generateTicks({ events: 20_000, seed: 77, mode: "l2" }), strategies.marketMaker({ requoteMs: 2 }), { latencyNs: latency.lognormal({ entryMedianNs: 30_000 }), seed: 9, queue: "prob" });
    const script = `
      import * as lab from ${JSON.stringify(pathToFileURL(join(ROOT, "dist", "index.js")).href)};
      import { createHash } from "node:crypto";
      const run = lab.backtest(lab.data.generateTicks({ events: 20_000, seed: 77, mode: "l2" }), lab.strategies.marketMaker({ requoteMs: 2 }), { latencyNs: lab.latency.lognormal({ entryMedianNs: 30_000 }), seed: 9, queue: "prob" });
      const h = createHash("sha256");
      for (const a of [run.fills.ts, run.fills.price, run.fills.qty, run.fills.fee, run.equity.ts, run.equity.equity]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      process.stdout.write(h.digest("hex"));`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", cwd: ROOT });
    expect(child.stderr).toBe("");
    expect(local.fills.ts.length).toBeGreaterThan(10);
    expect(child.stdout).toBe(columnsHash(local));
  });
});

describe("multi-instrument", () => {
  const a = generateTicks({ events: 20_000, seed: 31, mode: "l2", instrument: instrument({ symbol: "AAA", venue: "SIM", tickSize: "0.01" }) });
  const b = generateTicks({ events: 20_000, seed: 32, mode: "l2", instrument: instrument({ symbol: "BBB", venue: "SIM", tickSize: "0.5" }), startNs: a.exchTs[0]! + 1_234_567n });

  /** (local time, instrument, kind) of every callback, expected from the data alone. */
  function expectedCallbacks(batches: TickBatch[]): string[] {
    const merged = mergeBatches(batches, "localTs");
    const out: string[] = [];
    for (let i = 0; i < merged.length; i++) {
      if (merged.kind[i] === EventKind.Trade) out.push(`${merged.localTs[i]}|${merged.instrument[i]}|trade`);
      if ((merged.flags[i]! & EventFlag.Last) !== 0) out.push(`${merged.localTs[i]}|${merged.instrument[i]}|book`);
    }
    return out;
  }


  it("events of two instruments arrive in exact time order, as two batches or one merged batch", () => {
    const expected = expectedCallbacks([a, b]);
    expect(expected.length).toBeGreaterThan(20_000);
    const seen: string[] = [];
    backtest([a, b], callbackRecorder(seen));
    expect(seen).toEqual(expected);
    const seenMerged: string[] = [];
    backtest(mergeBatches([a, b]), callbackRecorder(seenMerged));
    expect(seenMerged).toEqual(expected);
  });

  it("orders go to the instrument they name, each with its own book, fills and position", () => {
    const pair = defineStrategy({
      name: "pair",
      register: false,
      params: [],
      create: () => {
        let sent = false;
        return {
          onBook(ctx) {
            if (sent || ctx.book(1).bestAsk() !== ctx.book(1).bestAsk()) return;
            sent = true;
            ctx.buy(2, undefined, { instrument: 0 });
            ctx.sell(3, undefined, { instrument: 1 });
          },
        };
      },
    })();
    const run = backtest([a, b], pair);
    expect(run.instruments.map((s) => s.symbol)).toEqual(["AAA", "BBB"]);
    expect(Array.from(run.orders.instrument)).toEqual([0, 1]);
    expect(run.summary.finalPosition).toEqual([2, -3]);
    expect(run.positions[1]!.at(-1)).toBe(-3);
    // BBB trades on a 0.5 grid: its fill prices are multiples of 0.5.
    for (let j = 0; j < run.fills.ts.length; j++) if (run.fills.instrument![j] === 1) expect((run.fills.price[j]! * 2) % 1).toBe(0);
  });
});
