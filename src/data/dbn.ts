/**
 * Databento DBN decoder (versions 1, 2 and 3; plain or zstd-compressed), record level.
 *
 * A DBN stream is `"DBN"` + version byte + u32 metadata length + metadata, then fixed-size
 * little-endian records, each starting with a 16-byte header whose first byte is the record
 * length in 4-byte words. Layouts follow Databento's published specification (docs/dbn.md has
 * the byte offsets and the differences between versions).
 *
 * Why a hand-written decoder: there is no maintained DBN package for Node, and decoding straight
 * into typed-array columns (u64 fields copied as two u32 words, no BigInt or object per record)
 * is what makes multi-million-record files cheap. zstd is left to `fzstd`, fed in chunks, so the
 * uncompressed file is never held in one buffer.
 *
 * Corruption: a truncated or corrupt file stops decoding with a `LabError` naming the file, the
 * (compressed and uncompressed) byte offset and the record index; every record decoded before it
 * is kept (`onCorrupt: "keep"` returns them with `corruption` set; with the default `"throw"`
 * they are reachable through `partialDbn(error)`).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { Decompress } from "fzstd";
import { LabError, checkOptionKeys, formatNs } from "../core/index.js";

// ---------------------------------------------------------------------------- constants

/** DBN record flag bits (the `flags` byte of MBO, MBP and trade records). */
export const DbnFlag = {
  /** Last record of an event for this instrument: the book is consistent after it. */
  Last: 128,
  /** Top-of-book message, not an individual order. */
  Tob: 64,
  /** Record is part of a book snapshot (replay, not a live event). */
  Snapshot: 32,
  /** Aggregated price-level message, not an individual order. */
  Mbp: 16,
  /** `ts_recv` is inaccurate (clock issue or reordering). */
  BadTsRecv: 8,
  /** An unrecoverable gap was detected in the channel: the book may be wrong. */
  MaybeBadBook: 4,
  /** Publisher-specific meaning. */
  PublisherSpecific: 2,
} as const;

/** Record types (`rtype` header byte). */
export const DbnRType = {
  Mbp0: 0x00,
  Mbp1: 0x01,
  Mbp10: 0x0a,
  OhlcvDeprecated: 0x11,
  Status: 0x12,
  InstrumentDef: 0x13,
  Imbalance: 0x14,
  Error: 0x15,
  SymbolMapping: 0x16,
  System: 0x17,
  Statistics: 0x18,
  Ohlcv1S: 0x20,
  Ohlcv1M: 0x21,
  Ohlcv1H: 0x22,
  Ohlcv1D: 0x23,
  OhlcvEod: 0x24,
  Mbo: 0xa0,
  Cmbp1: 0xb1,
  Cbbo1S: 0xc0,
  Cbbo1M: 0xc1,
  Tcbbo: 0xc2,
  Bbo1S: 0xc3,
  Bbo1M: 0xc4,
} as const;

export const DBN_RTYPE_NAMES: Readonly<Record<number, string>> = {
  0x00: "trades",
  0x01: "mbp-1",
  0x0a: "mbp-10",
  0x11: "ohlcv-deprecated",
  0x12: "status",
  0x13: "definition",
  0x14: "imbalance",
  0x15: "error",
  0x16: "symbol-mapping",
  0x17: "system",
  0x18: "statistics",
  0x20: "ohlcv-1s",
  0x21: "ohlcv-1m",
  0x22: "ohlcv-1h",
  0x23: "ohlcv-1d",
  0x24: "ohlcv-eod",
  0xa0: "mbo",
  0xb1: "cmbp-1",
  0xc0: "cbbo-1s",
  0xc1: "cbbo-1m",
  0xc2: "tcbbo",
  0xc3: "bbo-1s",
  0xc4: "bbo-1m",
};

/** Schema names by their u16 id in the metadata (u16 max = mixed / none). */
export const DBN_SCHEMAS = ["mbo", "mbp-1", "mbp-10", "tbbo", "trades", "ohlcv-1s", "ohlcv-1m", "ohlcv-1h", "ohlcv-1d", "definition", "statistics", "status", "imbalance", "ohlcv-eod", "cmbp-1", "cbbo-1s", "cbbo-1m", "tcbbo", "bbo-1s", "bbo-1m"] as const;
export type DbnSchema = (typeof DBN_SCHEMAS)[number];

/** Symbology types by their u8 id in the metadata. */
export const DBN_STYPES = ["instrument_id", "raw_symbol", "smart", "continuous", "parent", "nasdaq_symbol", "cms_symbol", "isin", "us_code", "bbg_comp_id", "bbg_comp_ticker", "figi", "figi_ticker"] as const;

/** Fixed-point price scale: prices are integers of 1e-9. */
export const DBN_PRICE_SCALE = 1_000_000_000;
/** Sentinel for "no price" (i64 max). */
export const DBN_UNDEF_PRICE = 0x7fffffffffffffffn;
/** Sentinel for "no size" (u32 max). */
export const DBN_UNDEF_SIZE = 0xffffffff;
/** Sentinel for "no timestamp" (u64 max). */
export const DBN_UNDEF_TIMESTAMP = 0xffffffffffffffffn;

