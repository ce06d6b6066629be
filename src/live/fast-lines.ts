/**
 * The live path's reader of Binance messages as they arrive: one pass over each frame's bytes
 * into the binance-raw reader's columns (`BinanceCapture`), for the shapes Binance sends
 * (compact JSON: a combined-stream wrapper or a bare message, depth diffs, REST snapshots,
 * bookTicker, trades), without building a string, a parsed object or an array per level.
 *
 * It accepts a line only when it can give exactly what `parseBinanceRaw` gives for it, and
 * declines (returns undefined for the whole piece) at anything else: JSON whitespace or escapes,
 * numbers written with a sign, an exponent or a fraction where an id is expected, numbers where
 * strings are expected, duplicate keys, a field missing or out of range, a value off the grid, a
 * message of another type. A declined piece goes through `parseBinanceRaw` as a whole, so every
 * fault keeps the reader's own code and message, and the reader stays the one definition of what
 * a line means. Values are bit-identical: a decimal of at most 15 digits is the integer of its
 * digits over a power of ten, both exact in float64, and IEEE division rounds that quotient
 * correctly, as `Number(text)` does; the grid check is the reader's (src/data/exact.ts).
 */
import { gridStep, type GridStep } from "../data/index.js";
import { binance } from "../venues/index.js";
import BinanceMessage = binance.Message;
type BinanceCapture = binance.Capture;
type BinanceMarket = binance.Market;
import type { InstrumentSpec } from "../core/index.js";

/** One received frame: the line `<ns> <json>`, as bytes (see `LiveRows.pieceOf`). */
export interface ReceivedLine {
  /** The frame. */
  bytes: Uint8Array;
  /** Where its JSON starts (after the `<ns> ` prefix of a stamped frame, 0 otherwise). */
  jsonStart: number;
  /** Its receive time; null when the frame carries none the fast path can read (the reader decides). */
  ns: bigint | null;
  /** True: the frame is the whole capture line (stamped). False: the line is `${ns} ` + the frame. */
  whole: boolean;
}

/** The capture line a received frame stands for, as the reader gets it on the slow path. */
export function lineText(r: ReceivedLine): string {
  const text = Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString("utf8");
  return r.whole ? text : `${r.ns} ${text}`;
}

const MAX_EVENT_MS = 9_223_372_036_854;
const MAX_GRID = 2 ** 53;
/** 10^k for k = 0..22, exact in float64. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

// Byte values.
const QUOTE = 34, COMMA = 44, COLON = 58, LBRACE = 123, RBRACE = 125, LBRACKET = 91, RBRACKET = 93, BACKSLASH = 92, DOT = 46, ZERO = 48, NINE = 57, MINUS = 45;

// Keys the reader uses, as bit positions (a key seen twice declines: JSON.parse keeps the last).
const K = { stream: 0, data: 1, e: 2, E: 3, T: 4, U: 5, u: 6, pu: 7, b: 8, a: 9, B: 10, A: 11, t: 12, p: 13, q: 14, m: 15, lastUpdateId: 16, bids: 17, asks: 18 } as const;
const KEY_OF = new Map<string, number>(Object.entries(K));

/** Fields of one JSON object, as positions and parsed scalars (reused: nothing per message). */
class Fields {
  seen = 0;
  /** Integer values (ids, times) by key; NaN when the value is not a plain digit run. */
  readonly int = new Float64Array(19);
  /** String values by key: [start, end) in the frame's bytes; -1 when not a string. */
  readonly strStart = new Int32Array(19);
  readonly strEnd = new Int32Array(19);
  /** Level arrays by key (b, a, bids, asks): [start, end) in the level scratch; -1 when not one. */
  readonly lvStart = new Int32Array(19);
  readonly lvEnd = new Int32Array(19);
  /** Booleans by key: 1 true, 0 false, -1 not a boolean. */
  readonly bool = new Int8Array(19);
  /** Nulls by key. */
  nulls = 0;
  reset(): void {
    this.seen = 0;
    this.nulls = 0;
  }
  has(k: number): boolean {
    return (this.seen & (1 << k)) !== 0;
  }
}

