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
 * Damaged input, by kind (every error is a `LabError` naming the file and the byte offset):
 *
 * - Cut short (an interrupted download or copy), plain or zstd, inside a record: `DBN_TRUNCATED`
 *   naming the record index and the uncompressed byte offset of the partial record. Every record
 *   before it is decoded and kept: `onCorrupt: "keep"` returns them with `corruption` set; with
 *   the default `"throw"` they are reachable through `partialDbn(error)`; `readDbn` returns them
 *   with `{ onBadRows: "quarantine" }` and reports one `truncated` issue. A cut exactly between
 *   two records (or between two zstd frames) leaves a valid, shorter file: DBN v2/v3 carry no
 *   record count to tell.
 * - Cut inside the metadata header (or a metadata length longer than the stream):
 *   `DBN_TRUNCATED` whatever the options (nothing is decodable).
 * - Damaged bytes the framing detects (a record length that is impossible or does not match its
 *   record type, corrupt zstd data, a zstd block header that breaks the format): `DBN_CORRUPT`,
 *   handled like a cut: the records before the damage are kept on request. Decoding does not
 *   resume after it: the record boundaries past that point cannot be trusted.
 * - A metadata header whose lengths or counts do not fit in the bytes there are (metadata length
 *   under 100 bytes or over 1 GiB, schema definition length, symbol length 0, symbol / mapping /
 *   interval counts): `DBN_BAD_HEADER` naming the byte offset of the field. Not a DBN file or a
 *   version other than 1-3: `DBN_BAD_HEADER` / `DBN_VERSION`.
 * - A well-framed record with a value its kind cannot have (`onBadRecords`; `readDbn` maps its
 *   `onBadRows` to it: "reject" throws `MISSING_VALUE` / `BAD_VALUE` naming record index, byte
 *   offset, field and raw value; "quarantine" leaves the record out and reports it; the
 *   decoder's own default "keep" decodes it as is and lists it): an unknown rtype (its length
 *   still frames it, so decoding goes on after it); an MBO/MBP/trade action other than A C M R T F N or a
 *   side other than A B N; an undefined price (i64 max) or size (u32 max) where the action needs
 *   one (A C M T F); a size with the top bit set (negative as a signed 32-bit number); a ts_recv
 *   outside the query range in the metadata (Databento selects records by ts_recv in [start,
 *   end)); a ts_event more than a day after ts_recv, or, outside a snapshot, more than a day
 *   before it (a flipped high byte moves a time by years, and a replay's time grid spans them;
 *   records flagged F_BAD_TS_RECV are exempt from the ts_event checks). DBN's own
 *   conventions are not problems: an undefined price on R (clear) or N, undefined book levels,
 *   status / statistics / imbalance / system / error / symbol-mapping / OHLCV records (counted in
 *   `counts.byRType` and `counts.skipped`, not decoded).
 *
 * No value read from the file sizes an allocation or bounds a loop unless it was first checked
 * against the bytes that are actually there: header lengths and counts against the metadata
 * length, the metadata length against the stream size, zstd window and content sizes against
 * what the frame's blocks can produce (the walk over block headers reads 3 bytes per block; the
 * decoder's window is capped at that bound). Memory is the decoded columns plus at most one zstd
 * window; every loop advances through input bytes.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { Decompress } from "fzstd";
import { LabError, formatNs } from "../../core/index.js";
import { checkOptionKeys } from "../../core/internal.js";
import { checkReadableFile, filesystemError, type IssueClass, type IssueSample } from "../../data/index.js";

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
  /** Records with values their kind cannot have, and what was done with them. */
  badRecords: DbnBadRecords;
  /** Set when decoding stopped at a truncated or corrupt spot (with `onCorrupt: "keep"`). */
  corruption?: LabError;
}

/**
 * What to do with a well-framed record holding a value its kind cannot have (module comment):
 * `"keep"` decodes it as it is and lists it in `badRecords` (inspection tools); `"reject"` throws
 * `MISSING_VALUE` / `BAD_VALUE` naming the record index, byte offset, field and raw value;
 * `"quarantine"` leaves it out of the columns and lists it in `badRecords`.
 */
export type DbnBadRecordPolicy = "keep" | "reject" | "quarantine";

/** Records with values their kind cannot have (each counted once, under its first problem). */
export interface DbnBadRecords {
  policy: DbnBadRecordPolicy;
  count: number;
  byClass: Partial<Record<IssueClass, number>>;
  /** The first few per class: row = record index in the file, column = DBN field name, value = the raw value as text. */
  samples: Partial<Record<IssueClass, IssueSample[]>>;
}