const MBO_LEN = 56;
const TRADE_LEN = 48;
const PAIR_LEN = 32;
const MBP1_LEN = TRADE_LEN + PAIR_LEN;
const MBP10_LEN = TRADE_LEN + 10 * PAIR_LEN;
const DEF_LEN_V1 = 360;
const DEF_LEN_V2 = 400;
const DEF_LEN_V3 = 520;
const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

// ---------------------------------------------------------------------------- public types

export interface DbnMappingInterval {
  /** ISO date `YYYY-MM-DD` (inclusive). */
  startDate: string;
  /** ISO date `YYYY-MM-DD` (exclusive). */
  endDate: string;
  symbol: string;
}

export interface DbnSymbolMapping {
  rawSymbol: string;
  intervals: DbnMappingInterval[];
}

export interface DbnMetadata {
  version: number;
  dataset: string;
  /** Schema name, or null for mixed-schema files. */
  schema: DbnSchema | null;
  /** Start of the query, ns since the UNIX epoch. */
  start: bigint;
  /** End of the query (exclusive), or null if unset. */
  end: bigint | null;
  /** Record limit of the query, or null for none. */
  limit: bigint | null;
  stypeIn: string | null;
  stypeOut: string;
  /** Records carry an extra 8-byte gateway send timestamp at their end. */
  tsOut: boolean;
  symbolCstrLen: number;
  symbols: string[];
  partial: string[];
  notFound: string[];
  mappings: DbnSymbolMapping[];
}

/** A typed array that a column may be. */
export type DbnColumn = BigUint64Array | BigInt64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

/** MBO records, one typed array per field (index = MBO record number). */
export interface DbnMboColumns {
  length: number;
  /** Position of each record among all records of the file. */
  recordIndex: Uint32Array;
  publisherId: Uint16Array;
  instrumentId: Uint32Array;
  tsEvent: BigUint64Array;
  orderId: BigUint64Array;
  /** Fixed-point 1e-9 (`DBN_UNDEF_PRICE` = none). */
  price: BigInt64Array;
  size: Uint32Array;
  flags: Uint8Array;
  channelId: Uint8Array;
  /** ASCII code of A/C/M/R/T/F/N. */
  action: Uint8Array;
  /** ASCII code of B/A/N. */
  side: Uint8Array;
  tsRecv: BigUint64Array;
  tsInDelta: Int32Array;
  sequence: Uint32Array;
}

/** Trades (rtype 0x00), MBP-1 / TBBO (0x01) and MBP-10 (0x0A) records. */
export interface DbnMbpColumns {
  length: number;
  /** Book levels per record: 0 (trades), 1 (MBP-1/TBBO) or 10 (MBP-10). */
  levels: number;
  recordIndex: Uint32Array;
  publisherId: Uint16Array;
  instrumentId: Uint32Array;
  tsEvent: BigUint64Array;
  price: BigInt64Array;
  size: Uint32Array;
  action: Uint8Array;
  side: Uint8Array;
  flags: Uint8Array;
  depth: Uint8Array;
  tsRecv: BigUint64Array;
  tsInDelta: Int32Array;
  sequence: Uint32Array;
  /** Level k of record r is at index r * levels + k. */
  bidPx: BigInt64Array;
  askPx: BigInt64Array;
  bidSz: Uint32Array;
  askSz: Uint32Array;
  bidCt: Uint32Array;
  askCt: Uint32Array;
}

/** The fields of an instrument definition that the lab uses (all DBN versions). */
export interface DbnInstrumentDef {
  recordIndex: number;
  /** DBN version of the record layout (1: 360 B, 2: 400 B, 3: 520 B). */
  layoutVersion: number;
  publisherId: number;
  instrumentId: number;
  tsEvent: bigint;
  tsRecv: bigint;
  rawSymbol: string;
  /** Tick size, fixed-point 1e-9, and as an exact decimal string. */
  minPriceIncrement: bigint;
  tickSize: string;
  /** Multiplier from the venue's price to the conventional display price, fixed-point 1e-9. */
  displayFactor: bigint;
  expiration: bigint;
  activation: bigint;
  highLimitPrice: bigint;
  lowLimitPrice: bigint;
  /** Contract size in the unit of measure (e.g. 50 for ES: $50 x index), fixed-point 1e-9. */
  unitOfMeasureQty: bigint;
  contractMultiplier: number;
  minLotSize: number;
  rawInstrumentId: bigint;
  channelId: number;
  marketDepth: number;
  currency: string;
  group: string;
  exchange: string;
  asset: string;
  cfi: string;
  securityType: string;
  unitOfMeasure: string;
  underlying: string;
  instrumentClass: string;
  matchAlgorithm: string;
  securityUpdateAction: string;
  maturityYear: number;
  maturityMonth: number;
  maturityDay: number;
}

/** Counts by record type, MBO action and flag bit, for inspection and reports. */
export interface DbnCounts {
  records: number;
  byRType: Record<string, number>;
  /** MBO actions and MBP/trade actions, by letter. */
  byAction: Record<string, number>;
  /** Flag bits set (names of `DbnFlag`), over MBO, MBP and trade records. */
  byFlag: Record<string, number>;
  /** Records of types this decoder does not keep (counted only). */
  skipped: number;
}

