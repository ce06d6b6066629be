/**
 * hftbacktest's normalized event files (`.npz` holding one array, or a bare `.npy`), read as a
 * TickBatch and written back, so data moves between the two engines either way.
 *
 * Two layouts are read:
 * - 1.x: float64 array of shape (n, 6), columns [event, exch_ts, local_ts, side, price, qty];
 *   event 1 depth update, 2 trade, 3 depth clear (up to its price), 4 depth snapshot; side 1 bid /
 *   buy, -1 ask / sell (trades: the aggressor); a timestamp of -1 marks the row as meant for the
 *   other processor only.
 * - 2.x: structured array of `event_dtype` (ev u8, exch_ts i8, local_ts i8, px f8, qty f8,
 *   order_id u8, ival i8, fval f8); `ev` holds the kind in its low byte (1 depth, 2 trade, 3 clear,
 *   4 snapshot, 5 BBO, 10 add, 11 cancel, 12 modify, 13 fill) and flag bits EXCH_EVENT (1<<31),
 *   LOCAL_EVENT (1<<30), BUY_EVENT (1<<29), SELL_EVENT (1<<28) (hftbacktest's data docs,
 *   py-hftbacktest/hftbacktest/types.py).
 *
 * Rows map to kinds as: depth → LevelSet; snapshot → LevelSet flagged Snapshot; clear → Clear of
 * its side (the whole side: hftbacktest clears from the touch out to the row's price, and the
 * levels beyond the snapshot's far end it keeps are never near the touch); trade → Trade; BBO →
 * Bbo; add / cancel / modify / fill → Add / Delete / Modify / Execute. Prices and sizes are put on
 * the instrument's grid (files carry no instrument, so one must be given); a value off the grid
 * keeps its fractional count and is flagged OffGrid.
 *
 * Rows meant for one processor only (1.x: the other timestamp is -1; 2.x: only one of
 * EXCH_EVENT / LOCAL_EVENT set) are kept and flagged `EventFlag.ExchangeOnly` / `LocalOnly`: the
 * engine applies each only on its own side, as hftbacktest does (an exchange-only row is also
 * flagged BadTimestamp: its receive time is no receive time). The timestamp such a row has no
 * use for is replaced by a filler that keeps both clocks in order (a local-only row's exchTs is
 * the largest exchange time before it, capped at its own receive time; an exchange-only row's
 * localTs is the largest receive time before it), and the value the file gave, when it gave one
 * (2.x), is kept in `aux` (ns as float64). Everything else in `aux` is NaN; 2.x `ival`/`fval` are
 * not kept. Rows that end a venue message (the next received row has other timestamps) are
 * flagged `Last`.
 *
 * The `.npy` header is parsed here: the format is a tiny documented one (numpy's
 * `numpy.lib.format`: magic `\x93NUMPY`, version, header length, a Python dict literal with
 * `descr`, `fortran_order` and `shape`, then the raw array), so no numpy reader is needed. `.npz`
 * is a zip of `.npy` members, opened with fflate.
 */
import { unzipSync, zipSync } from "fflate";
import { LabError, type InstrumentSpec } from "../../core/index.js";
import { writeOutputFileSync } from "../../core/internal.js";
import { EventFlag, EventKind, allocateColumns, gridStep, readSourceBytes, tickBatch, type TickBatch } from "../../data/index.js";

export const HFT_EVENT = { Depth: 1, Trade: 2, DepthClear: 3, DepthSnapshot: 4, DepthBbo: 5, AddOrder: 10, CancelOrder: 11, ModifyOrder: 12, Fill: 13 } as const;
export const HFT_FLAG = { Exch: 2 ** 31, Local: 2 ** 30, Buy: 2 ** 29, Sell: 2 ** 28 } as const;

export interface HftbacktestReadOptions {
  /** The instrument (tick and lot size): hftbacktest files hold prices and sizes as decimals only. */
  instrument?: InstrumentSpec;
  /** `.npz` member to read. @default the only member, or "data.npy" */
  member?: string;
}

/** What `parseNpy` found: the dtype, the shape and where the raw data starts. */
export interface NpyArray {
  /** "<f8"-style for a plain dtype; a list of fields for a structured one. */
  descr: string | { name: string; type: string; offset: number; size: number }[];
  shape: number[];
  littleEndian: boolean;
  itemSize: number;
  data: Uint8Array;
}

