/**
 * The event loop. Five kinds of sources, each already in time order:
 *   per instrument: the exchange's feed cursor (exchange time) and the local feed cursor
 *   (receive time); the request channel (arrival at the exchange); the response channel and
 *   local notices (arrival at the strategy); the timer heap (local time).
 * Each step takes the earliest; equal times go in this order: exchange feed (by instrument),
 * request arrivals, responses, local notices, local feed (by instrument), timers. So an order
 * arriving at t sees every exchange event stamped ≤ t, and a strategy at local time t has seen
 * every row received ≤ t. Exchange and local each keep their own books (the exchange's without
 * feed latency), as hftbacktest's two processors do.
 *
 * Equity is sampled on a fixed grid (multiples of the interval since the epoch) and after every
 * fill. A grid sample at s reflects exactly the events with time ≤ s.
 */
import { LabError, Progress, rng, type InstrumentSpec } from "../core/index.js";
import { L2Book, L3Book } from "../book/index.js";
import { EventFlag } from "../data/index.js";
import type { SimBook, SimL3Book } from "./book-types.js";
import { RequestQueue, ResponseQueue, TimerHeap } from "./channels.js";
import { TimeBase } from "./clock.js";
import { ExchangeSim, type ExchangeHooks } from "./exchange.js";
import { LocalView } from "./local.js";
import { MarkoutSampler } from "./markouts.js";
import type { FeedLatencyModel } from "./latency.js";
import type { NormalizedOptions } from "./options.js";
import { EquityRecorder, FillRecorder, Portfolio } from "./portfolio.js";
import { l3Fifo, riskAverse, type QueueModel } from "./queue/index.js";
import type { Stream } from "./streams.js";
import type { StrategyHandlers } from "./strategy-types.js";
import { SessionClock } from "./sessions.js";
import { OrderTickets } from "./tickets.js";


/** The session clock of a run without sessions (never fires). */
const NO_SESSIONS = new SessionClock(undefined, new TimeBase(0n), 0);

export interface RawRun {
  time: TimeBase;
  instruments: InstrumentSpec[];
  l3: boolean;
  queue: QueueModel;
  tickets: OrderTickets;
  exchange: ExchangeSim;
  local: LocalView;
  portfolio: Portfolio;
  fills: FillRecorder;
  equity: EquityRecorder;
  markouts: MarkoutSampler;
  /** The exchange-side books at the end of the run (their counters feed the diagnostics). */
  exchangeBooks: readonly SimBook[];
  events: number;
  feedClamped: number;
  /** Per stream: ns added to its receive times (option clockOffsetNs). */
  clockOffsets: number[];
  startT: number;
  endT: number;
  wallMs: number;
}

/**
 * Work that reads the input rows alongside the loop (the input check): `advance(events)` is called
 * before each chunk of `events` events, so it reads the rows the chunk is about to read.
 */
export interface ChunkCompanion {
  advance(events: number): void;
}

export function runLoop(streams: readonly Stream[], instruments: InstrumentSpec[], time: TimeBase, handlers: StrategyHandlers, params: Readonly<Record<string, number | boolean | string>>, opts: NormalizedOptions, companion?: ChunkCompanion, clockOffsets: readonly number[] = []): RawRun {
  const run = setupRun(streams, instruments, time, handlers, params, opts, clockOffsets);
  const { loop, progress } = run;
  // Chunks of events per call: the hot loop lives in a method that is called many times, so an
  // engine deoptimization (the first order, the first fill) is followed by a re-optimization
  // instead of leaving one long-running loop in slow code.
  // Short first chunks (1, 2, 4, ... events) let the code after the loop run before V8 compiles
  // the loop in the middle of a long chunk: compiled that way (on-stack), it bails out at every
  // chunk end yet stays in use, allocating ~110 B/event at ~60 % speed. Whether that happened
  // depended on when the background compiler finished, i.e. on machine load.
  for (let budget = 1; ; budget = Math.min(2 * budget, 65536)) {
    companion?.advance(budget);
    if (!loop.run(budget)) break;
    progress?.update(loop.position());
  }
  return run.finish();
}