export interface DbnFile {
  /** Path or label of the source. */
  source: string;
  compressed: boolean;
  metadata: DbnMetadata;
  mbo: DbnMboColumns;
  trades: DbnMbpColumns;
  mbp1: DbnMbpColumns;
  mbp10: DbnMbpColumns;
  definitions: DbnInstrumentDef[];
  counts: DbnCounts;
  /** Set when decoding stopped at a truncated or corrupt spot (with `onCorrupt: "keep"`). */
  corruption?: LabError;
}

export interface DbnDecodeOptions {
  /** Name for messages (a path is used automatically by `readDbnFile`). */
  source?: string;
  /** `"throw"` (default): a LabError (the good records via `partialDbn(err)`); `"keep"`: return them with `corruption` set. */
  onCorrupt?: "throw" | "keep";
  /** Compressed bytes pushed to the zstd decoder at a time. @default 1 MiB */
  chunkBytes?: number;
}

const DECODE_OPTION_KEYS = ["source", "onCorrupt", "chunkBytes"] as const;

// ---------------------------------------------------------------------------- growable columns

type ColumnSpec = Record<string, [new (n: number) => DbnColumn, number]>;

/** A set of typed-array columns that grow together (amortized doubling). */
class Columns {
  capacity = 0;
  length = 0;
  readonly arrays: Record<string, DbnColumn> = {};
  /** u32 views over the 64-bit columns, to write u64 fields as two words without BigInt. */
  readonly words: Record<string, Uint32Array> = {};

  constructor(private readonly spec: ColumnSpec) {
    this.reserve(64);
  }

  reserve(n: number): void {
    if (n <= this.capacity) return;
    let cap = Math.max(64, this.capacity);
    while (cap < n) cap *= 2;
    for (const [name, [Ctor, width]] of Object.entries(this.spec)) {
      const next = new Ctor(cap * width);
      const prev = this.arrays[name];
      if (prev) (next as unknown as { set(a: ArrayLike<unknown>): void }).set(prev as unknown as ArrayLike<unknown>);
      this.arrays[name] = next;
      if (next instanceof BigUint64Array || next instanceof BigInt64Array) this.words[name] = new Uint32Array(next.buffer);
    }
    this.capacity = cap;
  }

  /** Columns trimmed to `length` (copies, so the backing store can be dropped). */
  trimmed(): Record<string, DbnColumn> {
    const out: Record<string, DbnColumn> = {};
    for (const [name, [, width]] of Object.entries(this.spec)) out[name] = this.arrays[name]!.slice(0, this.length * width) as DbnColumn;
    return out;
  }
}

const MBO_SPEC: ColumnSpec = {
  recordIndex: [Uint32Array, 1],
  publisherId: [Uint16Array, 1],
  instrumentId: [Uint32Array, 1],
  tsEvent: [BigUint64Array, 1],
  orderId: [BigUint64Array, 1],
  price: [BigInt64Array, 1],
  size: [Uint32Array, 1],
  flags: [Uint8Array, 1],
  channelId: [Uint8Array, 1],
  action: [Uint8Array, 1],
  side: [Uint8Array, 1],
  tsRecv: [BigUint64Array, 1],
  tsInDelta: [Int32Array, 1],
  sequence: [Uint32Array, 1],
};

function mbpSpec(levels: number): ColumnSpec {
  return {
    recordIndex: [Uint32Array, 1],
    publisherId: [Uint16Array, 1],
    instrumentId: [Uint32Array, 1],
    tsEvent: [BigUint64Array, 1],
    price: [BigInt64Array, 1],
    size: [Uint32Array, 1],
    action: [Uint8Array, 1],
    side: [Uint8Array, 1],
    flags: [Uint8Array, 1],
    depth: [Uint8Array, 1],
    tsRecv: [BigUint64Array, 1],
    tsInDelta: [Int32Array, 1],
    sequence: [Uint32Array, 1],
    bidPx: [BigInt64Array, levels],
    askPx: [BigInt64Array, levels],
    bidSz: [Uint32Array, levels],
    askSz: [Uint32Array, levels],
    bidCt: [Uint32Array, levels],
    askCt: [Uint32Array, levels],
  };
}

// ---------------------------------------------------------------------------- stream decoder

const FLAG_NAMES = Object.entries(DbnFlag) as [string, number][];

/**
 * Push-based DBN decoder: `push(bytes)` any number of uncompressed chunks, then `finish()`.
 * Records split across chunks are carried over; nothing is allocated per record except
 * instrument definitions (rare).
 */
export class DbnStreamDecoder {
  metadata: DbnMetadata | undefined;
  /** Uncompressed bytes consumed so far (offset of the next undecoded byte). */
  bytesConsumed = 0;
  recordsDecoded = 0;
  readonly definitions: DbnInstrumentDef[] = [];
  private pending = new Uint8Array(1 << 16);
  private pendingLen = 0;
  private version = 0;
  private recordsStart = 0;
  private readonly mbo = new Columns(MBO_SPEC);
  private readonly trades = new Columns(mbpSpec(0));
  private readonly mbp1 = new Columns(mbpSpec(1));
  private readonly mbp10 = new Columns(mbpSpec(10));
  private readonly rtypeCounts = new Float64Array(256);
  private readonly actionCounts = new Float64Array(256);
  private readonly flagCounts = new Float64Array(256);
  private skipped = 0;