function badFile(where: string, what: string, hint = "write it with numpy.save / numpy.savez (C order), or read it with its own format"): LabError {
  return new LabError({ code: "BAD_FILE", message: `${where}: ${what}`, hint, context: { file: where } });
}

/** Parses a `.npy` image (see the module comment for the format). */
export function parseNpy(bytes: Uint8Array, where: string): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw badFile(where, "not a .npy array (no \\x93NUMPY magic)");
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLength > bytes.length) throw badFile(where, `the .npy header (${headerLength} bytes) runs past the end of the file`);
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + start, headerLength).toString(major >= 3 ? "utf8" : "latin1");
  if (/'fortran_order'\s*:\s*True/.test(header)) throw badFile(where, "the array is in Fortran order", "save it with numpy.ascontiguousarray(a) first");
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!shapeText) throw badFile(where, `the .npy header has no shape: ${header.trim()}`);
  const shape = shapeText[1]!.split(",").map((x) => x.trim()).filter((x) => x !== "").map(Number);
  let descr: NpyArray["descr"];
  let littleEndian = true;
  let itemSize: number;
  const plain = /'descr'\s*:\s*'([<>|=]?)([a-zA-Z])(\d+)'/.exec(header);
  if (plain) {
    littleEndian = plain[1] !== ">";
    itemSize = Number(plain[3]);
    descr = `${plain[2]}${plain[3]}`;
  } else {
    const fields: { name: string; type: string; offset: number; size: number }[] = [];
    let offset = 0;
    for (const m of header.matchAll(/\(\s*'([^']*)'\s*,\s*'([<>|=]?)([a-zA-Z])(\d+)'\s*\)/g)) {
      const size = Number(m[4]);
      if (m[2] === ">") littleEndian = false;
      // Unnamed fields are numpy's alignment padding.
      if (m[1] !== "") fields.push({ name: m[1]!, type: `${m[3]}${m[4]}`, offset, size });
      offset += size;
    }
    if (fields.length === 0) throw badFile(where, `the .npy dtype is neither plain nor structured: ${header.trim()}`);
    descr = fields;
    itemSize = offset;
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  if (dataStart + count * itemSize > bytes.length) {
    throw new LabError({ code: "TRUNCATED", message: `${where}: the array of shape (${shape.join(", ")}) needs ${count * itemSize} bytes, the file holds ${bytes.length - dataStart}`, hint: "re-copy or re-export the file", context: { file: where } });
  }
  return { descr, shape, littleEndian, itemSize, data: bytes.subarray(dataStart, dataStart + count * itemSize) };
}

/** The `.npy` image inside a `.npz` (a zip), or the bytes themselves for a `.npy`. */
function npyBytesOf(bytes: Uint8Array, where: string, member: string | undefined): Uint8Array {
  if (!(bytes[0] === 0x50 && bytes[1] === 0x4b)) return bytes;
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes);
  } catch (error) {
    throw new LabError({ code: "CORRUPT_ZIP", message: `${where}: the .npz archive does not open (${(error as Error).message})`, hint: "re-copy or re-export it (numpy.savez); `unzip -t` tells whether it is whole", context: { file: where }, cause: error });
  }
  const names = Object.keys(members).filter((n) => n.endsWith(".npy"));
  const name = member !== undefined ? (member.endsWith(".npy") ? member : `${member}.npy`) : names.length === 1 ? names[0]! : "data.npy";
  const found = members[name];
  if (found === undefined) {
    throw new LabError({ code: "BAD_FILE", message: `${where}: the .npz has no member ${name} (it holds ${names.join(", ") || "no .npy member"})`, hint: "name the array to read with { member }", context: { file: where } });
  }
  return found;
}

/** Reads an hftbacktest `.npz` / `.npy` event file as a TickBatch (see the module comment). */
export function readHftbacktest(path: string, options: HftbacktestReadOptions = {}): TickBatch {
  return parseHftbacktest(readSourceBytes(path, "hftbacktest event file"), path, options);
}

const KIND_OF_EVENT = new Uint8Array(256);
KIND_OF_EVENT[HFT_EVENT.Depth] = EventKind.LevelSet;
KIND_OF_EVENT[HFT_EVENT.DepthSnapshot] = EventKind.LevelSet;
KIND_OF_EVENT[HFT_EVENT.Trade] = EventKind.Trade;
KIND_OF_EVENT[HFT_EVENT.DepthClear] = EventKind.Clear;
KIND_OF_EVENT[HFT_EVENT.DepthBbo] = EventKind.Bbo;
KIND_OF_EVENT[HFT_EVENT.AddOrder] = EventKind.Add;
KIND_OF_EVENT[HFT_EVENT.CancelOrder] = EventKind.Delete;
KIND_OF_EVENT[HFT_EVENT.ModifyOrder] = EventKind.Modify;
KIND_OF_EVENT[HFT_EVENT.Fill] = EventKind.Execute;

