/**
 * Binance historical order-book depth CSV (data.binance.vision "bookDepth"-style snap/set files):
 * `symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu`, timestamp in
 * ms, qty 0 = delete level, `pu` = previous final update id (-1 in snapshot rows).
 *
 * Mapping: one LevelSet row per CSV row (side b = 1, a = -1); `update_type` "snap" rows carry
 * EventFlag.Snapshot and each run of them is preceded by a Clear row; `seq` = last_update_id (u),
 * `aux` = pu (NaN when -1), so `validate(batch, { sequence: "linked" })` checks that every update
 * group's pu equals the previous group's u. Rows with the same last_update_id form one message
 * (the last carries EventFlag.Last). The file has one timestamp only: localTs = exchTs and every
 * row carries EventFlag.BadTimestamp (no real receive time).
 *
 * Behaviour on damaged input:
 * - Path faults, a directory, an empty file, another format, a header without the required
 *   columns: FILE_NOT_FOUND / IS_A_DIRECTORY / EMPTY_FILE / WRONG_FORMAT / MISSING_COLUMN.
 * - A file cut inside its last line (these exports end every line, so any last line without a
 *   line end is cut) or a .csv.gz that ends early: TRUNCATED / CORRUPT_GZIP under "reject"; under
 *   "quarantine" every complete line is read and one `truncated` issue is reported.
 * - A line with too few or too many fields, an unclosed quote or non-UTF-8 bytes: a bad row by line.
 * - Values: a price or qty that is not a finite number (NaN, inf, 1e400, text) or is empty, a
 *   side other than b/a, an update_type other than snap/set, a timestamp, last_update_id or pu
 *   that is empty or not a number, a price off the tick grid: bad rows named by line and column
 *   with the raw text under "reject", counted and set aside under "quarantine". Negative sizes
 *   are reported by `validate()`.
 */
import { LabError, type InstrumentSpec, type InstrumentSpecInit, type ProgressSink } from "../../core/index.js";
import { checkOptionKeys } from "../../core/internal.js";
import { EventFlag, EventKind, TICK_COLUMN_NAMES, type BadRowPolicy, type TickBatch } from "../../data/index.js";
import { BAD, csvFinishOptions, duckConnection, finishStaged, insertClearRows, instrumentsFor, markGroupEnds, openCsvSource, sqlIdent, stageCsv, symbolCaseSql, type Staged } from "../../data/internal.js";

export interface BinanceCsvReadOptions {
  instrument?: InstrumentSpec | InstrumentSpecInit;
  instruments?: readonly (InstrumentSpec | InstrumentSpecInit)[];
  onBadRows?: BadRowPolicy;
  shared?: boolean;
  progress?: ProgressSink;
}

const REQUIRED = ["timestamp", "first_update_id", "last_update_id", "side", "update_type", "price", "qty"] as const;

/** ms text -> ns; out-of-range values become NULL (a bad-row bit), never an overflow error. */
function msToNs(text: string): string {
  return `CASE WHEN abs(TRY_CAST(${text} AS BIGINT)) <= 9223372036854 THEN TRY_CAST(${text} AS BIGINT) * 1000000 END`;
}