  constructor(readonly source = "<bytes>") {}

  push(chunk: Uint8Array): void {
    if (this.pendingLen + chunk.length > this.pending.length) {
      let cap = this.pending.length;
      while (cap < this.pendingLen + chunk.length) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.pending.subarray(0, this.pendingLen));
      this.pending = next;
    }
    this.pending.set(chunk, this.pendingLen);
    this.pendingLen += chunk.length;
    let used = 0;
    if (this.metadata === undefined) {
      used = this.decodeHeader();
      if (this.metadata === undefined) return;
    }
    used += this.decodeRecords(used);
    if (used > 0) {
      this.pending.copyWithin(0, used, this.pendingLen);
      this.pendingLen -= used;
    }
  }

  /** Ends the stream; leftover bytes (a record cut short) are a truncation error. */
  finish(): void {
    if (this.metadata === undefined) {
      throw this.error("DBN_TRUNCATED", `${this.source} ends after ${this.pendingLen} bytes, inside the DBN header`, "the file is incomplete; download it again");
    }
    if (this.pendingLen > 0) {
      const len = (this.pending[0] ?? 0) * 4;
      throw this.error(
        "DBN_TRUNCATED",
        `${this.source} is truncated: record ${this.recordsDecoded} at byte ${this.bytesConsumed} needs ${len} bytes, only ${this.pendingLen} remain`,
        "the file was cut short (interrupted download or copy); the records before it are intact",
      );
    }
  }

  /** Collects the decoded columns (trimmed copies). */
  result(compressed: boolean): DbnFile {
    const counts: DbnCounts = { records: this.recordsDecoded, byRType: {}, byAction: {}, byFlag: {}, skipped: this.skipped };
    for (let t = 0; t < 256; t++) {
      const n = this.rtypeCounts[t]!;
      if (n > 0) counts.byRType[DBN_RTYPE_NAMES[t] ?? `rtype-0x${t.toString(16)}`] = n;
      const a = this.actionCounts[t]!;
      if (a > 0) counts.byAction[String.fromCharCode(t)] = a;
    }
    for (const [name, bit] of FLAG_NAMES) {
      let n = 0;
      for (let v = 0; v < 256; v++) if ((v & bit) !== 0) n += this.flagCounts[v]!;
      if (n > 0) counts.byFlag[name] = n;
    }
    const raw = (c: Columns, levels?: number) => ({ length: c.length, ...(levels === undefined ? {} : { levels }), ...c.trimmed() });
    return {
      source: this.source,
      compressed,
      metadata: this.metadata ?? emptyMetadata(),
      mbo: raw(this.mbo) as unknown as DbnMboColumns,
      trades: raw(this.trades, 0) as unknown as DbnMbpColumns,
      mbp1: raw(this.mbp1, 1) as unknown as DbnMbpColumns,
      mbp10: raw(this.mbp10, 10) as unknown as DbnMbpColumns,
      definitions: this.definitions,
      counts,
    };
  }

  private error(code: string, message: string, hint: string): LabError {
    return new LabError({ code, message, hint, context: { file: this.source, byteOffset: this.bytesConsumed, recordIndex: this.recordsDecoded } });
  }

  /** Decodes prelude + metadata once enough bytes are there; returns bytes used (0 if waiting). */
  private decodeHeader(): number {
    const buf = this.pending;
    if (this.pendingLen < 8) return 0;
    if (buf[0] !== 0x44 || buf[1] !== 0x42 || buf[2] !== 0x4e) {
      throw this.error("DBN_BAD_HEADER", `${this.source} does not start with "DBN" (got bytes ${Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ")})`, "is this a DBN file? legacy DBZ files must be converted with Databento's tools first");
    }
    const version = buf[3]!;
    if (version < 1 || version > 3) {
      throw this.error("DBN_VERSION", `${this.source} is DBN version ${version}; versions 1, 2 and 3 are supported`, "convert it with Databento's `dbn` CLI (`dbn --upgrade`) or update Strategy Lab");
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, this.pendingLen);
    const length = dv.getUint32(4, true);
    if (length < 100) throw this.error("DBN_BAD_HEADER", `${this.source}: metadata length ${length} is shorter than the fixed 100 bytes`, "the file is not valid DBN");
    if (this.pendingLen < 8 + length) return 0;
    this.version = version;
    this.metadata = parseMetadata(version, buf.subarray(8, 8 + length), this.source);
    this.bytesConsumed = 8 + length;
    this.recordsStart = this.bytesConsumed;
    return 8 + length;
  }

  /** Decodes every complete record from `start`; returns bytes used. */
  private decodeRecords(start: number): number {
    const buf = this.pending;
    const end = this.pendingLen;
    const dv = new DataView(buf.buffer, buf.byteOffset, end);
    let p = start;
    const tsOut = this.metadata?.tsOut ? 8 : 0;
    while (p + 16 <= end) {
      const len = buf[p]! * 4;
      if (len < 16) {
        this.bytesConsumed += p - start;
        throw this.error("DBN_CORRUPT", `${this.source}: record ${this.recordsDecoded} at byte ${this.bytesConsumed} has impossible length ${len}`, "the file is corrupt after this point; the records before it are intact");
      }
      if (p + len > end) break;
      const rtype = buf[p + 1]!;
      const expect = expectedLength(rtype);
      if (expect > 0 && len !== expect && len !== expect + tsOut) {
        this.bytesConsumed += p - start;
        throw this.error("DBN_CORRUPT", `${this.source}: record ${this.recordsDecoded} at byte ${this.bytesConsumed} (rtype 0x${rtype.toString(16)}) is ${len} bytes, expected ${expect}`, "the file is corrupt after this point; the records before it are intact");
      }
      this.rtypeCounts[rtype]!++;
      switch (rtype) {
        case DbnRType.Mbo:
          this.readMbo(buf, dv, p);
          break;
        case DbnRType.Mbp0:
          this.readMbp(this.trades, 0, buf, dv, p);
          break;
        case DbnRType.Mbp1:
          this.readMbp(this.mbp1, 1, buf, dv, p);
          break;
        case DbnRType.Mbp10:
          this.readMbp(this.mbp10, 10, buf, dv, p);
          break;
        case DbnRType.InstrumentDef:
          this.readDefinition(buf, dv, p, len - tsOut);
          break;
        default:
          this.skipped++;
          break;
      }
      this.recordsDecoded++;
      p += len;
    }
    this.bytesConsumed += p - start;
    return p - start;
  }

  /** Appends a row and fills the record-header fields every market-data schema shares; returns its index. */
  private startRow(c: Columns, dv: DataView, p: number): number {
    if (c.length === c.capacity) c.reserve(c.length + 1);
    const k = c.length++;
    (c.arrays.recordIndex as Uint32Array)[k] = this.recordsDecoded;
    (c.arrays.publisherId as Uint16Array)[k] = dv.getUint16(p + 2, true);
    (c.arrays.instrumentId as Uint32Array)[k] = dv.getUint32(p + 4, true);
    copyU64(c.words.tsEvent!, k * 2, dv, p + 8);
    return k;
  }

  private readMbo(buf: Uint8Array, dv: DataView, p: number): void {
    const c = this.mbo;
    const k = this.startRow(c, dv, p);
    const a = c.arrays;
    const w = c.words;
    const k2 = k * 2;
    copyU64(w.orderId!, k2, dv, p + 16);
    copyU64(w.price!, k2, dv, p + 24);
    (a.size as Uint32Array)[k] = dv.getUint32(p + 32, true);
    const flags = buf[p + 36]!;
    (a.flags as Uint8Array)[k] = flags;
    (a.channelId as Uint8Array)[k] = buf[p + 37]!;
    const action = buf[p + 38]!;
    (a.action as Uint8Array)[k] = action;
    (a.side as Uint8Array)[k] = buf[p + 39]!;
    copyU64(w.tsRecv!, k2, dv, p + 40);
    (a.tsInDelta as Int32Array)[k] = dv.getInt32(p + 48, true);
    (a.sequence as Uint32Array)[k] = dv.getUint32(p + 52, true);
    this.actionCounts[action]!++;
    this.flagCounts[flags]!++;
  }

  private readMbp(c: Columns, levels: number, buf: Uint8Array, dv: DataView, p: number): void {
    const k = this.startRow(c, dv, p);
    const a = c.arrays;
    const w = c.words;
    const k2 = k * 2;
    copyU64(w.price!, k2, dv, p + 16);
    (a.size as Uint32Array)[k] = dv.getUint32(p + 24, true);
    const action = buf[p + 28]!;
    (a.action as Uint8Array)[k] = action;
    (a.side as Uint8Array)[k] = buf[p + 29]!;
    const flags = buf[p + 30]!;
    (a.flags as Uint8Array)[k] = flags;
    (a.depth as Uint8Array)[k] = buf[p + 31]!;
    copyU64(w.tsRecv!, k2, dv, p + 32);
    (a.tsInDelta as Int32Array)[k] = dv.getInt32(p + 40, true);
    (a.sequence as Uint32Array)[k] = dv.getUint32(p + 44, true);
    for (let l = 0; l < levels; l++) {
      const q = p + TRADE_LEN + l * PAIR_LEN;
      const j = k * levels + l;
      copyU64(w.bidPx!, j * 2, dv, q);
      copyU64(w.askPx!, j * 2, dv, q + 8);
      (a.bidSz as Uint32Array)[j] = dv.getUint32(q + 16, true);
      (a.askSz as Uint32Array)[j] = dv.getUint32(q + 20, true);
      (a.bidCt as Uint32Array)[j] = dv.getUint32(q + 24, true);
      (a.askCt as Uint32Array)[j] = dv.getUint32(q + 28, true);
    }
    this.actionCounts[action]!++;
    this.flagCounts[flags]!++;
  }

  private readDefinition(buf: Uint8Array, dv: DataView, p: number, len: number): void {
    const layout = len === DEF_LEN_V1 ? 1 : len === DEF_LEN_V2 ? 2 : len === DEF_LEN_V3 ? 3 : 0;
    if (layout === 0) {
      this.skipped++;
      return;
    }
    const o = DEF_OFFSETS[layout]!;
    const i64 = (off: number) => dv.getBigInt64(p + off, true);
    const u64 = (off: number) => dv.getBigUint64(p + off, true);
    const str = (off: number, n: number) => cstr(buf, p + off, n);
    const ch = (off: number) => (buf[p + off] === 0 ? "" : String.fromCharCode(buf[p + off]!));
    const minPriceIncrement = i64(24);
    this.definitions.push({
      recordIndex: this.recordsDecoded,
      layoutVersion: layout,
      publisherId: dv.getUint16(p + 2, true),
      instrumentId: dv.getUint32(p + 4, true),
      tsEvent: u64(8),
      tsRecv: u64(16),
      rawSymbol: str(o.rawSymbol, o.symbolLen),
      minPriceIncrement,
      tickSize: fixedToDecimal(minPriceIncrement),
      displayFactor: i64(32),
      expiration: u64(40),
      activation: u64(48),
      highLimitPrice: i64(56),
      lowLimitPrice: i64(64),
      unitOfMeasureQty: i64(o.unitOfMeasureQty),
      contractMultiplier: dv.getInt32(p + o.contractMultiplier, true),
      minLotSize: dv.getInt32(p + o.minLotSize, true),
      rawInstrumentId: layout === 3 ? u64(o.rawInstrumentId) : BigInt(dv.getUint32(p + o.rawInstrumentId, true)),
      channelId: dv.getUint16(p + o.channelId, true),
      marketDepth: dv.getInt32(p + o.marketDepth, true),
      currency: str(o.currency, 4),
      group: str(o.group, 21),
      exchange: str(o.exchange, 5),
      asset: str(o.asset, o.assetLen),
      cfi: str(o.cfi, 7),
      securityType: str(o.securityType, 7),
      unitOfMeasure: str(o.unitOfMeasure, 31),
      underlying: str(o.underlying, 21),
      instrumentClass: ch(o.instrumentClass),
      matchAlgorithm: ch(o.matchAlgorithm),
      securityUpdateAction: ch(o.securityUpdateAction),
      maturityYear: dv.getUint16(p + o.maturityYear, true),
      maturityMonth: buf[p + o.maturityMonth]!,
      maturityDay: buf[p + o.maturityMonth + 1]!,
    });
  }
}