/** Growing column (the reader's own `Column` is private to it). */
function grow<T extends { length: number; set(a: T): void }>(a: T, n: number, make: (n: number) => T): T {
  if (n <= a.length) return a;
  const next = make(Math.max(n, a.length * 2));
  next.set(a);
  return next;
}

export class FastBinanceLines {
  private readonly futures: boolean;
  private readonly transaction: boolean;
  private readonly price: GridStep;
  private readonly size: GridStep;
  private readonly top = new Fields();
  private readonly inner = new Fields();
  // Level scratch of the message being read (prices and sizes already on the grid).
  private scratchPrice = new Float64Array(4096);
  private scratchQty = new Float64Array(4096);
  private scratchN = 0;
  // Output columns of the piece.
  private m = 0;
  private levels = 0;
  private kind = new Uint8Array(256);
  private line = new Int32Array(256);
  private localTs = new BigInt64Array(256);
  private exchTs = new BigInt64Array(256);
  private firstId = new Float64Array(256);
  private lastId = new Float64Array(256);
  private prevId = new Float64Array(256);
  private levelStart = new Int32Array(256);
  private levelEnd = new Int32Array(256);
  private levelSide = new Int8Array(1024);
  private levelPrice = new Float64Array(1024);
  private levelQty = new Float64Array(1024);
  private counts = { diffs: 0, snapshots: 0, bookTickers: 0, trades: 0 };
  // The frame being read.
  private buf: Uint8Array = new Uint8Array(0);
  private end = 0;

  constructor(
    private readonly market: BinanceMarket,
    private readonly instrument: InstrumentSpec,
    exchangeTime: "event" | "transaction" = "event",
  ) {
    this.futures = market === "futures";
    this.transaction = exchangeTime === "transaction";
    this.price = gridStep(instrument, "price");
    this.size = gridStep(instrument, "size");
  }

  /**
   * The lines as `parseBinanceRaw(lines.join("\n"), file, { market, instrument, exchangeTime })`
   * reads them, with line numbers counted from `first` + 1; undefined when a line is not one it
   * can read exactly (see the module comment).
   */
  read(lines: readonly ReceivedLine[], first: number, file: string): BinanceCapture | undefined {
    this.m = 0;
    this.levels = 0;
    this.counts = { diffs: 0, snapshots: 0, bookTickers: 0, trades: 0 };
    for (let i = 0; i < lines.length; i++) {
      const r = lines[i]!;
      if (r.ns === null || !this.message(r.bytes, r.jsonStart, r.ns, first + i + 1)) return undefined;
    }
    if (this.m === 0) return undefined;
    const m = this.m;
    const levels = this.levels;
    return {
      file,
      market: this.market,
      instrument: this.instrument,
      messages: m,
      kind: this.kind.slice(0, m),
      line: this.line.slice(0, m),
      localTs: this.localTs.slice(0, m),
      exchTs: this.exchTs.slice(0, m),
      firstId: this.firstId.slice(0, m),
      lastId: this.lastId.slice(0, m),
      prevId: this.prevId.slice(0, m),
      levelStart: this.levelStart.slice(0, m),
      levelEnd: this.levelEnd.slice(0, m),
      levelSide: this.levelSide.slice(0, levels),
      levelPrice: this.levelPrice.slice(0, levels),
      levelQty: this.levelQty.slice(0, levels),
      problems: [],
      counts: { ...this.counts, skipped: 0 },
      readReport: { file, format: "binance-raw", rowsRead: m, issues: [], nonData: { lines: 0, byType: {}, firstLine: null } },
    };
  }