/** `parseHftbacktest` on bytes already in memory (`where` names them in messages). */
export function parseHftbacktest(bytes: Uint8Array, where: string, options: HftbacktestReadOptions = {}): TickBatch {
  const spec = options.instrument;
  if (spec === undefined) {
    throw new LabError({ code: "MISSING_INSTRUMENT", message: `${where}: hftbacktest event files hold decimal prices and sizes without an instrument`, hint: "pass { instrument } (CLI: --symbol BTCUSDT --tick-size 0.1 --lot-size 0.001)", context: { file: where } });
  }
  const npy = parseNpy(npyBytesOf(bytes, where, options.member), where);
  const n = npy.shape[0] ?? 0;
  const cols = allocateColumns(n);
  const price = gridStep(spec, "price");
  const size = gridStep(spec, "size");
  const dv = new DataView(npy.data.buffer, npy.data.byteOffset, npy.data.byteLength);
  const le = npy.littleEndian;
  // Per row: event code, the two times (-1n = absent), side, price, qty, order id, one-sided flags.
  let read: (i: number) => void;
  let ev = 0, side = 0, px = NaN, qty = NaN, oid = NaN, exch = 0n, local = 0n, hasExch = true, hasLocal = true;
  if (typeof npy.descr === "string") {
    if (npy.descr !== "f8" || npy.shape.length !== 2 || npy.shape[1]! < 6) {
      throw badFile(where, `expected hftbacktest 1.x float64 rows of 6 columns or 2.x event_dtype records, found dtype ${npy.descr} with shape (${npy.shape.join(", ")})`);
    }
    const width = npy.shape[1]!;
    read = (i) => {
      const at = i * width * 8;
      ev = dv.getFloat64(at, le);
      const e = dv.getFloat64(at + 8, le);
      const l = dv.getFloat64(at + 16, le);
      side = dv.getFloat64(at + 24, le);
      px = dv.getFloat64(at + 32, le);
      qty = dv.getFloat64(at + 40, le);
      hasExch = e > 0;
      hasLocal = l > 0;
      // float64 ns at this epoch are whole numbers (multiples of 256), so the conversion is exact.
      exch = hasExch ? BigInt(e) : -1n;
      local = hasLocal ? BigInt(l) : -1n;
    };
  } else {
    const f = Object.fromEntries(npy.descr.map((d) => [d.name, d]));
    for (const name of ["ev", "exch_ts", "local_ts", "px", "qty"]) {
      if (f[name] === undefined) throw badFile(where, `the structured dtype has no field ${name} (fields: ${npy.descr.map((d) => d.name).join(", ")}); expected hftbacktest's event_dtype`);
    }
    const evAt = f.ev!.offset, exAt = f.exch_ts!.offset, loAt = f.local_ts!.offset, pxAt = f.px!.offset, qtyAt = f.qty!.offset;
    const oidAt = f.order_id?.offset ?? -1;
    const stride = npy.itemSize;
    read = (i) => {
      const at = i * stride;
      // ev is u8 with everything in its low 32 bits: the kind byte and the four flag bits.
      const code = le ? dv.getUint32(at + evAt, true) : dv.getUint32(at + evAt + 4, false);
      ev = code & 0xff;
      hasExch = (code & HFT_FLAG.Exch) !== 0;
      hasLocal = (code & HFT_FLAG.Local) !== 0;
      side = (code & HFT_FLAG.Buy) !== 0 ? 1 : (code & HFT_FLAG.Sell) !== 0 ? -1 : 0;
      exch = dv.getBigInt64(at + exAt, le);
      local = dv.getBigInt64(at + loAt, le);
      px = dv.getFloat64(at + pxAt, le);
      qty = dv.getFloat64(at + qtyAt, le);
      oid = oidAt >= 0 ? Number(dv.getBigUint64(at + oidAt, le)) : NaN;
    };
  }
  // First real times, for fillers before any row of that processor.
  let firstExch = -1n;
  let firstLocal = -1n;
  for (let i = 0; i < n && (firstExch < 0n || firstLocal < 0n); i++) {
    read(i);
    if (hasExch && firstExch < 0n) firstExch = exch;
    if (hasLocal && firstLocal < 0n) firstLocal = local;
  }
  let maxExch = -1n;
  let maxLocal = -1n;
  const { exchTs, localTs, kind, flags, priceTicks, qtyLots, orderId, aux } = cols;
  const sideCol = cols.side;
  for (let i = 0; i < n; i++) {
    read(i);
    const k = KIND_OF_EVENT[ev & 0xff] ?? 0;
    if (k === 0) throw badFile(where, `row ${i}: event code ${ev} is not one hftbacktest defines (1-5, 10-13)`);
    kind[i] = k;
    let fl = ev === HFT_EVENT.DepthSnapshot ? EventFlag.Snapshot : 0;
    if (hasExch && !hasLocal) {
      // Its receive time is a filler: BadTimestamp keeps it out of clock-offset estimates and
      // latency checks.
      fl |= EventFlag.ExchangeOnly | EventFlag.BadTimestamp;
      if (local > 0n) aux[i] = Number(local);
      local = maxLocal >= 0n ? maxLocal : firstLocal >= 0n ? firstLocal : exch;
    } else if (hasLocal && !hasExch) {
      fl |= EventFlag.LocalOnly;
      if (exch > 0n) aux[i] = Number(exch);
      const before = maxExch >= 0n ? maxExch : firstExch >= 0n ? firstExch : local;
      exch = before < local ? before : local;
    } else if (!hasExch && !hasLocal) {
      throw badFile(where, `row ${i} is meant for neither processor (no valid exchange or local time)`);
    }
    if (hasExch && exch > maxExch) maxExch = exch;
    if (hasLocal && local > maxLocal) maxLocal = local;
    exchTs[i] = exch;
    localTs[i] = local;
    const s = side > 0 ? 1 : side < 0 ? -1 : 0;
    sideCol[i] = s;
    if (k === EventKind.Trade && s === 0) fl |= EventFlag.AggressorUnknown;
    if (k !== EventKind.Clear) {
      const p = Math.round((px * price.pow) / price.units);
      const q = Math.round((qty * size.pow) / size.units);
      // On the grid when the grid value prints back as the file's decimal; else kept fractional.
      if ((p * price.units) / price.pow === px) priceTicks[i] = p;
      else {
        priceTicks[i] = (px * price.pow) / price.units;
        fl |= EventFlag.OffGrid;
      }
      if ((q * size.units) / size.pow === qty) qtyLots[i] = q;
      else {
        qtyLots[i] = (qty * size.pow) / size.units;
        fl |= EventFlag.OffGrid;
      }
    } else {
      // The clear's price (how far out it clears) is kept for writing back.
      priceTicks[i] = Math.round((px * price.pow) / price.units);
    }
    // order_id means something only on order-by-order rows (0 elsewhere in 2.x files).
    orderId[i] = k >= EventKind.Add && k <= EventKind.Execute ? oid : NaN;
    flags[i] = fl;
  }
  markMessages(cols.exchTs, cols.localTs, flags);
  return tickBatch(cols, [spec], where);
}

