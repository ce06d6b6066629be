/**
 * `TickBatch`: the one columnar representation every reader produces and every replay consumes.
 * Struct of arrays, one typed array per column, so hot loops index columns and never allocate an
 * object per event. Missing numbers are NaN, never 0.
 *
 * Column meaning by kind (side: 1 = bid/buy, -1 = ask/sell, 0 = none/unknown):
 * | kind      | priceTicks        | qtyLots                          | orderId       |
 * | LevelSet  | level price       | new total size at level (0 = delete) | NaN        |
 * | Clear     | NaN               | NaN                              | NaN           |
 * | Trade     | trade price       | traded size; side = aggressor    | maker id or NaN |
 * | Bbo       | bid price (side 1) / ask price (side -1), one row per side | size at best | NaN |
 * | Add       | order price       | order size                       | order id      |
 * | Reduce    | order price       | size removed (partial cancel)    | order id      |
 * | Modify    | new price         | new size                         | order id      |
 * | Delete    | order price       | size removed (may be NaN)        | order id      |
 * | Execute   | order price       | size executed against the order  | order id      |
 * | Halt      | NaN               | NaN (aux = halt/resume code)     | NaN           |
 * Rows that belong to a snapshot carry `EventFlag.Snapshot`; the last row of an atomic group
 * (a whole depth diff, a venue's end-of-event flag) carries `EventFlag.Last`. `seq` is the venue sequence /
 * update id (NaN if none); `aux` is one spare number per row whose meaning the reader documents.
 */
import { LabError, type InstrumentSpec } from "../core/index.js";

export const EventKind = {
  LevelSet: 1,
  Clear: 2,
  Trade: 4,
  Bbo: 5,
  Add: 10,
  Reduce: 11,
  Modify: 12,
  Delete: 13,
  Execute: 14,
  Halt: 20,
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

export const EVENT_KIND_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(EventKind).map(([k, v]) => [v, k]));

/**
 * Feeds whose exchange times are ordered separately: 0 book rows (levels, clears, orders), 1
 * top-of-book quotes (Bbo), 2 trades, 3 the rest (halts, unknown kinds). Venues stamp them apart:
 * a websocket capture interleaves depth, top-of-book and trade messages whose times cross by
 * milliseconds, and their sequence numbers are separate counters (depth and top-of-book update
 * ids, trade ids). Time order and sequence checks compare rows of one instrument and feed.
 */
export const FEED_COUNT = 4;
/** The feed of each kind (see `FEED_COUNT`), as a lookup by kind code. */
export const FEED_OF_KIND: Readonly<Uint8Array> = (() => {
  const feed = new Uint8Array(256).fill(3);
  for (const k of [EventKind.LevelSet, EventKind.Clear, EventKind.Add, EventKind.Reduce, EventKind.Modify, EventKind.Delete, EventKind.Execute]) feed[k] = 0;
  feed[EventKind.Bbo] = 1;
  feed[EventKind.Trade] = 2;
  return feed;
})();

export const Side = { Bid: 1, Ask: -1, None: 0 } as const;
export type Side = (typeof Side)[keyof typeof Side];

/** Bit flags on each row. */
export const EventFlag = {
  /** Row is part of a book snapshot (replaces state rather than updating it). */
  Snapshot: 1,
  /** Last row of an atomic group: the book is consistent after applying it. */
  Last: 2,
  /** The source marked the receive timestamp as unreliable (a bad-receive-time flag). */
  BadTimestamp: 4,
  /** Execution of hidden liquidity (e.g. a hidden execution message): does not touch the visible book. */
  Hidden: 8,
  /** Cross/auction trade. */
  Cross: 16,
  /** Row follows a detected sequence gap: the book was resynchronized here. */
  AfterGap: 32,
  /** Top-of-book only (a top-of-book feed): level set refers to the best level. */
  TopOfBook: 64,
  /** The source did not say which side was the aggressor. */
  AggressorUnknown: 128,
  /** Venue-specific flag bit the source set that has no meaning here (kept, not guessed). */
  SourceSpecific: 256,
  /**
   * The row reports an event whose effect on the book arrives in separate rows, so books must not
   * apply it again (an order-by-order feed's fill message, when the resting order is reduced by the cancel or modify that follows).
   */
  NoBookEffect: 512,
  /** The source gave no exchange timestamp for this row: exchTs repeats localTs (e.g. a spot top-of-book stream). */
  NoExchangeTime: 1024,
  /** The price is not on the instrument's tick grid (e.g. a midpoint execution of hidden size); priceTicks holds the exact fractional tick count. */
  OffGrid: 2048,
  /**
   * For the exchange's processor only (an event marked for the exchange and not the local side: a row whose
   * receive order differs from its exchange order, split in two): the strategy never receives it.
   * Its receive time is a filler, so readers flag it BadTimestamp too.
   */
  ExchangeOnly: 4096,
  /** For the strategy's processor only (an event marked for the local side and not the exchange): the exchange never applies it. */
  LocalOnly: 8192,
} as const;