/** Byte offsets inside an instrument definition record, per layout version. */
interface DefOffsets {
  unitOfMeasureQty: number;
  rawInstrumentId: number;
  marketDepth: number;
  minLotSize: number;
  contractMultiplier: number;
  maturityYear: number;
  channelId: number;
  currency: number;
  rawSymbol: number;
  symbolLen: number;
  group: number;
  exchange: number;
  asset: number;
  assetLen: number;
  cfi: number;
  securityType: number;
  unitOfMeasure: number;
  underlying: number;
  instrumentClass: number;
  matchAlgorithm: number;
  securityUpdateAction: number;
  maturityMonth: number;
}

/**
 * v1 (360 B): u32 raw_instrument_id after the i64 block; 22-byte symbols; strike price late.
 * v2 (400 B): strike price moved into the i64 block; 71-byte symbols.
 * v3 (520 B): trading_reference_price/date and settl_price_type dropped, u64 raw_instrument_id,
 * leg fields added, 11-byte asset.
 */
const DEF_OFFSETS: Record<number, DefOffsets> = {
  1: { unitOfMeasureQty: 88, rawInstrumentId: 120, marketDepth: 128, minLotSize: 140, contractMultiplier: 160, maturityYear: 180, channelId: 184, currency: 186, rawSymbol: 200, symbolLen: 22, group: 222, exchange: 243, asset: 248, assetLen: 7, cfi: 255, securityType: 262, unitOfMeasure: 269, underlying: 300, instrumentClass: 325, matchAlgorithm: 342, securityUpdateAction: 349, maturityMonth: 350 },
  2: { unitOfMeasureQty: 88, rawInstrumentId: 128, marketDepth: 136, minLotSize: 148, contractMultiplier: 164, maturityYear: 180, channelId: 184, currency: 186, rawSymbol: 200, symbolLen: 71, group: 271, exchange: 292, asset: 297, assetLen: 7, cfi: 304, securityType: 311, unitOfMeasure: 318, underlying: 349, instrumentClass: 374, matchAlgorithm: 375, securityUpdateAction: 382, maturityMonth: 383 },
  3: { unitOfMeasureQty: 80, rawInstrumentId: 112, marketDepth: 148, minLotSize: 160, contractMultiplier: 176, maturityYear: 214, channelId: 218, currency: 224, rawSymbol: 238, symbolLen: 71, group: 309, exchange: 330, asset: 335, assetLen: 11, cfi: 346, securityType: 353, unitOfMeasure: 360, underlying: 391, instrumentClass: 487, matchAlgorithm: 488, securityUpdateAction: 493, maturityMonth: 494 },
};

