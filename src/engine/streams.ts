/**
 * Input preparation: one row stream per instrument, without copying the columns. A batch holding
 * one instrument is used as is; a merged batch is split into per-instrument row-index arrays.
 * Both processors take the rows in the data's order (the order they were received): exchange
 * timestamps are not a reliable sort key — snapshot rows carry the original time of each resting
 * order (Databento MBO), and venues stamp depth and trade streams differently — so the exchange
 * clock is the running maximum of `exchTs` instead.
 */
import { LabError, type InstrumentSpec } from "../core/index.js";
import { EventFlag, EventKind, type TickBatch } from "../data/index.js";
import { TimeBase, wordsOf } from "./clock.js";

/**
 * One instrument's rows. A class, not an object literal: V8 builds a literal's boilerplate on its
 * second evaluation with placeholder values, which generalizes the field types the first run's
 * optimized loop was compiled against, so every optimizer worker recompiled the engine in its
 * second trial. A constructor stores the real values from the first object on.
 */
export class Stream {
  constructor(
    readonly batch: TickBatch,
    readonly spec: InstrumentSpec,
    /** Rows of this instrument in feed order (null = rows 0..n−1 of the batch). */
    readonly rows: Int32Array | null,
    readonly length: number,
    readonly exchWords: Int32Array,
    readonly localWords: Int32Array,
    /** The feed marks atomic groups with `EventFlag.Last`. */
    readonly hasLast: boolean,
    /** The stream has order-by-order rows. */
    readonly l3: boolean,
    /** The stream has Trade rows (when an L3 stream has none, its executions are the trades). */
    readonly hasTrades: boolean,
    /**
     * False for a window of a longer source (streaming): rows follow the window's end, so the
     * loop stops there for more instead of ending the stream.
     */
    readonly final: boolean = true,
  ) {}
}

/** kind → 1 for order-by-order kinds (a lookup table: this scan touches every row). */
const L3_KIND = new Uint8Array(256);
for (const k of [EventKind.Add, EventKind.Reduce, EventKind.Modify, EventKind.Delete, EventKind.Execute]) L3_KIND[k] = 1;

/** kind → 1 for Trade. */
const TRADE_KIND = new Uint8Array(256);
TRADE_KIND[EventKind.Trade] = 1;

// The scans below read every row when the answer is no (an L2 feed has no L3 kinds, most feeds no
// Last flags): one plain loop per case, without a per-row `rows === null` test, is ~4x faster on
// the 7M-row batches an optimizer sweep backtests trial after trial.

/** True when a row of the stream (rows 0..length−1 when `rows` is null) has a flag of `mask`. */
function anyFlag(flags: Uint16Array, rows: Int32Array | null, length: number, mask: number): boolean {
  if (rows === null) {
    for (let j = 0; j < length; j++) if ((flags[j]! & mask) !== 0) return true;
    return false;
  }
  for (let j = 0; j < length; j++) if ((flags[rows[j]!]! & mask) !== 0) return true;
  return false;
}

/** True when a row of the stream has a kind marked 1 in `table`. */
function anyKind(kinds: Uint8Array, rows: Int32Array | null, length: number, table: Uint8Array): boolean {
  if (rows === null) {
    for (let j = 0; j < length; j++) if (table[kinds[j]!] === 1) return true;
    return false;
  }
  for (let j = 0; j < length; j++) if (table[kinds[rows[j]!]!] === 1) return true;
  return false;
}

/** Whether one instrument's rows (rows 0..length−1 of the batch when `rows` is null) carry Last flags, order-by-order kinds, trades. */
export function streamTraits(batch: TickBatch, rows: Int32Array | null, length: number): { hasLast: boolean; l3: boolean; hasTrades: boolean } {
  return { hasLast: anyFlag(batch.flags, rows, length, EventFlag.Last), l3: anyKind(batch.kind, rows, length, L3_KIND), hasTrades: anyKind(batch.kind, rows, length, TRADE_KIND) };
}

