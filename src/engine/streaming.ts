/**
 * Streamed backtests: the same event loop over a source read chunk by chunk, so a run's memory is
 * bounded by the chunks in flight plus its own result columns (orders, fills, equity), not by the
 * data's length.
 *
 * Each instrument's rows live in a window: the rows its two cursors (exchange time, receive time)
 * still need, then the rows of the chunks read since. When a cursor reaches the end of its window
 * the loop stops before taking the row (it needs the next row's time to schedule), the driver
 * appends the next chunk's rows and drops the rows both cursors have passed, and the loop goes on
 * from the same state. Books, resting orders, queue positions, latency channels, timers and the
 * portfolio never see a boundary, so the result is identical to the in-memory run on the same
 * rows, for any chunk size. The next chunk is requested as soon as one is taken, so reading
 * (DuckDB decodes on its own threads) overlaps the engine's work.
 *
 * What a source tells up front (`TickChunkSource`): its instruments, and per instrument whether
 * its rows carry `Last` flags, order-by-order kinds and trades — the loop's rules depend on them.
 * A source that cannot tell has them taken from its first chunks (at least TRAITS_ROWS rows, or
 * the whole source when shorter), and every later chunk is checked against them: a chunk with a
 * `Last` flag, an order-by-order row or a trade its instrument's traits said it had none of ends
 * the run with a LabError (the loop's rules would differ from the in-memory run's from there on:
 * never a silently different result). Give `traits` when the first rows may not show them all.
 *
 * Not with a streamed source: `startAt` (fast-forward reads up to a time before the run starts;
 * read from that time instead), and `clockOffsetNs: "auto"` (it needs every row first; estimate
 * it once with `validate` or `estimateClockOffset` and pass the number).
 */
import { LabError, type InstrumentSpec } from "../core/index.js";
import { TICK_COLUMN_NAMES, sliceBatch, tickBatch, type TickBatch, type TickColumnName, type TickColumns } from "../data/index.js";
import { resolveStrategy, settingsOf } from "./backtest.js";
import { wordsOf } from "./clock.js";
import { ChunkedInputCheck, inputCheckError } from "./input-check.js";
import { setupRun, type FeedLoop } from "./loop.js";
import { normalizeBacktestOptions, type BacktestOptions } from "./options.js";
import { BacktestResult } from "./result.js";
import { Stream, clockOffsetsOf, streamTraits, timeBaseOf } from "./streams.js";
import type { StrategyHandlers, StrategyLike } from "./strategy-types.js";

/** What the loop's rules need to know of an instrument's rows as a whole. */
export interface StreamTraits {
  /** Rows mark the end of atomic groups with `EventFlag.Last`. */
  hasLast: boolean;
  /** Order-by-order rows (Add, Reduce, Modify, Delete, Execute). */
  l3: boolean;
  /** Trade rows. */
  hasTrades: boolean;
}

/** Chunks of one dataset in the order a backtest reads them (the receive order). */
export interface TickChunkSource {
  /** Every chunk's instruments (its `instrument` column indexes this list). */
  readonly instruments: readonly InstrumentSpec[];
  /** Per instrument, over all its rows; see the module comment when absent. */
  readonly traits?: readonly StreamTraits[];
  /** Rows in all chunks, when known (progress, the equity grid's budget). */
  readonly totalRows?: number;
  /**
   * Rows of room before each chunk's columns, in buffers the chunk alone owns (a one-instrument
   * source that allocates its chunks; 0 or absent when chunks are views of shared data): the run
   * writes the rows it keeps from the previous window there instead of copying the new rows.
   */
  readonly frontRows?: number;
  /** Rows of room before `chunk`'s columns, for a source whose chunks have different room (overrides `frontRows`). */
  frontRowsOf?(chunk: TickBatch): number;
  /** For messages: the catalog, files or query. */
  readonly description: string;
  /** The next chunk, or undefined at the end. */
  next(): Promise<TickBatch | undefined>;
  /**
   * A bound the source guarantees once `chunk` has been returned: every row of the chunks after it
   * has an exchange time ≥ this (ns since the epoch), hence a receive time as the run reads it ≥
   * this too (receive times are raised to exchange times). Without it the run takes a chunk's last
   * rows only when the next chunk arrives (it needs the next row's time to schedule); with it,
   * one-instrument runs process every event before the bound at once (a live source that has
   * nothing more queued: src/live/paper.ts). Later rows below the bound are raised to it.
   */
  horizonAfter?(chunk: TickBatch): bigint | undefined;
  /**
   * Called once the run reads no row of `chunk` (nor any view of its columns) any more, so the
   * source may reuse its memory for a later chunk (the catalog's reader does: fresh memory for
   * every chunk costs its reading thread a page fault per page on first touch).
   */
  release?(chunk: TickBatch): void;
  /** Releases what the source holds (connections); called once, also after an error. */
  close?(): Promise<void>;
}