/** A run set up and not yet driven: `loop.run(budget)` until it returns false, then `finish()`. */
export interface RunInProgress {
  loop: FeedLoop;
  progress: Progress | undefined;
  finish(): RawRun;
}

/**
 * Everything before the loop runs: books, channels, portfolio, the strategy's start. `totalRows`
 * is the data's length when the streams are windows of a longer source (streaming), for the
 * equity grid's budget and progress.
 */
export function setupRun(streams: readonly Stream[], instruments: InstrumentSpec[], time: TimeBase, handlers: StrategyHandlers, params: Readonly<Record<string, number | boolean | string>>, opts: NormalizedOptions, clockOffsets: readonly number[] = [], totalRows?: number): RunInProgress {
  const wallStart = performance.now();
  const n = streams.length;
  const anyL3 = streams.some((s) => s.l3);
  const l3 = opts.book === "l3" || (opts.book === "auto" && anyL3);
  if (opts.book === "auto" && anyL3 && streams.some((s) => !s.l3)) {
    throw new LabError({ code: "MIXED_BOOKS", message: "some instruments have order-by-order (L3) rows and others only price levels", hint: 'backtest them separately, or force book: "l2" for all', context: {} });
  }
  const queue = opts.queue ?? (l3 ? l3Fifo() : riskAverse());
  if (queue.kind === "l3" && !l3) throw new LabError({ code: "QUEUE_NEEDS_L3", message: `queue model ${queue.name} needs order-by-order (L3) data`, hint: 'use queue: "riskAverse", "prob" or "log" on L2 data', context: {} });
  if (queue.kind === "l2" && l3) throw new LabError({ code: "QUEUE_NEEDS_L2", message: `queue model ${queue.name} estimates queue position from price levels, but the data is order-by-order`, hint: 'use queue: "l3Fifo" (exact FIFO) on L3 data, or book: "l2"', context: {} });

  const makeBook = (): SimBook => (l3 ? (new L3Book({ venueRules: opts.venueRules }) as SimL3Book) : new L2Book());
  const exchBooks = streams.map(makeBook);
  const localBooks = streams.map(makeBook);

  const random = rng(opts.seed);
  opts.latency.start?.(random.fork(1));
  if (opts.feed !== "data") opts.feed.start?.(random.fork(2));

  const tickets = new OrderTickets();
  const requests = new RequestQueue();
  const responses = new ResponseQueue();
  const notices = new ResponseQueue();
  const timers = new TimerHeap();
  const portfolio = new Portfolio(instruments, opts.fees, opts.initialCash);
  const fills = new FillRecorder();
  const equity = new EquityRecorder(n);

  const markouts = new MarkoutSampler(opts.markoutHorizonsNs, fills, exchBooks);
  const sampler = new EquitySampler(exchBooks, portfolio, equity, markouts);
  const exchange = new ExchangeSim({ books: exchBooks, l3, queue, latency: opts.latency, tickets, requests, responses, portfolio, fills, hooks: sampler, fillModel: opts.fills });
  const local = new LocalView(localBooks, instruments, { handlers, params }, { time, tickets, requests, responses, notices, timers }, opts);
  streams.forEach((s, k) => {
    if (s.l3 && !s.hasTrades) local.executionsAreTrades[k] = 1;
  });

  const feedModel = opts.feed === "data" ? null : opts.feed;
  const fastForwardTo = opts.startAt === undefined ? undefined : time.fromBigInt(opts.startAt, "startAt");
  const localBases = streams.map((_, k) => (clockOffsets[k] ? new TimeBase(time.base - BigInt(clockOffsets[k]!)) : time));
  const totalEvents = totalRows ?? streams.reduce((a, s) => a + s.length, 0);
  const loop = new FeedLoop(streams, time, feedModel, exchange, local, requests, responses, notices, timers, opts.equityIntervalNs, sampler, markouts, fastForwardTo, localBases, totalEvents);
  const startT = loop.startT;
  loop.sessions = new SessionClock(opts.session, time, n);
  loop.sessions.start(startT, exchange);
  const progress = opts.progress ? new Progress("backtest", opts.progress, { total: totalEvents, unit: "events" }) : undefined;

  sampler.sample(startT, -2);
  local.start(startT);
  const finish = (): RawRun => {
    const endT = loop.endT;
    let nextSample = loop.nextSample;
    const interval = opts.equityIntervalNs;
    const feedClamped = loop.feedClamped;
    while (nextSample <= endT && endT !== Infinity) {
      sampler.sample(nextSample, -1);
      nextSample += interval;
    }
    if (equity.t[equity.length - 1] !== endT) sampler.sample(endT, -2);
    markouts.finish(endT);
    local.end(endT);
    // the last stretch of events ran after the last report
    progress?.update(loop.position());
    progress?.finish();
    return { time, instruments, l3, queue, tickets, exchange, local, portfolio, fills, equity, markouts, exchangeBooks: exchBooks, events: totalEvents, feedClamped, clockOffsets: streams.map((_, k) => clockOffsets[k] ?? 0), startT, endT, wallMs: performance.now() - wallStart };
  };
  return { loop, progress, finish };
}