export interface DbnDecodeOptions {
  /** Name for messages (a path is used automatically by `readDbnFile`). */
  source?: string;
  /** `"throw"` (default): a LabError (the good records via `partialDbn(err)`); `"keep"`: return them with `corruption` set. */
  onCorrupt?: "throw" | "keep";
  /** Records with impossible values (see `DbnBadRecordPolicy`). @default "keep" */
  onBadRecords?: DbnBadRecordPolicy;
  /** Compressed bytes pushed to the zstd decoder at a time. @default 1 MiB */
  chunkBytes?: number;
}

const DECODE_OPTION_KEYS = ["source", "onCorrupt", "onBadRecords", "chunkBytes"] as const;
const BAD_RECORD_SAMPLES = 5;
/** Largest metadata length taken at face value (a header listing a million symbol mappings is ~200 MB). */
const METADATA_MAX = 1 << 30;

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

/** ASCII codes of the actions a DBN market-data record may carry, and those that need a price and size. */
const VALID_ACTION = new Uint8Array(256);
const PRICED_ACTION = new Uint8Array(256);
for (const c of "ACMRTFN") VALID_ACTION[c.charCodeAt(0)] = 1;
for (const c of "ACMTF") PRICED_ACTION[c.charCodeAt(0)] = 1;
const VALID_SIDE = new Uint8Array(256);
for (const c of "ABN") VALID_SIDE[c.charCodeAt(0)] = 1;
const UNDEF_PRICE_TEXT = DBN_UNDEF_PRICE.toString();

/** One record's problem, built only when a record has one. */
interface RecordProblem {
  cls: IssueClass;
  column: string;
  value: string;
  what: string;
}

/** A byte as a letter when printable, else hex (an action or side in a message). */
function byteText(b: number): string {
  return b >= 0x21 && b <= 0x7e ? String.fromCharCode(b) : `0x${b.toString(16)}`;
}