/** Rows read before a source's traits are taken from them, when it does not give them. */
const TRAITS_ROWS = 65_536;

/** `traits` of each instrument from the rows of a batch (per instrument index). */
function traitsOfRows(batch: TickBatch, n: number): StreamTraits[] {
  return Array.from({ length: n }, (_, k) => {
    const rows = rowsOf(batch, k, n);
    return streamTraits(batch, rows, rowCount(batch, rows));
  });
}

/** How many rows `rowsOf` gave (null = every row of the chunk). */
function rowCount(chunk: TickBatch, rows: Int32Array | null): number {
  return rows === null ? chunk.length : rows.length;
}

/** The rows of `chunk` whose instrument is k, in order (null = every row, when the chunk has one instrument). */
function rowsOf(chunk: TickBatch, k: number, n: number): Int32Array | null {
  if (n === 1) return null;
  const col = chunk.instrument;
  let count = 0;
  for (let i = 0; i < chunk.length; i++) if (col[i] === k) count++;
  const rows = new Int32Array(count);
  for (let i = 0, j = 0; i < chunk.length; i++) if (col[i] === k) rows[j++] = i;
  return rows;
}

/** Rows of room before `chunk`'s columns (see `TickChunkSource.frontRows`). */
function roomBefore(source: TickChunkSource, chunk: TickBatch): number {
  return source.frontRowsOf ? source.frontRowsOf(chunk) : (source.frontRows ?? 0);
}

/** A one-instrument batch: `old` rows [from, old.length), then `chunk`'s rows `rows` (all when null). */
function joinRows(old: TickBatch | undefined, from: number, chunk: TickBatch, rows: Int32Array | null, spec: InstrumentSpec, frontRows = 0): TickBatch {
  const kept = old ? old.length - from : 0;
  if (rows === null && kept <= frontRows) return joinInFront(old, from, kept, chunk, spec);
  return concatRows(old && kept > 0 ? [{ chunk: sliceBatch(old, from), rows: null }, { chunk, rows }] : [{ chunk, rows }], spec);
}

/** Rows of a chunk taken for one instrument: `rows` of `chunk` (all of them when null). */
interface ChunkRows {
  chunk: TickBatch;
  rows: Int32Array | null;
}

/** A chunk read before the run starts, with its rows per instrument (see `rowsOf`). */
interface FirstChunk {
  chunk: TickBatch;
  byInstrument: (Int32Array | null)[];
}

/** A one-instrument batch of each part's rows in turn, copied once; its source is the last part's. */
function concatRows(parts: readonly ChunkRows[], spec: InstrumentSpec): TickBatch {
  let total = 0;
  for (const { chunk, rows } of parts) total += rowCount(chunk, rows);
  const cols = {} as Record<TickColumnName, unknown>;
  for (const name of TICK_COLUMN_NAMES) {
    const first = parts[0]!.chunk[name] as unknown as { constructor: new (n: number) => unknown };
    const out = new first.constructor(total) as { [i: number]: number | bigint; set(a: ArrayLike<number | bigint>, o?: number): void };
    let at = 0;
    for (const { chunk, rows } of parts) {
      const src = chunk[name] as unknown as ArrayLike<number | bigint>;
      if (rows === null) {
        out.set(src, at);
        at += src.length;
      } else for (let j = 0; j < rows.length; j++) out[at++] = src[rows[j]!]!;
    }
    cols[name] = out;
  }
  // one instrument per window: its index in the window's batch is 0
  (cols.instrument as Uint16Array).fill(0);
  return tickBatch(cols as TickColumns, [spec], parts[parts.length - 1]!.chunk.source);
}

type ColumnView = { buffer: ArrayBufferLike; byteOffset: number; BYTES_PER_ELEMENT: number; length: number; set(a: ArrayLike<number | bigint>, o?: number): void; subarray(a: number, b?: number): ArrayLike<number | bigint> };

