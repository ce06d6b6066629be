/**
 * The receipt rule of a paper session handing rows over on receipt (`handover: "receipt"`,
 * docs/live.md). A backtest hands a row to the strategy only once the next row's time is known,
 * because a row received later may carry an earlier exchange time, which the simulated exchange
 * must apply first. On a live feed the next row is the next message, so the strategy would see
 * each message only when the following one arrives. The rule removes that wait:
 *
 *   a row reaches the simulated exchange no earlier than 1 ns after the strategy's clock for the
 *   rows received before it: exchange time' = max(exchange time, 1 + the latest receive time, as
 *   the engine reads it, of the rows with an earlier receive time).
 *
 * Receive times as the engine reads them are the rows' receive times plus `clockOffsetNs`, raised
 * to their (raised) exchange time and never decreasing. Rows received at one instant (one frame,
 * or a snapshot with the diffs it releases) share their lower bound; the first row of each piece
 * the feed delivers starts a new instant (two frames of a piece with equal stamps are one, a
 * capture with equal stamps on both sides of a piece boundary is the only case where the rule
 * depends on how frames were grouped). After a piece, every later row's exchange time is at least
 * 1 ns past everything the engine has read, which is the horizon `backtestStream` takes to process
 * the piece at once (`TickChunkSource.horizonAfter`).
 *
 * On a live feed's own receive times the session's clock also moves with the wall clock while no
 * rows arrive (`advanceTo`, paper option idleTickMs): later rows reach the exchange no earlier
 * than that clock. Without those steps (a stamped replay, or idleTickMs 0) the rule depends only
 * on the rows, so a session on receipt equals `lab.backtest` over its rows with the rule applied
 * (test/live/receipt.test.ts). What it changes: an order that reaches the
 * exchange at time A is matched against the market events received by A, not against those the
 * venue sent before A that were still on the wire.
 */
import { EventFlag, type TickBatch } from "../data/index.js";
import { roomyCopy, roomyEmpty, withFrontRoom } from "./rows.js";

const TWO32 = 4294967296;

/** The running state of the rule over one session's rows (times in ns since the first row's exchange time, exact below 2^53). */
export class ReceiptClock {
  private baseHi = 0;
  private baseLo = 0;
  private base: bigint | undefined;
  /** The latest receive time the engine has read, ns since the base. */
  private latest = -Infinity;
  private readonly horizons = new WeakMap<TickBatch, bigint>();
  /** Rows whose exchange time the rule raised. */
  raised = 0;

  constructor(private readonly clockOffsetNs: number) {}

  /**
   * `rows` for the run `run` with the rule applied: the feed's batch when nothing is raised, else
   * a copy the run owns (other sessions and listeners on the feed keep the feed's times).
   */
  apply(rows: TickBatch, run: object): TickBatch {
    const n = rows.length;
    if (n === 0) return withFrontRoom(rows, run);
    // Read from the feed's rows; a copy is made (and written) only once a row is raised.
    let out: TickBatch | undefined;
    if (this.base === undefined) {
      this.base = rows.exchTs[0]!;
      this.baseHi = Number(BigInt.asIntN(32, this.base >> 32n));
      this.baseLo = Number(BigInt.asUintN(32, this.base));
    }
    const hi = this.baseHi;
    const lo = this.baseLo;
    let ew = new Int32Array(rows.exchTs.buffer, rows.exchTs.byteOffset, 2 * n);
    const lw = new Int32Array(rows.localTs.buffer, rows.localTs.byteOffset, 2 * n);
    const flags = rows.flags;
    const offset = this.clockOffsetNs;
    let latest = this.latest;
    let floor = latest + 1;
    let prevReceived = NaN;
    for (let i = 0; i < n; i++) {
      const received = (lw[2 * i + 1]! - hi) * TWO32 + ((lw[2 * i]! >>> 0) - lo) + offset;
      // A new receive instant: its rows come after everything the engine has read.
      if (i > 0 && received !== prevReceived) floor = latest + 1;
      prevReceived = received;
      let e = (ew[2 * i + 1]! - hi) * TWO32 + ((ew[2 * i]! >>> 0) - lo);
      if (e < floor) {
        if (out === undefined) {
          out = roomyCopy(rows, run);
          ew = new Int32Array(out.exchTs.buffer, out.exchTs.byteOffset, 2 * n);
        }
        e = floor;
        const eHi = Math.floor(e / TWO32);
        const wLo = lo + (e - eHi * TWO32);
        const carry = wLo >= TWO32 ? 1 : 0;
        ew[2 * i] = (wLo - carry * TWO32) | 0;
        ew[2 * i + 1] = (hi + eHi + carry) | 0;
        this.raised++;
      }
      // As the engine reads it (data receive times): raised to the exchange time, except rows only the exchange sees.
      const read = received < e && (flags[i]! & EventFlag.ExchangeOnly) === 0 ? e : received;
      if (read > latest) latest = read;
    }
    this.latest = latest;
    const given = out ?? withFrontRoom(rows, run);
    this.horizons.set(given, this.base + BigInt(latest + 1));
    return given;
  }

  /**
   * The session's clock has reached `ns` (ns since the epoch, as the engine reads receive times)
   * with no new rows: every later row reaches the exchange at or after it. Returns a batch of no
   * rows whose horizon is `ns`, or undefined when that moves nothing (or before the first rows).
   */
  advanceTo(ns: bigint, run: object, instruments: TickBatch["instruments"], source: string): TickBatch | undefined {
    if (this.base === undefined) return undefined;
    const at = Number(ns - this.base) - 1;
    if (!(at > this.latest)) return undefined;
    this.latest = at;
    const empty = roomyEmpty(instruments, source, run);
    this.horizons.set(empty, this.base + BigInt(at + 1));
    return empty;
  }

  /** Every row after `rows` (as `apply` returned it) reaches the exchange at or after this, ns since the epoch. */
  horizonAfter(rows: TickBatch): bigint | undefined {
    return this.horizons.get(rows);
  }
}