  /** One message into the columns; false when it declines. */
  private message(buf: Uint8Array, start: number, ns: bigint, lineNumber: number): boolean {
    this.buf = buf;
    this.end = buf.length;
    this.scratchN = 0;
    this.top.reset();
    this.inner.reset();
    if (start >= this.end || buf[start] !== LBRACE) return false;
    const after = this.object(start, this.top, true);
    if (after !== this.end) return false;
    const wrapped = this.top.has(K.data);
    const d = wrapped ? this.inner : this.top;
    // The reader's kind rules, in its order.
    let kind: number;
    if (d.has(K.lastUpdateId)) kind = BinanceMessage.Snapshot;
    else if (this.strIs(d, K.e, "depthUpdate")) kind = BinanceMessage.Diff;
    else if (this.strIs(d, K.e, "bookTicker") || this.streamIsBookTicker()) kind = BinanceMessage.BookTicker;
    else if (this.strIs(d, K.e, "trade")) kind = BinanceMessage.Trade;
    else return false;
    const startLevels = this.levels;
    let first: number, last: number, prev = NaN;
    let exch: bigint;
    switch (kind) {
      case BinanceMessage.Diff: {
        const e = this.eventTime(d, true);
        const U = this.id(d, K.U);
        const u = this.id(d, K.u);
        if (e === undefined || Number.isNaN(U) || Number.isNaN(u)) return false;
        if (this.futures) {
          prev = this.id(d, K.pu);
          if (Number.isNaN(prev)) return false;
        }
        if (!this.copyLevels(d, K.b, 1) || !this.copyLevels(d, K.a, -1)) return false;
        exch = e;
        first = U;
        last = u;
        break;
      }
      case BinanceMessage.Snapshot: {
        const id = this.id(d, K.lastUpdateId);
        const e = this.eventTime(d, false);
        if (Number.isNaN(id) || e === undefined) return false;
        if (!this.copyLevels(d, K.bids, 1) || !this.copyLevels(d, K.asks, -1)) return false;
        exch = e;
        first = last = id;
        break;
      }
      case BinanceMessage.BookTicker: {
        const u = this.id(d, K.u);
        const e = this.eventTime(d, false);
        if (Number.isNaN(u) || e === undefined) return false;
        const bid = this.grid(d, K.b, this.price, false);
        const bidQty = this.grid(d, K.B, this.size, false);
        const ask = this.grid(d, K.a, this.price, false);
        const askQty = this.grid(d, K.A, this.size, false);
        if (Number.isNaN(bid) || Number.isNaN(bidQty) || Number.isNaN(ask) || Number.isNaN(askQty)) return false;
        this.pushLevel(1, bid, bidQty);
        this.pushLevel(-1, ask, askQty);
        exch = e;
        first = last = u;
        break;
      }
      default: {
        const e = this.eventTime(d, true);
        const t = this.id(d, K.t);
        const price = this.grid(d, K.p, this.price, false);
        const qty = this.grid(d, K.q, this.size, true);
        const maker = d.has(K.m) ? d.bool[K.m]! : -1;
        if (e === undefined || Number.isNaN(t) || Number.isNaN(price) || Number.isNaN(qty) || maker < 0) return false;
        // m = "buyer is the maker": the seller hit the bid, so the aggressor sold.
        this.pushLevel(maker === 1 ? -1 : 1, price, qty);
        exch = e;
        first = last = t;
      }
    }
    const m = this.m;
    if (m + 1 > this.kind.length) this.growMessages(m + 1);
    this.kind[m] = kind;
    this.line[m] = lineNumber;
    this.localTs[m] = ns;
    this.exchTs[m] = exch;
    this.firstId[m] = first;
    this.lastId[m] = last;
    this.prevId[m] = prev;
    this.levelStart[m] = startLevels;
    this.levelEnd[m] = this.levels;
    this.m = m + 1;
    if (kind === BinanceMessage.Diff) this.counts.diffs++;
    else if (kind === BinanceMessage.Snapshot) this.counts.snapshots++;
    else if (kind === BinanceMessage.BookTicker) this.counts.bookTickers++;
    else this.counts.trades++;
    return true;
  }

  private growMessages(n: number): void {
    this.kind = grow(this.kind, n, (k) => new Uint8Array(k));
    this.line = grow(this.line, n, (k) => new Int32Array(k));
    this.localTs = grow(this.localTs, n, (k) => new BigInt64Array(k));
    this.exchTs = grow(this.exchTs, n, (k) => new BigInt64Array(k));
    this.firstId = grow(this.firstId, n, (k) => new Float64Array(k));
    this.lastId = grow(this.lastId, n, (k) => new Float64Array(k));
    this.prevId = grow(this.prevId, n, (k) => new Float64Array(k));
    this.levelStart = grow(this.levelStart, n, (k) => new Int32Array(k));
    this.levelEnd = grow(this.levelEnd, n, (k) => new Int32Array(k));
  }