/**
 * `joinRows` for a whole chunk with room in front of its columns (`TickChunkSource.frontRows`):
 * the kept rows are written into that room and the window is a view from there, so only the kept
 * rows (usually a handful) are copied.
 */
function joinInFront(old: TickBatch | undefined, from: number, kept: number, chunk: TickBatch, spec: InstrumentSpec): TickBatch {
  const cols = {} as Record<TickColumnName, unknown>;
  for (const name of TICK_COLUMN_NAMES) {
    const src = chunk[name] as unknown as ColumnView;
    const Ctor = src.constructor as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ColumnView;
    const out = new Ctor(src.buffer, src.byteOffset - kept * src.BYTES_PER_ELEMENT, kept + src.length);
    if (old && kept > 0) out.set((old[name] as unknown as ColumnView).subarray(from), 0);
    cols[name] = out;
  }
  (cols.instrument as Uint16Array).fill(0, 0, kept);
  return tickBatch(cols as TickColumns, [spec], chunk.source);
}

function streamOf(batch: TickBatch, spec: InstrumentSpec, traits: StreamTraits, final: boolean): Stream {
  return new Stream(batch, spec, null, batch.length, wordsOf(batch.exchTs), wordsOf(batch.localTs), traits.hasLast, traits.l3, traits.hasTrades, final);
}

/**
 * Runs a backtest over a chunked source (see the module comment). The result is a
 * `BacktestResult` like `backtest`'s, identical for the same rows; `result.inputCheck` holds the
 * chunk-by-chunk input check (duplicates are looked for within a chunk).
 */
export async function backtestStream(source: TickChunkSource, strategy: StrategyLike | StrategyHandlers, options: BacktestOptions = {}): Promise<BacktestResult> {
  try {
    return await runStreamed(source, strategy, options);
  } finally {
    await source.close?.();
  }
}

