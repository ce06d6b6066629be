/**
 * `validate(batch)`: one pass over the columns that finds what would make a backtest lie, and a
 * `QualityReport` that says what, how often and where (row, column), with a policy per issue
 * class: "reject" fails the validation (after the whole pass, so every class is counted: a
 * LabError naming the first rejected row and each rejected class's count, or with
 * `onReject: "report"` a report marked `rejected`); "quarantine" moves the rows to
 * `report.quarantine.batch` and keeps every other row in `report.clean`; "warn" only reports.
 * Issues a reader found (unparseable values, off-grid prices) are included.
 *
 * Checks (per instrument stream — rows whose instruments have the same venue and symbol — unless
 * said otherwise):
 * - exchange time going backwards within a feed (book rows, quotes, trades, the rest:
 *   `FEED_OF_KIND`; a row earlier than the latest earlier row of its feed: quarantining these
 *   leaves each feed monotonic), local time going backwards, local time before exchange time
 *   (skipped on rows flagged BadTimestamp);
 * - exact duplicates of one of the 8 previous rows with the same exchange time (NaN = NaN);
 * - kinds EventKind does not define; infinite prices or sizes (an overflowing decimal such as
 *   1e400); prices off the tick grid (a fractional tick count on a row not flagged OffGrid);
 * - prices that must be positive (every priced kind except Bbo/Clear/Halt) and sizes: negative
 *   anywhere, zero for Trade/Add/Reduce/Execute/Modify; a missing price on a priced kind;
 * - sequence (`seq`, NaN = none; per feed, since each feed has its own counter): "consecutive" (rows of one message share seq, the next message
 *   has seq + 1: a larger step is a gap of step − 1), "increasing" (never decreases), "linked"
 *   (the first row of a message has aux = seq of the previous message, as a depth diff's previous-final update id), "none";
 *   "auto" takes the mode a reader recorded, else "consecutive" if ≥ 90 % of steps are 1,
 *   else "increasing";
 * - crossed / locked top of book after each complete message (rows flagged Last; every row if
 *   the source has no Last flags), from LevelSet rows (a price ladder per side; Clear and the
 *   start of a snapshot reset it) and, separately, from Bbo rows. L3 books are checked by the
 *   book layer's replay, not here;
 * - halts (EventKind.Halt rows);
 * - a summary: rows per kind and instrument, time span, events per second, feed latency.
 *
 * Timestamps are compared through 32-bit word views of the BigInt64 columns, so the hot loop
 * never creates a BigInt.
 */
import { LabError, attachDisplay, dataIssueCode, type Nanos } from "../core/index.js";
import { checkOptionKeys } from "../core/internal.js";
import { estimateClockOffset } from "./clock-offset.js";
import { ISSUE_CLASSES, IssueCollector, readReportOf, type IssueClass, type IssuePolicy, type QualityIssue, type Quarantine, type ReadReport, type SequenceMode } from "./quality.js";
import { EVENT_KIND_NAMES, EventFlag, EventKind, FEED_COUNT, FEED_OF_KIND, TICK_COLUMN_NAMES, allocateColumns, tickBatch, type TickBatch, type TickColumnName } from "./tick-batch.js";

export interface ValidateOptions {
  /** Policy per issue class (defaults in ISSUE_CLASSES). */
  policy?: Partial<Record<IssueClass, IssuePolicy>>;
  /** How `seq` advances. @default "auto" */
  sequence?: SequenceMode | "auto";
  /** Rows quoted per issue. @default 5 */
  maxSamples?: number;
  /** Zero/negative prices are legitimate (spreads, some futures). @default false */
  allowNonPositivePrices?: boolean;
  /** Name used in messages. @default batch.source */
  file?: string;
  /**
   * What a "reject" finding does once the whole pass is done: "throw" (default) a LabError naming
   * the first rejected row and the count of every rejected class; "report": return the report with
   * `rejected: true` (how `strategy-lab validate` shows every problem before it exits non-zero).
   */
  onReject?: "throw" | "report";
  /**
   * Policy for the issues the reader recorded while setting rows aside (a file read with
   * `onBadRows: "quarantine"`): "reject" makes them fail validation like any rejected class.
   * @default their policy as the reader recorded it
   */
  readIssuesPolicy?: IssuePolicy;
}

