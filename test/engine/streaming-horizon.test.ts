/**
 * Horizons of streamed sources (TickChunkSource.horizonAfter, src/engine/streaming.ts): a source
 * that can bound the exchange times of the rows still to come lets a one-instrument run process
 * every event before that bound at once, instead of waiting for the next chunk. The result stays
 * the in-memory run's, bit for bit.
 */
import { describe, expect, it } from "vitest";
import { EventKind, TICK_COLUMN_NAMES, generateTicks, tickBatch, type TickBatch, type TickColumns } from "../../src/data/index.js";
import { backtest, backtestStream, chunksOf, latency, type BacktestOptions, type BacktestResult, type TickChunkSource } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";

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

function slice(batch: TickBatch, start: number, end: number): TickBatch {
  const cols = {} as Record<string, unknown>;
  for (const name of TICK_COLUMN_NAMES) cols[name] = (batch[name] as unknown as { subarray(a: number, b: number): unknown }).subarray(start, end);
  return tickBatch(cols as unknown as TickColumns, batch.instruments, batch.source);
}

/** min of exchTs[i..] for every i (the tightest true horizon after row i - 1); +inf past the end. */
function suffixMin(batch: TickBatch): bigint[] {
  const out: bigint[] = new Array(batch.length + 1);
  out[batch.length] = 2n ** 62n;
  for (let i = batch.length - 1; i >= 0; i--) out[i] = batch.exchTs[i]! < out[i + 1]! ? batch.exchTs[i]! : out[i + 1]!;
  return out;
}

/** A source of chunks with the given ends, each followed by the tightest true horizon. */
function withHorizons(batch: TickBatch, ends: readonly number[]): TickChunkSource {
  const bound = suffixMin(batch);
  const endOf = new Map<TickBatch, number>();
  let k = 0;
  let at = 0;
  return {
    instruments: batch.instruments,
    traits: chunksOf(batch, batch.length).traits!,
    description: "chunks with horizons",
    next: async () => {
      if (k >= ends.length) return undefined;
      const chunk = slice(batch, at, ends[k]!);
      at = ends[k++]!;
      endOf.set(chunk, at);
      return chunk;
    },
    horizonAfter: (chunk) => (endOf.get(chunk)! < batch.length ? bound[endOf.get(chunk)!] : undefined),
  };
}

function randomEnds(length: number, seed: number, maxChunk: number): number[] {
  let s = seed;
  const ends: number[] = [];
  for (let at = 0; at < length; ) {
    s = (s * 1103515245 + 12345) % 2147483648;
    at = Math.min(length, at + 1 + (s % maxChunk));
    ends.push(at);
  }
  return ends;
}

const l2 = generateTicks({ events: 30_000, seed: 21, mode: "l2" });
const l3 = generateTicks({ events: 30_000, seed: 22, mode: "l3" });
const maker = strategies.marketMaker({ maxPosition: 4 });

describe("streamed runs with horizons = in-memory runs", () => {
  for (const [name, data] of [["L2", l2], ["L3", l3]] as const) {
    it(`${name}: chunks of 1 to 7 rows, 1 to 500 and one chunk, each with the tightest true horizon`, async () => {
      const options: BacktestOptions = { latencyNs: latency.constant({ entryNs: 150_000, responseNs: 90_000 }), seed: 3 };
      const want = outcome(backtest(data, maker, options));
      expect((want as { fills: { ts: unknown[] } }).fills.ts.length).toBeGreaterThan(50);
      for (const ends of [randomEnds(data.length, 1, 7), randomEnds(data.length, 2, 500), [data.length]]) {
        const streamed = await backtestStream(withHorizons(data, ends), maker, options);
        expect(outcome(streamed), `${name}, ${ends.length} chunks`).toEqual(want);
      }
    });
  }

  it("a weaker horizon with each chunk, then a chunk of no rows raising it to the tightest (a live source's clock moving without data)", async () => {
    const options: BacktestOptions = { latencyNs: latency.constant({ entryNs: 150_000, responseNs: 90_000 }), seed: 4 };
    const want = outcome(backtest(l2, maker, options));
    const bound = suffixMin(l2);
    const ends = randomEnds(l2.length, 5, 9);
    let k = 0;
    let at = 0;
    let empty = false;
    const given = new Map<TickBatch, bigint | undefined>();
    let raised = 0;
    const source: TickChunkSource = {
      instruments: l2.instruments,
      traits: chunksOf(l2, l2.length).traits!,
      description: "chunks, then empty steps",
      next: async () => {
        if (empty) {
          empty = false;
          const step = slice(l2, at, at);
          given.set(step, at < l2.length ? bound[at] : undefined);
          raised++;
          return step;
        }
        if (k >= ends.length) return undefined;
        const chunk = slice(l2, at, ends[k]!);
        at = ends[k++]!;
        given.set(chunk, at < l2.length ? bound[at]! - 5_000n : undefined);
        empty = true;
        return chunk;
      },
      horizonAfter: (chunk) => given.get(chunk),
    };
    const streamed = await backtestStream(source, maker, options);
    expect(raised).toBe(ends.length);
    expect(outcome(streamed)).toEqual(want);
  });

  it("with a receive-clock offset and a random latency model", async () => {
    const options: BacktestOptions = { latencyNs: latency.lognormal({ entryMedianNs: 200_000, sigma: 0.5 }), clockOffsetNs: 350_000, seed: 9 };
    const want = outcome(backtest(l2, maker, options));
    const streamed = await backtestStream(withHorizons(l2, randomEnds(l2.length, 3, 40)), maker, options);
    expect(outcome(streamed)).toEqual(want);
  });
});

