/**
 * TickBatch <-> Apache Arrow, and a danfo.js DataFrame view for quick looks.
 *
 * `toArrow` shares the batch's column memory (no copy): exchTs/localTs Int64 ns, kind Uint8,
 * side Int8, flags Uint16, priceTicks/qtyLots/orderId/seq/aux Float64 (NaN = missing), and
 * `instrument` as a Dictionary<Utf8, Uint16> whose values are the instrument symbols. The full
 * instrument specs travel as JSON in the schema metadata ("strategy_lab"), so `fromArrow` gives
 * back the identical batch. `fromArrow` also takes a user's table with a column mapping.
 */
import type * as ArrowModule from "apache-arrow";
import type { DataType, Table, Vector, Data } from "apache-arrow";
import { createRequire } from "node:module";
import { InstrumentSpec, LabError, NS_PER, parseTime, type InstrumentSpecInit, type TimeUnit } from "../core/index.js";
import { BAD, PRICED_KINDS, SIZED_KINDS, checkNormalizedRows, finishStagedSync, type BadRowPolicy } from "./staging.js";
import { EVENT_KIND_NAMES, EventFlag, EventKind, TICK_COLUMN_NAMES, allocateColumns, tickBatch, type TickBatch, type TickColumns } from "./tick-batch.js";
import type { ColumnMapping } from "./column-mapping.js";

const METADATA_KEY = "strategy_lab";

const requireHere = createRequire(import.meta.url);
let arrowModule: typeof ArrowModule | undefined;

/**
 * apache-arrow, loaded on first use: its modules are ~60 % of the package's load time, paid by
 * every `import` of the package and by every optimizer worker thread, most of which never touch
 * Arrow. Loaded with `require`, like notebooks (tslab) load it, so tables made here and in a
 * notebook cell come from the same build of the library.
 */
export function arrowLibrary(): typeof ArrowModule {
  return (arrowModule ??= requireHere("apache-arrow") as typeof ArrowModule);
}

/** True for an Arrow Table from either build of apache-arrow (its ESM and CommonJS classes differ). */
export function isArrowTable(x: unknown): x is Table {
  return typeof x === "object" && x !== null && typeof (x as Table).getChild === "function" && typeof (x as Table).numRows === "number" && typeof (x as Table).schema === "object";
}

/** The batch as an Arrow Table (zero-copy for every column). */
export function toArrow(batch: TickBatch): Table {
  const { Dictionary, Field, Float64, Int64, Int8, Schema, Table, Uint16, Uint8, Utf8, makeData, makeVector, vectorFromArray } = arrowLibrary();
  const symbols = vectorFromArray(batch.instruments.map((s) => s.symbol), new Utf8());
  const dictionaryType = new Dictionary(new Utf8(), new Uint16(), 0, false);
  const instrumentData = makeData({ type: dictionaryType, length: batch.length, nullCount: 0, data: batch.instrument, dictionary: symbols });
  const fields = [
    new Field("exchTs", new Int64(), false),
    new Field("localTs", new Int64(), false),
    new Field("kind", new Uint8(), false),
    new Field("side", new Int8(), false),
    new Field("flags", new Uint16(), false),
    new Field("instrument", dictionaryType, false),
    new Field("priceTicks", new Float64(), false),
    new Field("qtyLots", new Float64(), false),
    new Field("orderId", new Float64(), false),
    new Field("seq", new Float64(), false),
    new Field("aux", new Float64(), false),
  ];
  const metadata = new Map([[METADATA_KEY, JSON.stringify({ version: 1, instruments: batch.instruments.map((s) => s.toJSON()), source: batch.source ?? null })]]);
  const schema = new Schema(fields, metadata);
  const columns: Record<string, Vector> = {};
  for (const name of TICK_COLUMN_NAMES) {
    columns[name] = name === "instrument" ? makeVector(instrumentData) : makeVector(batch[name] as unknown as Float64Array);
  }
  return new Table(schema, columns as never);
}

