/**
 * The collector's clock offset: how far a capture's receive clock (`localTs`) runs behind the
 * exchange's (`exchTs`). A message cannot arrive before it was sent, so a receive time below the
 * exchange time means the receiving machine's clock is behind. The estimate for a stream is the
 * largest amount by which its receive time trails its exchange time (minus the minimum of
 * `localTs − exchTs` over its rows; 0 when no row trails). Adding it to every receive time makes
 * the fastest message's feed latency exactly zero and every other one positive.
 *
 * Limits: the estimate is a lower bound of the true offset (the true one also hides the fastest
 * message's real latency, which no single clock can tell apart); it assumes a constant offset, so
 * a drifting clock (NTP slewing over hours) leaves the rows near the largest gap at zero latency
 * and the others with their drift added; a single row with a damaged exchange time far in the
 * future inflates it (validate() flags such rows first). Rows flagged `BadTimestamp` have no real
 * receive time and are skipped.
 */
import { LabError } from "../core/index.js";
import { EventFlag, tickBatch, TICK_COLUMN_NAMES, type TickBatch, type TickColumns } from "./tick-batch.js";

export interface ClockOffsetEstimate {
  /** Per instrument index of the batch (instruments with the same venue and symbol share one): ns to add to `localTs`, ≥ 0. */
  byInstrument: number[];
  /** The largest of them. */
  maxNs: number;
  /** Per instrument index: rows whose receive time is below their exchange time (what a run with `feedLatencyNs: "data"` raises). */
  rowsBehind: number[];
  /** Rows with a real receive time. */
  rowsTimed: number;
}

/** Estimates each stream's clock offset (see the module comment). */
export function estimateClockOffset(batch: TickBatch): ClockOffsetEstimate {
  const n = batch.length;
  const nInst = Math.max(1, batch.instruments.length);
  const streamOf = new Uint16Array(nInst);
  const first = new Map<string, number>();
  batch.instruments.forEach((s, k) => {
    const key = `${s.venue}\u0000${s.symbol}`;
    if (!first.has(key)) first.set(key, k);
    streamOf[k] = first.get(key)!;
  });
  // exch − local per row from the 32-bit words: exact for differences below 2^53 ns (104 days),
  // and no BigInt per row
  const eHi = new Int32Array(batch.exchTs.buffer, batch.exchTs.byteOffset, 2 * n);
  const eLo = new Uint32Array(batch.exchTs.buffer, batch.exchTs.byteOffset, 2 * n);
  const lHi = new Int32Array(batch.localTs.buffer, batch.localTs.byteOffset, 2 * n);
  const lLo = new Uint32Array(batch.localTs.buffer, batch.localTs.byteOffset, 2 * n);
  const { flags, instrument } = batch;
  const lead = new Float64Array(nInst);
  const behind = new Float64Array(nInst);
  let timed = 0;
  for (let i = 0; i < n; i++) {
    if ((flags[i]! & EventFlag.BadTimestamp) !== 0) continue;
    timed++;
    const d = (eHi[2 * i + 1]! - lHi[2 * i + 1]!) * 4294967296 + (eLo[2 * i]! - lLo[2 * i]!);
    if (d > 0) {
      const s = streamOf[instrument[i]! < nInst ? instrument[i]! : 0]!;
      behind[s]!++;
      if (d > lead[s]!) lead[s] = d;
    }
  }
  const byInstrument: number[] = [];
  const rowsBehind: number[] = [];
  let maxNs = 0;
  for (let k = 0; k < nInst; k++) {
    byInstrument.push(lead[streamOf[k]!]!);
    rowsBehind.push(k === streamOf[k] ? behind[k]! : 0);
    if (lead[k]! > maxNs) maxNs = lead[k]!;
  }
  return { byInstrument, maxNs, rowsBehind, rowsTimed: timed };
}

/** What a user passes: "auto" (estimate from the data), a number of ns (every instrument), or one number per instrument index. */
export type ClockOffsetOption = "auto" | number | readonly number[];

/** The offset per instrument index for an option value; checks it. */
export function clockOffsetsFor(batch: TickBatch, option: ClockOffsetOption, where = "clockOffsetNs"): number[] {
  if (option === "auto") return estimateClockOffset(batch).byInstrument;
  const bad = (got: string): LabError =>
    new LabError({ code: "BAD_OPTION", message: `${where}: must be "auto", a whole number of ns or one per instrument, got ${got}`, hint: 'e.g. clockOffsetNs: "auto" (estimated from the data) or 1_273_000_000', context: { option: where } });
  const n = Math.max(1, batch.instruments.length);
  const values = typeof option === "number" ? new Array<number>(n).fill(option) : Array.isArray(option) ? [...option] : undefined;
  if (!values) throw bad(JSON.stringify(option));
  if (values.length !== n) throw bad(`${values.length} values for ${n} instruments`);
  for (const v of values) if (typeof v !== "number" || !Number.isSafeInteger(v)) throw bad(String(v));
  return values;
}

/**
 * The batch with `offsets[instrument]` ns added to every receive time (rows flagged BadTimestamp
 * keep theirs). A new batch sharing every other column; the input is not changed.
 */
export function shiftLocalTimes(batch: TickBatch, offsets: readonly number[]): TickBatch {
  if (offsets.every((o) => o === 0)) return batch;
  const big = offsets.map((o) => BigInt(o));
  const local = new BigInt64Array(batch.length);
  const { flags, instrument, localTs } = batch;
  const last = big.length - 1;
  for (let i = 0; i < local.length; i++) {
    const k = instrument[i]!;
    local[i] = (flags[i]! & EventFlag.BadTimestamp) !== 0 ? localTs[i]! : localTs[i]! + big[k <= last ? k : 0]!;
  }
  const cols = {} as Record<string, unknown>;
  for (const name of TICK_COLUMN_NAMES) cols[name] = name === "localTs" ? local : batch[name];
  return tickBatch(cols as unknown as TickColumns, batch.instruments, batch.source);
}
