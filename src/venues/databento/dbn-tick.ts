/**
 * DBN records -> `TickBatch` rows. The mapping (full table in docs/dbn.md):
 *
 * - exchTs = ts_event, localTs = ts_recv (u64 bits copied; DBN's undefined timestamp, u64 max,
 *   reads as -1n), seq = sequence, instrument = index into `instruments` (one spec per DBN
 *   instrument_id, `batch.dbn.instrumentIds[k]` is the id of spec k).
 * - price (fixed 1e-9) -> ticks of the instrument's tick size (exact integer arithmetic; prices
 *   off the tick grid are kept as fractional ticks and counted in `offTickRows`); undefined
 *   price (i64 max) -> NaN. size -> qtyLots (undefined size u32 max -> NaN).
 * - flags: F_LAST -> Last, F_SNAPSHOT -> Snapshot, F_BAD_TS_RECV -> BadTimestamp, F_TOB ->
 *   TopOfBook; F_MBP, F_MAYBE_BAD_BOOK and the publisher-specific bits -> SourceSpecific. The raw
 *   flags byte is kept in `aux` of MBO and trade rows, so nothing is lost.
 * - MBO: A -> Add, C -> Reduce (qty = size cancelled; the order leaves at 0), M -> Modify,
 *   R -> Clear, T -> Trade (side = aggressor, N -> 0 + AggressorUnknown; orderId NaN because
 *   a DBN trade names the aggressor, not a maker), F -> Execute + NoBookEffect (orderId = the
 *   resting order; Databento fills are followed by the C/M that changes the book), N -> no row
 *   (its F_LAST, if any, moves to the previous row; counted in `droppedRecords`).
 * - MBP-1: Trade row for action T, then one Bbo row per side (aux = order count at the level).
 *   TBBO: the Bbo rows (quote before the trade) come first, then the Trade row.
 * - MBP-10: Trade row for action T, then LevelSet rows for each level that changed against the
 *   previous record of the instrument (qty 0 = left the top 10; aux = order count).
 * - trades: one Trade row per record.
 *
 * Order ids are u64. While every id is below 2^53 they are stored exactly as numbers. If any id
 * is larger (or `orderIds: "remap"`), all ids are remapped to dense ids 1, 2, ... in order of first
 * appearance and `batch.dbn.orderIdTable[dense]` holds the original u64: never silently rounded.
 *
 * Damaged files (the kinds and their codes are listed in the DBN module comment), by `onBadRows`:
 * "reject" (default) throws at a cut or damage (`DBN_TRUNCATED` / `DBN_CORRUPT`, hint naming the
 * quarantine option) and at the first record with an impossible value (`MISSING_VALUE` /
 * `BAD_VALUE` with the record index, byte offset, DBN field and raw value). "quarantine" returns
 * every record decoded before a cut or damage with one `truncated` issue (byte offset, records
 * kept), and leaves out records with impossible values, counted per issue class with samples
 * (row = record index, column = DBN field, value = raw value, byteOffset) in the read report
 * (`readReportOf(batch)`, merged by `validate()`). Left-out records are not kept as rows
 * (`report.quarantine` stays unset): a record whose type, action, price or time is wrong has no
 * faithful row form. A cut inside the metadata header fails under both policies.
 */
import { LabError, instrument as makeInstrument, type InstrumentSpec } from "../../core/index.js";
import { checkOptionKeys } from "../../core/internal.js";
import { EventFlag, EventKind, ISSUE_CLASSES, ISSUE_CLASS_NAMES, allocateColumns, attachBatchInfo, attachReadReport, defineBatchInfoGetter, sliceBatch, tickBatch, toShared, truncatedIssue, type BadRowPolicy, type QualityIssue, type ReadReport, type TickBatch } from "../../data/index.js";
import { DbnFlag, decodeDbn, readDbnFile, type DbnCounts, type DbnDecodeOptions, type DbnFile, type DbnInstrumentDef, type DbnMbpColumns, type DbnMetadata } from "./dbn.js";