const OPTION_KEYS = ["policy", "sequence", "maxSamples", "allowNonPositivePrices", "file", "onReject", "readIssuesPolicy"] as const;

export interface QualitySummary {
  rows: number;
  byKind: Record<string, number>;
  /** Per stream: rows, and the collector's clock offset estimate (ns to add to localTs; src/data/clock-offset.ts). */
  byInstrument: { symbol: string; venue: string; rows: number; clockOffsetNs: number }[];
  /**
   * The largest stream's clock offset estimate: how far the receive clock runs behind the
   * exchange's (0 when no row is received before it was sent). `clockOffsetNs: "auto"` (readers,
   * backtest) adds it to the receive times.
   */
  clockOffsetNs: number;
  firstExchTs: Nanos | null;
  lastExchTs: Nanos | null;
  spanNs: Nanos;
  /** Rows per second of exchange time (NaN for a zero span). */
  ratePerSecond: number;
  /** Complete messages (rows flagged Last). */
  messages: number;
  snapshotRows: number;
  /** localTs − exchTs over rows with a real receive time, in ns (NaN when none). */
  latencyNs: { min: number; mean: number; max: number };
  sequenceMode: SequenceMode;
  /** "feed": each feed of a stream has its own sequence counter (found in the data), checked apart. */
  sequenceScope: "stream" | "feed";
}

export interface QualityReport {
  source: string;
  summary: QualitySummary;
  issues: QualityIssue[];
  /** The rows kept: all rows unless some were quarantined. */
  clean: TickBatch;
  /** Rows set aside by a "quarantine" policy (validation), with their input row and reason. */
  quarantine?: Quarantine;
  /** What the reader reported (its own issues are also in `issues`). */
  read?: ReadReport;
  /** No issue of severity "error" and nothing rejected. */
  ok: boolean;
  /** Some issue's policy is "reject": the data would be refused (only with `onReject: "report"`; otherwise validate throws). */
  rejected: boolean;
}

/** Kinds whose price must be present and positive. */
const PRICED = new Uint8Array(256);
for (const k of [EventKind.LevelSet, EventKind.Trade, EventKind.Add, EventKind.Reduce, EventKind.Modify, EventKind.Delete, EventKind.Execute]) PRICED[k] = 1;
/** Kinds whose size must be strictly positive. */
const SIZED = new Uint8Array(256);
for (const k of [EventKind.Trade, EventKind.Add, EventKind.Reduce, EventKind.Execute, EventKind.Modify]) SIZED[k] = 1;

/** 1 for every kind EventKind defines. */
const KNOWN_KIND = new Uint8Array(256);
for (const k of Object.values(EventKind)) KNOWN_KIND[k] = 1;

const CLASS_CODES = Object.keys(ISSUE_CLASSES) as IssueClass[];
const code = (cls: IssueClass): number => CLASS_CODES.indexOf(cls) + 1;

/** One side of a top-of-book tracker over a price ladder (ticks relative to `base`). */
class Ladder {
  private qty = new Float64Array(0);
  private base = 0;
  private count = 0;
  best = NaN;
  constructor(private readonly isBid: boolean) {}

  reset(): void {
    if (this.count > 0) this.qty.fill(0);
    this.count = 0;
    this.best = NaN;
  }

  set(price: number, size: number): void {
    let idx = price - this.base;
    if (idx < 0 || idx >= this.qty.length) {
      if (size <= 0) return;
      this.recenter(price);
      idx = price - this.base;
      if (idx < 0 || idx >= this.qty.length) return; // beyond the window: cannot become the best here
    }
    const before = this.qty[idx]!;
    this.qty[idx] = size > 0 ? size : 0;
    if (before === 0 && size > 0) this.count++;
    else if (before > 0 && size <= 0) this.count--;
    if (size > 0) {
      if (this.best !== this.best || (this.isBid ? price > this.best : price < this.best)) this.best = price;
    } else if (price === this.best) {
      this.best = NaN;
      if (this.count > 0) {
        const q = this.qty;
        if (this.isBid) {
          for (let j = idx - 1; j >= 0; j--) if (q[j]! > 0) { this.best = j + this.base; break; }
        } else {
          for (let j = idx + 1; j < q.length; j++) if (q[j]! > 0) { this.best = j + this.base; break; }
        }
      }
    }
  }

