/**
 * Streamed backtests (src/engine/streaming.ts): the same rows read chunk by chunk give the result
 * of the in-memory run, bit for bit, for any chunk size — on price levels and order by order, with
 * orders resting across chunk boundaries, with several instruments, and with latency models that
 * draw random numbers.
 */
import { describe, expect, it } from "vitest";
import { instrument, type ProgressEvent, type ProgressSink } from "../../src/core/index.js";
import { EventFlag, TICK_COLUMN_NAMES, generateTicks, mergeBatches, tickBatch, type TickBatch, type TickColumns } from "../../src/data/index.js";

const columnsOfBatch = (b: TickBatch): TickColumns => Object.fromEntries(TICK_COLUMN_NAMES.map((n) => [n, b[n]])) as unknown as TickColumns;
import { backtest, backtestStream, chunksOf, latency, type BacktestOptions, type BacktestResult } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";
import { caughtAsync } from "../helpers/checks.js";

/** Every column of a table as plain arrays (ns times as text). */
function columns(table: object): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [name, value] of Object.entries(table)) {
    if (ArrayBuffer.isView(value)) out[name] = Array.from(value as unknown as ArrayLike<number | bigint>, (x) => (typeof x === "bigint" ? String(x) : x));
  }
  return out;
}

/** Everything a run produced, as plain data (wall-clock figures left out). */
function outcome(r: BacktestResult): unknown {
  const { summary, ...rest } = r.toJSON();
  const { eventsPerSecond: _e, ...figures } = summary as unknown as Record<string, unknown>;
  return { figures, rest: { ...rest, diagnostics: { ...r.diagnostics, wallMs: 0 } }, orders: columns(r.orders), fills: columns(r.fills), equity: columns(r.equity) };
}

/** Orders alive (submitted, not yet done) when the row at a chunk boundary was stamped. */
function restingAcross(r: BacktestResult, data: TickBatch, chunkRows: number): number {
  let count = 0;
  for (let b = chunkRows; b < data.length; b += chunkRows) {
    const t = data.exchTs[b]!;
    const o = r.orders;
    for (let i = 0; i < o.arrivedTs.length; i++) if (o.arrivedTs[i]! > 0n && o.arrivedTs[i]! < t && (o.doneTs[i]! > t || o.doneTs[i] === 0n)) count++;
  }
  return count;
}

const l2 = generateTicks({ events: 40_000, seed: 11, mode: "l2" });
const l3 = generateTicks({ events: 40_000, seed: 12, mode: "l3" });
const maker = strategies.marketMaker({ maxPosition: 4 });
const options: BacktestOptions = { latencyNs: 200_000, seed: 3 };