/**
 * Equity samples (on the grid and after each fill) marked at the exchange books' mids. A class
 * rather than closures made per run: the loop's call targets are then the same functions in every
 * run, so an optimizer worker's next trial reuses the optimized loop instead of deoptimizing on a
 * new closure.
 */
/**
 * Equity samples a run may take beyond twice its rows. The grid is sized by the data's time span,
 * not its rows: one timestamp a flipped byte moved by years would otherwise make a grid of
 * hundreds of millions of samples and exhaust memory. 5M samples is 58 days at one per second.
 */
const EQUITY_SAMPLE_BUDGET = 5_000_000;

function equitySpanError(startT: number, interval: number, t: number): LabError {
  const days = (t - startT) / 86_400e9;
  return new LabError({
    code: "TIME_SPAN_TOO_LONG",
    message: `the data reaches ${days.toFixed(1)} days past the run's start: an equity sample every ${interval} ns over that span would take ${Math.round((t - startT) / interval).toLocaleString("en-US")} samples, more than the data's rows justify`,
    hint: "check the data's timestamps (lab.data.validate(batch) reports times out of order; a damaged file can carry one far-off time), or pass a larger equityIntervalNs for a run that really spans months",
    context: { option: "equityIntervalNs", spanNs: t - startT },
  });
}

class EquitySampler implements ExchangeHooks {
  private readonly marks: Float64Array;

  constructor(
    private readonly books: readonly SimBook[],
    private readonly portfolio: Portfolio,
    private readonly equity: EquityRecorder,
    private readonly markouts: MarkoutSampler,
  ) {
    this.marks = new Float64Array(books.length).fill(NaN);
  }

  sample(t: number, fillIndex: number): void {
    const marks = this.marks;
    for (let k = 0; k < marks.length; k++) {
      const b = this.books[k]!;
      const mid = (b.bestBid() + b.bestAsk()) / 2;
      if (mid === mid) marks[k] = mid;
    }
    this.equity.push(t, this.portfolio.equity(marks), fillIndex, this.portfolio.positionLots, marks);
  }

  afterFill(t: number, fillIndex: number): void {
    this.sample(t, fillIndex);
    this.markouts.onFill(fillIndex);
  }
}

/**
 * The scheduler: cursors over the feeds plus the channels and timers, advanced in time order (see
 * the module comment for the order at equal times). State lives in fields so `run` can return
 * after a chunk and be called again.
 */
export class FeedLoop {
  readonly n: number;
  // Times are double fields from the start (NaN first; see Account.cash in context/account.ts).
  readonly startT = NaN;
  endT = NaN;
  nextSample = NaN;
  /** Past this time the equity grid would outgrow the data (see EQUITY_SAMPLE_BUDGET). */
  sampleLimitT = NaN;
  feedClamped = 0;
  private cursorsLeft: number;
  // Per-instrument cursors (generic path).
  private readonly exPos: Int32Array;
  private readonly exRow: Int32Array;
  private readonly exT: Float64Array;
  private readonly loPos: Int32Array;
  private readonly loRow: Int32Array;
  private readonly loT: Float64Array;
  private readonly loFeed: Float64Array;
  private readonly hasLast: boolean[];