export interface FromArrowOptions {
  /** Column mapping for tables not written by `toArrow` (prices/sizes as decimals). */
  columns?: ColumnMapping;
  instrument?: InstrumentSpec | InstrumentSpecInit;
  instruments?: readonly (InstrumentSpec | InstrumentSpecInit)[];
  /** Unit of integer epoch columns. @default "ns" */
  timeUnit?: TimeUnit;
  kind?: EventKind;
  onBadRows?: BadRowPolicy;
  shared?: boolean;
  /** Name used in messages. */
  file?: string;
}

type AnyData = Data;

/** Copies a primitive column (all record-batch chunks) into `target`; nulls become `nullValue`. */
function copyPrimitive(vector: Vector, target: { set(a: ArrayLike<number | bigint>, o: number): void; [i: number]: number | bigint }, nullValue: number | bigint): void {
  let offset = 0;
  for (const data of vector.data as AnyData[]) {
    const values = data.values as unknown as ArrayLike<number | bigint>;
    target.set(values.length === data.length ? values : (values as unknown as { subarray(a: number, b: number): ArrayLike<number | bigint> }).subarray(0, data.length), offset);
    if (data.nullCount > 0) for (let i = 0; i < data.length; i++) if (!data.getValid(i)) target[offset + i] = nullValue;
    offset += data.length;
  }
}

function toSpec(x: InstrumentSpec | InstrumentSpecInit): InstrumentSpec {
  return x instanceof InstrumentSpec ? x : new InstrumentSpec(x);
}

/**
 * Refuses a table whose chunks claim more rows than their buffers hold (a damaged file's
 * metadata): nothing is then allocated or read for rows that do not exist.
 */
export function checkArrowLengths(table: Table, file: string): void {
  const { Type } = arrowLibrary();
  const check = (data: AnyData, column: string): void => {
    const n = data.offset + data.length;
    const values = data.values as ArrayLike<unknown> | undefined;
    const offsets = data.valueOffsets as ArrayLike<unknown> | undefined;
    let held = Infinity;
    if (offsets && offsets.length > 0) held = offsets.length - 1;
    else if (data.typeId === Type.Bool && values) held = values.length * 8;
    else if (values && data.typeId !== Type.Null && data.typeId !== Type.Struct) held = values.length / Math.max(1, data.stride);
    if (data.nullBitmap && data.nullBitmap.length > 0 && data.nullCount > 0) held = Math.min(held, data.nullBitmap.length * 8);
    if (held < n) {
      throw new LabError({ code: "BAD_FILE", message: `${file}: column "${column}" claims ${n.toLocaleString("en-US")} rows but its buffers hold ${Math.floor(held).toLocaleString("en-US")} (the Arrow data is damaged or cut off)`, hint: "re-export or re-download the file", context: { file, row: 0, column } });
    }
    for (const child of data.children ?? []) check(child as AnyData, column);
    if (data.dictionary) for (const d of data.dictionary.data as AnyData[]) check(d, column);
  };
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name);
    if (vector) for (const data of vector.data as AnyData[]) check(data, field.name);
  }
}