export const TICK_COLUMNS = {
  exchTs: BigInt64Array,
  localTs: BigInt64Array,
  kind: Uint8Array,
  side: Int8Array,
  flags: Uint16Array,
  instrument: Uint16Array,
  priceTicks: Float64Array,
  qtyLots: Float64Array,
  orderId: Float64Array,
  seq: Float64Array,
  aux: Float64Array,
} as const;

export type TickColumnName = keyof typeof TICK_COLUMNS;
export type TickColumns = { [K in TickColumnName]: InstanceType<(typeof TICK_COLUMNS)[K]> };
export const TICK_COLUMN_NAMES = Object.keys(TICK_COLUMNS) as TickColumnName[];

export interface TickBatch extends Readonly<TickColumns> {
  readonly length: number;
  /** Instrument specs indexed by the `instrument` column. */
  readonly instruments: readonly InstrumentSpec[];
  /** Where the rows came from (file path, format), for messages. */
  readonly source?: string;
}

const BYTES: Record<TickColumnName, number> = { exchTs: 8, localTs: 8, kind: 1, side: 1, flags: 2, instrument: 2, priceTicks: 8, qtyLots: 8, orderId: 8, seq: 8, aux: 8 };

/** Allocates empty columns of `length` rows; `shared` puts them in SharedArrayBuffers for workers. */
export function allocateColumns(length: number, shared = false): TickColumns {
  const out = {} as Record<TickColumnName, unknown>;
  for (const name of TICK_COLUMN_NAMES) {
    const buffer = shared ? new SharedArrayBuffer(length * BYTES[name]) : new ArrayBuffer(length * BYTES[name]);
    const Ctor = TICK_COLUMNS[name];
    const column = new Ctor(buffer);
    if (column instanceof Float64Array) column.fill(NaN);
    out[name] = column;
  }
  return out as TickColumns;
}

export function tickBatch(columns: TickColumns, instruments: readonly InstrumentSpec[], source?: string): TickBatch {
  const length = columns.exchTs.length;
  for (const name of TICK_COLUMN_NAMES) {
    if (columns[name].length !== length) {
      throw new LabError({ code: "BAD_BATCH", message: `column ${name} has ${columns[name].length} rows, expected ${length}`, hint: "all TickBatch columns must have the same length", context: { column: name } });
    }
  }
  return new ColumnBatch(columns, length, instruments, source);
}

/**
 * Every batch `tickBatch` makes is one of these, fields in one order and `source` always present,
 * so batches from files, slices, the generator and worker handles share one hidden class: code the
 * engine and the books optimized for one batch runs unchanged on the next (docs/architecture.md,
 * "Hot paths").
 */
class ColumnBatch implements TickBatch {
  readonly exchTs: BigInt64Array;
  readonly localTs: BigInt64Array;
  readonly kind: Uint8Array;
  readonly side: Int8Array;
  readonly flags: Uint16Array;
  readonly instrument: Uint16Array;
  readonly priceTicks: Float64Array;
  readonly qtyLots: Float64Array;
  readonly orderId: Float64Array;
  readonly seq: Float64Array;
  readonly aux: Float64Array;

  constructor(
    columns: TickColumns,
    readonly length: number,
    readonly instruments: readonly InstrumentSpec[],
    readonly source: string | undefined,
  ) {
    this.exchTs = columns.exchTs;
    this.localTs = columns.localTs;
    this.kind = columns.kind;
    this.side = columns.side;
    this.flags = columns.flags;
    this.instrument = columns.instrument;
    this.priceTicks = columns.priceTicks;
    this.qtyLots = columns.qtyLots;
    this.orderId = columns.orderId;
    this.seq = columns.seq;
    this.aux = columns.aux;
  }
}

/**
 * What readers attach to the batches they make (the read report, a reader's own details), by
 * kind, in a side table keyed by the batch object: every batch keeps one hidden class, and this
 * module needs no reader's types.
 */
const BATCH_INFO = new WeakMap<TickBatch, Map<string, unknown>>();

/**
 * Makes `batch[kind]` read the details of `kind` attached to a batch (undefined for others), for
 * a reader whose details users read as a property (the reader types it on the batches it
 * returns). A getter on the one batch class rather than a field added to that reader's batches:
 * such batches would have a hidden class of their own.
 */
export function defineBatchInfoGetter(kind: string): void {
  Object.defineProperty(ColumnBatch.prototype, kind, {
    get(this: TickBatch): unknown {
      return batchInfoOf(this, kind);
    },
    configurable: true,
  });
}

/** Attaches a reader's details of `kind` to a batch it made (see quality.ts `attachReadReport`). */
export function attachBatchInfo(batch: TickBatch, kind: string, info: unknown): void {
  let map = BATCH_INFO.get(batch);
  if (!map) BATCH_INFO.set(batch, (map = new Map()));
  map.set(kind, info);
}

/** The details of `kind` attached to `batch`, if any. */
export function batchInfoOf(batch: TickBatch, kind: string): unknown {
  return BATCH_INFO.get(batch)?.get(kind);
}