export function prepareStreams(input: TickBatch | readonly TickBatch[]): { streams: Stream[]; instruments: InstrumentSpec[] } {
  const batches = Array.isArray(input) ? (input as readonly TickBatch[]) : [input as TickBatch];
  if (batches.length === 0) throw new LabError({ code: "NO_DATA", message: "backtest needs at least one TickBatch", hint: "pass the ticks returned by a reader or lab.data.generateTicks(...)" });
  const streams: Stream[] = [];
  const instruments: InstrumentSpec[] = [];
  batches.forEach((batch, b) => {
    if (batch === null || typeof batch !== "object" || !(batch.exchTs instanceof BigInt64Array)) {
      throw new LabError({ code: "NOT_A_BATCH", message: `input ${b} is not a TickBatch`, hint: "pass the ticks returned by a reader or lab.data.generateTicks(...)", context: { input: b } });
    }
    if (batch.instruments.length === 0) {
      throw new LabError({ code: "NO_INSTRUMENT", message: `batch ${batch.source ?? b} has no instrument spec`, hint: "readers attach an InstrumentSpec; build one with lab.instrument({ symbol, venue, tickSize })", context: { input: b } });
    }
    if (batch.length === 0) throw new LabError({ code: "NO_DATA", message: `batch ${batch.source ?? b} has no rows`, hint: "check the reader's time range and filters", context: { input: b } });
    const m = batch.instruments.length;
    let rowsByInstrument: (Int32Array | null)[];
    if (m === 1) {
      rowsByInstrument = [null];
    } else {
      const counts = new Int32Array(m);
      const col = batch.instrument;
      for (let i = 0; i < batch.length; i++) {
        const k = col[i]!;
        if (k >= m) throw new LabError({ code: "BAD_BATCH", message: `row ${i} of ${batch.source ?? `batch ${b}`} names instrument ${k}, but the batch has ${m}`, hint: "the instrument column indexes batch.instruments", context: { row: i } });
        counts[k] = counts[k]! + 1;
      }
      rowsByInstrument = Array.from(counts, (c) => new Int32Array(c));
      const fill = new Int32Array(m);
      for (let i = 0; i < batch.length; i++) {
        const k = col[i]!;
        rowsByInstrument[k]![fill[k]!] = i;
        fill[k] = fill[k]! + 1;
      }
    }
    rowsByInstrument.forEach((rows, k) => {
      const length = rows === null ? batch.length : rows.length;
      if (length === 0) return;
      const spec = batch.instruments[k]!;
      const exchWords = wordsOf(batch.exchTs);
      const localWords = wordsOf(batch.localTs);
      const { hasLast, l3, hasTrades } = streamTraits(batch, rows, length);
      streams.push(new Stream(batch, spec, rows, length, exchWords, localWords, hasLast, l3, hasTrades));
      instruments.push(spec);
    });
  });
  return { streams, instruments };
}

/** The run's time base: the earliest first-row timestamp (times before it are negative offsets). */
export function timeBaseOf(streams: readonly Stream[]): TimeBase {
  let base: bigint | undefined;
  for (const s of streams) {
    const first = s.rows === null ? 0 : s.rows[0]!;
    for (const v of [s.batch.exchTs[first]!, s.batch.localTs[first]!]) if (v > 0n && (base === undefined || v < base)) base = v;
  }
  return new TimeBase(base ?? 0n);
}

/**
 * The collector's clock offset of one stream: the largest amount (ns, ≥ 0) by which a row's
 * receive time trails its exchange time (see src/data/clock-offset.ts); rows flagged
 * BadTimestamp are skipped.
 */
export function streamClockOffset(s: Stream): number {
  const ew = s.exchWords;
  const lw = s.localWords;
  const flags = s.batch.flags;
  const rows = s.rows;
  let lead = 0;
  for (let j = 0; j < s.length; j++) {
    const r = rows === null ? j : rows[j]!;
    if ((flags[r]! & EventFlag.BadTimestamp) !== 0) continue;
    const d = (ew[2 * r + 1]! - lw[2 * r + 1]!) * 4294967296 + ((ew[2 * r]! >>> 0) - (lw[2 * r]! >>> 0));
    if (d > lead) lead = d;
  }
  return lead;
}

/** Offsets per stream for the option `clockOffsetNs` (checked by normalizeBacktestOptions). */
export function clockOffsetsOf(streams: readonly Stream[], option: "auto" | number | readonly number[]): number[] {
  if (option === "auto") return streams.map(streamClockOffset);
  if (typeof option === "number") return streams.map(() => option);
  if (option.length !== streams.length) {
    throw new LabError({ code: "BAD_OPTION", message: `backtest option clockOffsetNs: ${option.length} values for ${streams.length} instruments`, hint: 'give one per instrument in the run\'s order, a single number, or "auto"', context: { option: "clockOffsetNs" } });
  }
  return [...option];
}