/** The normalized columns' Arrow types, as `toArrow` writes them. */
function checkNormalizedTypes(table: Table, file: string): void {
  const { DataType: DT } = arrowLibrary();
  const int = (bits: number, signed: boolean) => (t: DataType): boolean => DT.isInt(t) && t.bitWidth === bits && t.isSigned === signed;
  const float64 = (t: DataType): boolean => DT.isFloat(t) && t.precision === 2;
  const expected: Record<string, [(t: DataType) => boolean, string]> = {
    exchTs: [int(64, true), "Int64"], localTs: [int(64, true), "Int64"], kind: [int(8, false), "Uint8"], side: [int(8, true), "Int8"], flags: [int(16, false), "Uint16"],
    instrument: [(t) => DT.isDictionary(t) && t.indices.bitWidth === 16 && !t.indices.isSigned, "Dictionary<Utf8, Uint16>"],
    priceTicks: [float64, "Float64"], qtyLots: [float64, "Float64"], orderId: [float64, "Float64"], seq: [float64, "Float64"], aux: [float64, "Float64"],
  };
  for (const name of TICK_COLUMN_NAMES) {
    const type = table.getChild(name)!.type as DataType;
    const [ok, what] = expected[name]!;
    if (ok(type)) continue;
    throw new LabError({ code: "SCHEMA_MISMATCH", message: `${file}: column "${name}" is ${String(type)}, but in a normalized table it is ${what}; expected ${TICK_COLUMN_NAMES.map((n) => `${n} ${expected[n]![1]}`).join(", ")}`, hint: "write it with toArrow/writeArrowFile, or read its own columns with a mapping ({ columns: {...}, instrument })", context: { file, row: 0, column: name, found: String(type), expected: what } });
  }
}

/**
 * An Arrow table (from `toArrow`, or a user's table with `columns` mapping) as a TickBatch.
 * Chunks that claim more rows than they hold are BAD_FILE; normalized columns of the wrong type or
 * damaged instrument metadata SCHEMA_MISMATCH. Normalized rows with an unknown kind, a side outside
 * -1..1, an instrument index without instrument or an infinite price/size are bad rows, and so
 * are mapped values that are not finite numbers, empty where the kind needs them, or unknown
 * kinds/sides/symbols/flags: `onBadRows` "reject" throws naming row and column, "quarantine" sets
 * them aside in the read report.
 */
export function fromArrow(table: Table, options: FromArrowOptions = {}): TickBatch {
  const file = options.file ?? "arrow table";
  checkArrowLengths(table, file);
  const meta = table.schema.metadata.get(METADATA_KEY);
  const n = table.numRows;
  if (meta && !options.columns && TICK_COLUMN_NAMES.every((name) => table.getChild(name))) {
    checkNormalizedTypes(table, file);
    let parsed: { instruments: InstrumentSpecInit[]; source?: string | null };
    let instruments: InstrumentSpec[];
    try {
      parsed = JSON.parse(meta) as typeof parsed;
      instruments = parsed.instruments.map((i) => new InstrumentSpec(i));
    } catch (error) {
      throw new LabError({ code: "SCHEMA_MISMATCH", message: `${file}: the instrument list in the "${METADATA_KEY}" metadata is damaged (${(error as Error).message.split("\n")[0]})`, hint: "re-export the file, or read it with { columns, instrument }", context: { file, row: 0, column: METADATA_KEY }, cause: error });
    }
    const cols = allocateColumns(n, options.shared ?? false);
    for (const name of TICK_COLUMN_NAMES) copyPrimitive(table.getChild(name)!, cols[name] as never, name === "exchTs" || name === "localTs" ? 0n : cols[name] instanceof Float64Array ? NaN : 0);
    const bad = checkNormalizedRows(cols, n, instruments.length);
    if (bad.length === 0) return tickBatch(cols, instruments, parsed.source ?? file);
    return finishStagedSync({ columns: cols, bad, length: n }, { file, format: "arrow", instruments, onBadRows: options.onBadRows ?? "reject", convert: false });
  }
  return fromMappedArrow(table, options, file);
}

const KIND_BY_NAME: Record<string, number> = Object.fromEntries([
  ...Object.entries(EventKind).map(([k, v]) => [k.toLowerCase(), v]),
  ["trades", EventKind.Trade], ["quote", EventKind.Bbo], ["fill", EventKind.Execute], ["cancel", EventKind.Reduce], ["book", EventKind.LevelSet],
]);
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SIDE_BY_NAME: Record<string, number> = { b: 1, bid: 1, buy: 1, "1": 1, s: -1, a: -1, ask: -1, sell: -1, "-1": -1, "0": 0, "": 0 };