export interface DbnReadOptions {
  /** One spec for every instrument in the file (single-instrument files). */
  instrument?: InstrumentSpec;
  /** Specs by raw symbol (e.g. "ESH4") or by DBN instrument id as a string (e.g. "17077"). */
  instruments?: Readonly<Record<string, InstrumentSpec>>;
  /** Instrument definitions to take tick sizes from: a definition file path, a decoded file, or records. */
  definitions?: string | DbnFile | readonly DbnInstrumentDef[];
  /** `"auto"`: exact ids unless one exceeds 2^53, then remap all; `"remap"`: always remap. @default "auto" */
  orderIds?: "auto" | "remap";
  /**
   * `"reject"` (default): a file cut short or damaged is `DBN_TRUNCATED` / `DBN_CORRUPT`, a record
   * with a value its kind cannot have is `MISSING_VALUE` / `BAD_VALUE` (record index, byte offset,
   * field, raw value). `"quarantine"`: every record decoded before a cut or damage is kept and one
   * `truncated` issue is reported; bad records are left out and reported per issue class (row =
   * record index, column = DBN field, value = raw value, byteOffset) in the read report.
   */
  onBadRows?: BadRowPolicy;
  /** Keep the records before a cut or damage whatever `onBadRows` says (`batch.dbn.corruption` is set). */
  onCorrupt?: "throw" | "keep";
  chunkBytes?: number;
  /** Columns in SharedArrayBuffers (for worker threads). */
  shared?: boolean;
}

const READ_OPTION_KEYS = ["instrument", "instruments", "definitions", "orderIds", "onBadRows", "onCorrupt", "chunkBytes", "shared"] as const;

defineBatchInfoGetter("dbn");

/** Attaches the DBN reader's details to a batch it made (read back as `batch.dbn`). */
export function attachDbnInfo(batch: TickBatch, info: DbnBatchInfo): TickBatch & { readonly dbn: DbnBatchInfo } {
  attachBatchInfo(batch, "dbn", info);
  return batch as TickBatch & { readonly dbn: DbnBatchInfo };
}

export interface DbnBatchInfo {
  metadata: DbnMetadata;
  counts: DbnCounts;
  /** DBN instrument_id of each entry of `instruments` (same index as the `instrument` column). */
  instrumentIds: number[];
  /** Where each instrument's tick size came from. */
  instrumentSources: ("option" | "definition")[];
  orderIdsRemapped: boolean;
  /** dense id -> original u64 order id (index 0 unused); null when ids are exact. */
  orderIdTable: BigUint64Array | null;
  /** Rows whose price is not a multiple of the tick size (kept as fractional ticks). */
  offTickRows: number;
  firstOffTickRow: number;
  /** Records that produce no row (MBO action N, unknown actions). */
  droppedRecords: number;
  /** The decode stopped here (only with `onCorrupt: "keep"`). */
  corruption?: LabError;
}

export type DbnTickBatch = TickBatch & { readonly dbn: DbnBatchInfo };

const CH = { A: 65, B: 66, C: 67, F: 70, M: 77, N: 78, R: 82, T: 84 } as const;
const TWO_32 = 4294967296;
const SAFE_HI = 0x200000; // hi word below 2^21 <=> value below 2^53

/** DBN flags byte -> EventFlag bits (precomputed for all 256 values). */
export const DBN_FLAG_TO_EVENT_FLAG: Uint16Array = (() => {
  const t = new Uint16Array(256);
  for (let f = 0; f < 256; f++) {
    let e = 0;
    if (f & DbnFlag.Last) e |= EventFlag.Last;
    if (f & DbnFlag.Snapshot) e |= EventFlag.Snapshot;
    if (f & DbnFlag.BadTsRecv) e |= EventFlag.BadTimestamp;
    if (f & DbnFlag.Tob) e |= EventFlag.TopOfBook;
    if (f & (DbnFlag.Mbp | DbnFlag.MaybeBadBook | DbnFlag.PublisherSpecific | 1)) e |= EventFlag.SourceSpecific;
    t[f] = e;
  }
  return t;
})();