  /**
   * Set when `run` stopped because a stream's window (streaming: `Stream.final` false) ends before
   * its cursors can go on: the driver adds rows with `replaceWindow`, clears it, and runs again.
   */
  needMore = false;
  /**
   * A lower bound on the times of the rows not yet in the window (streaming, one instrument; NaN:
   * none known). With it a cursor takes its window's last row and then waits at the bound, so
   * every event before it is processed without the next row (a live source that is caught up).
   */
  horizon = NaN;
  /** Session boundaries (backtest option `session`; none unless set). */
  sessions: SessionClock = NO_SESSIONS;
  /** Per stream: rows of the data before its current window (streaming), for positions. */
  private readonly rowOffset: Float64Array;
  private readonly streams: Stream[];

  constructor(
    streams: readonly Stream[],
    private readonly time: TimeBase,
    private readonly feedModel: FeedLatencyModel | null,
    private readonly exchange: ExchangeSim,
    private readonly local: LocalView,
    private readonly requests: RequestQueue,
    private readonly responses: ResponseQueue,
    private readonly notices: ResponseQueue,
    private readonly timers: TimerHeap,
    private readonly interval: number,
    private readonly sampler: EquitySampler,
    private readonly markouts: MarkoutSampler,
    fastForwardTo: number | undefined,
    /**
     * Per stream: the time base its receive times are read against, `time` moved back by the
     * collector's clock offset, so a receive time reads as local + offset (option clockOffsetNs).
     */
    private readonly localBases: readonly TimeBase[],
    totalRows: number,
  ) {
    const n = streams.length;
    this.n = n;
    this.streams = [...streams];
    this.rowOffset = new Float64Array(n);
    this.exPos = new Int32Array(n);
    this.exRow = new Int32Array(n);
    this.exT = new Float64Array(n).fill(-Infinity);
    this.loPos = new Int32Array(n);
    this.loRow = new Int32Array(n);
    this.loT = new Float64Array(n).fill(-Infinity);
    this.loFeed = new Float64Array(n);
    this.hasLast = streams.map((s) => s.hasLast);
    // The run starts when the strategy first sees data: nothing can trade before that.
    let startT = Infinity;
    for (let k = 0; k < n; k++) {
      this.advanceExch(k);
      this.advanceLocal(k);
    }
    // The data's first receive time, before any fast-forward: the origin of ctx.every grids that start at the first row.
    local.firstRowT = Math.min(...this.loT);
    if (fastForwardTo !== undefined) this.fastForward(fastForwardTo);
    let cursorsLeft = 0;
    for (let k = 0; k < n; k++) {
      startT = Math.min(startT, this.loT[k]!);
      if (this.exT[k] !== Infinity) cursorsLeft++;
      if (this.loT[k] !== Infinity) cursorsLeft++;
    }
    if (startT === Infinity) {
      throw new LabError({ code: "START_AFTER_DATA", message: "backtest option startAt is after the last row of the data", hint: "pick a start time inside the data's time range", context: { option: "startAt" } });
    }
    this.startT = startT;
    // The run ends with the last feed row (exchange or local); later requests, responses and
    // timers are not processed.
    this.endT = startT;
    this.cursorsLeft = cursorsLeft;
    // Grid samples on multiples of the interval since the epoch.
    const intervalBig = BigInt(interval);
    const firstGrid = ((time.base + BigInt(Math.max(0, startT)) + intervalBig - 1n) / intervalBig) * intervalBig;
    let next = Number(firstGrid - time.base);
    if (next < startT) next += interval;
    this.nextSample = next;
    this.sampleLimitT = startT + interval * Math.max(EQUITY_SAMPLE_BUDGET, 2 * totalRows);
  }