export async function readBinanceDepthCsv(path: string, options: BinanceCsvReadOptions = {}): Promise<TickBatch> {
  checkOptionKeys(options, ["instrument", "instruments", "onBadRows", "shared", "progress"], "readBinanceDepthCsv");
  const onBadRows = options.onBadRows ?? "reject";
  const source = await openCsvSource(path, { onBadRows, delimiter: ",", strictEnd: true, what: "a Binance depth CSV file" });
  let connection: Awaited<ReturnType<typeof duckConnection>> | undefined;
  try {
    connection = await duckConnection();
    const header = source.columns;
    for (const column of REQUIRED) {
      if (!header.includes(column)) {
        throw new LabError({ code: "MISSING_COLUMN", message: `${path}: column "${column}" is missing from the header (row 0, line 1); expected ${["symbol", ...REQUIRED, "pu"].join(",")}`, hint: "this reader expects Binance historical depth CSV (snap/set rows)", context: { file: path, row: 0, line: 1, column } });
      }
    }
    const relation = source.scan();
    const t = (c: string): string => `NULLIF(trim(${sqlIdent(c)}), '')`;
    const symbolSql = header.includes("symbol") ? t("symbol") : "'?'";
    const instruments = await instrumentsFor(connection, relation, symbolSql, "'binance'", [t("price")], [t("qty")], options, path);
    const hasPu = header.includes("pu");
    const pu = hasPu ? `CASE WHEN TRY_CAST(${t("pu")} AS DOUBLE) = -1 THEN NULL ELSE TRY_CAST(${t("pu")} AS DOUBLE) END` : "NULL::DOUBLE";
    const inner = (from: string): string => `SELECT ${msToNs(t("timestamp"))} AS exchTs, ${t("timestamp")} AS src_ts, ${EventKind.LevelSet} AS kind,
      CASE lower(${t("side")}) WHEN 'b' THEN 1 WHEN 'bid' THEN 1 WHEN 'a' THEN -1 WHEN 'ask' THEN -1 END AS side,
      (CASE WHEN lower(${t("update_type")}) = 'snap' THEN ${EventFlag.Snapshot} ELSE 0 END) | ${EventFlag.BadTimestamp} AS flags,
      lower(${t("update_type")}) AS update_type,
      ${symbolCaseSql(symbolSql, instruments)} AS instrument,
      TRY_CAST(${t("price")} AS DOUBLE) AS priceTicks, ${t("price")} AS src_price,
      TRY_CAST(${t("qty")} AS DOUBLE) AS qtyLots, ${t("qty")} AS src_qty,
      NULL::DOUBLE AS orderId, TRY_CAST(${t("last_update_id")} AS DOUBLE) AS seq, ${t("last_update_id")} AS src_seq, ${pu} AS aux,
      ${hasPu ? t("pu") : "NULL"} AS src_pu, ${hasPu ? `TRY_CAST(${t("pu")} AS DOUBLE)` : "NULL::DOUBLE"} AS pu_value
      FROM ${from}`;
    const bits = [
      `CASE WHEN src_ts IS NULL THEN ${BAD.missingExchTs} WHEN exchTs IS NULL THEN ${BAD.exchTs} ELSE 0 END`,
      `CASE WHEN side IS NULL THEN ${BAD.side} ELSE 0 END`,
      `CASE WHEN update_type IS NULL OR NOT list_contains(['snap', 'set'], update_type) THEN ${BAD.flags} ELSE 0 END`,
      `CASE WHEN instrument IS NULL THEN ${BAD.instrument} ELSE 0 END`,
      `CASE WHEN src_price IS NULL THEN ${BAD.missingPrice} WHEN priceTicks IS NULL OR NOT isfinite(priceTicks) THEN ${BAD.priceTicks} ELSE 0 END`,
      `CASE WHEN src_qty IS NULL THEN ${BAD.missingQty} WHEN qtyLots IS NULL OR NOT isfinite(qtyLots) THEN ${BAD.qtyLots} ELSE 0 END`,
      `CASE WHEN src_seq IS NULL OR seq IS NULL OR NOT isfinite(seq) THEN ${BAD.seq} ELSE 0 END`,
      `CASE WHEN src_pu IS NOT NULL AND (pu_value IS NULL OR NOT isfinite(pu_value)) THEN ${BAD.aux} ELSE 0 END`,
    ];
    const types: Record<string, string> = { exchTs: "BIGINT", localTs: "BIGINT", kind: "UTINYINT", side: "TINYINT", flags: "USMALLINT", instrument: "USMALLINT", priceTicks: "DOUBLE", qtyLots: "DOUBLE", orderId: "DOUBLE", seq: "DOUBLE", aux: "DOUBLE" };
    const outer = TICK_COLUMN_NAMES.map((n) => (n === "localTs" ? "CAST(exchTs AS BIGINT) AS localTs" : `CAST(${n} AS ${types[n]}) AS ${n}`)).join(", ");
    const { staged, rejected } = await stageCsv(connection, source, (from) => `SELECT ${outer}, CAST(${bits.join(" | ")} AS UINTEGER) AS bad FROM (${inner(from)})`, { format: "binance-csv", ...(options.shared ? { shared: true } : {}), ...(options.progress ? { progress: options.progress } : {}) });
    const withClears = insertClears(staged);
    const c = withClears.staged.columns;
    markGroupEnds(c, withClears.staged.length, (a, b) => c.kind[a] !== EventKind.Clear && c.seq[a] === c.seq[b] && (c.flags[a]! & EventFlag.Snapshot) === (c.flags[b]! & EventFlag.Snapshot));
    return await finishStaged(withClears.staged, {
      file: path,
      format: "binance-csv",
      instruments,
      onBadRows,
      sourceColumns: { exchTs: "timestamp", side: "side", flags: "update_type", instrument: "symbol", priceTicks: "price", qtyLots: "qty", seq: "last_update_id", aux: "pu" },
      sourceRow: (i) => withClears.origin?.[i] ?? i,
      sequence: "linked",
      ...csvFinishOptions(source, rejected),
    });
  } finally {
    connection?.closeSync();
    await source.release();
  }
}

function insertClears(staged: Staged): { staged: Staged; origin?: Int32Array } {
  const { columns, length } = staged;
  const starts: number[] = [];
  for (let i = 0; i < length; i++) {
    const snap = (columns.flags[i]! & EventFlag.Snapshot) !== 0;
    if (snap && (i === 0 || (columns.flags[i - 1]! & EventFlag.Snapshot) === 0 || columns.seq[i - 1] !== columns.seq[i])) starts.push(i);
  }
  if (starts.length === 0) return { staged };
  return insertClearRows(staged, starts, EventFlag.Snapshot | EventFlag.BadTimestamp | EventFlag.Last);
}