async function runStreamed(source: TickChunkSource, strategy: StrategyLike | StrategyHandlers, options: BacktestOptions): Promise<BacktestResult> {
  const opts = normalizeBacktestOptions(options);
  if (opts.startAt !== undefined) {
    throw new LabError({ code: "BAD_OPTION", message: "backtest option startAt is not available with a streamed source", hint: "read the source from that time instead (e.g. the catalog query's start)", context: { option: "startAt" } });
  }
  if (opts.clockOffsetNs === "auto") {
    throw new LabError({ code: "BAD_OPTION", message: 'backtest option clockOffsetNs: "auto" needs every row before the run, which a streamed source does not hold', hint: "estimate it once (strategy-lab validate <file>, or lab.data.estimateClockOffset(batch) on a day) and pass the number of ns", context: { option: "clockOffsetNs" } });
  }
  const { name, params, handlers } = resolveStrategy(strategy);
  const n = source.instruments.length;
  if (n === 0) throw new LabError({ code: "NO_INSTRUMENT", message: `${source.description} has no instrument`, hint: "check the source's symbols and time range" });
  const check = opts.check === "off" ? undefined : new ChunkedInputCheck(source.description, opts.check);

  // First windows: read until every instrument has a row, or the source ends.
  let pending!: Promise<TickBatch | undefined>;
  const windows: (TickBatch | undefined)[] = new Array(n).fill(undefined);
  /** The chunks read before the run starts. */
  let first: FirstChunk[] = [];
  /** Rows of each instrument in those chunks. */
  const seen = new Array<number>(n).fill(0);
  let ended = false;
  let rowsRead = 0;
  let horizonNs: bigint | undefined;
  const take = async (): Promise<TickBatch | undefined> => {
    const chunk = await pending;
    if (chunk === undefined) {
      ended = true;
      return undefined;
    }
    if (chunk.instruments.length !== n) {
      throw new LabError({ code: "BAD_BATCH", message: `${source.description}: a chunk lists ${chunk.instruments.length} instruments, the source ${n}`, hint: "every chunk of a source indexes the source's instrument list" });
    }
    rowsRead += chunk.length;
    horizonNs = source.horizonAfter?.(chunk);
    check?.scan(chunk);
    held.push(chunk);
    return chunk;
  };
  /**
   * Asks for the next chunk, which the source reads while the loop works. Asked once the chunks
   * the windows left behind are released, so a source that recycles memory (the catalog's) reads
   * it into theirs: two chunks' memory in the steady state, not three.
   */
  const askNext = (): void => {
    pending = source.next();
    // a failed read is thrown where the chunk is awaited, not reported unhandled while the loop runs
    pending.catch(() => undefined);
  };
  askNext();
  /**
   * Chunks taken and not yet released. Once the windows have moved to the newest chunk, no window
   * views an older one: a window is either a view of the newest chunk with the rows it kept
   * copied in front (one instrument, `joinInFront`) or a copy (`joinRows`).
   */
  const held: TickBatch[] = [];
  const releaseOlder = (): void => {
    while (held.length > 1) {
      const chunk = held.shift()!;
      source.release?.(chunk);
    }
  };
  while (!ended && (seen.some((rows) => rows === 0) || (source.traits === undefined && rowsRead < TRAITS_ROWS))) {
    const chunk = await take();
    if (!chunk) break;
    askNext();
    const byInstrument = Array.from({ length: n }, (_, k) => rowsOf(chunk, k, n));
    first.push({ chunk, byInstrument });
    byInstrument.forEach((rows, k) => (seen[k] = seen[k]! + rowCount(chunk, rows)));
  }
  // Each window made once from the first chunks: joining them chunk by chunk copied the window so
  // far at every chunk (quadratic in the chunks read, thousands of them for tiny chunks).
  for (let k = 0; k < n; k++) {
    const parts = first.map(({ chunk, byInstrument }) => ({ chunk, rows: byInstrument[k]! })).filter(({ chunk, rows }) => rowCount(chunk, rows) > 0);
    const last = parts.pop();
    if (last) windows[k] = joinRows(parts.length > 0 ? concatRows(parts, source.instruments[k]!) : undefined, 0, last.chunk, last.rows, source.instruments[k]!, roomBefore(source, last.chunk));
  }
  const traits = source.traits ?? traitsFromFirstRows(first, n);
  first = [];
  releaseOlder();
  // Instruments without a row anywhere are left out, as an in-memory run leaves them out.
  const present = windows.map((w, k) => (w !== undefined && w.length > 0 ? k : -1)).filter((k) => k >= 0);
  if (present.length === 0) throw new LabError({ code: "NO_DATA", message: `${source.description} has no rows`, hint: "check the source's symbols and time range" });
  const streams = present.map((k) => streamOf(windows[k]!, source.instruments[k]!, traits[k]!, ended));
  const instruments = present.map((k) => source.instruments[k]!);
  const time = timeBaseOf(streams);
  const clockOffsets = opts.feed === "data" ? clockOffsetsOf(streams, opts.clockOffsetNs) : streams.map(() => 0);
  const run = setupRun(streams, instruments, time, handlers, params, opts, clockOffsets, source.totalRows);
  const { loop, progress } = run;
  // The loop's horizon is that of the last chunk in its window (one instrument: see horizonAfter).
  const setHorizon = (): void => {
    if (present.length === 1) loop.horizon = horizonNs === undefined ? NaN : time.fromBigInt(horizonNs, `${source.description}: horizon`);
  };
  setHorizon();

  /** Appends chunks until no stream's window ends where a cursor waits, or the source ends. */
  const refill = async (): Promise<void> => {
    while (present.some((_, s) => loop.windowExhausted(s))) {
      const chunk = ended ? undefined : await take();
      if (!chunk) {
        // the source is over: every window is the rest of its stream
        present.forEach((k, s) => loop.replaceWindow(s, streamOf(loop.window(s).batch, source.instruments[k]!, traits[k]!, true), 0));
        return;
      }
      if (source.traits === undefined) checkTraits(source, chunk, traits, rowsRead - chunk.length);
      present.forEach((k, s) => {
        const rows = rowsOf(chunk, k, n);
        if (rows !== null && rows.length === 0) return;
        appendRows(loop, s, chunk, rows, source.instruments[k]!, traits[k]!, roomBefore(source, chunk));
      });
      setHorizon();
      releaseOlder();
      askNext();
      // With a horizon the loop can take a window's last row: let it run on what it has.
      if (loop.horizon === loop.horizon) return;
    }
  };
  for (let budget = 1; ; budget = Math.min(2 * budget, 65536)) {
    const more = loop.run(budget);
    if (loop.needMore) {
      loop.needMore = false;
      await refill();
      continue;
    }
    if (!more) break;
    progress?.update(loop.position());
  }
  const raw = run.finish();
  // A source that could not count its rows up front (a live feed): the run read what it read.
  if (source.totalRows === undefined) raw.events = rowsRead;
  const inputCheck = check?.finish(rowsRead);
  if (inputCheck && opts.check === "strict" && inputCheck.total > 0 && inputCheck.issues.some((x) => x.severity === "error")) {
    // strict cannot refuse before a streamed run; it refuses its result instead
    throw inputCheckError(inputCheck);
  }
  return new BacktestResult(raw, name, params, settingsOf(opts, raw), inputCheck);
}

