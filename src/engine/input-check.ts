/**
 * The backtest's input check (`check` option, default "warn"): one pass over the columns the
 * engine reads, before the run, so a backtest on rows it would apply wrongly says so instead of
 * returning figures as if nothing were amiss. It uses the data layer's issue classes
 * (src/data/quality.ts) and finds, per input batch:
 * - `type-error`: a kind TickBatch does not define, an infinite price or size (1e400 in a file);
 * - `off-grid`: a fractional tick count on a row not flagged `EventFlag.OffGrid`;
 * - `missing-value`: no price (NaN) on a kind that needs one (LevelSet, Trade, Add, Reduce,
 *   Modify, Delete, Execute), no size on LevelSet, Trade, Add, Reduce, Modify or Execute;
 * - `non-positive-price`: a price ≤ 0 on those kinds or on a Bbo row;
 * - `bad-size`: a negative size, or zero on Trade, Add, Reduce, Modify or Execute;
 * - `exch-ts-order`: an exchange time earlier than an earlier row of the same instrument and
 *   feed. Feeds are book rows (levels, clears and orders), top-of-book quotes (Bbo), trades and
 *   the rest (halts): venues stamp them separately (a Binance capture interleaves depth, bookTicker
 *   and trades whose times cross by milliseconds), and the engine's exchange clock is the running
 *   maximum of `exchTs` anyway, so only a feed going back in time is a defect;
 * - `local-ts-order`: a receive time earlier than an earlier row of the same instrument;
 * - `duplicate`: a row identical (NaN = NaN) to one of the 8 previous rows with the same exchange
 *   time, as `validate()` defines it. Equal fills at one timestamp can be legitimate (the real
 *   LOBSTER GOOG sample has 34 such hidden executions, the ESH4 MBO sample 27 repeated fills).
 * Instruments listed twice (same venue and symbol) are one stream, as in `validate()`. The issues
 * the reader recorded (`readReportOf(batch)`: rows it set aside, a file cut short, rounded times)
 * are reported with them.
 *
 * Sequence numbers, crossed books and halts are not checked here (`validate()` does; the run's
 * `diagnostics` count crossed books as the strategy saw them).
 *
 * Modes: "warn" runs and attaches the report to the result (`result.inputCheck`, one line in its
 * text and HTML summary); "strict" refuses input with an issue of severity "error" (or rows the
 * reader set aside or a cut file) with a `DATA_<CLASS>` LabError naming the first such row, and
 * otherwise runs like "warn"; "off" skips the pass. The pass never changes what the run does.
 *
 * What the engine does with such rows when it runs anyway (it never crashes on them): the books
 * skip a row without a price (and, order by order, an Add with a fractional price or a size ≤ 0,
 * counted as invalid); on price levels a NaN, zero or negative size removes the level and a
 * fractional tick count is not stored, except as the first level of an empty side, which then
 * keeps none of its later whole-tick levels; unknown kinds are ignored; an infinite price on a
 * price level leaves that side without a best price until the side is cleared (a huge finite one
 * is its best until removed); order by order such prices are refused (BOOK_PRICE_RANGE).
 *
 * Cost: a typed-array loop with no object per row (samples are made for the first rows of each
 * class only). In "warn" it runs chunk by chunk just ahead of the engine's loop (`InputChecker`),
 * and a batch checked once is not checked again (`findingsOf`). The engine bench measures what it
 * adds to a run (`input check cost`).
 */
import { LabError, dataIssueCode } from "../core/index.js";
import { EventFlag, EventKind, FEED_COUNT, FEED_OF_KIND, ISSUE_CLASSES, readReportOf, type IssueClass, type IssueSample, type IssueSeverity, type QualityIssue, type TickBatch } from "../data/index.js";
import { wordsOf } from "./clock.js";

export type InputCheckMode = "warn" | "strict" | "off";

/** What the pass found of one class in one input batch. */
export interface InputIssue {
  class: IssueClass;
  severity: IssueSeverity;
  count: number;
  /** Index of the batch in the backtest's input (0 for a single batch). */
  input: number;
  /** The batch's source (file), or "input <n>". */
  file: string;
  /** The first rows (0-based batch row, column, value as text). */
  samples: IssueSample[];
}