describe("streamed backtest = in-memory backtest", () => {
  for (const [name, data] of [["L2", l2], ["L3", l3]] as const) {
    it(`${name}: chunks of 1,000, 100,000 and 4,000,000 rows (and 1, 7) give the in-memory result, with orders resting across boundaries`, async () => {
      const memory = backtest(data, maker, options);
      expect(memory.fills.ts.length).toBeGreaterThan(100);
      const want = outcome(memory);
      for (const chunkRows of [1_000, 100_000, 4_000_000, 1, 7]) {
        const streamed = await backtestStream(chunksOf(data, chunkRows), maker, options);
        expect(outcome(streamed), `${name}, chunks of ${chunkRows}`).toEqual(want);
      }
      expect(restingAcross(memory, data, 1_000)).toBeGreaterThan(10);
    });
  }

  it("several instruments, a random latency model and a receive-clock offset", async () => {
    const other = generateTicks({ events: 20_000, seed: 13, mode: "l2", instrument: instrument({ symbol: "OTHER", venue: "SIM", tickSize: "0.01" }) });
    const merged = mergeBatches([l2, other]);
    const opts: BacktestOptions = { latencyNs: latency.lognormal({ entryMedianNs: 150_000, responseMedianNs: 100_000, sigma: 0.5 }), seed: 9, clockOffsetNs: 1_000 };
    const memory = backtest(merged, maker, opts);
    expect(memory.instruments.length).toBe(2);
    for (const chunkRows of [1_000, 33_333]) expect(outcome(await backtestStream(chunksOf(merged, chunkRows), maker, opts))).toEqual(outcome(memory));
  });

  it("a source that cannot count its rows up front (a live feed) reports the rows it read", async () => {
    const { totalRows: _total, ...uncounted } = chunksOf(l2, 3_000);
    const memory = backtest(l2, maker, options);
    const streamed = await backtestStream(uncounted, maker, options);
    expect(streamed.summary.events).toBe(l2.length);
    expect(streamed.summary.events).toBe(memory.summary.events);
    expect(Array.from(streamed.fills.ts)).toEqual(Array.from(memory.fills.ts));
  });

  it("checks the input chunk by chunk, rows numbered in the whole source", async () => {
    const price = l2.priceTicks.slice();
    price[25_123] = -3;
    const damaged = tickBatch({ ...columnsOfBatch(l2), priceTicks: price }, l2.instruments, "damaged");
    const streamed = await backtestStream(chunksOf(damaged, 1_000), maker, options);
    expect(streamed.inputCheck?.issues.map((x) => [x.class, x.count, x.samples[0]!.row])).toEqual([["non-positive-price", 1, 25_123]]);
    expect(streamed.inputCheck?.rowsChecked).toBe(40_000);
  });

  it("a source without traits: taken from its first 65,536 rows, and a later chunk that contradicts them is refused, never run differently", async () => {
    // Tiny chunks: the traits come from the first 65,536 rows (here the whole source), not the first chunk.
    const untold = (data: TickBatch, chunkRows: number) => ({ ...chunksOf(data, chunkRows), traits: undefined });
    expect(outcome(await backtestStream(untold(l2, 7), maker, options))).toEqual(outcome(backtest(l2, maker, options)));
    // Two instruments, the second starting 30,000 rows in: each window is made of rows from many
    // first chunks (and the second's from chunks read after the first 65,536 rows' worth of the first).
    const late = generateTicks({ events: 10_000, seed: 14, mode: "l2", instrument: instrument({ symbol: "LATE", venue: "SIM", tickSize: "0.01" }), startNs: l2.exchTs[30_000]! });
    const two = mergeBatches([l2, late]);
    for (const chunkRows of [7, 5_000]) expect(outcome(await backtestStream(untold(two, chunkRows), maker, options))).toEqual(outcome(backtest(two, maker, options)));
    // Rows flagged Last only from row 70,000 on: the in-memory run groups by the flags, a run that
    // took its traits from the first rows would group by time.
    const data = generateTicks({ events: 80_000, seed: 13, mode: "l2" });
    const flags = Uint16Array.from(data.flags);
    let cleared = 0;
    for (let i = 0; i < 70_000; i++) {
      if (flags[i]! & EventFlag.Last) cleared++;
      flags[i] = flags[i]! & ~EventFlag.Last;
    }
    expect(cleared).toBeGreaterThan(1000);
    const lateLast = tickBatch({ ...columnsOfBatch(data), flags }, data.instruments, "late Last flags");
    const error = await caughtAsync(() => backtestStream(untold(lateLast, 1_000), maker, options));
    expect(error.code).toBe("BAD_BATCH");
    expect(error.message).toContain("has rows flagged Last in the chunk starting at row 70000, but none in its first 70000 rows");
    expect(error.hint).toContain("hasLast: true");
    // Told its traits, the same source runs and equals the in-memory run.
    expect(outcome(await backtestStream(chunksOf(lateLast, 1_000), maker, options))).toEqual(outcome(backtest(lateLast, maker, options)));
  });

  it("a read that fails while the run is already ending is not reported unhandled: the run's own error is the one thrown", async () => {
    const failing = chunksOf(l2, 1_000);
    const next = failing.next.bind(failing);
    let calls = 0;
    // the second chunk's read fails 30 ms after it was asked for, by then the run has stopped on its strategy's error
    failing.next = () => (++calls === 1 ? next() : new Promise((_, reject) => setTimeout(() => reject(new Error("disk gone")), 30)));
    const throwing = { onBook(): void {
      throw new Error("strategy bug");
    } };
    const unhandled: unknown[] = [];
    const listener = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", listener);
    try {
      await expect(backtestStream(failing, throwing, options)).rejects.toThrow("strategy bug");
      await new Promise((resolve) => setTimeout(resolve, 80));
    } finally {
      process.off("unhandledRejection", listener);
    }
    expect(calls).toBe(2);
    expect(unhandled).toEqual([]);
  });

  it("progress counts events, in memory and streamed: the total is the rows, the last report says all of them", async () => {
    for (const run of [(sink: ProgressSink) => Promise.resolve(backtest(l2, maker, { ...options, progress: sink })), (sink: ProgressSink) => backtestStream(chunksOf(l2, 7_000), maker, { ...options, progress: sink })]) {
      const events: ProgressEvent[] = [];
      const result = await run((e) => events.push(e));
      const last = events.at(-1)!;
      expect(result.summary.events).toBe(l2.length);
      expect(events.every((e) => e.total === l2.length && e.unit === "events" && e.done <= e.total)).toBe(true);
      expect(last).toMatchObject({ finished: true, done: l2.length });
    }
  });

  it("says what a streamed source cannot do", async () => {
    expect((await caughtAsync(() => backtestStream(chunksOf(l2, 1000), maker, { startAt: 1n }))).message).toBe("backtest option startAt is not available with a streamed source");
    expect((await caughtAsync(() => backtestStream(chunksOf(l2, 1000), maker, { clockOffsetNs: "auto" }))).code).toBe("BAD_OPTION");
  });
});