  /**
   * Replays rows into the books only: the exchange's up to exchange time `t` (exclusive), the
   * strategy's up to receive time `t`. Both cursors keep their running-maximum clocks, so the
   * first rows after `t` are timed exactly as in a run from the first row; with no order yet,
   * the exchange does nothing but apply rows (and note trading halts).
   */
  private fastForward(t: number): void {
    for (let k = 0; k < this.n; k++) {
      const batch = this.streams[k]!.batch;
      if (this.streams[k]!.rows === null && this.feedModel === null) {
        this.fastForwardPlain(k, t);
        continue;
      }
      while (this.exT[k]! < t) {
        const r = this.exRow[k]!;
        const at = this.exT[k]!;
        this.advanceExch(k);
        this.exchange.rowTime[0] = at;
        this.exchange.processRow(k, batch, r);
      }
      while (this.loT[k]! < t) {
        const r = this.loRow[k]!;
        const feed = this.loFeed[k]!;
        this.advanceLocal(k);
        this.local.applySilently(k, batch, r, feed);
      }
    }
  }

  /**
   * `fastForward` for a stream that is a whole batch with the data's own receive times: the same
   * cursor rules with the state in local variables (the generic path costs about as much as the
   * main loop; this one roughly halves it).
   */
  private fastForwardPlain(k: number, t: number): void {
    const s = this.streams[k]!;
    const batch = s.batch;
    const len = s.length;
    const ew = s.exchWords;
    const lw = s.localWords;
    const hi = this.time.hi;
    const lo = this.time.lo;
    const exchange = this.exchange;
    const exchangeTime = exchange.rowTime;
    let p = this.exPos[k]!;
    let r = this.exRow[k]!;
    let et = this.exT[k]!;
    while (et < t) {
      exchangeTime[0] = et;
      exchange.processRow(k, batch, r);
      if (p >= len) {
        et = Infinity;
        break;
      }
      r = p++;
      const x = (ew[2 * r + 1]! - hi) * 4294967296 + ((ew[2 * r]! >>> 0) - lo);
      if (x > et) et = x;
    }
    this.exPos[k] = p;
    this.exRow[k] = r;
    this.exT[k] = et;

    const local = this.local;
    let lp = this.loPos[k]!;
    let lr = this.loRow[k]!;
    let lt = this.loT[k]!;
    let lf = this.loFeed[k]!;
    let clamped = this.feedClamped;
    const lhi = this.localBases[k]!.hi;
    const llo = this.localBases[k]!.lo;
    while (lt < t) {
      local.applySilently(k, batch, lr, lf);
      if (lp >= len) {
        lt = Infinity;
        break;
      }
      lr = lp++;
      const x = (ew[2 * lr + 1]! - hi) * 4294967296 + ((ew[2 * lr]! >>> 0) - lo);
      let y = (lw[2 * lr + 1]! - lhi) * 4294967296 + ((lw[2 * lr]! >>> 0) - llo);
      // An exchange-only row (hftbacktest's split rows) is never received: its receive time is a filler, not raised.
      if (y < x && (batch.flags[lr]! & EventFlag.ExchangeOnly) === 0) {
        y = x;
        clamped++;
      }
      if (y < lt) y = lt;
      lt = y;
      lf = y - x;
    }
    this.loPos[k] = lp;
    this.loRow[k] = lr;
    this.loT[k] = lt;
    this.loFeed[k] = lf;
    this.feedClamped = clamped;
  }

  /** Events done so far, for progress: each row counts once both processors (exchange and strategy) have taken it, half when one has. */
  position(): number {
    let s = 0;
    for (let k = 0; k < this.n; k++) s += this.exPos[k]! + this.loPos[k]! + 2 * this.rowOffset[k]!;
    return Math.floor(s / 2);
  }

  /** Stream k's window (streaming). */
  window(k: number): Stream {
    return this.streams[k]!;
  }

  /**
   * Stream k's first row either cursor still needs (the rows before it are done): the row each
   * cursor holds pending (its next event), the smaller of the two.
   */
  firstNeededRow(k: number): number {
    return Math.min(this.exRow[k]!, this.loRow[k]!);
  }

  /** True when stream k's window ends where a cursor needs its next row (streaming). */
  windowExhausted(k: number): boolean {
    const s = this.streams[k]!;
    return !s.final && (this.exPos[k]! >= s.length || this.loPos[k]! >= s.length);
  }

