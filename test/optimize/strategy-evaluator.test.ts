/**
 * The built-in evaluator (backtest engine + registered strategy). Ground truth: a plain
 * `backtest` over the same rows, and a probe strategy that records the book it sees — a trial on
 * rows [start, end) must see exactly the books a full replay shows from `start` on, and nothing
 * after `end`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { EventFlag, generateTicks, sliceBatch } from "../../src/data/index.js";
import { backtest } from "../../src/engine/index.js";
import { evaluatorFor, optimize, range, type TrialRecord } from "../../src/optimize/index.js";
import { defineStrategy, strategies } from "../../src/strategy/index.js";
import { buildDist } from "./helpers.js";

const data = generateTicks({ events: 60_000, seed: 8, mode: "l2", shared: true });

interface Seen {
  t: bigint;
  bid: number;
  ask: number;
  bidQty: number;
  levels: number;
}

function probe(log: Seen[]) {
  return defineStrategy({
    name: "probe",
    register: false,
    params: [{ name: "k", type: "integer", default: 1, min: 1, max: 3, step: 1 }],
    create: () => ({
      onBook(ctx, book) {
        log.push({ t: ctx.now(), bid: book.bestBid(), ask: book.bestAsk(), bidQty: book.bestBidQty(), levels: book.levelCount(1) });
      },
    }),
  });
}

describe("strategy evaluator", () => {
  it("a trial on rows [start, end) sees exactly the full replay's books from start's local time, and nothing after end", () => {
    const full: Seen[] = [];
    backtest(data, probe(full)({}));
    const part: Seen[] = [];
    const start = 20_000;
    // End on a complete atomic group and a new time (walk-forward boundaries fall between distinct times, so they never split one).
    let end = 45_000;
    while ((data.flags[end - 1]! & EventFlag.Last) === 0 || data.localTs[end]! === data.localTs[end - 1]!) end++;
    evaluatorFor(probe(part))({ k: 1 }, data, { start, end }, { seed: 1 });
    const startNs = data.localTs[start]!;
    const endNs = data.localTs[end - 1]!;
    const expected = full.filter((s) => s.t >= startNs && s.t <= endNs);
    expect(part.length).toBeGreaterThan(1_000);
    // Compared as text lines so a failure prints the first differing book, not a 20k-row diff.
    const text = (xs: Seen[]): string[] => xs.map((x) => `${x.t} ${x.bid} ${x.ask} ${x.bidQty} ${x.levels}`);
    const a = text(part);
    const b = text(expected);
    const firstDiff = a.findIndex((line, i) => line !== b[i]);
    expect({ firstDiff, line: a[firstDiff] ?? null, want: b[firstDiff] ?? null }).toEqual({ firstDiff: -1, line: null, want: null });
    expect(a.length).toBe(b.length);
  });

  it("pnl over the whole data equals the engine's own summary; period returns sum to pnl on a params-independent grid", () => {
    const evaluate = evaluatorFor(strategies.imbalance, { latencyNs: 20_000 });
    const whole = evaluate({ threshold: 0.3 }, data, { start: 0, end: data.length }, { seed: 5 });
    const direct = backtest(data, strategies.imbalance({ threshold: 0.3 }), { latencyNs: 20_000, seed: 5 });
    expect(whole.metrics.pnl).toBeCloseTo(direct.summary.pnl, 9);
    expect(whole.metrics.trades).toBe(direct.summary.trades);
    expect(whole.events).toBe(data.length);

    const r1 = evaluate({ threshold: 0.3 }, data, { start: 15_000, end: 50_000 }, { seed: 5 });
    const r2 = evaluate({ threshold: 0.6, cooldownMs: 100 }, data, { start: 15_000, end: 50_000 }, { seed: 5 });
    // Grid of 1 s samples between the range's first and last local times: same length for any params.
    const first = data.localTs[15_000]!;
    const last = data.localTs[49_999]!;
    const gridPoints = Number(last / 1_000_000_000n - (first + 999_999_999n) / 1_000_000_000n) + 1;
    expect(r1.periodReturns!.length).toBe(gridPoints + 1);
    expect(r2.periodReturns!.length).toBe(gridPoints + 1);
    const sum = (a: Float64Array): number => a.reduce((s, x) => s + x, 0);
    expect(sum(r1.periodReturns!)).toBeCloseTo(r1.metrics.pnl!, 9);
    expect(sum(r2.periodReturns!)).toBeCloseTo(r2.metrics.pnl!, 9);
    // Sharpe: whole grid periods only (drop the partial first and last), sample sd, × √(365·86400).
    const inner = Array.from(r1.periodReturns!.subarray(1, r1.periodReturns!.length - 1));
    const mean = inner.reduce((a, b) => a + b, 0) / inner.length;
    const sd = Math.sqrt(inner.reduce((a, b) => a + (b - mean) ** 2, 0) / (inner.length - 1));
    expect(r1.metrics.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(365 * 86400), 6);
    // Nothing trades before the range: the trial on a later range equals a run with the prefix gated off.
    expect(r1.metrics.trades).toBeLessThan(whole.metrics.trades!);
  });

  it("a trial on a prefix [0, end) equals a backtest of that slice", () => {
    const evaluate = evaluatorFor(strategies.imbalance, {});
    const out = evaluate({ threshold: 0.4 }, data, { start: 0, end: 30_000 }, { seed: 2 });
    const direct = backtest(sliceBatch(data, 0, 30_000), strategies.imbalance({ threshold: 0.4 }), { seed: 2 });
    expect(out.metrics.pnl).toBeCloseTo(direct.summary.pnl, 9);
    expect(out.metrics.fees).toBe(direct.summary.fees);
  });
});

describe("optimize with a registered strategy", () => {
  beforeAll(() => buildDist());

  it("gives identical trials in this thread and on 2 workers", async () => {
    const strip = (ts: readonly TrialRecord[]) => ts.map(({ durationMs: _d, periodReturns, ...rest }) => ({ ...rest, periodReturns: Array.from(periodReturns ?? []) }));
    const run = (workers: number) => optimize({ data, strategy: "imbalance", space: { threshold: range(0.2, 0.6, 0.2), cooldownMs: [10, 50] }, backtest: { latencyNs: 30_000, queue: "prob" }, objective: "pnl", constraints: { trades: { min: 10 } }, workers, seed: 4 });
    const [a, b] = [await run(0), await run(2)];
    expect(a.trialCount).toBe(6);
    expect(strip(b.trials)).toEqual(strip(a.trials));
    expect(b.bestParams).toEqual(a.bestParams);
    // Fixed parameters come from the strategy's defaults.
    expect(a.fixed).toEqual({ exitThreshold: 0, levels: 1, size: 0, orderNotional: 1000, maxPosition: 0, mode: "taker" });
  });

  it("runs a strategy defined only in this process in this thread, and refuses it when workers are asked for", async () => {
    await expect(optimize({ data, strategy: probe([]), space: { k: range(1, 3, 1) }, workers: 2 })).rejects.toThrow(/defined in this process only/);
    const notes: string[] = [];
    const seen: Seen[] = [];
    const r = await optimize({ data, strategy: probe(seen), space: { k: range(1, 3, 1) }, objective: "trades", onWarning: (m) => notes.push(m) });
    expect(r.workers).toBe(0);
    expect(r.trialCount).toBe(3);
    expect(notes).toEqual(["trials run in this thread: workers cannot load a function; pass a module reference (or strategyModule) to use worker threads"]);
    // The probe ran in this process: three full replays of its books.
    expect(seen.length % 3).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
  });
});