  private pushLevel(side: number, price: number, qty: number): void {
    const n = this.levels;
    if (n + 1 > this.levelSide.length) {
      this.levelSide = grow(this.levelSide, n + 1, (k) => new Int8Array(k));
      this.levelPrice = grow(this.levelPrice, n + 1, (k) => new Float64Array(k));
      this.levelQty = grow(this.levelQty, n + 1, (k) => new Float64Array(k));
    }
    this.levelSide[n] = side;
    this.levelPrice[n] = price;
    this.levelQty[n] = qty;
    this.levels = n + 1;
  }

  /** A required level array (the reader refuses a depth message without one). */
  private copyLevels(d: Fields, k: number, side: number): boolean {
    if (!d.has(k)) return false;
    const s = d.lvStart[k]!;
    if (s < 0) return false;
    const e = d.lvEnd[k]!;
    for (let j = s; j < e; j++) this.pushLevel(side, this.scratchPrice[j]!, this.scratchQty[j]!);
    return true;
  }

  private strIs(d: Fields, k: number, text: string): boolean {
    if (!d.has(k)) return false;
    const s = d.strStart[k]!;
    if (s < 0 || d.strEnd[k]! - s !== text.length) return false;
    for (let i = 0; i < text.length; i++) if (this.buf[s + i] !== text.charCodeAt(i)) return false;
    return true;
  }

  /** The top-level `stream` ends with "@bookTicker" (the reader's rule for spot bookTicker, which has no `e`). */
  private streamIsBookTicker(): boolean {
    const f = this.top;
    if (!f.has(K.stream) || f.strStart[K.stream]! < 0) return false;
    const suffix = "@bookTicker";
    const e = f.strEnd[K.stream]!;
    const s = e - suffix.length;
    if (s < f.strStart[K.stream]!) return false;
    for (let i = 0; i < suffix.length; i++) if (this.buf[s + i] !== suffix.charCodeAt(i)) return false;
    return true;
  }

  /** A safe non-negative integer id, NaN otherwise (absent, null, a string, a fraction...). */
  private id(d: Fields, k: number): number {
    return d.has(k) ? d.int[k]! : NaN;
  }

  /** The reader's `readEventTime`: ns, -1n when absent and optional, undefined to decline. */
  private eventTime(d: Fields, required: boolean): bigint | undefined {
    // A null T or E is something the reader reports or treats specially: decline.
    if ((d.nulls & ((1 << K.T) | (1 << K.E))) !== 0) return undefined;
    const k = this.transaction && d.has(K.T) ? K.T : K.E;
    if (!d.has(k)) return required ? undefined : -1n;
    const v = d.int[k]!;
    if (Number.isNaN(v) || v > MAX_EVENT_MS) return undefined;
    return BigInt(v) * 1_000_000n;
  }

  /** The reader's `readGrid` for a string value: grid steps, NaN to decline. */
  private grid(d: Fields, k: number, step: GridStep, positive: boolean): number {
    if (!d.has(k)) return NaN;
    const s = d.strStart[k]!;
    return s < 0 ? NaN : this.decimal(s, d.strEnd[k]!, step, positive, step === this.price);
  }

  /** Digits with an optional fraction (`123`, `12.30`, `12.`), at most 15 digits, on the grid. */
  private decimal(s: number, e: number, step: GridStep, positive: boolean, price: boolean): number {
    const buf = this.buf;
    let mant = 0;
    let digits = 0;
    let frac = -1;
    for (let i = s; i < e; i++) {
      const c = buf[i]!;
      if (c >= ZERO && c <= NINE) {
        mant = mant * 10 + (c - ZERO);
        digits++;
        if (frac >= 0) frac++;
      } else if (c === DOT && frac < 0 && digits > 0) frac = 0;
      else return NaN;
    }
    if (digits === 0 || digits > 15) return NaN;
    const x = frac > 0 ? mant / POW10[frac]! : mant;
    if (price ? x <= 0 : positive && x === 0) return NaN;
    const t = Math.round((x * step.pow) / step.units);
    const scaled = t * step.units;
    if (!(Math.abs(scaled) < MAX_GRID) || scaled / step.pow !== x) return NaN;
    return t;
  }