  /** Moves the window so `price` fits, keeping the levels that still fit (rare: prices drift). */
  private recenter(price: number): void {
    const size = Math.min(1 << 22, Math.max(1 << 12, this.qty.length * 2));
    const next = new Float64Array(size);
    const base = price - (size >> 1);
    let count = 0;
    for (let j = 0; j < this.qty.length; j++) {
      const q = this.qty[j]!;
      if (q <= 0) continue;
      const k = j + this.base - base;
      if (k >= 0 && k < size) {
        next[k] = q;
        count++;
      }
    }
    this.qty = next;
    this.base = base;
    this.count = count;
    if (this.best === this.best && (this.best - base < 0 || this.best - base >= size)) this.best = NaN;
  }
}

/** Validates a batch; see the module comment for the checks and policies. */
export function validate(batch: TickBatch, options: ValidateOptions = {}): QualityReport {
  checkOptionKeys(options, OPTION_KEYS, "validate");
  if (options.policy) checkOptionKeys(options.policy, CLASS_CODES, "validate policy");
  const file = options.file ?? batch.source ?? "batch";
  const policy = (cls: IssueClass): IssuePolicy => options.policy?.[cls] ?? ISSUE_CLASSES[cls].policy;
  const read = readReportOf(batch);
  const collector = new IssueCollector(options.maxSamples ?? 5);
  const n = batch.length;
  const nInst = Math.max(1, batch.instruments.length);
  // One stream per venue+symbol, even when a merge listed the same instrument twice.
  const streamOf = new Uint16Array(nInst);
  const firstIndex = new Map<string, number>();
  batch.instruments.forEach((s, k) => {
    const key = `${s.venue}\u0000${s.symbol}`;
    if (!firstIndex.has(key)) firstIndex.set(key, k);
    streamOf[k] = firstIndex.get(key)!;
  });
  const { kind, side, flags, instrument, priceTicks: price, qtyLots: qty, orderId, seq, aux } = batch;
  const exchHi = new Int32Array(batch.exchTs.buffer, batch.exchTs.byteOffset, n * 2);
  const exchLo = new Uint32Array(batch.exchTs.buffer, batch.exchTs.byteOffset, n * 2);
  const localHi = new Int32Array(batch.localTs.buffer, batch.localTs.byteOffset, n * 2);
  const localLo = new Uint32Array(batch.localTs.buffer, batch.localTs.byteOffset, n * 2);

  // Sequence mode.
  const sequencePerFeed = separateSequenceCounters(seq, instrument, kind, streamOf);
  let sequenceMode: SequenceMode = options.sequence === undefined || options.sequence === "auto" ? read?.sequence ?? "none" : options.sequence;
  if ((options.sequence === undefined || options.sequence === "auto") && !read?.sequence) sequenceMode = guessSequenceMode(seq, instrument, kind, streamOf, sequencePerFeed);

  // First quarantine-class code per row (0 = keep); allocated on the first quarantined row.
  let rowIssue = new Uint8Array(0);
  let quarantinedRows = 0;
  const quarantineWanted = CLASS_CODES.some((c) => policy(c) === "quarantine");
  // A rejected row does not stop the pass: validate exists to report, so every class is counted
  // first and the rejection (if any) comes after, naming the first rejected row.
  let firstReject: { cls: IssueClass; row: number; column: TickColumnName; value: string | undefined } | undefined;
  const flag = (cls: IssueClass, row: number, column: TickColumnName, value?: string): void => {
    const p = policy(cls);
    if (p === "reject") firstReject ??= { cls, row, column, value };
    collector.add(cls, row, column, value);
    if (p === "quarantine" && rowIssue.length === 0) rowIssue = new Uint8Array(n);
    if (p === "quarantine" && rowIssue[row] === 0) {
      rowIssue[row] = code(cls);
      quarantinedRows++;
    }
  };

  // Exchange times and sequence numbers per stream and feed (FEED_OF_KIND); receive times per stream.
  const maxHi = new Int32Array(nInst * FEED_COUNT);
  const maxLo = new Uint32Array(nInst * FEED_COUNT);
  const maxLocalHi = new Int32Array(nInst);
  const maxLocalLo = new Uint32Array(nInst);
  const seen = new Uint8Array(nInst * FEED_COUNT);
  const seenLocal = new Uint8Array(nInst);
  const lastSeq = new Float64Array(nInst * FEED_COUNT).fill(NaN);
  const groupOpen = new Uint8Array(nInst); // 1 while inside a message (previous row of the instrument had no Last)
  const lastWasSnapshot = new Uint8Array(nInst);
  const bids = Array.from({ length: nInst }, () => new Ladder(true));
  const asks = Array.from({ length: nInst }, () => new Ladder(false));
  const bboBid = new Float64Array(nInst).fill(NaN);
  const bboAsk = new Float64Array(nInst).fill(NaN);
  const hasBbo = new Uint8Array(nInst);
  const hasLevels = new Uint8Array(nInst);
  const kindCounts = new Float64Array(256);
  const instCounts = new Float64Array(nInst);
  let anyLast = false;
  for (let i = 0; i < n; i++) if ((flags[i]! & EventFlag.Last) !== 0) { anyLast = true; break; }
  let messages = 0;
  let snapshotRows = 0;
  let latMin = Infinity;
  let latMax = -Infinity;
  let latSum = 0;
  let latCount = 0;
  const allowNonPositive = options.allowNonPositivePrices ?? false;
  let minRow = 0;

  // Constants in locals: the loop below runs once per row.
  const SNAPSHOT = EventFlag.Snapshot, LAST = EventFlag.Last, BAD_TS = EventFlag.BadTimestamp, OFF_GRID = EventFlag.OffGrid;
  const HALT = EventKind.Halt, CLEAR = EventKind.Clear, LEVEL_SET = EventKind.LevelSet, BBO = EventKind.Bbo;
  for (let i = 0; i < n; i++) {
    const k = kind[i]!;
    const inst = instrument[i]! < nInst ? streamOf[instrument[i]!]! : 0;
    const f = flags[i]!;
    kindCounts[k]!++;
    instCounts[instrument[i]! < nInst ? instrument[i]! : 0]!++;
    if ((f & SNAPSHOT) !== 0) snapshotRows++;
    const eh = exchHi[2 * i + 1]!;
    const el = exchLo[2 * i]!;
    const lh = localHi[2 * i + 1]!;
    const ll = localLo[2 * i]!;

    // Time order and local vs exchange.
    if (eh < exchHi[2 * minRow + 1]! || (eh === exchHi[2 * minRow + 1]! && el < exchLo[2 * minRow]!)) minRow = i;
    const slot = inst * FEED_COUNT + FEED_OF_KIND[k]!;
    if (seen[slot] === 0) {
      seen[slot] = 1;
      maxHi[slot] = eh;
      maxLo[slot] = el;
    } else if (eh < maxHi[slot]! || (eh === maxHi[slot]! && el < maxLo[slot]!)) flag("exch-ts-order", i, "exchTs", String(batch.exchTs[i]));
    else {
      maxHi[slot] = eh;
      maxLo[slot] = el;
    }
    if (seenLocal[inst] === 0) {
      seenLocal[inst] = 1;
      maxLocalHi[inst] = lh;
      maxLocalLo[inst] = ll;
    } else if (lh < maxLocalHi[inst]! || (lh === maxLocalHi[inst]! && ll < maxLocalLo[inst]!)) flag("local-ts-order", i, "localTs", String(batch.localTs[i]));
    else {
      maxLocalHi[inst] = lh;
      maxLocalLo[inst] = ll;
    }
    if ((f & BAD_TS) === 0) {
      if (lh < eh || (lh === eh && ll < el)) flag("local-before-exch", i, "localTs", `${batch.localTs[i]} < ${batch.exchTs[i]}`);
      const latency = (lh - eh) * 4294967296 + (ll - el);
      if (latency < latMin) latMin = latency;
      if (latency > latMax) latMax = latency;
      latSum += latency;
      latCount++;
    }

    // Exact duplicates among the previous rows with the same exchange time.
    for (let j = i - 1; j >= 0 && j >= i - 8; j--) {
      if (exchLo[2 * j] !== el || exchHi[2 * j + 1] !== eh) break;
      if (kind[j] === k && side[j] === side[i] && flags[j] === f && instrument[j] === instrument[i] && localLo[2 * j] === ll && localHi[2 * j + 1] === lh && same(price[j]!, price[i]!) && same(qty[j]!, qty[i]!) && same(orderId[j]!, orderId[i]!) && same(seq[j]!, seq[i]!) && same(aux[j]!, aux[i]!)) {
        flag("duplicate", i, "exchTs", `same as row ${j}`);
        break;
      }
    }

    // Kind, prices and sizes. Infinity is what an overflowing decimal (1e400) parses to, and a
    // fractional tick count without OffGrid is a price off the instrument's grid: both would
    // otherwise pass every comparison below.
    const p = price[i]!;
    const q = qty[i]!;
    if (KNOWN_KIND[k] === 0) flag("type-error", i, "kind", `unknown kind ${k}`);
    if (p === Infinity || p === -Infinity) flag("type-error", i, "priceTicks", String(p));
    else if (p === p && (f & OFF_GRID) === 0 && p !== Math.floor(p)) flag("off-grid", i, "priceTicks", String(p));
    if (q === Infinity || q === -Infinity) flag("type-error", i, "qtyLots", String(q));
    if (PRICED[k] === 1) {
      if (p !== p) flag("missing-value", i, "priceTicks");
      else if (p <= 0 && !allowNonPositive) flag("non-positive-price", i, "priceTicks", String(p));
    } else if (k === BBO && p === p && p <= 0 && !allowNonPositive) flag("non-positive-price", i, "priceTicks", String(p));
    if (q < 0 || (q === 0 && SIZED[k] === 1)) flag("bad-size", i, "qtyLots", String(q));
    else if (q !== q && (SIZED[k] === 1 || k === LEVEL_SET)) flag("missing-value", i, "qtyLots");
    if (k === HALT) collector.add("halt", i, "kind", aux[i] === aux[i] ? `code ${aux[i]}` : undefined);

    // Sequence.
    const s = seq[i]!;
    if (sequenceMode !== "none" && s === s) {
      const seqSlot = sequencePerFeed ? slot : inst * FEED_COUNT;
      const prev = lastSeq[seqSlot]!;
      if (prev === prev) {
        if (s < prev) flag("sequence-order", i, "seq", `${s} after ${prev}`);
        else if (sequenceMode === "consecutive" && s > prev + 1) flag("sequence-gap", i, "seq", `${s - prev - 1} missing after ${prev}`);
        else if (sequenceMode === "linked" && s !== prev && groupOpen[inst] === 0) {
          const link = aux[i]!;
          if (link === link && link !== prev) flag("sequence-gap", i, "aux", `previous id ${link}, expected ${prev}`);
        }
      }
      lastSeq[seqSlot] = s;
    }

    // Top of book from LevelSet and Bbo rows.
    if (k === CLEAR) {
      bids[inst]!.reset();
      asks[inst]!.reset();
      bboBid[inst] = NaN;
      bboAsk[inst] = NaN;
    } else if (k === LEVEL_SET && p === p) {
      if ((f & SNAPSHOT) !== 0 && lastWasSnapshot[inst] === 0 && groupOpen[inst] === 0) {
        bids[inst]!.reset();
        asks[inst]!.reset();
      }
      hasLevels[inst] = 1;
      const size = q === q ? q : 0;
      if (side[i] === 1) bids[inst]!.set(p, size);
      else if (side[i] === -1) asks[inst]!.set(p, size);
    } else if (k === BBO) {
      hasBbo[inst] = 1;
      if (side[i] === 1) bboBid[inst] = q > 0 ? p : NaN;
      else if (side[i] === -1) bboAsk[inst] = q > 0 ? p : NaN;
    }
    lastWasSnapshot[inst] = (f & SNAPSHOT) !== 0 ? 1 : 0;

    const endOfMessage = !anyLast || (f & LAST) !== 0;
    groupOpen[inst] = endOfMessage ? 0 : 1;
    if (endOfMessage) {
      if (anyLast) messages++;
      if (hasLevels[inst] === 1 && (k === LEVEL_SET || k === CLEAR)) checkCross(bids[inst]!.best, asks[inst]!.best, i, flag);
      if (hasBbo[inst] === 1 && k === BBO) checkCross(bboBid[inst]!, bboAsk[inst]!, i, flag);
    }
  }

  // Reader issues first, then ours.
  const readIssuesPolicy = options.readIssuesPolicy;
  // Only rows the reader set aside take the caller's policy; its warnings (rounded times) stay warnings.
  const issues: QualityIssue[] = (read?.issues ?? []).map((x) => (readIssuesPolicy && x.policy === "quarantine" && x.policy !== readIssuesPolicy ? { ...x, policy: readIssuesPolicy } : x));
  issues.push(...collector.issues(file, options.policy ?? {}, (cls, count) => describe(cls, count)));
  const rejectedIssues = issues.filter((x) => x.policy === "reject");
  if (rejectedIssues.length > 0 && (options.onReject ?? "throw") === "throw") throw rejectionError(file, rejectedIssues, firstReject);

  // Quarantine.
  let clean = batch;
  let quarantine: Quarantine | undefined;
  if (quarantineWanted) {
    const bad = quarantinedRows;
    if (bad > 0) {
      const good = allocateColumns(n - bad, batch.exchTs.buffer instanceof SharedArrayBuffer);
      const aside = allocateColumns(bad);
      const sourceRows = new Float64Array(bad);
      const reasons: IssueClass[] = [];
      let g = 0;
      let b = 0;
      for (const name of TICK_COLUMN_NAMES) {
        const src = batch[name] as unknown as { [i: number]: number | bigint };
        const dstGood = good[name] as unknown as { [i: number]: number | bigint };
        const dstBad = aside[name] as unknown as { [i: number]: number | bigint };
        g = 0;
        b = 0;
        for (let i = 0; i < n; i++) {
          if (rowIssue[i] === 0) dstGood[g++] = src[i]!;
          else dstBad[b++] = src[i]!;
        }
      }
      b = 0;
      for (let i = 0; i < n; i++) {
        if (rowIssue[i] === 0) continue;
        sourceRows[b++] = i;
        reasons.push(CLASS_CODES[rowIssue[i]! - 1]!);
      }
      clean = tickBatch(good, batch.instruments, batch.source);
      quarantine = { batch: tickBatch(aside, batch.instruments, `${file} (quarantined)`), sourceRows, reasons };
    }
  }

  const offsets = estimateClockOffset(batch);
  const first = n > 0 ? batch.exchTs[0]! : null;
  let hi: bigint | null = null;
  for (let k = 0; k < seen.length; k++) {
    if (seen[k] === 0) continue;
    const m = (BigInt(maxHi[k]!) << 32n) | BigInt(maxLo[k]!);
    hi = hi === null || m > hi ? m : hi;
  }
  const last = hi;
  const lo: bigint | null = n > 0 ? batch.exchTs[minRow]! : null;
  const spanNs = lo !== null && hi !== null ? hi - lo : 0n;
  const byKind: Record<string, number> = {};
  for (let k = 0; k < 256; k++) if (kindCounts[k]! > 0) byKind[EVENT_KIND_NAMES[k] ?? `kind ${k}`] = kindCounts[k]!;
  const summary: QualitySummary = {
    rows: n,
    byKind,
    byInstrument: byStream(batch, streamOf, instCounts, offsets.byInstrument),
    clockOffsetNs: offsets.maxNs,
    firstExchTs: lo ?? first,
    lastExchTs: last,
    spanNs,
    ratePerSecond: spanNs > 0n ? n / (Number(spanNs) / 1e9) : NaN,
    messages,
    snapshotRows,
    latencyNs: latCount > 0 ? { min: latMin, mean: latSum / latCount, max: latMax } : { min: NaN, mean: NaN, max: NaN },
    sequenceMode,
    sequenceScope: sequencePerFeed ? "feed" : "stream",
  };
  const rejected = rejectedIssues.length > 0;
  const report: QualityReport = { source: file, summary, issues, clean, ok: !rejected && !issues.some((x) => x.severity === "error"), rejected };
  if (quarantine) report.quarantine = quarantine;
  if (read) report.read = read;
  return attachDisplay(report, "quality-report");
}

