/**
 * Session boundaries of a multi-day run (backtest option `session`): the venue closes at each
 * session's close and opens at the next session's open, in the venue's time zone
 * (src/core/trading-hours.ts). At a close the simulated exchange cancels every order resting there
 * (a day order's end, reason `SessionClosed`; the strategy hears of it after the response latency
 * like any cancel), and until the next open it rejects new orders and modifies (reason
 * `MarketClosed`). Market data keeps flowing: books are rebuilt by the data, e.g. from each day's
 * opening snapshot (a `Clear` row and its `Snapshot` levels). "24x7" (or no option) never closes.
 * A boundary at the same time as a data row comes first: sessions are [open, close).
 */
import { nextSessionBoundary, sessionOpenAt, type TradingHours } from "../core/index.js";
import type { TimeBase } from "./clock.js";

/** What the session clock drives: the exchange's open/closed state per instrument. */
export interface SessionTarget {
  closeSession(k: number, t: number): void;
  openSession(k: number): void;
}

/** The next session boundary in the loop's time (ns since the run's time base), and firing it. */
export class SessionClock {
  /** Time of the next boundary (Infinity: none). */
  nextT = Infinity;
  private opensNext = false;
  /** Boundaries passed (closes and opens), for the diagnostics. */
  closes = 0;

  constructor(
    private readonly hours: TradingHours | undefined,
    private readonly time: TimeBase,
    private readonly instruments: number,
  ) {}

  /** Sets the state at the run's start `t` (closed when it starts outside a session) and finds the next boundary. */
  start(t: number, target: SessionTarget): void {
    if (!this.hours) return;
    const at = this.time.toBigInt(Math.floor(t));
    if (!sessionOpenAt(this.hours, at)) for (let k = 0; k < this.instruments; k++) target.closeSession(k, t);
    this.schedule(at);
  }

  /** Fires the boundary at `nextT`. */
  fire(target: SessionTarget): void {
    const t = this.nextT;
    for (let k = 0; k < this.instruments; k++) {
      if (this.opensNext) target.openSession(k);
      else target.closeSession(k, t);
    }
    if (!this.opensNext) this.closes++;
    this.schedule(this.time.toBigInt(t));
  }

  private schedule(afterNs: bigint): void {
    const next = nextSessionBoundary(this.hours!, afterNs);
    if (!next) {
      this.nextT = Infinity;
      return;
    }
    this.nextT = Number(next.atNs - this.time.base);
    this.opensNext = next.opens;
  }
}