  // ---- the scanner: compact JSON only; -1 declines ----

  /** An object from `at` ('{'); returns the position after its '}', or -1. */
  private object(at: number, f: Fields, top: boolean): number {
    const buf = this.buf;
    let p = at + 1;
    if (buf[p] === RBRACE) return p + 1;
    for (;;) {
      if (buf[p] !== QUOTE) return -1;
      const ks = p + 1;
      let ke = ks;
      while (ke < this.end && buf[ke] !== QUOTE) {
        if (buf[ke] === BACKSLASH || buf[ke]! < 0x20) return -1;
        ke++;
      }
      if (ke >= this.end || buf[ke + 1] !== COLON) return -1;
      const k = this.keyOf(ks, ke);
      p = ke + 2;
      if (k >= 0) {
        if (f.has(k)) return -1;
        f.seen |= 1 << k;
      }
      const c = buf[p];
      if (c === QUOTE) {
        const se = this.string(p);
        if (se < 0) return -1;
        if (k >= 0) {
          f.strStart[k] = p + 1;
          f.strEnd[k] = se - 1;
          f.int[k] = NaN;
          f.lvStart[k] = -1;
          f.bool[k] = -1;
        }
        p = se;
      } else if (c === LBRACE) {
        // Only the wrapper's `data` may hold an object.
        if (!top || k !== K.data) return -1;
        p = this.object(p, this.inner, false);
        if (p < 0) return -1;
      } else if (c === LBRACKET) {
        if (k !== K.b && k !== K.a && k !== K.bids && k !== K.asks) return -1;
        const ls = this.scratchN;
        p = this.levelArray(p);
        if (p < 0) return -1;
        f.lvStart[k] = ls;
        f.lvEnd[k] = this.scratchN;
        f.strStart[k] = -1;
        f.int[k] = NaN;
        f.bool[k] = -1;
      } else if (k === K.data) return -1;
      else {
        const ve = this.scalar(p, f, k);
        if (ve < 0) return -1;
        p = ve;
      }
      if (buf[p] === COMMA) {
        p++;
        continue;
      }
      if (buf[p] === RBRACE) return p + 1;
      return -1;
    }
  }

  private keyOf(s: number, e: number): number {
    const n = e - s;
    if (n === 0 || n > 12) return -1;
    // One- and two-letter keys without a string: the common case.
    const buf = this.buf;
    if (n === 1) {
      switch (buf[s]) {
        case 101: return K.e;
        case 69: return K.E;
        case 84: return K.T;
        case 85: return K.U;
        case 117: return K.u;
        case 98: return K.b;
        case 97: return K.a;
        case 66: return K.B;
        case 65: return K.A;
        case 116: return K.t;
        case 112: return K.p;
        case 113: return K.q;
        case 109: return K.m;
        default: return -1;
      }
    }
    if (n === 2) return buf[s] === 112 && buf[s + 1] === 117 ? K.pu : -1;
    let key = "";
    for (let i = s; i < e; i++) key += String.fromCharCode(buf[i]!);
    return KEY_OF.get(key) ?? -1;
  }

  /** A string from `at` ('"'), no escapes or control characters; the position after it, or -1. */
  private string(at: number): number {
    const buf = this.buf;
    let p = at + 1;
    while (p < this.end) {
      const c = buf[p]!;
      if (c === QUOTE) return p + 1;
      if (c === BACKSLASH || c < 0x20) return -1;
      p++;
    }
    return -1;
  }