function expectedLength(rtype: number): number {
  switch (rtype) {
    case DbnRType.Mbo:
      return MBO_LEN;
    case DbnRType.Mbp0:
      return TRADE_LEN;
    case DbnRType.Mbp1:
      return MBP1_LEN;
    case DbnRType.Mbp10:
      return MBP10_LEN;
    default:
      return 0;
  }
}

/** Copies a little-endian u64 at `off` into two u32 words (native order is little-endian on every Node platform we run). */
function copyU64(words: Uint32Array, at: number, dv: DataView, off: number): void {
  words[at] = dv.getUint32(off, true);
  words[at + 1] = dv.getUint32(off + 4, true);
}

function cstr(buf: Uint8Array, off: number, n: number): string {
  let end = off;
  const stop = off + n;
  while (end < stop && buf[end] !== 0) end++;
  return new TextDecoder().decode(buf.subarray(off, end));
}

/** Fixed-point 1e-9 integer to its exact decimal string ("0.25", "-1.5", "100"). */
export function fixedToDecimal(value: bigint): string {
  const neg = value < 0n;
  const abs = neg ? -value : value;
  const whole = abs / 1_000_000_000n;
  const frac = (abs % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

function emptyMetadata(): DbnMetadata {
  return { version: 0, dataset: "", schema: null, start: 0n, end: null, limit: null, stypeIn: null, stypeOut: "", tsOut: false, symbolCstrLen: 0, symbols: [], partial: [], notFound: [], mappings: [] };
}

function parseMetadata(version: number, m: Uint8Array, source: string): DbnMetadata {
  const dv = new DataView(m.buffer, m.byteOffset, m.length);
  const fail = (what: string): never => {
    throw new LabError({ code: "DBN_BAD_HEADER", message: `${source}: metadata ends inside ${what}`, hint: "the DBN header is corrupt or truncated", context: { file: source } });
  };
  const dataset = cstr(m, 0, 16);
  const schemaId = dv.getUint16(16, true);
  const start = dv.getBigUint64(18, true);
  const end = dv.getBigUint64(26, true);
  const limit = dv.getBigUint64(34, true);
  let pos = 42;
  if (version === 1) pos += 8; // record_count, dropped in v2
  const stypeIn = m[pos++]!;
  const stypeOut = m[pos++]!;
  const tsOut = m[pos++]! !== 0;
  let symbolLen = 22;
  if (version >= 2) {
    symbolLen = dv.getUint16(pos, true);
    pos += 2;
  }
  pos += version === 1 ? 47 : 53; // reserved
  const schemaDefLen = dv.getUint32(pos, true);
  pos += 4 + schemaDefLen;
  const repeated = (what: string): string[] => {
    if (pos + 4 > m.length) fail(what);
    const count = dv.getUint32(pos, true);
    pos += 4;
    if (pos + count * symbolLen > m.length) fail(what);
    const out: string[] = [];
    for (let i = 0; i < count; i++, pos += symbolLen) out.push(cstr(m, pos, symbolLen));
    return out;
  };
  const symbols = repeated("symbols");
  const partial = repeated("partial");
  const notFound = repeated("not_found");
  if (pos + 4 > m.length) fail("mappings");
  const mappingCount = dv.getUint32(pos, true);
  pos += 4;
  const mappings: DbnSymbolMapping[] = [];
  for (let i = 0; i < mappingCount; i++) {
    if (pos + symbolLen + 4 > m.length) fail(`mapping ${i}`);
    const rawSymbol = cstr(m, pos, symbolLen);
    pos += symbolLen;
    const n = dv.getUint32(pos, true);
    pos += 4;
    if (pos + n * (8 + symbolLen) > m.length) fail(`mapping ${i} intervals`);
    const intervals: DbnMappingInterval[] = [];
    for (let j = 0; j < n; j++) {
      const startDate = isoDate(dv.getUint32(pos, true));
      const endDate = isoDate(dv.getUint32(pos + 4, true));
      pos += 8;
      intervals.push({ startDate, endDate, symbol: cstr(m, pos, symbolLen) });
      pos += symbolLen;
    }
    mappings.push({ rawSymbol, intervals });
  }
  return {
    version,
    dataset,
    schema: schemaId === 0xffff ? null : (DBN_SCHEMAS[schemaId] ?? null),
    start,
    end: end === DBN_UNDEF_TIMESTAMP ? null : end,
    limit: limit === 0n ? null : limit,
    stypeIn: stypeIn === 0xff ? null : (DBN_STYPES[stypeIn] ?? `stype-${stypeIn}`),
    stypeOut: DBN_STYPES[stypeOut] ?? `stype-${stypeOut}`,
    tsOut,
    symbolCstrLen: symbolLen,
    symbols,
    partial,
    notFound,
    mappings,
  };
}

/** YYYYMMDD as u32 -> "YYYY-MM-DD". */
function isoDate(raw: number): string {
  const y = Math.floor(raw / 10000);
  const mo = Math.floor(raw / 100) % 100;
  const d = raw % 100;
  return `${String(y).padStart(4, "0")}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

// ---------------------------------------------------------------------------- entry points

const PARTIAL = Symbol("dbn-partial");

/** The records decoded before a `DBN_TRUNCATED`/`DBN_CORRUPT` error was thrown. */
export function partialDbn(error: unknown): DbnFile | undefined {
  return typeof error === "object" && error !== null ? ((error as Record<symbol, DbnFile | undefined>)[PARTIAL] ?? undefined) : undefined;
}

/** True if the bytes start with a zstd frame (or a skippable frame). */
export function isZstd(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const magic = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  return magic === ZSTD_MAGIC || (magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC;
}

/** Decodes DBN bytes (plain or zstd) into record columns. */
export function decodeDbn(bytes: Uint8Array, options: DbnDecodeOptions = {}): DbnFile {
  checkOptionKeys(options as Record<string, unknown>, DECODE_OPTION_KEYS, "decodeDbn options");
  const chunk = Math.max(4096, options.chunkBytes ?? 1 << 20);
  let offset = 0;
  const next = (): Uint8Array | undefined => {
    if (offset >= bytes.length) return undefined;
    const part = bytes.subarray(offset, Math.min(bytes.length, offset + chunk));
    offset += part.length;
    return part;
  };
  return decodeChunks(next, bytes.length, options.source ?? "<bytes>", options.onCorrupt ?? "throw");
}

/**
 * Reads and decodes a `.dbn` or `.dbn.zst` file (compression is detected from the bytes). The
 * file is read in `chunkBytes` pieces, so neither the compressed nor the uncompressed file is
 * ever held whole in memory; only the decoded columns are.
 */
export function readDbnFile(path: string, options: Omit<DbnDecodeOptions, "source"> = {}): DbnFile {
  checkOptionKeys(options as Record<string, unknown>, DECODE_OPTION_KEYS, "readDbnFile options");
  const chunk = Math.max(4096, options.chunkBytes ?? 1 << 20);
  let fd: number;
  let total: number;
  try {
    fd = openSync(path, "r");
    total = fstatSync(fd).size;
  } catch (error) {
    throw new LabError({ code: "FILE_NOT_FOUND", message: `cannot read DBN file ${path}: ${(error as Error).message}`, hint: "check the path (relative paths start at the current directory)", context: { file: path }, cause: error });
  }
  try {
    const next = (): Uint8Array | undefined => {
      // A fresh buffer per chunk: the zstd decoder may keep a reference to unfinished input.
      const buf = new Uint8Array(chunk);
      const n = readSync(fd, buf, 0, chunk, null);
      return n === 0 ? undefined : buf.subarray(0, n);
    };
    return decodeChunks(next, total, path, options.onCorrupt ?? "throw");
  } finally {
    closeSync(fd);
  }
}

function decodeChunks(next: () => Uint8Array | undefined, total: number, source: string, onCorrupt: "throw" | "keep"): DbnFile {
  const decoder = new DbnStreamDecoder(source);
  let failure: LabError | undefined;
  let compressedOffset = 0;
  let compressed = false;
  try {
    let part = next();
    compressed = part !== undefined && isZstd(part);
    if (compressed) {
      const zstd = new Decompress((data) => decoder.push(data));
      let o = 0;
      while (part !== undefined) {
        compressedOffset = o;
        const end = o + part.length;
        try {
          zstd.push(part, end >= total);
        } catch (error) {
          if (error instanceof LabError) throw error;
          const eof = (error as { code?: number }).code === 5;
          throw new LabError({
            code: eof ? "DBN_TRUNCATED" : "DBN_CORRUPT",
            message: `${source}: ${eof ? "zstd stream ends early (file truncated)" : `corrupt zstd data (${(error as Error).message})`} in compressed bytes ${o}-${end} of ${total}; ${decoder.recordsDecoded} records decoded before it (uncompressed byte ${decoder.bytesConsumed})`,
            hint: eof ? "the file was cut short (interrupted download or copy); the records before it are intact" : "the file is damaged; download it again. The records before the damage are intact",
            context: { file: source, compressedOffset: o, byteOffset: decoder.bytesConsumed, recordIndex: decoder.recordsDecoded },
            cause: error,
          });
        }
        o = end;
        part = next();
      }
    } else {
      while (part !== undefined) {
        decoder.push(part);
        part = next();
      }
    }
    decoder.finish();
  } catch (error) {
    if (!(error instanceof LabError)) throw error;
    failure = error;
    if (compressed && failure.context.compressedOffset === undefined) {
      failure = new LabError({ code: failure.code, message: `${failure.message} (compressed bytes from ${compressedOffset})`, hint: failure.hint, context: { ...failure.context, compressedOffset } });
    }
  }
  const file = decoder.result(compressed);
  if (failure !== undefined) {
    if (decoder.metadata === undefined && failure.code !== "DBN_TRUNCATED" && failure.code !== "DBN_CORRUPT") throw failure;
    if (onCorrupt === "keep") return { ...file, corruption: failure };
    Object.defineProperty(failure, PARTIAL, { value: file, enumerable: false });
    throw failure;
  }
  return file;
}

/** A one-line description of the metadata, for logs and CLI output. */
export function describeDbn(file: DbnFile): string {
  const m = file.metadata;
  return `DBN v${m.version} ${m.dataset} ${m.schema ?? "mixed"} ${formatNs(m.start)}..${m.end === null ? "?" : formatNs(m.end)} symbols [${m.symbols.join(", ")}], ${file.counts.records} records`;
}