describe("streamed from a catalog", () => {
  it("two days and two symbols read chunk by chunk equal readCatalog's rows in memory (the facade and the CLI)", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { spawnSync } = await import("node:child_process");
    const { catalogChunks, readCatalog, writeCatalog } = await import("../../src/data/index.js");
    const { backtest: labBacktest } = await import("../../src/runs/index.js");
    const { parseTime } = await import("../../src/core/index.js");
    const { CLI } = await import("../helpers/paths.js");
    const dir = mkdtempSync(join(tmpdir(), "stream-catalog-"));
    try {
      // across midnight: two date partitions per symbol
      const a = generateTicks({ events: 30_000, seed: 21, mode: "l2", startNs: parseTime("2024-03-04T23:50:00Z"), ratePerSecond: 40 });
      const b = generateTicks({ events: 20_000, seed: 22, mode: "l2", startNs: parseTime("2024-03-04T23:55:00Z"), ratePerSecond: 30, instrument: instrument({ symbol: "BBB", venue: "SIM", tickSize: "0.01" }) });
      await writeCatalog(dir, a);
      await writeCatalog(dir, b);
      const source = await catalogChunks(dir, { chunkRows: 5_000 });
      expect(source.totalRows).toBe(50_000);
      expect(source.instruments.map((i) => i.symbol).sort()).toEqual(["BBB", "SYN"]);
      expect(source.traits).toEqual([{ hasLast: true, l3: false, hasTrades: true }, { hasLast: true, l3: false, hasTrades: true }]);
      await source.close();
      for (const symbols of [["BBB"], undefined]) {
        const memory = backtest(await readCatalog(dir, symbols ? { symbols } : {}), maker, options);
        expect(memory.fills.ts.length).toBeGreaterThan(20);
        for (const chunkRows of [1_000, 7_777, 4_000_000]) {
          const streamed = await labBacktest({ catalog: dir, ...(symbols ? { symbols } : {}), chunkRows }, maker, options);
          expect(outcome(streamed), `${symbols ?? "all"} in chunks of ${chunkRows}`).toEqual(outcome(memory));
        }
      }
      const cli = (args: string[]): Record<string, unknown> => JSON.parse(spawnSync(process.execPath, [CLI, "backtest", "--strategy", "imbalance", "--json", ...args], { encoding: "utf8" }).stdout) as Record<string, unknown>;
      const viaCli = cli(["--catalog", dir, "--symbols", "BBB", "--chunk-rows", "3000"]);
      const inMemory = cli(["--data", dir, "--symbol", "BBB"]);
      expect(viaCli.summary).toEqual({ ...(inMemory.summary as object), eventsPerSecond: (viaCli.summary as { eventsPerSecond: number }).eventsPerSecond });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