/** The error for a validation with rejected classes: the first rejected row, then every rejected class with its count. */
function rejectionError(file: string, rejected: readonly QualityIssue[], first: { cls: IssueClass; row: number; column: TickColumnName; value: string | undefined } | undefined): LabError {
  const cls = first?.cls ?? rejected[0]!.class;
  const sample = first ? { row: first.row, column: first.column as string, value: first.value } : rejected[0]!.samples[0];
  const where = sample ? `row ${sample.row}, column ${sample.column}: ` : "";
  const counts = rejected.map((x) => `${x.class} ${x.count.toLocaleString("en-US")}`).join(", ");
  return new LabError({
    code: dataIssueCode(cls),
    message: `${file}: ${where}${ISSUE_CLASSES[cls].title.toLowerCase()}${sample?.value !== undefined ? ` (${sample.value})` : ""}; rejected: ${counts}`,
    hint: `fix the source, or validate with { policy: { "${cls}": "quarantine" } } to keep the good rows and set these aside (validate(batch, { onReject: "report" }) returns the full report instead of throwing)`,
    context: { file, ...(sample ? { row: sample.row, column: sample.column } : {}), ...(sample?.value !== undefined ? { value: sample.value } : {}), rejected: rejected.map((x) => ({ class: x.class, count: x.count })) },
  });
}