/** A decimal string to integer units of 1e-9 (undefined if finer than 1e-9). */
function decimalToNanos(text: string): bigint | undefined {
  const m = /^\s*(-?)(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (!m) return undefined;
  const frac = (m[3] ?? "").replace(/0+$/, "");
  if (frac.length > 9) return undefined;
  return BigInt(`${m[1] ?? ""}${m[2] || "0"}${frac.padEnd(9, "0")}`);
}

function specFromDefinition(def: DbnInstrumentDef, dataset: string): InstrumentSpec | undefined {
  if (def.minPriceIncrement <= 0n || def.minPriceIncrement === 0x7fffffffffffffffn) return undefined;
  const uom = def.unitOfMeasureQty;
  const multiplier = uom > 0n && uom !== 0x7fffffffffffffffn ? Number(uom) / 1e9 : 1;
  return makeInstrument({ symbol: def.rawSymbol || String(def.instrumentId), venue: def.exchange || dataset, tickSize: def.tickSize, lotSize: "1", multiplier, ...(def.currency ? { currency: def.currency } : {}) });
}

function loadDefinitions(value: DbnReadOptions["definitions"]): readonly DbnInstrumentDef[] {
  if (value === undefined) return [];
  if (typeof value === "string") return readDbnFile(value).definitions;
  if (Array.isArray(value)) return value as readonly DbnInstrumentDef[];
  return (value as DbnFile).definitions;
}

interface InstrumentTable {
  specs: InstrumentSpec[];
  ids: number[];
  sources: ("option" | "definition")[];
  /** instrument_id -> column index */
  index: Map<number, number>;
  /** tick size in 1e-9 units per column index (number and bigint). */
  tickNanos: number[];
  tickBig: bigint[];
}

function resolveInstruments(file: DbnFile, options: DbnReadOptions): InstrumentTable {
  const ids: number[] = [];
  const seen = new Set<number>();
  const note = (col: Uint32Array, n: number) => {
    for (let i = 0; i < n; i++) {
      const id = col[i]!;
      if (!seen.has(id)) {
        seen.add(id);
        ids.push(id);
      }
    }
  };
  note(file.mbo.instrumentId, file.mbo.length);
  note(file.trades.instrumentId, file.trades.length);
  note(file.mbp1.instrumentId, file.mbp1.length);
  note(file.mbp10.instrumentId, file.mbp10.length);
  const defs = new Map<number, DbnInstrumentDef>();
  for (const d of [...file.definitions, ...loadDefinitions(options.definitions)]) defs.set(d.instrumentId, d);
  const rawSymbolOf = new Map<string, string>();
  for (const mapping of file.metadata.mappings) for (const iv of mapping.intervals) rawSymbolOf.set(iv.symbol, mapping.rawSymbol);
  const table: InstrumentTable = { specs: [], ids: [], sources: [], index: new Map(), tickNanos: [], tickBig: [] };
  for (const id of ids) {
    const def = defs.get(id);
    const raw = def?.rawSymbol ?? rawSymbolOf.get(String(id));
    let spec = (raw !== undefined ? options.instruments?.[raw] : undefined) ?? options.instruments?.[String(id)] ?? options.instrument;
    let source: "option" | "definition" = "option";
    if (spec === undefined && def !== undefined) {
      spec = specFromDefinition(def, file.metadata.dataset);
      source = "definition";
    }
    if (spec === undefined) {
      throw new LabError({
        code: "DBN_NO_TICK_SIZE",
        message: `${file.source}: no tick size for instrument ${id}${raw ? ` (${raw})` : ""}: the file has no instrument definition for it`,
        hint: `pass { instrument: lab.instrument({ symbol: "${raw ?? id}", venue: "${file.metadata.dataset}", tickSize: "0.25" }) } (use the real tick size) or { definitions: "<definition .dbn file>" }`,
        context: { file: file.source, instrumentId: id },
      });
    }
    const nanos = decimalToNanos(spec.tickSize);
    if (nanos === undefined || nanos <= 0n) {
      throw new LabError({ code: "DBN_BAD_TICK_SIZE", message: `tick size ${spec.tickSize} of ${spec.symbol} is finer than DBN's 1e-9 price unit`, hint: "use a tick size with at most 9 decimals", context: { file: file.source, instrumentId: id } });
    }
    table.index.set(id, table.specs.length);
    table.specs.push(spec);
    table.ids.push(id);
    table.sources.push(source);
    table.tickNanos.push(Number(nanos));
    table.tickBig.push(nanos);
  }
  return table;
}

interface Pricer {
  ticks(lo: number, hi: number, inst: number): number;
}

/** Writes rows into preallocated columns; shared by all record families. */
class RowWriter implements Pricer {
  n = 0;
  offTick = 0;
  firstOffTick = -1;
  dropped = 0;
  readonly exchWords: Uint32Array;
  readonly localWords: Uint32Array;
  constructor(
    readonly cols: ReturnType<typeof allocateColumns>,
    readonly table: InstrumentTable,
  ) {
    this.exchWords = new Uint32Array(cols.exchTs.buffer, cols.exchTs.byteOffset, cols.exchTs.length * 2);
    this.localWords = new Uint32Array(cols.localTs.buffer, cols.localTs.byteOffset, cols.localTs.length * 2);
  }

  /** Fixed-point price (lo/hi words) -> ticks for instrument column `inst`; NaN for undefined. */
  ticks(lo: number, hi: number, inst: number): number {
    if (hi === 0x7fffffff && lo === 0xffffffff) return NaN;
    const tick = this.table.tickNanos[inst]!;
    if (hi >= -SAFE_HI && hi < SAFE_HI) {
      const value = hi * TWO_32 + lo;
      const t = value / tick;
      if (t !== Math.floor(t)) this.markOffTick();
      return t;
    }
    const big = (BigInt(hi) << 32n) | BigInt(lo);
    const tb = this.table.tickBig[inst]!;
    if (big % tb !== 0n) {
      this.markOffTick();
      return Number(big) / tick;
    }
    return Number(big / tb);
  }

  private markOffTick(): void {
    this.offTick++;
    if (this.firstOffTick < 0) this.firstOffTick = this.n;
  }

  /** Starts a row with timestamps (u64 words at `w` of the source word arrays). */
  row(evWords: Uint32Array, recvWords: Uint32Array, w: number, inst: number, kind: number, side: number, flags: number, seq: number, aux: number): number {
    const i = this.n++;
    const c = this.cols;
    this.exchWords[i * 2] = evWords[w]!;
    this.exchWords[i * 2 + 1] = evWords[w + 1]!;
    this.localWords[i * 2] = recvWords[w]!;
    this.localWords[i * 2 + 1] = recvWords[w + 1]!;
    c.kind[i] = kind;
    c.side[i] = side;
    c.flags[i] = flags;
    c.instrument[i] = inst;
    c.seq[i] = seq;
    c.aux[i] = aux;
    return i;
  }
}

function sideOf(ch: number): number {
  return ch === CH.B ? 1 : ch === CH.A ? -1 : 0;
}

function words64(a: BigUint64Array | BigInt64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

function size(v: number): number {
  return v === 0xffffffff ? NaN : v;
}

/** Maps decoded DBN records to a TickBatch (see the module comment for the exact mapping). */
export function dbnToTickBatch(file: DbnFile, options: DbnReadOptions = {}): DbnTickBatch {
  checkOptionKeys(options as Record<string, unknown>, READ_OPTION_KEYS, "DBN read options");
  const table = resolveInstruments(file, options);
  const { mbo, trades, mbp1, mbp10 } = file;
  const tbbo = file.metadata.schema === "tbbo";

  // Order ids: exact numbers unless one needs more than 53 bits.
  const idWords = words64(mbo.orderId);
  let remap = options.orderIds === "remap";
  if (!remap) {
    for (let k = 0; k < mbo.length; k++) {
      if (idWords[k * 2 + 1]! >= SAFE_HI) {
        remap = true;
        break;
      }
    }
  }
  let orderIdTable: BigUint64Array | null = null;
  let denseIds: Float64Array | null = null;
  if (remap) {
    const dense = new Map<bigint, number>();
    const table64: bigint[] = [0n];
    denseIds = new Float64Array(mbo.length).fill(NaN);
    for (let k = 0; k < mbo.length; k++) {
      const a = mbo.action[k]!;
      if (a === CH.T || a === CH.R || a === CH.N) continue;
      const id = mbo.orderId[k]!;
      let d = dense.get(id);
      if (d === undefined) {
        d = table64.length;
        dense.set(id, d);
        table64.push(id);
      }
      denseIds[k] = d;
    }
    orderIdTable = BigUint64Array.from(table64);
  }

  let upper = trades.length;
  for (let k = 0; k < mbo.length; k++) {
    const a = mbo.action[k]!;
    if (a === CH.A || a === CH.C || a === CH.M || a === CH.R || a === CH.T || a === CH.F) upper++;
  }
  for (let k = 0; k < mbp1.length; k++) upper += mbp1.action[k] === CH.T ? 3 : 2;
  if (mbp10.length > 0) upper += countMbp10Rows(mbp10, table);
  const cols = allocateColumns(upper);
  const out = new RowWriter(cols, table);
  const instOf = (id: number) => table.index.get(id)!;

  const mbo$ = { ev: words64(mbo.tsEvent), recv: words64(mbo.tsRecv), px: words64(mbo.price), pxHi: new Int32Array(mbo.price.buffer, mbo.price.byteOffset, mbo.length * 2) };
  const writeMbo = (k: number) => {
    const action = mbo.action[k]!;
    const rawFlags = mbo.flags[k]!;
    let flags = DBN_FLAG_TO_EVENT_FLAG[rawFlags]!;
    let kind: number;
    let side = sideOf(mbo.side[k]!);
    switch (action) {
      case CH.A:
        kind = EventKind.Add;
        break;
      case CH.C:
        kind = EventKind.Reduce;
        break;
      case CH.M:
        kind = EventKind.Modify;
        break;
      case CH.R:
        kind = EventKind.Clear;
        side = 0;
        break;
      case CH.T:
        kind = EventKind.Trade;
        if (side === 0) flags |= EventFlag.AggressorUnknown;
        break;
      case CH.F:
        kind = EventKind.Execute;
        flags |= EventFlag.NoBookEffect;
        break;
      default:
        out.dropped++;
        if ((rawFlags & DbnFlag.Last) !== 0 && out.n > 0) cols.flags[out.n - 1]! |= EventFlag.Last;
        return;
    }
    const inst = instOf(mbo.instrumentId[k]!);
    const i = out.row(mbo$.ev, mbo$.recv, k * 2, inst, kind, side, flags, mbo.sequence[k]!, rawFlags);
    if (kind === EventKind.Clear) return;
    cols.priceTicks[i] = out.ticks(mbo$.px[k * 2]!, mbo$.pxHi[k * 2 + 1]!, inst);
    cols.qtyLots[i] = size(mbo.size[k]!);
    if (kind !== EventKind.Trade) cols.orderId[i] = denseIds !== null ? denseIds[k]! : idWords[k * 2 + 1]! * TWO_32 + idWords[k * 2]!;
  };

  const trade$ = mbpWords(trades);
  const writeTrade = (k: number) => {
    const inst = instOf(trades.instrumentId[k]!);
    writeTradeRow(out, trades, trade$, k, inst, DBN_FLAG_TO_EVENT_FLAG[trades.flags[k]!]!);
  };

  const mbp1$ = mbpWords(mbp1);
  const writeMbp1 = (k: number) => {
    const inst = instOf(mbp1.instrumentId[k]!);
    const rawFlags = mbp1.flags[k]!;
    const mapped = DBN_FLAG_TO_EVENT_FLAG[rawFlags]!;
    const isTrade = mbp1.action[k] === CH.T;
    const groupFlags = mapped & ~EventFlag.Last;
    if (isTrade && !tbbo) writeTradeRow(out, mbp1, mbp1$, k, inst, groupFlags);
    for (let s = 1; s >= -1; s -= 2) {
      const px = s === 1 ? mbp1$.bidPx : mbp1$.askPx;
      const pxHi = s === 1 ? mbp1$.bidPxHi : mbp1$.askPxHi;
      const i = out.row(mbp1$.ev, mbp1$.recv, k * 2, inst, EventKind.Bbo, s, groupFlags | EventFlag.TopOfBook, mbp1.sequence[k]!, (s === 1 ? mbp1.bidCt : mbp1.askCt)[k]!);
      const p = out.ticks(px[k * 2]!, pxHi[k * 2 + 1]!, inst);
      cols.priceTicks[i] = p;
      cols.qtyLots[i] = p !== p ? NaN : size((s === 1 ? mbp1.bidSz : mbp1.askSz)[k]!);
    }
    if (isTrade && tbbo) writeTradeRow(out, mbp1, mbp1$, k, inst, groupFlags);
    if ((mapped & EventFlag.Last) !== 0) cols.flags[out.n - 1]! |= EventFlag.Last;
  };

  const mbp10$ = mbpWords(mbp10);
  const depth = new DepthDiffer(mbp10, mbp10$);
  const writeMbp10 = (k: number) => {
    const inst = instOf(mbp10.instrumentId[k]!);
    const mapped = DBN_FLAG_TO_EVENT_FLAG[mbp10.flags[k]!]!;
    const groupFlags = mapped & ~EventFlag.Last;
    if (mbp10.action[k] === CH.T) writeTradeRow(out, mbp10, mbp10$, k, inst, groupFlags);
    depth.diff(k, inst, out, out, groupFlags);
    if ((mapped & EventFlag.Last) !== 0 && out.n > 0) cols.flags[out.n - 1]! |= EventFlag.Last;
  };

  // Merge the families back into file order by record index.
  const cursors = [
    { cols: mbo.recordIndex, n: mbo.length, k: 0, write: writeMbo },
    { cols: trades.recordIndex, n: trades.length, k: 0, write: writeTrade },
    { cols: mbp1.recordIndex, n: mbp1.length, k: 0, write: writeMbp1 },
    { cols: mbp10.recordIndex, n: mbp10.length, k: 0, write: writeMbp10 },
  ].filter((c) => c.n > 0);
  if (cursors.length === 1) {
    const c = cursors[0]!;
    for (let k = 0; k < c.n; k++) c.write(k);
  } else {
    for (;;) {
      let best: (typeof cursors)[number] | undefined;
      for (const c of cursors) if (c.k < c.n && (best === undefined || c.cols[c.k]! < best.cols[best.k]!)) best = c;
      if (best === undefined) break;
      best.write(best.k++);
    }
  }

  const batch = sliceBatch(tickBatch(cols, table.specs, file.source), 0, out.n);
  const info: DbnBatchInfo = {
    metadata: file.metadata,
    counts: file.counts,
    instrumentIds: table.ids,
    instrumentSources: table.sources,
    orderIdsRemapped: remap,
    orderIdTable,
    offTickRows: out.offTick,
    firstOffTickRow: out.firstOffTick,
    droppedRecords: out.dropped,
    ...(file.corruption ? { corruption: file.corruption } : {}),
  };
  const result = options.shared ? toShared(batch) : batch;
  attachReadReport(result, readReport(file));
  return attachDbnInfo(result, info);
}

/** What the decoder found: bad records per issue class, and the cut or damage it stopped at. */
function readReport(file: DbnFile): ReadReport {
  const issues: QualityIssue[] = [];
  const bad = file.badRecords as DbnFile["badRecords"] | undefined;
  for (const cls of ISSUE_CLASS_NAMES) {
    const count = bad?.byClass[cls] ?? 0;
    if (count === 0) continue;
    const kept = bad!.policy === "keep";
    issues.push({
      class: cls,
      severity: ISSUE_CLASSES[cls].severity,
      policy: kept ? "warn" : "quarantine",
      count,
      message: `${count.toLocaleString("en-US")} DBN record${count === 1 ? "" : "s"}: ${ISSUE_CLASSES[cls].title.toLowerCase()} (${kept ? "kept as decoded" : "left out"})`,
      file: file.source,
      samples: bad!.samples[cls] ?? [],
    });
  }
  const stop = file.corruption;
  if (stop) {
    const ctx = stop.context as { recordIndex?: number; byteOffset?: number; reason?: string };
    issues.push(truncatedIssue(file.source, ctx.recordIndex ?? file.counts.records, ctx.byteOffset ?? 0, ctx.reason ?? stop.message));
  }
  return { file: file.source, format: "dbn", rowsRead: file.counts.records, issues };
}

interface MbpWords {
  ev: Uint32Array;
  recv: Uint32Array;
  px: Uint32Array;
  pxHi: Int32Array;
  bidPx: Uint32Array;
  bidPxHi: Int32Array;
  askPx: Uint32Array;
  askPxHi: Int32Array;
}

function mbpWords(c: DbnMbpColumns): MbpWords {
  const hi = (a: BigInt64Array) => new Int32Array(a.buffer, a.byteOffset, a.length * 2);
  return { ev: words64(c.tsEvent), recv: words64(c.tsRecv), px: words64(c.price), pxHi: hi(c.price), bidPx: words64(c.bidPx), bidPxHi: hi(c.bidPx), askPx: words64(c.askPx), askPxHi: hi(c.askPx) };
}

function writeTradeRow(out: RowWriter, c: DbnMbpColumns, w: MbpWords, k: number, inst: number, flags: number): void {
  const side = sideOf(c.side[k]!);
  const i = out.row(w.ev, w.recv, k * 2, inst, EventKind.Trade, side, side === 0 ? flags | EventFlag.AggressorUnknown : flags, c.sequence[k]!, c.flags[k]!);
  out.cols.priceTicks[i] = out.ticks(w.px[k * 2]!, w.pxHi[k * 2 + 1]!, inst);
  out.cols.qtyLots[i] = size(c.size[k]!);
}

/**
 * Turns MBP-10 snapshots into LevelSet changes: per instrument it remembers the last top-10
 * (bids then asks: 10 prices and 10 sizes each) and emits rows for levels that changed or
 * appeared, and qty 0 for prices that left the top 10. Scratch arrays are reused (no
 * allocation per record); with `out` undefined it only counts rows.
 */
class DepthDiffer {
  private readonly state = new Map<number, Float64Array>();
  private readonly nextPx = new Float64Array(10);
  private readonly nextSz = new Float64Array(10);
  private readonly nextCt = new Float64Array(10);
  rows = 0;

  constructor(
    private readonly c: DbnMbpColumns,
    private readonly w: MbpWords,
  ) {}

  diff(k: number, inst: number, pricer: Pricer, out: RowWriter | undefined, flags: number): void {
    const { c, w } = this;
    const L = c.levels;
    let state = this.state.get(inst);
    if (state === undefined) {
      state = new Float64Array(40).fill(NaN);
      this.state.set(inst, state);
    }
    for (let sideIdx = 0; sideIdx < 2; sideIdx++) {
      const side = sideIdx === 0 ? 1 : -1;
      const base = sideIdx * 20;
      const px = sideIdx === 0 ? w.bidPx : w.askPx;
      const pxHi = sideIdx === 0 ? w.bidPxHi : w.askPxHi;
      const sz = sideIdx === 0 ? c.bidSz : c.askSz;
      const ct = sideIdx === 0 ? c.bidCt : c.askCt;
      for (let l = 0; l < L; l++) {
        const j = k * L + l;
        const p = pricer.ticks(px[j * 2]!, pxHi[j * 2 + 1]!, inst);
        this.nextPx[l] = p;
        this.nextSz[l] = p !== p ? NaN : size(sz[j]!);
        this.nextCt[l] = ct[j]!;
      }
      for (let l = 0; l < L; l++) {
        const old = state[base + l]!;
        if (old !== old) continue;
        let found = false;
        for (let m = 0; m < L; m++) if (this.nextPx[m] === old) found = true;
        if (!found) this.emit(out, k, inst, side, old, 0, 0, flags);
      }
      for (let l = 0; l < L; l++) {
        const p = this.nextPx[l]!;
        if (p !== p) continue;
        let oldQty = NaN;
        for (let m = 0; m < L; m++) if (state[base + m] === p) oldQty = state[base + 10 + m]!;
        if (oldQty !== this.nextSz[l]) this.emit(out, k, inst, side, p, this.nextSz[l]!, this.nextCt[l]!, flags);
      }
      for (let l = 0; l < L; l++) {
        state[base + l] = this.nextPx[l]!;
        state[base + 10 + l] = this.nextSz[l]!;
      }
    }
  }

  private emit(out: RowWriter | undefined, k: number, inst: number, side: number, priceTicks: number, qty: number, count: number, flags: number): void {
    this.rows++;
    if (out === undefined) return;
    const i = out.row(this.w.ev, this.w.recv, k * 2, inst, EventKind.LevelSet, side, flags, this.c.sequence[k]!, count);
    out.cols.priceTicks[i] = priceTicks;
    out.cols.qtyLots[i] = qty;
  }
}

/** Exact number of rows MBP-10 records produce (a dry run of the diff). */
function countMbp10Rows(c: DbnMbpColumns, table: InstrumentTable): number {
  const w = mbpWords(c);
  const differ = new DepthDiffer(c, w);
  const pricer: Pricer = { ticks: (lo, hi, inst) => (hi === 0x7fffffff && lo === 0xffffffff ? NaN : (hi * TWO_32 + lo) / table.tickNanos[inst]!) };
  let trades = 0;
  for (let k = 0; k < c.length; k++) {
    if (c.action[k] === CH.T) trades++;
    differ.diff(k, table.index.get(c.instrumentId[k]!)!, pricer, undefined, 0);
  }
  return differ.rows + trades;
}

/** Decoder options for a TickBatch read: the bad-row policy decides what a cut or a bad record does. */
function decodeOptionsFor(options: DbnReadOptions): Omit<DbnDecodeOptions, "source"> {
  const policy = options.onBadRows ?? "reject";
  const decodeOptions: Omit<DbnDecodeOptions, "source"> = { onBadRecords: policy, onCorrupt: policy === "quarantine" || options.onCorrupt === "keep" ? "keep" : "throw" };
  if (options.chunkBytes !== undefined) decodeOptions.chunkBytes = options.chunkBytes;
  return decodeOptions;
}

/**
 * Reads a `.dbn` / `.dbn.zst` file into a TickBatch (see `dbnToTickBatch` for the mapping and the
 * DBN module comment for each kind of damage). The batch carries a read report (`readReportOf`):
 * a `truncated` issue when the file was cut or damaged (with `onBadRows: "quarantine"`), and the
 * records left out for impossible values.
 */
export function readDbn(path: string, options: DbnReadOptions = {}): DbnTickBatch {
  checkOptionKeys(options as Record<string, unknown>, READ_OPTION_KEYS, "readDbn options");
  return dbnToTickBatch(readDbnFile(path, decodeOptionsFor(options)), options);
}

/** Same as `readDbn` for bytes already in memory. */
export function readDbnBytes(bytes: Uint8Array, options: DbnReadOptions & { source?: string } = {}): DbnTickBatch {
  const { source, ...rest } = options;
  checkOptionKeys(rest as Record<string, unknown>, READ_OPTION_KEYS, "readDbnBytes options");
  return dbnToTickBatch(decodeDbn(bytes, { source: source ?? "<bytes>", ...decodeOptionsFor(rest) }), rest);
}