export interface InputCheckReport {
  /** The mode the run used ("off" attaches no report). */
  mode: "warn" | "strict";
  /** Rows the pass read: every row of every input batch. */
  rowsChecked: number;
  /** Issues per class: the pass's and the readers' together. */
  counts: Partial<Record<IssueClass, number>>;
  /** Sum of `counts`. */
  total: number;
  /** The pass's findings, one entry per input batch and class, with their first rows. */
  issues: InputIssue[];
  /** What the readers recorded (rows set aside, a file cut short, rounded times), as `readReportOf(batch)` holds them; their rows are rows of the file. */
  readIssues: QualityIssue[];
}

/** Rows quoted per class and batch. */
const MAX_SAMPLES = 5;

/** The classes the pass finds, in the order the data layer lists them. */
const CHECKED: readonly IssueClass[] = ["type-error", "off-grid", "missing-value", "exch-ts-order", "local-ts-order", "duplicate", "non-positive-price", "bad-size"];
const TYPE_ERROR = 0, OFF_GRID = 1, MISSING = 2, EXCH_ORDER = 3, LOCAL_ORDER = 4, DUPLICATE = 5, NON_POSITIVE = 6, BAD_SIZE = 7;

// The engine's own kind tables (the same rules as validate()'s), as lookups: the loop touches every row.
/** Kinds whose price must be present and positive. */
const PRICED = new Uint8Array(256);
for (const k of [EventKind.LevelSet, EventKind.Trade, EventKind.Add, EventKind.Reduce, EventKind.Modify, EventKind.Delete, EventKind.Execute]) PRICED[k] = 1;
/** Kinds whose size must be strictly positive. */
const SIZED = new Uint8Array(256);
for (const k of [EventKind.Trade, EventKind.Add, EventKind.Reduce, EventKind.Execute, EventKind.Modify]) SIZED[k] = 1;
/** Kinds whose size must be present: the sized ones and LevelSet (0 = level removed). */
const NEEDS_SIZE = new Uint8Array(256);
for (let k = 0; k < 256; k++) NEEDS_SIZE[k] = SIZED[k]!;
NEEDS_SIZE[EventKind.LevelSet] = 1;
const KNOWN_KIND = new Uint8Array(256);
for (const k of Object.values(EventKind)) KNOWN_KIND[k] = 1;
/**
 * The fast value test per kind, as the lowest size it lets through: a size must be greater than
 * this and finite. 0 for kinds whose size must be positive, the negative number nearest 0 for
 * priced kinds whose size may be zero (LevelSet: level removed; Delete), NaN for every other kind
 * (Bbo, Clear, Halt, unknown), which no size passes, so those rows always take the full test.
 */
const SIZE_ABOVE = new Float64Array(256).fill(NaN);
for (let k = 0; k < 256; k++) if (PRICED[k] === 1) SIZE_ABOVE[k] = SIZED[k] === 1 ? 0 : -Number.MIN_VALUE;
/** Feed of each kind for the exchange-time order (the data layer's: book, quotes, trades, other). */
const FEEDS = FEED_COUNT;
const FEED = FEED_OF_KIND;

/**
 * The latest pass's state and findings, kept alive. V8 forgets a class's object layout once no
 * instance of it is left, and throws away the optimized code of the loops that read such objects:
 * without this, every backtest after a garbage collection ran the first rows of its check in
 * unoptimized code and compiled the loop again (the pass ~10 ms slower on 7M rows, a fifth of its
 * cost). An instance made when the module loads did not keep the layout alive (measured; why was
 * not found), the latest instance does. Neither holds a batch.
 */
const kept: { state?: ScanState; findings?: BatchFindings } = {};