/** Rows per venue+symbol (instruments listed twice by a merge are counted once). */
function byStream(batch: TickBatch, streamOf: Uint16Array, counts: Float64Array, offsets: readonly number[]): { symbol: string; venue: string; rows: number; clockOffsetNs: number }[] {
  const out = new Map<number, { symbol: string; venue: string; rows: number; clockOffsetNs: number }>();
  batch.instruments.forEach((s, k) => {
    const key = streamOf[k]!;
    const entry = out.get(key) ?? { symbol: s.symbol, venue: s.venue, rows: 0, clockOffsetNs: offsets[k] ?? 0 };
    entry.rows += counts[k] ?? 0;
    out.set(key, entry);
  });
  return [...out.values()];
}

function same(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

function checkCross(bid: number, ask: number, row: number, flag: (cls: IssueClass, row: number, column: TickColumnName, value?: string) => void): void {
  if (bid !== bid || ask !== ask) return;
  if (bid > ask) flag("crossed-book", row, "priceTicks", `bid ${bid} > ask ${ask}`);
  else if (bid === ask) flag("locked-book", row, "priceTicks", `bid = ask = ${bid}`);
}

/**
 * True when each feed of a stream numbers its rows with its own counter: `seq` goes backwards
 * between rows of one stream, yet never within a feed (a websocket capture: depth and top-of-book
 * update ids, trade ids). A source with one counter per stream (ITCH, a vendor's channel
 * sequence, the generator) never goes backwards at stream level when intact.
 */
function separateSequenceCounters(seq: Float64Array, instrument: Uint16Array, kind: Uint8Array, streamOf: Uint16Array): boolean {
  const nInst = streamOf.length;
  const lastOfStream = new Float64Array(nInst).fill(NaN);
  const lastOfFeed = new Float64Array(nInst * FEED_COUNT).fill(NaN);
  let streamBack = 0;
  let feedBack = 0;
  for (let i = 0; i < seq.length; i++) {
    const s = seq[i]!;
    if (s !== s) continue;
    const st = instrument[i]! < nInst ? streamOf[instrument[i]!]! : 0;
    const f = st * FEED_COUNT + FEED_OF_KIND[kind[i]!]!;
    if (s < lastOfStream[st]!) streamBack++;
    if (s < lastOfFeed[f]!) feedBack++;
    lastOfStream[st] = s;
    lastOfFeed[f] = s;
  }
  // a few damaged rows within a feed should not switch the scope: compare the counts
  return streamBack > 0 && feedBack * 100 < streamBack;
}

function guessSequenceMode(seq: Float64Array, instrument: Uint16Array, kind: Uint8Array, streamOf: Uint16Array, perFeed: boolean): SequenceMode {
  const nInst = streamOf.length;
  const last = new Float64Array(nInst * FEED_COUNT).fill(NaN);
  let steps = 0;
  let ones = 0;
  let any = false;
  for (let i = 0; i < seq.length; i++) {
    const s = seq[i]!;
    if (s !== s) continue;
    any = true;
    const k = (instrument[i]! < nInst ? streamOf[instrument[i]!]! : 0) * FEED_COUNT + (perFeed ? FEED_OF_KIND[kind[i]!]! : 0);
    const p = last[k]!;
    if (p === p && s !== p) {
      steps++;
      if (s === p + 1) ones++;
    }
    last[k] = s;
  }
  if (!any) return "none";
  return steps > 0 && ones >= 0.9 * steps ? "consecutive" : "increasing";
}

function describe(cls: IssueClass, count: number): string {
  const rows = `${count.toLocaleString("en-US")} row${count === 1 ? "" : "s"}`;
  switch (cls) {
    case "exch-ts-order":
      return `${rows} with an exchange time earlier than an earlier row of the same instrument and feed`;
    case "local-ts-order":
      return `${rows} with a receive time earlier than an earlier row of the same instrument`;
    case "local-before-exch":
      return `${rows} received before the exchange sent them (the receiving clock runs behind the exchange's, or the columns are swapped; clockOffsetNs: "auto" corrects a constant offset)`;
    case "duplicate":
      return `${rows} identical to an earlier row with the same exchange time`;
    case "non-positive-price":
      return `${rows} with a zero or negative price`;
    case "bad-size":
      return `${rows} with a negative size, or zero where a size must be positive`;
    case "missing-value":
      return `${rows} missing a price or size their kind needs`;
    case "sequence-gap":
      return `${count.toLocaleString("en-US")} sequence gap${count === 1 ? "" : "s"} (messages missing before these rows)`;
    case "sequence-order":
      return `${rows} whose sequence number goes backwards`;
    case "crossed-book":
      return `${count.toLocaleString("en-US")} message${count === 1 ? "" : "s"} leaving the book crossed (best bid above best ask)`;
    case "locked-book":
      return `${count.toLocaleString("en-US")} message${count === 1 ? "" : "s"} leaving the book locked (best bid = best ask)`;
    case "halt":
      return `${rows}: trading halt or resume`;
    default:
      return `${rows}: ${ISSUE_CLASSES[cls].title.toLowerCase()}`;
  }
}

/** The report as plain JSON (bigints as decimal strings, the batches as row counts). */
export function qualityReportJson(report: QualityReport): Record<string, unknown> {
  const s = report.summary;
  return {
    source: report.source,
    ok: report.ok,
    rejected: report.rejected,
    summary: { ...s, firstExchTs: s.firstExchTs?.toString() ?? null, lastExchTs: s.lastExchTs?.toString() ?? null, spanNs: s.spanNs.toString() },
    issues: report.issues,
    cleanRows: report.clean.length,
    quarantinedRows: report.quarantine?.batch.length ?? 0,
    readerQuarantinedRows: report.read?.quarantine?.batch.length ?? 0,
  };
}