  /**
   * Makes `stream` stream k's window: the old window's rows from `dropped` on, then new rows
   * (same order, same row semantics). Cursor positions move down by `dropped`.
   */
  replaceWindow(k: number, stream: Stream, dropped: number): void {
    // A cursor waiting at the horizon (position past its window) reads its next row once there is one.
    const exWaits = this.exPos[k]! > this.streams[k]!.length;
    const loWaits = this.loPos[k]! > this.streams[k]!.length;
    this.exPos[k] = this.exPos[k]! - dropped;
    this.exRow[k] = this.exRow[k]! - dropped;
    this.loPos[k] = this.loPos[k]! - dropped;
    this.loRow[k] = this.loRow[k]! - dropped;
    this.rowOffset[k] = this.rowOffset[k]! + dropped;
    this.local.rowBase[k] = this.rowOffset[k]!;
    this.streams[k] = stream;
    if (exWaits && (stream.final || this.exRow[k]! < stream.length)) {
      this.exPos[k] = this.exRow[k]!;
      this.advanceExch(k);
    }
    if (loWaits && (stream.final || this.loRow[k]! < stream.length)) {
      this.loPos[k] = this.loRow[k]!;
      this.advanceLocal(k);
    }
  }

  private advanceExch(k: number): void {
    const s = this.streams[k]!;
    const p = this.exPos[k]!;
    if (p >= s.length) {
      this.exT[k] = Infinity;
      return;
    }
    this.exPos[k] = p + 1;
    const r = s.rows === null ? p : s.rows[p]!;
    this.exRow[k] = r;
    const t = this.time.at(s.exchWords, r);
    if (t > this.exT[k]!) this.exT[k] = t;
  }

  private advanceLocal(k: number): void {
    const s = this.streams[k]!;
    const p = this.loPos[k]!;
    if (p >= s.length) {
      this.loT[k] = Infinity;
      return;
    }
    this.loPos[k] = p + 1;
    const r = s.rows === null ? p : s.rows[p]!;
    const et = this.time.at(s.exchWords, r);
    let t: number;
    if (this.feedModel === null) {
      t = this.localBases[k]!.at(s.localWords, r);
      // An exchange-only row (hftbacktest's split rows) is never received: its receive time is a filler, not raised.
      if (t < et && (s.batch.flags[r]! & EventFlag.ExchangeOnly) === 0) {
        t = et;
        this.feedClamped++;
      }
    } else {
      t = et + Math.max(0, Math.round(this.feedModel.feedNs(et)));
    }
    this.loRow[k] = r;
    if (t < this.loT[k]!) t = this.loT[k]!;
    this.loT[k] = t;
    this.loFeed[k] = t - et;
  }

  /** Processes up to `budget` events; false when the run is over. */
  run(budget: number): boolean {
    return this.n === 1 ? this.runSingle(budget) : this.runMulti(budget);
  }