  /** A number, true, false or null; ids and times as plain digit runs. */
  private scalar(at: number, f: Fields, k: number): number {
    const buf = this.buf;
    const c = buf[at];
    if (c === 116 /* t */) {
      if (buf[at + 1] !== 114 || buf[at + 2] !== 117 || buf[at + 3] !== 101) return -1;
      if (k >= 0) this.setBool(f, k, 1);
      return at + 4;
    }
    if (c === 102 /* f */) {
      if (buf[at + 1] !== 97 || buf[at + 2] !== 108 || buf[at + 3] !== 115 || buf[at + 4] !== 101) return -1;
      if (k >= 0) this.setBool(f, k, 0);
      return at + 5;
    }
    if (c === 110 /* n */) {
      if (buf[at + 1] !== 117 || buf[at + 2] !== 108 || buf[at + 3] !== 108) return -1;
      if (k >= 0) {
        this.setBool(f, k, -1);
        f.nulls |= 1 << k;
      }
      return at + 4;
    }
    // JSON number: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?, kept only as a plain digit run.
    let p = at;
    let plain = true;
    if (buf[p] === MINUS) {
      plain = false;
      p++;
    }
    const ds = p;
    let v = 0;
    while (p < this.end && buf[p]! >= ZERO && buf[p]! <= NINE) {
      v = v * 10 + (buf[p]! - ZERO);
      p++;
    }
    const digits = p - ds;
    if (digits === 0 || (digits > 1 && buf[ds] === ZERO)) return -1;
    if (buf[p] === DOT || buf[p] === 101 || buf[p] === 69) {
      // A fraction or exponent is valid JSON, but not an id the fast path reads: decline if it matters.
      if (k >= 0) return -1;
      plain = false;
      if (buf[p] === DOT) {
        p++;
        const fs = p;
        while (p < this.end && buf[p]! >= ZERO && buf[p]! <= NINE) p++;
        if (p === fs) return -1;
      }
      if (buf[p] === 101 || buf[p] === 69) {
        p++;
        if (buf[p] === 43 || buf[p] === MINUS) p++;
        const es = p;
        while (p < this.end && buf[p]! >= ZERO && buf[p]! <= NINE) p++;
        if (p === es) return -1;
      }
    }
    if (k >= 0) {
      // Up to 16 digits accumulate exactly while the value is safe; a larger one is not an id.
      f.int[k] = plain && digits <= 16 && v <= Number.MAX_SAFE_INTEGER ? v : NaN;
      f.strStart[k] = -1;
      f.lvStart[k] = -1;
      f.bool[k] = -1;
    }
    return p;
  }

  private setBool(f: Fields, k: number, v: number): void {
    f.bool[k] = v;
    f.int[k] = NaN;
    f.strStart[k] = -1;
    f.lvStart[k] = -1;
  }

  /** `[["price","size"],...]` into the level scratch; the position after it, or -1. */
  private levelArray(at: number): number {
    const buf = this.buf;
    let p = at + 1;
    if (buf[p] === RBRACKET) return p + 1;
    for (;;) {
      if (buf[p] !== LBRACKET || buf[p + 1] !== QUOTE) return -1;
      const ps = p + 2;
      const pe = this.string(p + 1);
      if (pe < 0 || buf[pe] !== COMMA || buf[pe + 1] !== QUOTE) return -1;
      const qs = pe + 2;
      const qe = this.string(pe + 1);
      if (qe < 0 || buf[qe] !== RBRACKET) return -1;
      const price = this.decimal(ps, pe - 1, this.price, false, true);
      const qty = this.decimal(qs, qe - 1, this.size, false, false);
      if (Number.isNaN(price) || Number.isNaN(qty)) return -1;
      const n = this.scratchN;
      if (n + 1 > this.scratchPrice.length) {
        this.scratchPrice = grow(this.scratchPrice, n + 1, (k) => new Float64Array(k));
        this.scratchQty = grow(this.scratchQty, n + 1, (k) => new Float64Array(k));
      }
      this.scratchPrice[n] = price;
      this.scratchQty[n] = qty;
      this.scratchN = n + 1;
      p = qe + 1;
      if (buf[p] === COMMA) {
        p++;
        continue;
      }
      if (buf[p] === RBRACKET) return p + 1;
      return -1;
    }
  }
}