/** A chunk of a source without traits whose rows show one its first rows did not (see the module comment). */
function checkTraits(source: TickChunkSource, chunk: TickBatch, traits: readonly StreamTraits[], rowsBefore: number): void {
  const n = source.instruments.length;
  const found = traitsOfRows(chunk, n);
  for (let k = 0; k < n; k++) {
    const was = traits[k]!;
    const now = found[k]!;
    const trait = now.hasLast && !was.hasLast ? "rows flagged Last" : now.l3 && !was.l3 ? "order-by-order rows" : now.hasTrades && !was.hasTrades ? "trade rows" : undefined;
    if (trait === undefined) continue;
    const symbol = source.instruments[k]!.symbol;
    throw new LabError({
      code: "BAD_BATCH",
      message: `${source.description}: ${symbol} has ${trait} in the chunk starting at row ${rowsBefore}, but none in its first ${rowsBefore} rows, from which the run took its traits; the result would differ from the in-memory run from there on`,
      hint: `give the source's traits (per instrument: { hasLast, l3, hasTrades } over all its rows), e.g. traits: [{ hasLast: ${was.hasLast || now.hasLast}, l3: ${was.l3 || now.l3}, hasTrades: ${was.hasTrades || now.hasTrades} }]`,
      context: { row: rowsBefore, symbol },
    });
  }
}

function traitsFromFirstRows(chunks: readonly FirstChunk[], n: number): StreamTraits[] {
  const out = Array.from({ length: n }, () => ({ hasLast: false, l3: false, hasTrades: false }));
  for (const { chunk, byInstrument } of chunks) {
    byInstrument.forEach((rows, k) => {
      const t = streamTraits(chunk, rows, rowCount(chunk, rows));
      out[k]!.hasLast ||= t.hasLast;
      out[k]!.l3 ||= t.l3;
      out[k]!.hasTrades ||= t.hasTrades;
    });
  }
  return out;
}

/** Stream s's window becomes the rows its cursors still need plus `rows` of `chunk`. */
function appendRows(loop: FeedLoop, s: number, chunk: TickBatch, rows: Int32Array | null, spec: InstrumentSpec, traits: StreamTraits, frontRows?: number): void {
  const old = loop.window(s);
  const from = loop.firstNeededRow(s);
  loop.replaceWindow(s, streamOf(joinRows(old.batch, from, chunk, rows, spec, frontRows), spec, traits, false), from);
}

/** A batch as a chunked source (chunks of `chunkRows` rows, views without copying): for tests and for running a batch through the streamed path. */
export function chunksOf(batch: TickBatch, chunkRows: number): TickChunkSource {
  if (!(Number.isInteger(chunkRows) && chunkRows > 0)) throw new LabError({ code: "BAD_OPTION", message: `chunkRows must be a positive integer, got ${chunkRows}`, hint: "e.g. 100_000", context: { option: "chunkRows" } });
  let at = 0;
  const views = (start: number, end: number): TickBatch => {
    const cols = {} as Record<TickColumnName, unknown>;
    for (const name of TICK_COLUMN_NAMES) cols[name] = (batch[name] as unknown as { subarray(a: number, b: number): unknown }).subarray(start, end);
    return tickBatch(cols as TickColumns, batch.instruments, batch.source);
  };
  return {
    instruments: batch.instruments,
    traits: traitsOfRows(batch, batch.instruments.length),
    totalRows: batch.length,
    description: batch.source ?? "batch",
    next: async () => {
      if (at >= batch.length) return undefined;
      const end = Math.min(batch.length, at + chunkRows);
      const chunk = views(at, end);
      at = end;
      return chunk;
    },
  };
}