/**
 * Flags `Last` on the rows that end a message: the files keep no grouping, but the rows of one
 * venue message share both timestamps, so a row ends its message where the next row the strategy
 * receives has other times. Exchange-only rows never end one (the strategy never sees them).
 * Checks and callbacks then see the book after whole messages, not halfway through a diff.
 */
function markMessages(exchTs: BigInt64Array, localTs: BigInt64Array, flags: Uint16Array): void {
  let prev = -1;
  for (let i = 0; i < flags.length; i++) {
    if ((flags[i]! & EventFlag.ExchangeOnly) !== 0) continue;
    if (prev >= 0 && (localTs[i] !== localTs[prev] || exchTs[i] !== exchTs[prev])) flags[prev] = flags[prev]! | EventFlag.Last;
    prev = i;
  }
  if (prev >= 0) flags[prev] = flags[prev]! | EventFlag.Last;
}

/** numpy's `.npy` v1 image of an array (header padded so the data starts on a 64-byte boundary). */
export function npyImage(descr: string, shape: readonly number[], data: Uint8Array): Uint8Array {
  let header = `{'descr': ${descr}, 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, "latin1"), 10);
  out.set(data, 10 + header.length);
  return out;
}

const EVENT_DTYPE = "[('ev', '<u8'), ('exch_ts', '<i8'), ('local_ts', '<i8'), ('px', '<f8'), ('qty', '<f8'), ('order_id', '<u8'), ('ival', '<i8'), ('fval', '<f8')]";
const EVENT_OF_KIND: Readonly<Record<number, number>> = {
  [EventKind.LevelSet]: HFT_EVENT.Depth,
  [EventKind.Trade]: HFT_EVENT.Trade,
  [EventKind.Clear]: HFT_EVENT.DepthClear,
  [EventKind.Bbo]: HFT_EVENT.DepthBbo,
  [EventKind.Add]: HFT_EVENT.AddOrder,
  [EventKind.Delete]: HFT_EVENT.CancelOrder,
  [EventKind.Reduce]: HFT_EVENT.ModifyOrder,
  [EventKind.Modify]: HFT_EVENT.ModifyOrder,
  [EventKind.Execute]: HFT_EVENT.Fill,
};

/**
 * The rows of a one-instrument TickBatch as hftbacktest 2.x `event_dtype` records (64 bytes each):
 * kinds mapped back (snapshot-flagged levels → DEPTH_SNAPSHOT_EVENT), side → BUY/SELL_EVENT,
 * ExchangeOnly / LocalOnly → only EXCH_EVENT / LOCAL_EVENT (their other time from `aux` when kept),
 * prices and sizes back to decimals. Rows of kinds hftbacktest has no event for (halts) are left out.
 */
export function hftbacktestRecords(batch: TickBatch): Uint8Array {
  if (batch.instruments.length !== 1) {
    throw new LabError({ code: "BAD_BATCH", message: `hftbacktest event files hold one instrument; the batch has ${batch.instruments.length}`, hint: "write one file per instrument (lab.data.sliceBatch / a reader's symbol filter)", context: {} });
  }
  const price = gridStep(batch.instruments[0]!, "price");
  const size = gridStep(batch.instruments[0]!, "size");
  let rows = 0;
  for (let i = 0; i < batch.length; i++) if (EVENT_OF_KIND[batch.kind[i]!] !== undefined) rows++;
  const out = new Uint8Array(rows * 64);
  const dv = new DataView(out.buffer);
  let j = 0;
  for (let i = 0; i < batch.length; i++) {
    const code = EVENT_OF_KIND[batch.kind[i]!];
    if (code === undefined) continue;
    const fl = batch.flags[i]!;
    const ev = (fl & EventFlag.Snapshot) !== 0 && code === HFT_EVENT.Depth ? HFT_EVENT.DepthSnapshot : code;
    const side = batch.side[i]!;
    const exchOnly = (fl & EventFlag.ExchangeOnly) !== 0;
    const localOnly = (fl & EventFlag.LocalOnly) !== 0;
    const bits = ev + (localOnly ? 0 : HFT_FLAG.Exch) + (exchOnly ? 0 : HFT_FLAG.Local) + (side === 1 ? HFT_FLAG.Buy : side === -1 ? HFT_FLAG.Sell : 0);
    const at = j * 64;
    dv.setUint32(at, bits, true);
    dv.setUint32(at + 4, 0, true);
    const a = batch.aux[i]!;
    dv.setBigInt64(at + 8, localOnly && a === a ? BigInt(a) : batch.exchTs[i]!, true);
    dv.setBigInt64(at + 16, exchOnly && a === a ? BigInt(a) : batch.localTs[i]!, true);
    const p = batch.priceTicks[i]!;
    const q = batch.qtyLots[i]!;
    dv.setFloat64(at + 24, p === p ? (p * price.units) / price.pow : NaN, true);
    dv.setFloat64(at + 32, q === q ? (q * size.units) / size.pow : 0, true);
    const id = batch.orderId[i]!;
    dv.setBigUint64(at + 40, id === id && id >= 0 ? BigInt(id) : 0n, true);
    dv.setBigInt64(at + 48, 0n, true);
    dv.setFloat64(at + 56, 0, true);
    j++;
  }
  return out;
}

/**
 * Writes a TickBatch as an hftbacktest 2.x event file: `.npz` (one array `data`, as hftbacktest's
 * converters write it) or `.npy`, by the path's ending.
 */
export function writeHftbacktest(batch: TickBatch, path: string): { file: string; bytes: number; rows: number } {
  const records = hftbacktestRecords(batch);
  const npy = npyImage(EVENT_DTYPE, [records.length / 64], records);
  const content = path.endsWith(".npy") ? npy : zipSync({ "data.npy": [npy, { level: 0 }] });
  const written = writeOutputFileSync(path, content, { what: "hftbacktest event file", example: "events.npz" });
  return { ...written, rows: records.length / 64 };
}

/**
 * Splits a one-instrument batch the way hftbacktest's converter orders its events
 * (`correct_event_order`): the rows sorted by exchange time and by receive time are merged, a row
 * at the head of both lists is kept once, and a row whose place differs in the two orders becomes
 * two rows, an exchange-only copy where the exchange order puts it and a local-only copy where the
 * receive order does (flags `ExchangeOnly` / `LocalOnly`, other time a filler as in
 * `parseHftbacktest`). The engine's exchange then applies every row in exchange-time order, not at
 * the running maximum of the receive order. Rows of equal time keep their order (stable sorts).
 */
export function splitByExchangeOrder(batch: TickBatch): TickBatch {
  const n = batch.length;
  const byExch = Array.from({ length: n }, (_, i) => i).sort((a, b) => (batch.exchTs[a]! < batch.exchTs[b]! ? -1 : batch.exchTs[a]! > batch.exchTs[b]! ? 1 : a - b));
  const byLocal = Array.from({ length: n }, (_, i) => i).sort((a, b) => (batch.localTs[a]! < batch.localTs[b]! ? -1 : batch.localTs[a]! > batch.localTs[b]! ? 1 : a - b));
  const order: number[] = [];
  const sided: number[] = [];
  const doneExch = new Uint8Array(n);
  const doneLocal = new Uint8Array(n);
  let i = 0;
  let j = 0;
  while (i < n || j < n) {
    while (i < n && doneExch[byExch[i]!] === 1) i++;
    while (j < n && doneLocal[byLocal[j]!] === 1) j++;
    if (i >= n && j >= n) break;
    const a = i < n ? byExch[i]! : -1;
    const b = j < n ? byLocal[j]! : -1;
    if (a === b) {
      order.push(a);
      sided.push(0);
      doneExch[a] = 1;
      doneLocal[a] = 1;
    } else if (b < 0 || (a >= 0 && batch.exchTs[a]! <= batch.localTs[b]!)) {
      order.push(a);
      sided.push(EventFlag.ExchangeOnly);
      doneExch[a] = 1;
    } else {
      order.push(b);
      sided.push(EventFlag.LocalOnly);
      doneLocal[b] = 1;
    }
  }
  const m = order.length;
  const cols = allocateColumns(m);
  let maxExch = -1n;
  let maxLocal = -1n;
  const firstExch = batch.exchTs[byExch[0]!]!;
  const firstLocal = batch.localTs[byLocal[0]!]!;
  for (let k = 0; k < m; k++) {
    const r = order[k]!;
    const s = sided[k]!;
    let e = batch.exchTs[r]!;
    let l = batch.localTs[r]!;
    if (s === EventFlag.ExchangeOnly) {
      cols.aux[k] = Number(l);
      l = maxLocal >= 0n ? maxLocal : firstLocal;
    } else if (s === EventFlag.LocalOnly) {
      cols.aux[k] = Number(e);
      const before = maxExch >= 0n ? maxExch : firstExch;
      e = before < l ? before : l;
    } else cols.aux[k] = batch.aux[r]!;
    if (s !== EventFlag.LocalOnly && e > maxExch) maxExch = e;
    if (s !== EventFlag.ExchangeOnly && l > maxLocal) maxLocal = l;
    cols.exchTs[k] = e;
    cols.localTs[k] = l;
    cols.kind[k] = batch.kind[r]!;
    cols.side[k] = batch.side[r]!;
    // An exchange-only copy never ends a group the strategy sees.
    cols.flags[k] = s === EventFlag.ExchangeOnly ? (batch.flags[r]! & ~EventFlag.Last) | s | EventFlag.BadTimestamp : batch.flags[r]! | s;
    cols.instrument[k] = batch.instrument[r]!;
    cols.priceTicks[k] = batch.priceTicks[r]!;
    cols.qtyLots[k] = batch.qtyLots[r]!;
    cols.orderId[k] = batch.orderId[r]!;
    cols.seq[k] = batch.seq[r]!;
  }
  return tickBatch(cols, batch.instruments, batch.source);
}