describe("a horizon hands a chunk's last rows over before the next chunk exists", () => {
  // The generated rows, the second part 10 s later: rows [0, K) then a gap no receive time of the first part reaches.
  const K = 5_000;
  const shifted = (() => {
    const cols = {} as Record<string, unknown>;
    for (const name of TICK_COLUMN_NAMES) cols[name] = (l2[name] as unknown as { slice(): unknown }).slice();
    const c = cols as unknown as TickColumns;
    for (let i = K; i < l2.length; i++) {
      c.exchTs[i] = c.exchTs[i]! + 10_000_000_000n;
      c.localTs[i] = c.localTs[i]! + 10_000_000_000n;
    }
    return tickBatch(c, l2.instruments, "shifted");
  })();
  const tradesBefore = (() => {
    let n = 0;
    for (let i = 0; i < K; i++) if (shifted.kind[i] === EventKind.Trade) n++;
    return n;
  })();

  async function firstChunkSeen(horizon: boolean): Promise<{ seen: number; result: BacktestResult }> {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let k = 0;
    const source: TickChunkSource = {
      instruments: shifted.instruments,
      traits: chunksOf(shifted, shifted.length).traits!,
      description: "gated",
      next: async () => {
        if (k === 0) {
          k++;
          return slice(shifted, 0, K);
        }
        if (k === 1) {
          k++;
          await gate;
          return slice(shifted, K, shifted.length);
        }
        return undefined;
      },
      ...(horizon ? { horizonAfter: (chunk: TickBatch) => (chunk.length === K ? shifted.exchTs[K]! : undefined) } : {}),
    };
    let trades = 0;
    const strategy = { onTrade: () => void trades++ };
    const run = backtestStream(source, strategy, { latencyNs: 100_000 });
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    const seen = trades;
    release();
    const result = await run;
    expect(trades).toBe(tradesBefore + Array.from(shifted.kind.subarray(K)).filter((x) => x === EventKind.Trade).length);
    return { seen, result };
  }

  it("every trade of the first chunk reaches the strategy with a horizon, not all without; the results are equal", async () => {
    expect(tradesBefore).toBeGreaterThan(100);
    const withHorizon = await firstChunkSeen(true);
    const without = await firstChunkSeen(false);
    expect(withHorizon.seen).toBe(tradesBefore);
    expect(without.seen).toBeLessThan(tradesBefore);
    const memory = backtest(shifted, { onTrade: () => undefined }, { latencyNs: 100_000 });
    expect(outcome(withHorizon.result)).toEqual(outcome(memory));
    expect(outcome(without.result)).toEqual(outcome(memory));
  });

  it("one row at a time: each row reaches the strategy before the next row exists", async () => {
    // 3,000 rows, one every µs, received when sent: the next row's time is a true horizon past the row's receive time.
    const n = 3_000;
    const cols = {} as Record<string, unknown>;
    for (const name of TICK_COLUMN_NAMES) cols[name] = (l2[name] as unknown as { slice(a: number, b: number): unknown }).slice(0, n);
    const c = cols as unknown as TickColumns;
    for (let i = 0; i < n; i++) {
      c.exchTs[i] = l2.exchTs[0]! + BigInt(i) * 1_000n;
      c.localTs[i] = c.exchTs[i]!;
    }
    const rows = tickBatch(c, l2.instruments, "one by one");
    const tradesUpTo: number[] = [];
    for (let i = 0, t = 0; i < n; i++) tradesUpTo.push((t += rows.kind[i] === EventKind.Trade ? 1 : 0));
    const run = async (horizon: boolean): Promise<{ behind: number; result: BacktestResult }> => {
      let trades = 0;
      let behind = 0;
      let at = 0;
      const source: TickChunkSource = {
        instruments: rows.instruments,
        traits: chunksOf(rows, n).traits!,
        description: "one by one",
        next: async () => {
          // The run took the rows before `at` and has had every chance to process them.
          await new Promise((resolve) => setImmediate(resolve));
          if (at > 0 && trades !== tradesUpTo[at - 1]) behind++;
          if (at >= n) return undefined;
          return slice(rows, at, ++at);
        },
        ...(horizon ? { horizonAfter: (chunk: TickBatch) => (chunk.exchTs[0]! === rows.exchTs[n - 1] ? undefined : chunk.exchTs[0]! + 1_000n) } : {}),
      };
      const result = await backtestStream(source, { onTrade: () => void trades++ }, { latencyNs: 100_000 });
      expect(trades).toBe(tradesUpTo[n - 1]);
      return { behind, result };
    };
    expect(tradesUpTo[n - 1]).toBeGreaterThan(100);
    const withHorizon = await run(true);
    const without = await run(false);
    expect(withHorizon.behind).toBe(0);
    expect(without.behind).toBeGreaterThan(100);
    expect(outcome(withHorizon.result)).toEqual(outcome(backtest(rows, { onTrade: () => undefined }, { latencyNs: 100_000 })));
  });
});