/** Counts and first rows of one batch's pass; made once per batch, never per row. */
class BatchFindings {
  readonly counts = new Float64Array(CHECKED.length);
  readonly samples: IssueSample[][] = CHECKED.map(() => []);
  /** Rows of the data before the batch (a chunk of a streamed source), so sample rows are the data's. */
  rowBase = 0;
  /** The batch scanned, held weakly: the latest findings are kept alive (`kept`), the batch must not be. */
  private batchRef: WeakRef<TickBatch>;
  constructor(batch: TickBatch) {
    this.batchRef = new WeakRef(batch);
    kept.findings = this;
  }

  /** The next chunk of a streamed source. */
  scanning(batch: TickBatch): void {
    this.batchRef = new WeakRef(batch);
  }

  /** Called only for a row with an issue: the value text is made for the first rows only. */
  note(cls: number, row: number, column: "kind" | "priceTicks" | "qtyLots" | "exchTs" | "localTs", other: number): void {
    this.counts[cls]!++;
    const list = this.samples[cls]!;
    if (list.length >= MAX_SAMPLES) return;
    const sample: IssueSample = { row: row + this.rowBase, column };
    // The batch is alive here: the scan that calls this holds it.
    const b = this.batchRef.deref()!;
    if (cls === DUPLICATE) sample.value = `same as row ${other + this.rowBase}`;
    else if (column === "kind") sample.value = `unknown kind ${b.kind[row]!}`;
    else if (column === "exchTs") sample.value = String(b.exchTs[row]!);
    else if (column === "localTs") sample.value = String(b.localTs[row]!);
    else if (cls !== MISSING) sample.value = String(column === "priceTicks" ? b.priceTicks[row]! : b.qtyLots[row]!);
    list.push(sample);
  }
}