function fromMappedArrow(table: Table, options: FromArrowOptions, file: string): TickBatch {
  const names = table.schema.fields.map((f) => f.name);
  const mapping: ColumnMapping = { ...options.columns };
  const defaults: [keyof ColumnMapping, string[]][] = [["exchTs", ["exchTs", "timestamp", "ts"]], ["localTs", ["localTs", "local_timestamp"]], ["price", ["price"]], ["qty", ["qty", "size", "amount"]], ["side", ["side"]], ["kind", ["kind"]], ["symbol", ["symbol"]], ["orderId", ["orderId", "order_id"]], ["seq", ["seq"]], ["aux", ["aux"]], ["flags", ["flags"]]];
  for (const [key, candidates] of defaults) if (mapping[key] === undefined) mapping[key] = candidates.find((c) => names.includes(c));
  for (const [key, name] of Object.entries(mapping)) {
    if (name !== undefined && !names.includes(name)) {
      throw new LabError({ code: "MISSING_COLUMN", message: `${file}: column "${name}" (mapped to ${key}) is not in the table (row 0); columns are ${names.join(", ")}`, hint: "fix the column mapping", context: { file, row: 0, column: name } });
    }
  }
  if (!mapping.exchTs) throw new LabError({ code: "MISSING_COLUMN", message: `${file}: no exchTs column (row 0); columns are ${names.join(", ")}`, hint: "map it: { columns: { exchTs: \"...\" } }", context: { file, row: 0, column: "exchTs" } });
  const n = table.numRows;
  const cols: TickColumns = allocateColumns(n, options.shared ?? false);
  const bad = new Uint32Array(n);
  const instruments = options.instruments?.map(toSpec) ?? (options.instrument ? [toSpec(options.instrument)] : undefined);
  if (!instruments) throw new LabError({ code: "MISSING_INSTRUMENT", message: `${file}: an instrument (tick and lot size) is needed to convert prices to ticks`, hint: 'pass { instrument: { symbol, venue, tickSize: "0.01", lotSize: "1" } }', context: { file } });
  const unit = options.timeUnit ?? "ns";
  const raw = new Map<number, Record<string, string | null>>();
  const rawOf = (row: number, column: string, value: unknown): void => {
    let rec = raw.get(row);
    if (!rec) raw.set(row, (rec = {}));
    rec[column] = value === null || value === undefined ? null : String(value);
  };

  // Given instruments are matched by symbol; one given instrument names a one-symbol table
  // whatever its spelling there (rows with another symbol than the first are refused).
  const readSymbols = (name: string | undefined, specs: readonly InstrumentSpec[]): void => {
    if (!name) return;
    const vector = table.getChild(name)!;
    const key = (v: unknown): string => (v === null || v === undefined ? "" : String(v).trim().toLowerCase());
    const bySymbol = new Map(specs.map((s, i) => [s.symbol.toLowerCase(), i]));
    let single: string | undefined;
    if (specs.length === 1 && !(options.instruments && options.instruments.length > 0)) {
      let present = false;
      for (let i = 0; i < n && !present; i++) present = key(vector.get(i)) === specs[0]!.symbol.toLowerCase();
      if (!present && n > 0) single = key(vector.get(0));
    }
    for (let i = 0; i < n; i++) {
      const v: unknown = vector.get(i);
      const code = single !== undefined ? (key(v) === single ? 0 : undefined) : bySymbol.get(key(v));
      if (code === undefined) {
        bad[i]! |= single !== undefined ? BAD.otherSymbol : BAD.instrument;
        rawOf(i, name, v);
      } else cols.instrument[i] = code;
    }
  };
  const readTime = (name: string, target: BigInt64Array, badBit: number, missingBit: number): void => {
    const vector = table.getChild(name)!;
    const typeId = vector.type.toString();
    for (let i = 0; i < n; i++) {
      const v: unknown = vector.get(i);
      if (v === null || v === undefined || v === "") {
        bad[i]! |= missingBit;
        rawOf(i, name, v);
        continue;
      }
      try {
        if (typeof v === "bigint") target[i] = v * (typeId.startsWith("Timestamp") ? NS_PER[timestampUnit(typeId)] : NS_PER[unit]);
        else target[i] = parseTime(typeof v === "number" ? String(v) : String(v), unit);
      } catch {
        bad[i]! |= badBit;
        rawOf(i, name, v);
      }
    }
  };
  readTime(mapping.exchTs, cols.exchTs, BAD.exchTs, BAD.missingExchTs);
  if (mapping.localTs) readTime(mapping.localTs, cols.localTs, BAD.localTs, BAD.missingLocalTs);
  else {
    cols.localTs.set(cols.exchTs);
    cols.flags.fill(EventFlag.BadTimestamp);
  }
  // A NaN number means "no value"; text must be a decimal number, and nothing may be infinite.
  const readNumber = (name: string | undefined, target: Float64Array, badBit: number): void => {
    if (!name) return;
    const vector = table.getChild(name)!;
    for (let i = 0; i < n; i++) {
      const v: unknown = vector.get(i);
      if (v === null || v === undefined) continue;
      let x: number;
      if (typeof v === "number") {
        if (v !== v) continue;
        x = v;
      } else if (typeof v === "bigint") x = Number(v);
      else {
        const text = String(v).trim();
        if (text === "") continue;
        x = DECIMAL_TEXT.test(text) ? Number(text) : NaN;
      }
      if (!Number.isFinite(x)) {
        bad[i]! |= badBit;
        rawOf(i, name, v);
      } else target[i] = x;
    }
  };
  readNumber(mapping.price, cols.priceTicks, BAD.priceTicks);
  readNumber(mapping.qty, cols.qtyLots, BAD.qtyLots);
  readNumber(mapping.orderId, cols.orderId, BAD.orderId);
  readNumber(mapping.seq, cols.seq, BAD.seq);
  readNumber(mapping.aux, cols.aux, BAD.aux);
  // Codes by name (numbers as their text: kind 4, side -1), so an unknown number is refused too.
  const readCode = (name: string | undefined, target: Uint8Array | Int8Array | Uint16Array, table_: Record<string, number>, badBit: number, fallback: number): void => {
    if (!name) {
      target.fill(fallback);
      return;
    }
    const vector = table.getChild(name)!;
    for (let i = 0; i < n; i++) {
      const v: unknown = vector.get(i);
      const key = v === null || v === undefined ? "" : String(v).trim().toLowerCase();
      const code = table_[key];
      if (code === undefined) {
        bad[i]! |= badBit;
        rawOf(i, name, v);
      } else target[i] = code;
    }
  };
  const kindCodes: Record<string, number> = { ...KIND_BY_NAME, ...Object.fromEntries(Object.keys(EVENT_KIND_NAMES).map((k) => [k, Number(k)])) };
  readCode(mapping.kind, cols.kind, kindCodes, BAD.kind, options.kind ?? EventKind.Trade);
  readCode(mapping.side, cols.side, SIDE_BY_NAME, BAD.side, 0);
  readSymbols(mapping.symbol, instruments);
  if (mapping.flags) {
    const vector = table.getChild(mapping.flags)!;
    for (let i = 0; i < n; i++) {
      const v: unknown = vector.get(i);
      const x = v === null || v === undefined || v === "" ? 0 : Number(v);
      if (Number.isInteger(x) && x >= 0 && x <= 0xffff) cols.flags[i] = x;
      else {
        bad[i]! |= BAD.flags;
        rawOf(i, mapping.flags, v);
      }
    }
  }
  // Empty prices/sizes where the event kind needs one (a NaN number counts as empty).
  const priced = new Uint8Array(256);
  const sized = new Uint8Array(256);
  for (const k of PRICED_KINDS) priced[k] = 1;
  for (const k of SIZED_KINDS) sized[k] = 1;
  for (let i = 0; i < n; i++) {
    const k = cols.kind[i]!;
    if (priced[k] === 1 && cols.priceTicks[i] !== cols.priceTicks[i] && (bad[i]! & BAD.priceTicks) === 0) {
      bad[i]! |= BAD.missingPrice;
      if (mapping.price) rawOf(i, mapping.price, table.getChild(mapping.price)!.get(i));
    }
    if (sized[k] === 1 && cols.qtyLots[i] !== cols.qtyLots[i] && (bad[i]! & BAD.qtyLots) === 0) {
      bad[i]! |= BAD.missingQty;
      if (mapping.qty) rawOf(i, mapping.qty, table.getChild(mapping.qty)!.get(i));
    }
  }
  const sourceColumns = { exchTs: mapping.exchTs, localTs: mapping.localTs, kind: mapping.kind, side: mapping.side, instrument: mapping.symbol, priceTicks: mapping.price, qtyLots: mapping.qty, orderId: mapping.orderId, seq: mapping.seq, aux: mapping.aux, flags: mapping.flags };
  // Raw text for messages: the offending cells recorded above plus prices/sizes of bad rows.
  for (let i = 0, found = 0; i < n && found < 64; i++) {
    if (bad[i] === 0) continue;
    found++;
    for (const name of [mapping.price, mapping.qty]) if (name) rawOf(i, name, table.getChild(name)!.get(i));
  }
  return finishStagedSync({ columns: cols, bad, length: n }, { file, format: "arrow", instruments, onBadRows: options.onBadRows ?? "reject", sourceColumns: Object.fromEntries(Object.entries(sourceColumns).filter(([, v]) => v !== undefined)) }, raw);
}