  /** One instrument: the same scheduling with the cursors in local variables (the hot path). */
  private runSingle(budget: number): boolean {
    const st = this.streams[0]!;
    const batch = st.batch;
    const rows = st.rows;
    const len = st.length;
    const ew = st.exchWords;
    const lw = st.localWords;
    const flags = batch.flags;
    const last = st.hasLast;
    // A window of a longer source (streaming) stops where a cursor would need a row it lacks.
    const windowEnd = st.final ? Infinity : len;
    // With a horizon a cursor takes the window's last row and waits at the horizon (position len + 1).
    const horizon = st.final ? Infinity : this.horizon;
    const stopEnd = horizon === horizon ? Infinity : windowEnd;
    const bhi = this.time.hi;
    const blo = this.time.lo;
    const lhi = this.localBases[0]!.hi;
    const llo = this.localBases[0]!.lo;
    const { exchange, local, requests, responses, notices, timers, feedModel, interval, markouts, sampleLimitT, sessions } = this;
    const exchangeTime = exchange.rowTime;
    const localTime = local.rowTime;
    let ep = this.exPos[0]!;
    let er = this.exRow[0]!;
    let et = this.exT[0]!;
    let lp = this.loPos[0]!;
    let lr = this.loRow[0]!;
    let lt = this.loT[0]!;
    let lf = this.loFeed[0]!;
    // A cursor waiting at the horizon moves with it (the source raised it without new rows).
    if (ep > len && horizon > et) et = horizon;
    if (lp > len && horizon > lt) lt = horizon;
    let endT = this.endT;
    let nextSample = this.nextSample;
    let clamped = this.feedClamped;
    let more = true;
    for (let steps = 0; steps < budget; steps++) {
      if (ep >= stopEnd || lp >= stopEnd) {
        this.needMore = true;
        break;
      }
      let t = et;
      let src = 1;
      const rq = requests.nextT();
      if (rq < t) {
        t = rq;
        src = 2;
      }
      const rs = responses.nextT();
      if (rs < t) {
        t = rs;
        src = 3;
      }
      const nt = notices.nextT();
      if (nt < t) {
        t = nt;
        src = 4;
      }
      if (lt < t) {
        t = lt;
        src = 5;
      }
      const tm = timers.nextT();
      if (tm < t) {
        t = tm;
        src = 6;
      }
      // A session boundary comes before any event at its time (sessions are [open, close)).
      const ss = sessions.nextT;
      if (ss <= t && ss !== Infinity) {
        t = ss;
        src = 7;
      }
      if (t === Infinity || (src !== 1 && src !== 5 && et === Infinity && lt === Infinity && t > endT)) {
        more = false;
        break;
      }
      if ((src === 1 && ep > len) || (src === 5 && lp > len)) {
        this.needMore = true;
        break;
      }
      if (src === 1 || src === 5) endT = t;
      while (nextSample < t) {
        if (t > sampleLimitT) throw equitySpanError(this.startT, interval, t);
        this.sampler.sample(nextSample, -1);
        nextSample += interval;
      }
      if (markouts.nextT < t) markouts.sampleBefore(t);
      if (src === 1) {
        let now = t;
        // With no order resting, exchange rows cannot produce a response, so a run of them up to
        // the next other event (ties go to the exchange, as in the scheduler) needs no scheduling.
        let stop = now;
        if (exchange.restingOrders(0) === 0) {
          stop = lt < tm ? lt : tm;
          if (rq < stop) stop = rq;
          if (rs < stop) stop = rs;
          if (nt < stop) stop = nt;
          if (nextSample < stop) stop = nextSample;
          if (markouts.nextT < stop) stop = markouts.nextT;
          if (sessions.nextT <= stop) stop = sessions.nextT - 1;
        }
        for (;;) {
          const r = er;
          if (ep >= len) {
            if (horizon === Infinity) et = Infinity;
            else {
              if (horizon > et) et = horizon;
              er = len;
              ep = len + 1;
            }
          } else {
            er = rows === null ? ep : rows[ep]!;
            ep++;
            const x = (ew[2 * er + 1]! - bhi) * 4294967296 + ((ew[2 * er]! >>> 0) - blo);
            if (x > et) et = x;
          }
          exchangeTime[0] = now;
          exchange.processRow(0, batch, r);
          endT = now;
          if (et > stop || exchange.restingOrders(0) !== 0 || ep >= windowEnd) break;
          now = et;
        }
      } else if (src === 5) {
        const r = lr;
        const feed = lf;
        if (lp >= len) {
          if (horizon === Infinity) lt = Infinity;
          else {
            if (horizon > lt) lt = horizon;
            lr = len;
            lp = len + 1;
          }
        } else {
          lr = rows === null ? lp : rows[lp]!;
          lp++;
          const x = (ew[2 * lr + 1]! - bhi) * 4294967296 + ((ew[2 * lr]! >>> 0) - blo);
          let y: number;
          if (feedModel === null) {
            y = (lw[2 * lr + 1]! - lhi) * 4294967296 + ((lw[2 * lr]! >>> 0) - llo);
            // An exchange-only row (hftbacktest's split rows) is never received: its receive time is a filler, not raised.
            if (y < x && (flags[lr]! & EventFlag.ExchangeOnly) === 0) {
              y = x;
              clamped++;
            }
          } else {
            y = x + Math.max(0, Math.round(feedModel.feedNs(x)));
          }
          if (y < lt) y = lt;
          lt = y;
          lf = y - x;
        }
        localTime[0] = t;
        localTime[1] = feed;
        local.processRow(0, batch, r, last ? (flags[r]! & EventFlag.Last) !== 0 : lt !== t);
      } else if (src === 2) exchange.processRequest(t);
      else if (src === 3) local.processResponse(responses, t);
      else if (src === 4) local.processResponse(notices, t);
      else if (src === 7) sessions.fire(exchange);
      else local.fireTimer(t);
    }
    this.exPos[0] = ep;
    this.exRow[0] = er;
    this.exT[0] = et;
    this.loPos[0] = lp;
    this.loRow[0] = lr;
    this.loT[0] = lt;
    this.loFeed[0] = lf;
    this.endT = endT;
    this.nextSample = nextSample;
    this.feedClamped = clamped;
    return more;
  }