function same(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

/**
 * A ns column's bytes read as doubles. For int64 values from 0 to 2^63 − 2^52 (every time from
 * 1970 to the year 2262) the double with the same bits orders exactly as the integer, so the pass
 * compares times with one load per row and no conversion (exact, unlike ns offsets as doubles,
 * which lose precision past 2^53 ns). A negative time reads as NaN or as a negative number: after
 * a valid time it is reported as going backwards.
 */
function timeOrderView(column: BigInt64Array): Float64Array {
  return new Float64Array(column.buffer, column.byteOffset, column.length);
}

/** Everything but the loop's row: the running maxima and the current run of equal exchange times. */
class ScanState {
  /** Latest exchange time per stream and feed (as `timeOrderView` reads it). */
  readonly exchMax: Float64Array;
  /** Latest receive time per stream. */
  readonly localMax: Float64Array;
  /** Stream of each instrument index (instruments listed twice are one stream). */
  readonly streamOf: Uint16Array;
  readonly single: boolean;
  /**
   * The exchange time of the previous row, then the `pairBit`s of the current run of rows with
   * equal exchange times (see `scanSingle`). A typed array rather than two fields: a field whose
   * numbers change representation (a small integer, then a double) changes the object's layout.
   */
  readonly run = new Float64Array([NaN, 0]);

  constructor(instruments: TickBatch["instruments"]) {
    const nInst = Math.max(1, instruments.length);
    this.streamOf = new Uint16Array(nInst);
    const firstIndex = new Map<string, number>();
    instruments.forEach((s, k) => {
      const key = `${s.venue}\u0000${s.symbol}`;
      if (!firstIndex.has(key)) firstIndex.set(key, k);
      this.streamOf[k] = firstIndex.get(key)!;
    });
    this.single = nInst === 1;
    this.exchMax = new Float64Array(nInst * FEEDS).fill(-Infinity);
    this.localMax = new Float64Array(nInst).fill(-Infinity);
    kept.state = this;
  }
}

/** Findings of one value a fast test did not clear (rare: called only for rows with an issue or an unusual kind). */
function checkValues(out: BatchFindings, i: number, k: number, f: number, p: number, q: number): void {
  if (KNOWN_KIND[k] === 0) out.note(TYPE_ERROR, i, "kind", -1);
  if (p === Infinity || p === -Infinity) out.note(TYPE_ERROR, i, "priceTicks", -1);
  else if (p !== Math.floor(p) && p === p && (f & EventFlag.OffGrid) === 0) out.note(OFF_GRID, i, "priceTicks", -1);
  if (q === Infinity || q === -Infinity) out.note(TYPE_ERROR, i, "qtyLots", -1);
  if (PRICED[k] === 1) {
    if (!(p > 0)) {
      if (p !== p) out.note(MISSING, i, "priceTicks", -1);
      else out.note(NON_POSITIVE, i, "priceTicks", -1);
    }
  } else if (k === EventKind.Bbo && p <= 0) out.note(NON_POSITIVE, i, "priceTicks", -1);
  if (!(q > 0)) {
    if (q < 0 || (q === 0 && SIZED[k] === 1)) out.note(BAD_SIZE, i, "qtyLots", -1);
    else if (q !== q && NEEDS_SIZE[k] === 1) out.note(MISSING, i, "qtyLots", -1);
  }
}

/** Rows i and j are identical in every column (NaN = NaN). */
function sameRow(batch: TickBatch, ew: Int32Array, lw: Int32Array, i: number, j: number): boolean {
  const { kind, side, flags, instrument, priceTicks: price, qtyLots: qty, orderId, seq, aux } = batch;
  return same(price[j]!, price[i]!) && same(qty[j]!, qty[i]!) && kind[j] === kind[i] && side[j] === side[i] && flags[j] === flags[i] && instrument[j] === instrument[i] && lw[2 * j] === lw[2 * i] && lw[2 * j + 1] === lw[2 * i + 1] && same(orderId[j]!, orderId[i]!) && same(seq[j]!, seq[i]!) && same(aux[j]!, aux[i]!) && ew[2 * j] === ew[2 * i] && ew[2 * j + 1] === ew[2 * i + 1];
}

/**
 * One bit of 32 for a row's price and size: rows equal in both have the same bit (a shift count
 * is taken modulo 32; NaN and the infinities give 0 through `| 0`, the same for equal values).
 * Unrelated pairs may share a bit, which only costs a comparison. A multiplicative hash spread
 * the bits better and made the pass ~10 % slower.
 */
function pairBit(p: number, q: number): number {
  return 1 << ((p * 5 + q) | 0);
}

/**
 * Notes row i as a duplicate when one of the (up to 8) rows before it with its exchange time (a
 * run of equal times is contiguous) is identical to it. Called only for a row the bit filter
 * cannot clear.
 */
function noteDuplicate(batch: TickBatch, ef: Float64Array, ew: Int32Array, lw: Int32Array, out: BatchFindings, i: number): void {
  const { priceTicks: price, qtyLots: qty } = batch;
  const et = ef[i]!;
  const p = price[i]!;
  const q = qty[i]!;
  for (let j = i - 1; j >= 0 && j >= i - 8 && ef[j] === et; j--) {
    if ((price[j] === p || p !== p) && (qty[j] === q || q !== q) && sameRow(batch, ew, lw, i, j)) {
      out.note(DUPLICATE, i, "exchTs", j);
      return;
    }
  }
}

/**
 * Rows [start, end) of a batch holding one stream. Called once per chunk of rows: a function
 * called many times is optimized by the engine after the first chunks, where one long loop would
 * run its first millions of rows in unoptimized code (the first backtest of a process would pay
 * for it). The receive-time maximum lives in a local: kept in the typed array, this loop ran a
 * third slower.
 *
 * Why the loop is shaped as it is (measured on 7M generated rows, CPU time per pass): the value
 * test is two comparisons per column, the kind's lowest allowed size taken from a table (the flags
 * are read only for a row that fails it, such as a fractional price flagged OffGrid). Duplicates:
 * a branch on "same exchange time as the previous row" mispredicted (a fifth of the rows continue
 * a run of equal times, in no pattern), so the run's rows are summarized without a branch in
 * `runBits`, one bit per (price, size) pair, and only a row whose bit is already set in its run
 * is compared with the rows before it. The two changes together took the pass from ~55 to ~40 ms.
 */
function scanSingle(batch: TickBatch, st: ScanState, ef: Float64Array, lf: Float64Array, ew: Int32Array, lw: Int32Array, out: BatchFindings, start: number, end: number): void {
  const { kind, flags, priceTicks: price, qtyLots: qty } = batch;
  const exchMax = st.exchMax;
  let localMax = st.localMax[0]!;
  const run = st.run;
  let prevT = run[0]!;
  let runBits = run[1]! | 0;
  for (let i = start; i < end; i++) {
    const k = kind[i]!;
    const p = price[i]!;
    const q = qty[i]!;
    // The usual row: a positive whole tick count and a finite size above the kind's lowest.
    if (!(p > 0 && p - Math.floor(p) === 0 && q > SIZE_ABOVE[k]! && q < Infinity)) checkValues(out, i, k, flags[i]!, p, q);

    const et = ef[i]!;
    const slot = FEED[k]!;
    if (et >= exchMax[slot]!) exchMax[slot] = et;
    else out.note(EXCH_ORDER, i, "exchTs", -1);
    const lt = lf[i]!;
    if (lt >= localMax) localMax = lt;
    else out.note(LOCAL_ORDER, i, "localTs", -1);

    // Exact duplicates among the (up to 8) previous rows with the same exchange time.
    const sameRun = -(((et === prevT) as unknown as number) | 0); // all ones in a run of equal times, 0 at its first row
    const bit = pairBit(p, q);
    if ((runBits & bit & sameRun) !== 0) noteDuplicate(batch, ef, ew, lw, out, i);
    runBits = (runBits & sameRun) | bit;
    prevT = et;
  }
  st.localMax[0] = localMax;
  run[0] = prevT;
  run[1] = runBits;
}

/** `scanSingle` for a batch of several instruments: the time maxima are per stream. */
function scanMulti(batch: TickBatch, st: ScanState, ef: Float64Array, lf: Float64Array, ew: Int32Array, lw: Int32Array, out: BatchFindings, start: number, end: number): void {
  const { kind, flags, instrument, priceTicks: price, qtyLots: qty } = batch;
  const { exchMax, localMax, streamOf } = st;
  const nInst = streamOf.length;
  const run = st.run;
  let prevT = run[0]!;
  let runBits = run[1]! | 0;
  for (let i = start; i < end; i++) {
    const k = kind[i]!;
    const p = price[i]!;
    const q = qty[i]!;
    if (!(p > 0 && p - Math.floor(p) === 0 && q > SIZE_ABOVE[k]! && q < Infinity)) checkValues(out, i, k, flags[i]!, p, q);

    const s = streamOf[instrument[i]! < nInst ? instrument[i]! : 0]!;
    const et = ef[i]!;
    const slot = s * FEEDS + FEED[k]!;
    if (et >= exchMax[slot]!) exchMax[slot] = et;
    else out.note(EXCH_ORDER, i, "exchTs", -1);
    const lt = lf[i]!;
    if (lt >= localMax[s]!) localMax[s] = lt;
    else out.note(LOCAL_ORDER, i, "localTs", -1);

    const sameRun = -(((et === prevT) as unknown as number) | 0);
    const bit = pairBit(p, q);
    if ((runBits & bit & sameRun) !== 0) noteDuplicate(batch, ef, ew, lw, out, i);
    runBits = (runBits & sameRun) | bit;
    prevT = et;
  }
  run[0] = prevT;
  run[1] = runBits;
}

const CHUNK = 1 << 16;

/** One batch's pass, resumable: `advance` scans the next rows, so the pass can run beside the engine. */
class BatchScan {
  private readonly st: ScanState;
  private readonly ew: Int32Array;
  private readonly lw: Int32Array;
  private readonly ef: Float64Array;
  private readonly lf: Float64Array;
  private done = 0;
  /** Size of the next internal chunk: growing chunks, for the reason given where the engine's event loop runs (loop.ts). */
  private size = 1;

  constructor(
    private readonly batch: TickBatch,
    readonly findings: BatchFindings,
    state?: ScanState,
  ) {
    this.st = state ?? new ScanState(batch.instruments);
    this.ew = wordsOf(batch.exchTs);
    this.lw = wordsOf(batch.localTs);
    this.ef = timeOrderView(batch.exchTs);
    this.lf = timeOrderView(batch.localTs);
  }

  get finished(): boolean {
    return this.done >= this.batch.length;
  }

  /** Scans rows up to `end` (exclusive; clamped to the batch). */
  scanTo(end: number): void {
    const n = Math.min(end, this.batch.length);
    const scan = this.st.single ? scanSingle : scanMulti;
    while (this.done < n) {
      const stop = Math.min(n, this.done + this.size);
      scan(this.batch, this.st, this.ef, this.lf, this.ew, this.lw, this.findings, this.done, stop);
      this.done = stop;
      this.size = Math.min(2 * this.size, CHUNK);
    }
  }

  scanNext(rows: number): void {
    this.scanTo(this.done + rows);
  }
}

/**
 * What the pass found per batch object. A batch is not changed after it is made (readers, slices
 * and the generator make new ones), so a second run on the same batch (a notebook re-running a
 * cell, every trial of an optimizer worker) reuses the first pass instead of paying for it again.
 */
const findingsOf = new WeakMap<TickBatch, BatchFindings>();

/**
 * The check of one backtest's input. Two ways to run it: `finish()` alone is one pass before the
 * run ("strict", which must refuse before running); or `advance(rows)` before each chunk of the
 * engine's loop, then `finish()` after it ("warn"): the pass then reads each row just before the
 * engine does (and a streamed source could be checked the same way, chunk by chunk). The scan
 * costs about the same either way (~45 ms for 7M rows: its comparisons, not the memory reads,
 * bound it). The findings are the same either way: the pass keeps its state between chunks.
 */
export class InputChecker {
  private readonly scans: (BatchScan | undefined)[];
  private readonly findings: BatchFindings[];

  constructor(
    private readonly batches: readonly TickBatch[],
    private readonly mode: "warn" | "strict",
  ) {
    this.findings = [];
    this.scans = batches.map((batch) => {
      const known = findingsOf.get(batch);
      if (known) {
        this.findings.push(known);
        return undefined;
      }
      const findings = new BatchFindings(batch);
      this.findings.push(findings);
      return new BatchScan(batch, findings);
    });
  }

  /** Wall time spent scanning (ms), for the engine bench (`lastCheckMs`). */
  private spentMs = 0;

  /**
   * Scans the next `rows` rows of every batch not yet done: the engine is about to process that
   * many events, drawn from the batches in time order, so no batch falls behind it.
   */
  advance(rows: number): void {
    const t = performance.now();
    for (const scan of this.scans) if (scan && !scan.finished) scan.scanNext(rows);
    this.spentMs += performance.now() - t;
  }

  /** Scans what is left and returns the report (see `checkInput`). */
  finish(): InputCheckReport {
    const t = performance.now();
    this.scans.forEach((scan, b) => {
      if (!scan) return;
      scan.scanTo(Infinity);
      findingsOf.set(this.batches[b]!, scan.findings);
      this.scans[b] = undefined;
    });
    lastCheckMs = this.spentMs + performance.now() - t;
    return reportOf(this.batches, this.findings, this.mode);
  }
}

/**
 * The check of a streamed run: each chunk is scanned as it is read, with the time maxima carried
 * from chunk to chunk (rows are numbered in the whole source). Duplicates are looked for within a
 * chunk: a row repeating one just before a chunk boundary is not reported.
 */
export class ChunkedInputCheck {
  private state: ScanState | undefined;
  private findings: BatchFindings | undefined;
  private readonly readIssues: QualityIssue[] = [];
  private rows = 0;

  constructor(
    private readonly source: string,
    private readonly mode: "warn" | "strict",
  ) {}

  scan(chunk: TickBatch): void {
    const findings = (this.findings ??= new BatchFindings(chunk));
    findings.scanning(chunk);
    findings.rowBase = this.rows;
    const state = (this.state ??= new ScanState(chunk.instruments));
    state.run[0] = NaN;
    state.run[1] = 0;
    new BatchScan(chunk, findings, state).scanTo(Infinity);
    this.rows += chunk.length;
    for (const issue of readReportOf(chunk)?.issues ?? []) this.readIssues.push(issue.file === undefined ? { ...issue, file: this.source } : issue);
  }

  finish(rowsRead: number): InputCheckReport {
    return reportOfParts(this.findings ? [{ findings: this.findings, input: 0, file: this.source }] : [], this.readIssues, rowsRead, this.mode);
  }
}

let lastCheckMs = 0;

/**
 * Wall time (ms) the latest finished check spent scanning rows, alongside the run or before it:
 * what the check cost that run, measured inside it (the engine bench's figure; a shared machine
 * disturbs whole-run comparisons by more than the check costs).
 */
export function lastInputCheckMs(): number {
  return lastCheckMs;
}

/** Runs the pass over every input batch and gathers what the readers recorded. */
export function checkInput(batches: readonly TickBatch[], mode: "warn" | "strict"): InputCheckReport {
  return new InputChecker(batches, mode).finish();
}

/** Scans a batch from scratch, whether or not its findings are known (for measuring the pass). */
export function scanInputUncached(batch: TickBatch): void {
  new BatchScan(batch, new BatchFindings(batch)).scanTo(Infinity);
}

function reportOf(batches: readonly TickBatch[], findings: readonly BatchFindings[], mode: "warn" | "strict"): InputCheckReport {
  const readIssues: QualityIssue[] = [];
  let rows = 0;
  const parts = batches.map((batch, input) => {
    rows += batch.length;
    const file = batch.source ?? `input ${input}`;
    for (const issue of readReportOf(batch)?.issues ?? []) readIssues.push(issue.file === undefined ? { ...issue, file } : issue);
    return { findings: findings[input]!, input, file };
  });
  return reportOfParts(parts, readIssues, rows, mode);
}

/** The report of the pass's findings per input and the readers' issues, classes in the data layer's order. */
function reportOfParts(parts: readonly { findings: BatchFindings; input: number; file: string }[], readIssues: QualityIssue[], rows: number, mode: "warn" | "strict"): InputCheckReport {
  const issues: InputIssue[] = [];
  const counts: Partial<Record<IssueClass, number>> = {};
  let total = 0;
  for (const { findings, input, file } of parts) {
    CHECKED.forEach((cls, c) => {
      const count = findings.counts[c]!;
      if (count === 0) return;
      issues.push({ class: cls, severity: ISSUE_CLASSES[cls].severity, count, input, file, samples: findings.samples[c]!.map((x) => ({ ...x })) });
    });
  }
  for (const cls of Object.keys(ISSUE_CLASSES) as IssueClass[]) {
    for (const x of [...issues, ...readIssues]) {
      if (x.class !== cls) continue;
      counts[cls] = (counts[cls] ?? 0) + x.count;
      total += x.count;
    }
  }
  return { mode, rowsChecked: rows, counts, total, issues, readIssues };
}

/** A reader issue that means rows are missing from the batch: rows set aside, a file cut short. */
function readerDropped(issue: QualityIssue): boolean {
  return issue.policy !== "warn" || issue.severity === "error";
}

/** True when "strict" refuses the input: a finding of severity "error", or rows the reader left out. */
export function refuses(report: InputCheckReport): boolean {
  return report.issues.some((x) => x.severity === "error") || report.readIssues.some(readerDropped);
}

const fmt = (x: number): string => x.toLocaleString("en-US");

/** Where a reader's sample is: in the file, not the batch. */
function readerPlace(issue: QualityIssue, sample: IssueSample): string {
  if (issue.class === "truncated") return sample.byteOffset !== undefined ? `file cut at byte ${sample.byteOffset}` : "file cut short";
  const at = sample.line !== undefined ? `line ${sample.line}` : `file row ${sample.row}`;
  return issue.policy === "warn" ? at : `${at} set aside by the reader`;
}

/**
 * The issues in one line: "3 issues in 20,000 rows: 1 non-positive-price (row 812), 2 duplicate
 * (rows 1808, 5705)" (the first rows of each class; rows of a reader's issue are rows of the
 * file). Undefined when there are none.
 */
export function describeInputCheck(report: InputCheckReport): string | undefined {
  if (report.total === 0) return undefined;
  const several = report.issues.some((x) => x.input > 0);
  const parts: string[] = [];
  for (const [cls, count] of Object.entries(report.counts) as [IssueClass, number][]) {
    const rows: number[] = [];
    const places: string[] = [];
    for (const x of report.issues) {
      if (x.class !== cls) continue;
      for (const s of x.samples) {
        if (rows.length + places.length >= 3) break;
        if (several) places.push(`input ${x.input} row ${s.row}`);
        else rows.push(s.row);
      }
    }
    for (const x of report.readIssues) {
      if (x.class !== cls) continue;
      for (const s of x.samples) if (rows.length + places.length < 3) places.push(readerPlace(x, s));
    }
    const where = [...(rows.length > 0 ? [`${rows.length === 1 ? "row" : "rows"} ${rows.join(", ")}`] : []), ...places];
    parts.push(`${fmt(count)} ${cls}${where.length > 0 ? ` (${where.join(", ")}${count > rows.length + places.length ? ", ..." : ""})` : ""}`);
  }
  return `${fmt(report.total)} issue${report.total === 1 ? "" : "s"} in ${fmt(report.rowsChecked)} rows: ${parts.join(", ")}`;
}

/** The refusal of "strict": the first refused row (the pass's first, else the reader's), and every class's count. */
export function inputCheckError(report: InputCheckReport): LabError {
  let first: { issue: InputIssue; sample: IssueSample } | undefined;
  for (const x of report.issues) {
    if (x.severity !== "error" || x.samples.length === 0) continue;
    const s = x.samples[0]!;
    if (!first || x.input < first.issue.input || (x.input === first.issue.input && s.row < first.sample.row)) first = { issue: x, sample: s };
  }
  const counts = Object.entries(report.counts)
    .map(([cls, count]) => `${cls} ${fmt(count)}`)
    .join(", ");
  const found = `the input check found ${counts} in ${fmt(report.rowsChecked)} rows`;
  const hint = 'lab.data.validate(batch) reports every issue (CLI: strategy-lab validate <file>); run anyway with { check: "warn" } (CLI: --check warn), which reports them in result.inputCheck';
  if (first) {
    const { issue, sample } = first;
    const value = sample.value !== undefined ? ` (${sample.value})` : "";
    return new LabError({
      code: codeOf(issue.class),
      message: `${issue.file}: row ${sample.row}, column ${sample.column}: ${ISSUE_CLASSES[issue.class].title.toLowerCase()}${value}; ${found}`,
      hint,
      context: { file: issue.file, input: issue.input, row: sample.row, column: sample.column, ...(sample.value !== undefined ? { value: sample.value } : {}), class: issue.class, counts: report.counts },
    });
  }
  const issue = report.readIssues.find(readerDropped)!;
  const sample = issue.samples[0];
  const file = issue.file ?? "input";
  const what = issue.class === "truncated" ? issue.message : `${sample ? `${readerPlace(issue, sample)}, column ${sample.column}: ` : ""}${ISSUE_CLASSES[issue.class].title.toLowerCase()}${sample?.value !== undefined ? ` (${sample.value})` : ""}`;
  return new LabError({
    code: codeOf(issue.class),
    message: `${file}: ${what}; ${found}`,
    hint,
    context: { file, ...(sample ? { row: sample.row, column: sample.column } : {}), ...(sample?.value !== undefined ? { value: sample.value } : {}), class: issue.class, source: "reader", counts: report.counts },
  });
}

/** The code `validate()` throws for the same class: DATA_NON_POSITIVE_PRICE, DATA_EXCH_TS_ORDER, ... (one per issue class in the catalogue). */
function codeOf(cls: IssueClass): LabError["code"] {
  return dataIssueCode(cls);
}