function timestampUnit(typeText: string): TimeUnit {
  if (/SECOND>/.test(typeText) && !/MILLI|MICRO|NANO/.test(typeText)) return "s";
  if (/MILLISECOND/.test(typeText)) return "ms";
  if (/MICROSECOND/.test(typeText)) return "us";
  return "ns";
}

export interface DataFrameOptions {
  /** At most this many rows (from the start). @default all */
  limit?: number;
}

/**
 * A danfo.js DataFrame of a batch or Arrow table, for quick looks and plotting (convenience only;
 * the engine never uses it). Timestamps become exact decimal-string ns (a float64 cannot hold an
 * epoch in ns), prices and sizes become decimal numbers, kinds their names. danfo.js is loaded on
 * first use so importing the package never loads it.
 */
export async function toDataFrame(tableOrBatch: TickBatch | Table, options: DataFrameOptions = {}): Promise<unknown> {
  const batch = isArrowTable(tableOrBatch) ? fromArrow(tableOrBatch) : tableOrBatch;
  const n = Math.min(batch.length, options.limit ?? batch.length);
  const danfo = requireHere("danfojs-node") as { DataFrame: new (data: Record<string, unknown[]>) => unknown };
  const column = <T>(f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
  const spec = (i: number): InstrumentSpec | undefined => batch.instruments[batch.instrument[i]!];
  return new danfo.DataFrame({
    exchTs: column((i) => batch.exchTs[i]!.toString()),
    localTs: column((i) => batch.localTs[i]!.toString()),
    kind: column((i) => EVENT_KIND_NAMES[batch.kind[i]!] ?? String(batch.kind[i])),
    side: column((i) => batch.side[i]!),
    price: column((i) => (Number.isNaN(batch.priceTicks[i]!) ? NaN : spec(i)?.toPrice(batch.priceTicks[i]!) ?? NaN)),
    qty: column((i) => (Number.isNaN(batch.qtyLots[i]!) ? NaN : spec(i)?.toSize(batch.qtyLots[i]!) ?? NaN)),
    orderId: column((i) => batch.orderId[i]!),
    flags: column((i) => batch.flags[i]!),
    seq: column((i) => batch.seq[i]!),
    aux: column((i) => batch.aux[i]!),
    symbol: column((i) => spec(i)?.symbol ?? ""),
  });
}