  private runMulti(budget: number): boolean {
    const { n, exT, loT, exRow, loRow, loFeed, requests, responses, notices, timers, exchange, local, streams, hasLast, interval, markouts } = this;
    const windowed = streams.some((s) => !s.final);
    for (let steps = 0; steps < budget; steps++) {
      if (windowed) {
        for (let k = 0; k < n; k++) {
          if (this.windowExhausted(k)) {
            this.needMore = true;
            return true;
          }
        }
      }
      let t = Infinity;
      let src = 0;
      let which = -1;
      for (let k = 0; k < n; k++) {
        const x = exT[k]!;
        if (x < t) {
          t = x;
          src = 1;
          which = k;
        }
      }
      const rq = requests.nextT();
      if (rq < t) {
        t = rq;
        src = 2;
      }
      const rs = responses.nextT();
      if (rs < t) {
        t = rs;
        src = 3;
      }
      const nt = notices.nextT();
      if (nt < t) {
        t = nt;
        src = 4;
      }
      for (let k = 0; k < n; k++) {
        const x = loT[k]!;
        if (x < t) {
          t = x;
          src = 5;
          which = k;
        }
      }
      const tm = timers.nextT();
      if (tm < t) {
        t = tm;
        src = 6;
      }
      const ss = this.sessions.nextT;
      if (ss <= t && ss !== Infinity) {
        t = ss;
        src = 7;
      }
      if (t === Infinity || (src !== 1 && src !== 5 && this.cursorsLeft === 0 && t > this.endT)) return false;
      if (src === 1 || src === 5) this.endT = t;
      while (this.nextSample < t) {
        if (t > this.sampleLimitT) throw equitySpanError(this.startT, interval, t);
        this.sampler.sample(this.nextSample, -1);
        this.nextSample += interval;
      }
      if (markouts.nextT < t) markouts.sampleBefore(t);
      switch (src) {
        case 1: {
          const r = exRow[which]!;
          this.advanceExch(which);
          if (exT[which] === Infinity) this.cursorsLeft--;
          exchange.rowTime[0] = t;
          exchange.processRow(which, streams[which]!.batch, r);
          break;
        }
        case 2:
          exchange.processRequest(t);
          break;
        case 3:
          local.processResponse(responses, t);
          break;
        case 4:
          local.processResponse(notices, t);
          break;
        case 5: {
          const r = loRow[which]!;
          const feed = loFeed[which]!;
          this.advanceLocal(which);
          if (loT[which] === Infinity) this.cursorsLeft--;
          const s = streams[which]!;
          const groupEnd = hasLast[which] ? (s.batch.flags[r]! & EventFlag.Last) !== 0 : loT[which] !== t;
          local.rowTime[0] = t;
          local.rowTime[1] = feed;
          local.processRow(which, s.batch, r, groupEnd);
          break;
        }
        case 7:
          this.sessions.fire(exchange);
          break;
        default:
          local.fireTimer(t);
      }
    }
    return true;
  }
}