export interface DbnStreamOptions {
  /** Records with impossible values. @default "keep" */
  onBadRecords?: DbnBadRecordPolicy;
  /** Upper bound of the stream's decoded length when known (file size, zstd frames' bound): a metadata length beyond it is rejected at once. */
  maxBytes?: number;
}

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
  private readonly onBadRecords: DbnBadRecordPolicy;
  private readonly maxBytes: number;
  private readonly bad: DbnBadRecords;
  private window: RecvWindow | undefined;

  constructor(
    readonly source = "<bytes>",
    options: DbnStreamOptions = {},
  ) {
    this.onBadRecords = options.onBadRecords ?? "keep";
    this.maxBytes = options.maxBytes ?? Infinity;
    this.bad = { policy: this.onBadRecords, count: 0, byClass: {}, samples: {} };
  }

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
      const claimed = this.pendingLen >= 8 ? `; its metadata length says ${8 + new DataView(this.pending.buffer).getUint32(4, true)}` : "";
      throw this.error("DBN_TRUNCATED", `${this.source} ends after ${this.pendingLen} bytes, inside the DBN header${claimed}`, "the file ends inside its metadata header, so nothing in it can be decoded: download or copy it again", "cut inside the metadata header");
    }
    if (this.pendingLen > 0) {
      const len = (this.pending[0] ?? 0) * 4;
      throw this.error(
        "DBN_TRUNCATED",
        `${this.source} is truncated: record ${this.recordsDecoded} at byte ${this.bytesConsumed} needs ${len} bytes, only ${this.pendingLen} remain`,
        keepHint("the file was cut short (interrupted download or copy)", this.recordsDecoded, "cut"),
        `cut inside record ${this.recordsDecoded} (${this.pendingLen} of its ${len} bytes present)`,
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
      badRecords: { policy: this.bad.policy, count: this.bad.count, byClass: { ...this.bad.byClass }, samples: Object.fromEntries(Object.entries(this.bad.samples).map(([k, v]) => [k, [...v]])) },
    };
  }

  private error(code: LabError["code"], message: string, hint: string, reason: string): LabError {
    return new LabError({ code, message, hint, context: { file: this.source, byteOffset: this.bytesConsumed, recordIndex: this.recordsDecoded, reason } });
  }

  /** Decodes prelude + metadata once enough bytes are there; returns bytes used (0 if waiting). */
  private decodeHeader(): number {
    const buf = this.pending;
    if (this.pendingLen < 8) return 0;
    if (buf[0] !== 0x44 || buf[1] !== 0x42 || buf[2] !== 0x4e) {
      throw this.error("DBN_BAD_HEADER", `${this.source} does not start with "DBN" (got bytes ${Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ")})`, "is this a DBN file? legacy DBZ files must be converted with Databento's tools first", "not DBN");
    }
    const version = buf[3]!;
    if (version < 1 || version > 3) {
      throw this.error("DBN_VERSION", `${this.source} is DBN version ${version}; versions 1, 2 and 3 are supported`, "convert it with Databento's `dbn` CLI (`dbn --upgrade`) or update Strategy Lab", "unsupported version");
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, this.pendingLen);
    const length = dv.getUint32(4, true);
    const badLength = (what: string): never => {
      throw new LabError({ code: "DBN_BAD_HEADER", message: `${this.source}: metadata length ${length} at byte 4 ${what}`, hint: "the DBN header is corrupt: download or copy the file again", context: { file: this.source, byteOffset: 4, value: String(length) } });
    };
    if (length < 100) badLength("is shorter than the fixed 100 bytes");
    if (length > METADATA_MAX) badLength(`is beyond any real header (${METADATA_MAX} bytes at most)`);
    // Checked before waiting for the bytes: buffering towards a length the stream cannot hold
    // would keep all of it in memory only to fail at the end.
    if (8 + length > this.maxBytes) {
      throw this.error("DBN_TRUNCATED", `${this.source} ends inside the DBN header: the metadata length at byte 4 says ${8 + length} bytes, the stream holds at most ${this.maxBytes}`, "the file was cut inside its metadata header (or that length is corrupt), so nothing in it can be decoded: download or copy it again", "cut inside the metadata header");
    }
    if (this.pendingLen < 8 + length) return 0;
    this.version = version;
    this.metadata = parseMetadata(version, buf.subarray(8, 8 + length), this.source);
    this.window = recvWindow(this.metadata);
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
    // Every pass advances p by len >= 16 bytes.
    while (p + 16 <= end) {
      const len = buf[p]! * 4;
      if (len < 16) {
        this.bytesConsumed += p - start;
        throw this.error("DBN_CORRUPT", `${this.source}: record ${this.recordsDecoded} at byte ${this.bytesConsumed} has impossible length ${len}`, keepHint("the file is corrupt from this point", this.recordsDecoded, "damage"), `record ${this.recordsDecoded} has impossible length ${len}`);
      }
      if (p + len > end) break;
      const rtype = buf[p + 1]!;
      const expect = expectedLength(rtype);
      if (expect > 0 && len !== expect && len !== expect + tsOut) {
        this.bytesConsumed += p - start;
        throw this.error("DBN_CORRUPT", `${this.source}: record ${this.recordsDecoded} at byte ${this.bytesConsumed} (rtype 0x${rtype.toString(16)}) is ${len} bytes, expected ${expect}`, keepHint("the file is corrupt from this point", this.recordsDecoded, "damage"), `record ${this.recordsDecoded} (rtype 0x${rtype.toString(16)}) is ${len} bytes, expected ${expect}`);
      }
      this.rtypeCounts[rtype]!++;
      const problem = checkRecord(rtype, buf, dv, p, this.window);
      if (problem !== undefined) {
        this.noteBad(problem, rtype, this.bytesConsumed + (p - start));
        if (this.onBadRecords === "quarantine") {
          this.recordsDecoded++;
          p += len;
          continue;
        }
      }
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

  /** Counts a bad record and keeps a sample; under "reject" throws naming it. */
  private noteBad(problem: RecordProblem, rtype: number, at: number): void {
    const record = this.recordsDecoded;
    if (this.onBadRecords === "reject") {
      throw new LabError({
        code: problem.cls === "missing-value" ? "MISSING_VALUE" : "BAD_VALUE",
        message: `${this.source}: record ${record} at byte ${at} (${DBN_RTYPE_NAMES[rtype] ?? `rtype 0x${rtype.toString(16)}`}), field "${problem.column}": ${problem.what} (${problem.value})`,
        hint: `fix the file, or pass { onBadRows: "quarantine" } (--on-bad-rows quarantine) to leave such records out (each is counted and reported) and keep the rest`,
        context: { file: this.source, record, byteOffset: at, column: problem.column, value: problem.value },
      });
    }
    const bad = this.bad;
    bad.count++;
    bad.byClass[problem.cls] = (bad.byClass[problem.cls] ?? 0) + 1;
    const list = (bad.samples[problem.cls] ??= []);
    if (list.length < BAD_RECORD_SAMPLES) list.push({ row: record, column: problem.column, value: problem.value, byteOffset: at });
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

/** The hint of a stop (cut or damage): how to get the records before it. */
function keepHint(what: string, records: number, at: "cut" | "damage"): string {
  return `${what}: download or copy it again, or read it with { onBadRows: "quarantine" } (--on-bad-rows quarantine) to keep the ${records.toLocaleString("en-US")} record${records === 1 ? "" : "s"} decoded before the ${at}`;
}

const isUndefPrice = (dv: DataView, at: number): boolean => dv.getUint32(at, true) === 0xffffffff && dv.getUint32(at + 4, true) === 0x7fffffff;

/**
 * The time window every record's ts_recv lies in: Databento selects a historical query's records
 * by ts_recv in [start, end). Absent (live captures, no end) the check is skipped. Kept as u32
 * words so the per-record check needs no BigInt.
 */
interface RecvWindow {
  startHi: number;
  startLo: number;
  endHi: number;
  endLo: number;
  start: bigint;
  end: bigint;
}

function recvWindow(m: DbnMetadata): RecvWindow | undefined {
  if (m.end === null || m.end <= m.start) return undefined;
  const word = (v: bigint, hi: boolean) => Number(hi ? v >> 32n : v & 0xffffffffn);
  return { startHi: word(m.start, true), startLo: word(m.start, false), endHi: word(m.end, true), endLo: word(m.end, false), start: m.start, end: m.end };
}

/** How far ts_event may lie from ts_recv (real feeds: well under a second; snapshots: days before). */
const EVENT_RECV_SLACK_NS = 86_400e9;
const U64_MAX_WORD = 0xffffffff;

/** The first value a well-framed record cannot have (module comment), or undefined. */
function checkRecord(rtype: number, buf: Uint8Array, dv: DataView, p: number, window: RecvWindow | undefined): RecordProblem | undefined {
  switch (rtype) {
    case DbnRType.Mbo:
      return checkEvent(buf, dv, p + 24, p + 32, p + 38) ?? checkTimes(dv, p + 40, buf[p + 36]!, p, window);
    case DbnRType.Mbp0:
      return checkEvent(buf, dv, p + 16, p + 24, p + 28) ?? checkTimes(dv, p + 32, buf[p + 30]!, p, window);
    case DbnRType.Mbp1:
      return checkEvent(buf, dv, p + 16, p + 24, p + 28) ?? checkLevels(dv, p, 1) ?? checkTimes(dv, p + 32, buf[p + 30]!, p, window);
    case DbnRType.Mbp10:
      return checkEvent(buf, dv, p + 16, p + 24, p + 28) ?? checkLevels(dv, p, 10) ?? checkTimes(dv, p + 32, buf[p + 30]!, p, window);
    default:
      return DBN_RTYPE_NAMES[rtype] === undefined ? { cls: "type-error", column: "rtype", value: `0x${rtype.toString(16)}`, what: "unknown record type" } : undefined;
  }
}

/**
 * ts_recv inside the query window; ts_event at most a day after ts_recv, and (outside snapshots,
 * whose orders may rest for days) at most a day before it. A flipped high byte of either moves
 * it by years, and a replay's time grid would span them. Undefined times (u64 max) and records
 * flagged F_BAD_TS_RECV (the venue says ts_recv is off) are left alone.
 */
function checkTimes(dv: DataView, recvPos: number, flags: number, p: number, window: RecvWindow | undefined): RecordProblem | undefined {
  const rHi = dv.getUint32(recvPos + 4, true);
  const rLo = dv.getUint32(recvPos, true);
  if (rHi === U64_MAX_WORD && rLo === U64_MAX_WORD) return undefined;
  if (window !== undefined) {
    const beforeStart = rHi < window.startHi || (rHi === window.startHi && rLo < window.startLo);
    const notBeforeEnd = rHi > window.endHi || (rHi === window.endHi && rLo >= window.endLo);
    if (beforeStart || notBeforeEnd) {
      const recv = dv.getBigUint64(recvPos, true);
      return { cls: "local-ts-order", column: "ts_recv", value: recv.toString(), what: `ts_recv ${formatNs(recv)} lies outside the file's query range ${formatNs(window.start)} .. ${formatNs(window.end)} (the range Databento selected records by)` };
    }
  }
  if ((flags & DbnFlag.BadTsRecv) !== 0) return undefined;
  const eHi = dv.getUint32(p + 12, true);
  const eLo = dv.getUint32(p + 8, true);
  if (eHi === U64_MAX_WORD && eLo === U64_MAX_WORD) return undefined;
  const lead = (eHi - rHi) * 4294967296 + (eLo - rLo); // ts_event - ts_recv; exact below 2^53, right in magnitude above
  if (lead <= EVENT_RECV_SLACK_NS && (lead >= -EVENT_RECV_SLACK_NS || (flags & DbnFlag.Snapshot) !== 0)) return undefined;
  const event = dv.getBigUint64(p + 8, true);
  const recv = dv.getBigUint64(recvPos, true);
  return lead > 0
    ? { cls: "local-before-exch", column: "ts_event", value: event.toString(), what: `ts_event ${formatNs(event)} is more than a day after ts_recv ${formatNs(recv)}` }
    : { cls: "exch-ts-order", column: "ts_event", value: event.toString(), what: `ts_event ${formatNs(event)} is more than a day before ts_recv ${formatNs(recv)} in a record outside a snapshot` };
}

/** Action, side, price and size of an MBO / MBP / trade record (side follows action in every layout). */
function checkEvent(buf: Uint8Array, dv: DataView, pricePos: number, sizePos: number, actionPos: number): RecordProblem | undefined {
  const action = buf[actionPos]!;
  const side = buf[actionPos + 1]!;
  const size = dv.getUint32(sizePos, true);
  const priced = PRICED_ACTION[action] === 1;
  if (VALID_ACTION[action] === 1 && VALID_SIDE[side] === 1 && size < 0x80000000 && !(priced && isUndefPrice(dv, pricePos))) return undefined;
  if (VALID_ACTION[action] === 0) return { cls: "type-error", column: "action", value: byteText(action), what: "unknown action (DBN actions are A, C, M, R, T, F, N)" };
  if (VALID_SIDE[side] === 0) return { cls: "type-error", column: "side", value: byteText(side), what: "unknown side (DBN sides are A, B, N)" };
  if (priced && isUndefPrice(dv, pricePos)) return { cls: "missing-value", column: "price", value: UNDEF_PRICE_TEXT, what: `undefined price where action ${String.fromCharCode(action)} needs one` };
  if (size === DBN_UNDEF_SIZE) return priced ? { cls: "missing-value", column: "size", value: String(size), what: `undefined size where action ${String.fromCharCode(action)} needs one` } : undefined;
  if (size >= 0x80000000) return { cls: "bad-size", column: "size", value: String(size), what: "size with the top bit set (negative as a signed 32-bit number)" };
  return undefined;
}

/** Book level sizes of MBP-1 / MBP-10 (undefined levels are normal: an empty side). */
function checkLevels(dv: DataView, p: number, levels: number): RecordProblem | undefined {
  for (let l = 0; l < levels; l++) {
    const q = p + TRADE_LEN + l * PAIR_LEN;
    const bid = dv.getUint32(q + 16, true);
    const ask = dv.getUint32(q + 20, true);
    if ((bid < 0x80000000 || bid === DBN_UNDEF_SIZE) && (ask < 0x80000000 || ask === DBN_UNDEF_SIZE)) continue;
    const isBid = bid >= 0x80000000 && bid !== DBN_UNDEF_SIZE;
    return { cls: "bad-size", column: `${isBid ? "bid" : "ask"}_sz_${String(l).padStart(2, "0")}`, value: String(isBid ? bid : ask), what: "level size with the top bit set (negative as a signed 32-bit number)" };
  }
  return undefined;
}

/** Copies a little-endian u64 at `off` into two u32 words (native order is little-endian on every Node platform we run). */
function copyU64(words: Uint32Array, at: number, dv: DataView, off: number): void {
  words[at] = dv.getUint32(off, true);
  words[at + 1] = dv.getUint32(off + 4, true);
}

const UTF8 = new TextDecoder();

function cstr(buf: Uint8Array, off: number, n: number): string {
  let end = off;
  const stop = off + n;
  while (end < stop && buf[end] !== 0) end++;
  return UTF8.decode(buf.subarray(off, end));
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

/**
 * Metadata after the 8-byte prelude. The fixed part is 100 bytes (checked by the caller); every
 * length and count after it is checked against the bytes left before it decides a loop, so a
 * corrupt count fails here with the offset of its field instead of allocating.
 */
function parseMetadata(version: number, m: Uint8Array, source: string): DbnMetadata {
  const dv = new DataView(m.buffer, m.byteOffset, m.length);
  const bad = (at: number, what: string, value?: number): never => {
    throw new LabError({
      code: "DBN_BAD_HEADER",
      message: `${source}: DBN metadata field at byte ${8 + at}: ${what}`,
      hint: "the DBN header is corrupt: download or copy the file again",
      context: { file: source, byteOffset: 8 + at, ...(value === undefined ? {} : { value: String(value) }) },
    });
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
    // A zero length would let any symbol count pass the size checks below.
    if (symbolLen === 0) bad(pos, "symbol length 0 (symbol_cstr_len must be at least 1)", 0);
    pos += 2;
  }
  pos = 100; // reserved bytes up to the end of the fixed part
  const left = () => m.length - pos;
  const u32 = (what: string): number => {
    if (left() < 4) bad(pos, `the ${m.length}-byte metadata ends inside ${what}`);
    const v = dv.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const schemaDefAt = pos;
  const schemaDefLen = u32("schema_definition_length");
  if (schemaDefLen > left()) bad(schemaDefAt, `schema definition length ${schemaDefLen} exceeds the ${left()} bytes left in the metadata`, schemaDefLen);
  pos += schemaDefLen;
  const repeated = (what: string): string[] => {
    const at = pos;
    const count = u32(`the ${what} count`);
    if (count > left() / symbolLen) bad(at, `${count} ${what} of ${symbolLen} bytes do not fit in the ${left()} bytes left in the metadata`, count);
    const out: string[] = [];
    for (let i = 0; i < count; i++, pos += symbolLen) out.push(cstr(m, pos, symbolLen));
    return out;
  };
  const symbols = repeated("symbols");
  const partial = repeated("partial symbols");
  const notFound = repeated("not-found symbols");
  const mappingsAt = pos;
  const mappingCount = u32("the mapping count");
  if (mappingCount > left() / (symbolLen + 4)) bad(mappingsAt, `${mappingCount} symbol mappings do not fit in the ${left()} bytes left in the metadata`, mappingCount);
  const mappings: DbnSymbolMapping[] = [];
  for (let i = 0; i < mappingCount; i++) {
    if (left() < symbolLen) bad(pos, `the metadata ends inside mapping ${i}`);
    const rawSymbol = cstr(m, pos, symbolLen);
    pos += symbolLen;
    const intervalsAt = pos;
    const n = u32(`the interval count of mapping ${i}`);
    if (n > left() / (8 + symbolLen)) bad(intervalsAt, `${n} intervals of mapping ${i} (${rawSymbol}) do not fit in the ${left()} bytes left in the metadata`, n);
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
  const source: ByteSource = { size: bytes.length, read: (pos, n) => bytes.subarray(pos, Math.min(bytes.length, pos + n)) };
  return decodeSourceBytes(source, options.source ?? "<bytes>", options);
}

/**
 * Reads and decodes a `.dbn` or `.dbn.zst` file (compression is detected from the bytes). The
 * file is read in `chunkBytes` pieces, so neither the compressed nor the uncompressed file is
 * ever held whole in memory; only the decoded columns are. A missing path is `FILE_NOT_FOUND`, a
 * folder `IS_A_DIRECTORY`, an unreadable file `PERMISSION_DENIED`.
 */
export function readDbnFile(path: string, options: Omit<DbnDecodeOptions, "source"> = {}): DbnFile {
  checkOptionKeys(options as Record<string, unknown>, DECODE_OPTION_KEYS, "readDbnFile options");
  checkReadableFile(path, "DBN file");
  let fd: number;
  let total: number;
  try {
    fd = openSync(path, "r");
    total = fstatSync(fd).size;
  } catch (error) {
    throw filesystemError(error, path, "DBN file");
  }
  try {
    const source: ByteSource = {
      size: total,
      read: (pos, n) => {
        // A fresh buffer per read: the zstd decoder may keep a reference to unfinished input.
        const buf = new Uint8Array(Math.max(0, Math.min(n, total - pos)));
        let got = 0;
        while (got < buf.length) {
          const r = readSync(fd, buf, got, buf.length - got, pos + got);
          if (r === 0) break;
          got += r;
        }
        return got === buf.length ? buf : buf.subarray(0, got);
      },
    };
    return decodeSourceBytes(source, path, options);
  } finally {
    closeSync(fd);
  }
}

/** Random access to the (possibly compressed) input: bytes in memory or a file read in place. */
interface ByteSource {
  readonly size: number;
  /** Up to `n` bytes at `pos` (fewer at the end). */
  read(pos: number, n: number): Uint8Array;
}

function decodeSourceBytes(src: ByteSource, source: string, options: Omit<DbnDecodeOptions, "source">): DbnFile {
  const chunk = Math.max(4096, options.chunkBytes ?? 1 << 20);
  const onCorrupt = options.onCorrupt ?? "throw";
  const compressed = isZstd(src.read(0, 4));
  const plan = compressed ? planZstd(src) : undefined;
  const decoder = new DbnStreamDecoder(source, { onBadRecords: options.onBadRecords ?? "keep", maxBytes: plan ? plan.decodedBound : src.size });
  let failure: LabError | undefined;
  let compressedOffset = 0;
  try {
    if (plan) {
      // Errors of the record decoder pass through fzstd's push: told apart from fzstd's own.
      let decoderError: unknown;
      const zstd = new Decompress((data) => {
        try {
          decoder.push(data);
        } catch (error) {
          decoderError = error;
          throw error;
        }
      });
      const patches = plan.patches;
      let nextPatch = 0;
      for (let o = 0; o < plan.feedEnd; ) {
        compressedOffset = o;
        const end = Math.min(plan.feedEnd, o + chunk);
        let part = src.read(o, end - o);
        if (nextPatch < patches.length && patches[nextPatch]!.at < end) {
          part = part.slice();
          for (; nextPatch < patches.length && patches[nextPatch]!.at < end; nextPatch++) part[patches[nextPatch]!.at - o] = patches[nextPatch]!.value;
        }
        try {
          zstd.push(part, end >= src.size);
        } catch (error) {
          if (error === decoderError || error instanceof LabError) throw error;
          const eof = (error as { code?: number }).code === 5;
          throw new LabError({
            code: eof ? "DBN_TRUNCATED" : "DBN_CORRUPT",
            message: `${source}: ${eof ? "zstd stream ends early (file truncated)" : `corrupt zstd data (${(error as Error).message})`} in compressed bytes ${o}-${end} of ${src.size}; ${decoder.recordsDecoded} records decoded before it (uncompressed byte ${decoder.bytesConsumed})`,
            hint: eof ? keepHint("the file was cut short (interrupted download or copy)", decoder.recordsDecoded, "cut") : keepHint("the file is damaged", decoder.recordsDecoded, "damage"),
            context: { file: source, compressedOffset: o, byteOffset: decoder.bytesConsumed, recordIndex: decoder.recordsDecoded, reason: eof ? `zstd stream ends early (compressed bytes ${o}-${end} of ${src.size})` : `corrupt zstd data in compressed bytes ${o}-${end}` },
            cause: error,
          });
        }
        o = end;
      }
      if (plan.stop) {
        const { code, at, reason } = plan.stop;
        throw new LabError({
          code,
          message: `${source}: ${reason} at compressed byte ${at} of ${src.size}; ${decoder.recordsDecoded} records decoded before it (uncompressed byte ${decoder.bytesConsumed})`,
          hint: code === "DBN_TRUNCATED" ? keepHint("the file was cut short (interrupted download or copy)", decoder.recordsDecoded, "cut") : keepHint("the file is damaged", decoder.recordsDecoded, "damage"),
          context: { file: source, compressedOffset: at, byteOffset: decoder.bytesConsumed, recordIndex: decoder.recordsDecoded, reason: `${reason} at compressed byte ${at}` },
        });
      }
    } else {
      for (let o = 0; o < src.size; o += chunk) decoder.push(src.read(o, chunk));
    }
    decoder.finish();
  } catch (error) {
    if (!(error instanceof LabError)) throw error;
    failure = error;
  }
  if (failure === undefined) return decoder.result(compressed);
  const cutOrDamage = failure.code === "DBN_TRUNCATED" || failure.code === "DBN_CORRUPT";
  if (cutOrDamage && decoder.metadata === undefined && failure.context.recordIndex === 0 && !/DBN header/.test(failure.message)) {
    throw new LabError({
      code: failure.code,
      message: `${source} ${failure.code === "DBN_TRUNCATED" ? "ends" : "is damaged"} inside the DBN header (${failure.message.replace(`${source}: `, "")})`,
      hint: "the metadata header is incomplete, so nothing in the file can be decoded: download or copy it again",
      context: { ...failure.context, reason: "cut inside the metadata header" },
      cause: failure,
    });
  }
  // Only a cut or damage after a readable header leaves records worth keeping; everything else
  // (a bad header, a rejected record) is the answer itself.
  if (!cutOrDamage || decoder.metadata === undefined) throw failure;
  if (compressed && failure.context.compressedOffset === undefined) {
    failure = new LabError({ code: failure.code, message: `${failure.message} (compressed bytes from ${compressedOffset})`, hint: failure.hint, context: { ...failure.context, compressedOffset } });
  }
  const file = decoder.result(compressed);
  if (onCorrupt === "keep") return { ...file, corruption: failure };
  Object.defineProperty(failure, PARTIAL, { value: file, enumerable: false });
  throw failure;
}

// ---------------------------------------------------------------------------- zstd frame plan

const ZSTD_BLOCK_MAX = 1 << 17;
/** Windows up to this size are left as the encoder wrote them (every real encoder setting fits). */
const ZSTD_WINDOW_KEEP = 1 << 20;

interface ZstdPlan {
  /** Header bytes to rewrite before the decoder sees them, ascending. */
  patches: { at: number; value: number }[];
  /** Compressed bytes to feed; less than the file when the walk found where the format breaks. */
  feedEnd: number;
  /** Why feeding stops at `feedEnd` (after the decoder has produced everything before it). */
  stop?: { code: "DBN_TRUNCATED" | "DBN_CORRUPT"; at: number; reason: string };
  /** Upper bound of the decoded length: no frame can produce more than its blocks allow. */
  decodedBound: number;
}

/**
 * Walks the zstd frames and block headers (3 bytes read per block, nothing decompressed) to bound
 * what each frame can decode to: a raw or RLE block says its size, a compressed block is at most
 * 128 KiB. The decoder allocates a window the size the frame header claims (the content size for
 * single-segment frames), which a flipped byte can make gigabytes; a claim above both 1 MiB and
 * the frame's bound is rewritten to the bound. That is lossless: no back-reference can reach
 * further than the bytes the frame decodes to. Every pass of the loops advances by at least 3
 * bytes, so a walk takes at most size / 3 steps.
 */
function planZstd(src: ByteSource): ZstdPlan {
  const patches: { at: number; value: number }[] = [];
  let decodedBound = 0;
  const result = (feedEnd: number, stop?: ZstdPlan["stop"]): ZstdPlan => ({ patches, feedEnd, decodedBound, ...(stop ? { stop } : {}) });
  let p = 0;
  while (p < src.size) {
    const head = src.read(p, 18);
    if (head.length < 8) return result(p, { code: "DBN_TRUNCATED", at: p, reason: "zstd stream ends inside a frame header" });
    const magic = u32le(head, 0);
    if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      p += 8 + u32le(head, 4);
      continue;
    }
    if (magic !== ZSTD_MAGIC) return result(p, { code: "DBN_CORRUPT", at: p, reason: `no zstd frame where one must start (bytes ${Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ")})` });
    const flags = head[4]!;
    if ((flags & 8) !== 0) return result(p, { code: "DBN_CORRUPT", at: p + 4, reason: "zstd frame header with its reserved bit set" });
    const single = (flags >> 5) & 1;
    const fcsFlag = flags >> 6;
    const dictBytes = [0, 1, 2, 4][flags & 3]!;
    const fcsBytes = fcsFlag ? 1 << fcsFlag : single;
    const fcsAt = 6 - single + dictBytes;
    const headerLen = fcsAt + fcsBytes;
    if (head.length < headerLen) return result(p, { code: "DBN_TRUNCATED", at: p, reason: "zstd stream ends inside a frame header" });
    let fcs = 0;
    for (let i = fcsBytes - 1; i >= 0; i--) fcs = fcs * 256 + head[fcsAt + i]!;
    if (fcsFlag === 1) fcs += 256;
    let window = fcs;
    if (!single) {
      const base = 2 ** (10 + (head[5]! >> 3));
      window = base + (base / 8) * (head[5]! & 7);
    }
    let q = p + headerLen;
    let bound = 0;
    let complete = false;
    let fault: string | undefined;
    let cut = false;
    for (;;) {
      const bh = src.read(q, 3);
      if (bh.length < 3) {
        cut = true;
        break;
      }
      const h = bh[0]! | (bh[1]! << 8) | (bh[2]! << 16);
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      if (type === 3) {
        fault = "zstd block of the reserved type";
        break;
      }
      if (size > ZSTD_BLOCK_MAX) {
        fault = `zstd block of ${size} bytes (at most ${ZSTD_BLOCK_MAX})`;
        break;
      }
      const body = type === 1 ? 1 : size;
      if (q + 3 + body > src.size) {
        cut = true;
        break;
      }
      bound += type === 2 ? ZSTD_BLOCK_MAX : size;
      q += 3 + body;
      if ((h & 1) === 1) {
        complete = true;
        q += ((flags >> 2) & 1) * 4; // content checksum
        break;
      }
    }
    decodedBound += bound;
    if (window > Math.max(bound, ZSTD_WINDOW_KEEP)) {
      if (single) {
        // The content size is the window here; write the bound in the same field width.
        const value = Math.max(bound, fcsFlag === 1 ? 256 : 0);
        let v = fcsFlag === 1 ? value - 256 : value;
        for (let i = 0; i < fcsBytes; i++, v = Math.floor(v / 256)) patches.push({ at: p + fcsAt + i, value: v % 256 });
      } else {
        patches.push({ at: p + 5, value: windowDescriptor(bound) });
      }
    }
    if (fault !== undefined) return result(q, { code: "DBN_CORRUPT", at: q, reason: fault });
    // A cut inside a block: the decoder reports it (after decoding every complete block).
    if (cut || !complete) return result(src.size);
    p = q;
  }
  return result(src.size);
}

/** The smallest zstd window descriptor whose window holds `bytes` (at least 1 KiB). */
function windowDescriptor(bytes: number): number {
  for (let exponent = 0; exponent < 32; exponent++) {
    const base = 2 ** (10 + exponent);
    for (let mantissa = 0; mantissa < 8; mantissa++) if (base + (base / 8) * mantissa >= bytes) return (exponent << 3) | mantissa;
  }
  return 0xff;
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** A one-line description of the metadata, for logs and CLI output. */
export function describeDbn(file: DbnFile): string {
  const m = file.metadata;
  return `DBN v${m.version} ${m.dataset} ${m.schema ?? "mixed"} ${formatNs(m.start)}..${m.end === null ? "?" : formatNs(m.end)} symbols [${m.symbols.join(", ")}], ${file.counts.records} records`;
}