/** Rows [start, end) as views (no copy). */
export function sliceBatch(batch: TickBatch, start: number, end: number = batch.length): TickBatch {
  const cols = {} as Record<TickColumnName, unknown>;
  for (const name of TICK_COLUMN_NAMES) cols[name] = batch[name].subarray(start, end);
  return tickBatch(cols as TickColumns, batch.instruments, batch.source);
}

/** Rows at `indices` (in that order), copied into new columns. */
export function gatherRows(batch: TickBatch, indices: Int32Array): TickBatch {
  const cols = {} as Record<TickColumnName, unknown>;
  for (const name of TICK_COLUMN_NAMES) {
    const from = batch[name] as unknown as { [i: number]: number | bigint };
    const to = new TICK_COLUMNS[name](indices.length) as unknown as { [i: number]: number | bigint };
    for (let j = 0; j < indices.length; j++) to[j] = from[indices[j]!]!;
    cols[name] = to;
  }
  return tickBatch(cols as TickColumns, batch.instruments, batch.source);
}

/** Copies a batch into SharedArrayBuffer-backed columns (for worker_threads). */
export function toShared(batch: TickBatch): TickBatch {
  const cols = allocateColumns(batch.length, true);
  for (const name of TICK_COLUMN_NAMES) (cols[name] as { set(a: ArrayLike<number | bigint>): void }).set(batch[name] as ArrayLike<number | bigint>);
  const shared = tickBatch(cols, batch.instruments, batch.source);
  // Same rows, so what the reader found (rows set aside, a cut file) still describes them.
  const read = batchInfoOf(batch, "read-report");
  if (read !== undefined) attachBatchInfo(shared, "read-report", read);
  return shared;
}

/** Bytes held by the batch's columns. */
export function batchBytes(batch: TickBatch): number {
  let total = 0;
  for (const name of TICK_COLUMN_NAMES) total += batch[name].byteLength;
  return total;
}

/**
 * Appends rows one at a time into growing columns (amortized doubling), for readers that do not
 * know their row count up front. `build()` trims to the rows written.
 */
export class TickBatchBuilder {
  private cols: TickColumns;
  private capacity: number;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.capacity = Math.max(16, initialCapacity);
    this.cols = allocateColumns(this.capacity);
  }

  private grow(): void {
    const next = allocateColumns(this.capacity * 2);
    for (const name of TICK_COLUMN_NAMES) (next[name] as { set(a: ArrayLike<number | bigint>): void }).set(this.cols[name] as ArrayLike<number | bigint>);
    this.cols = next;
    this.capacity *= 2;
  }

  /** Appends one row; returns its index. */
  push(exchTs: bigint, localTs: bigint, kind: number, side: number, priceTicks: number, qtyLots: number, orderId = NaN, flags = 0, instrument = 0, seq = NaN, aux = NaN): number {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    const c = this.cols;
    c.exchTs[i] = exchTs;
    c.localTs[i] = localTs;
    c.kind[i] = kind;
    c.side[i] = side;
    c.priceTicks[i] = priceTicks;
    c.qtyLots[i] = qtyLots;
    c.orderId[i] = orderId;
    c.flags[i] = flags;
    c.instrument[i] = instrument;
    c.seq[i] = seq;
    c.aux[i] = aux;
    return i;
  }

  /** Sets flags on an already written row (e.g. mark the last row of a group). */
  orFlags(row: number, flags: number): void {
    this.cols.flags[row] = (this.cols.flags[row] ?? 0) | flags;
  }

  build(instruments: readonly InstrumentSpec[], source?: string): TickBatch {
    const cols = {} as Record<TickColumnName, unknown>;
    for (const name of TICK_COLUMN_NAMES) cols[name] = this.cols[name].slice(0, this.length);
    return tickBatch(cols as TickColumns, instruments, source);
  }
}

/**
 * Merges batches into one stream ordered by `localTs` (what a strategy sees), ties broken by
 * batch order then row order, so the merge is deterministic. Instrument indices are remapped.
 */
export function mergeBatches(batches: readonly TickBatch[], key: "localTs" | "exchTs" = "localTs"): TickBatch {
  const total = batches.reduce((s, b) => s + b.length, 0);
  const out = allocateColumns(total);
  const instruments: InstrumentSpec[] = [];
  const offsets = batches.map((b) => {
    const base = instruments.length;
    instruments.push(...b.instruments);
    return base;
  });
  const pos = new Array<number>(batches.length).fill(0);
  for (let i = 0; i < total; i++) {
    let best = -1;
    let bestTs = 0n;
    for (let b = 0; b < batches.length; b++) {
      const batch = batches[b]!;
      const p = pos[b]!;
      if (p >= batch.length) continue;
      const ts = batch[key][p]!;
      if (best < 0 || ts < bestTs) {
        best = b;
        bestTs = ts;
      }
    }
    const src = batches[best]!;
    const p = pos[best]!++;
    for (const name of TICK_COLUMN_NAMES) (out[name] as unknown as ArrayLike<number | bigint> & Record<number, number | bigint>)[i] = src[name][p]!;
    out.instrument[i] = src.instrument[p]! + offsets[best]!;
  }
  return tickBatch(out, instruments, batches.map((b) => b.source ?? "?").join(" + "));
}
