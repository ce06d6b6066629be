/**
 * Paper trading: a strategy on a live feed with the backtest's own engine. The feed's rows (laid
 * out as a capture of the same messages would be, src/live/rows.ts) are a `TickChunkSource` whose
 * `next()` waits for the next rows, and the run is `backtestStream` over it: the same exchange
 * simulator, queue, latency and fee models, options and result as `lab.backtest`. Orders never
 * leave the machine. The result, when the session ends, is a normal `BacktestResult`.
 *
 * Time is the rows' time: order latency, timers and `ctx.now()` follow the receive times of the
 * data (this machine's clock on a live feed, the capture's on a stamped replay), not the wall
 * clock while the strategy waits. With `handover: "lookahead"` the engine takes a row once it
 * knows the next one (it needs the next row's time to schedule), so the strategy sees each row
 * when the following piece arrives. With `handover: "receipt"` (src/live/receipt.ts) the source
 * gives the engine a horizon after each piece, so the strategy sees the piece at once; events
 * after the horizon (an order's arrival at the exchange, a timer) are processed when the next
 * rows arrive or, on a live feed's own receive times, when the wall clock reaches them
 * (`idleTickMs`: while the market is silent the horizon follows the wall clock).
 *
 * Pausing holds the rows in the session (the feed goes on and its book stays in sync); resuming
 * hands them to the engine in order, so a pause delays decisions but changes none.
 *
 * A slow consumer (a strategy slower than the feed, or a long pause) is bounded: past
 * `maxQueuedRows` rows held, the held rows are dropped and replaced by a snapshot of the feed's
 * book as of the last dropped row (LevelSet rows flagged Snapshot, which clear the engine's book),
 * so the engine's book is right again and memory stays bounded; it is reported in `status()`.
 * Resting orders keep their queue positions only as far as the snapshot's sizes allow, as after
 * any snapshot. From there on the session differs from a backtest over the same capture.
 */
import { LabError } from "../core/index.js";
import { EventFlag, EventKind, TickBatchBuilder, type TickBatch } from "../data/index.js";
import { backtestStream, type BacktestOptions, type BacktestResult, type Context, type StrategyHandlers, type StrategyLike, type StreamTraits, type TickChunkSource } from "../engine/index.js";
import { wallNs, type BinanceFeed, type FeedStats } from "./feed.js";
import { ReceiptClock } from "./receipt.js";
import { frontRowsOf, withFrontRoom } from "./rows.js";

/**
 * When the engine takes a row (docs/live.md, "Handing rows over"):
 * - `"lookahead"`: once the next row has arrived, as a backtest does; the session equals
 *   `lab.backtest` on its rows, and the strategy sees a message when the next one arrives.
 * - `"receipt"`: as soon as it arrives; each row reaches the simulated exchange no earlier than
 *   1 ns after the strategy's clock for the rows received before it (src/live/receipt.ts), and
 *   the session equals `lab.backtest` on its rows with that rule applied.
 */
export type Handover = "receipt" | "lookahead";

export interface PaperOptions extends BacktestOptions {
  /** What the rows hold, over the whole session (the engine's rules depend on it). @default Binance depth + trades: { hasLast: true, l3: false, hasTrades: true } */
  traits?: StreamTraits;
  /** Start the feed if it is not started yet. @default true */
  startFeed?: boolean;
  /**
   * Rows the session holds for the engine (paused, or slower than the feed) before it drops them:
   * the engine's book then restarts from a snapshot of the feed's book (see the module comment).
   * @default 2_000_000
   */
  maxQueuedRows?: number;
  /**
   * When the engine takes a row (see `Handover`).
   * @default "receipt" on a feed with local receive times (live), "lookahead" on a stamped replay (parity)
   */
  handover?: Handover;
  /**
   * Handed over on receipt, on a feed with local receive times: while no rows arrive, the
   * session's clock follows the wall clock (plus `clockOffsetNs`) in steps of this many ms, so
   * timers, orders reaching the exchange and responses due while the market is silent are
   * processed on time; rows arriving later reach the exchange no earlier than that clock. 0: the
   * clock moves with the rows only (the session is then a function of its rows).
   * @default 1
   */
  idleTickMs?: number;
}

/** Rows dropped because the session fell behind (or was paused) past `maxQueuedRows`. */
export interface SlowConsumerIncident {
  /** Wall-clock time, ns since the epoch. */
  at: bigint;
  droppedRows: number;
  /** Whether the engine's book was restarted from the feed's (false: the feed was out of sync; the next snapshot in the stream restarts it). */
  snapshot: boolean;
}

export interface PaperStatus {
  state: "running" | "paused" | "stopping" | "finished" | "failed";
  handover: Handover;
  /** Receipt handover: rows whose exchange time the receipt rule raised. */
  raisedRows: number;
  /** Rows handed to the engine, and rows waiting (paused, or not yet taken). */
  rowsDelivered: number;
  rowsQueued: number;
  /** As the strategy last saw them (updated on every strategy callback). */
  position: number;
  cash: number;
  equity: number;
  /** The strategy's local time at its last callback, ns since the epoch (0n before the first). */
  localNs: bigint;
  callbacks: number;
  /** Rows dropped by the slow-consumer rule, and each time it applied. */
  droppedRows: number;
  incidents: SlowConsumerIncident[];
  feed: FeedStats;
  error?: string;
}

export interface PaperSession {
  /** The run's result once the session ends (stop(), or the feed ends). */
  readonly result: Promise<BacktestResult>;
  status(): PaperStatus;
  pause(): void;
  resume(): void;
  /** Ends the session after the rows received so far; resolves with the result. */
  stop(): Promise<BacktestResult>;
}

const HANDLERS = ["onStart", "onBook", "onTrade", "onTimer", "onOrderUpdate", "onFill", "onEnd"] as const;

/** Starts a paper session: `feed`'s rows through the engine with `strategy` (see the module comment). */
export function paper(feed: BinanceFeed, strategy: StrategyLike | StrategyHandlers, options: PaperOptions = {}): PaperSession {
  if (feed === null || typeof feed !== "object" || typeof (feed as BinanceFeed).onRows !== "function") {
    throw new LabError({ code: "BAD_OPTION", message: "paper() needs a feed from lab.live.binanceFeed(...)", hint: "const feed = lab.live.binanceFeed({ url }); lab.live.paper(feed, strategy, options)", context: { option: "feed" } });
  }
  const { traits, startFeed, maxQueuedRows, handover: handoverOption, idleTickMs, ...backtestOptions } = options;
  const handover = handoverOption ?? (feed.receiveTime === "stamped" ? "lookahead" : "receipt");
  if (handover !== "receipt" && handover !== "lookahead") {
    throw new LabError({ code: "BAD_OPTION", message: `handover must be "receipt" or "lookahead", got ${JSON.stringify(handover)}`, hint: '"receipt": rows to the strategy as they arrive; "lookahead": once the next row is known, equal to the backtest on the same rows', context: { option: "handover" } });
  }
  const offsetNs = receiveOffset(backtestOptions.clockOffsetNs);
  const receipt = handover === "receipt" ? new ReceiptClock(offsetNs) : undefined;
  const tickMs = idleTickMs ?? 1;
  if (!(typeof tickMs === "number" && Number.isFinite(tickMs) && tickMs >= 0)) {
    throw new LabError({ code: "BAD_OPTION", message: `idleTickMs must be a number of ms ≥ 0, got ${String(idleTickMs)}`, hint: "e.g. 1 (the session's clock follows the wall clock while no rows arrive), or 0 (it moves with the rows only)", context: { option: "idleTickMs" } });
  }
  // The wall clock is the session's only on a live feed's own receive times, not a stamped replay's.
  const idleTick = receipt !== undefined && feed.receiveTime === "local" && tickMs > 0 ? tickMs : 0;
  const offsetBig = BigInt(Math.round(offsetNs));
  const maxQueued = maxQueuedRows ?? 2_000_000;
  if (!(Number.isInteger(maxQueued) && maxQueued > 0)) {
    throw new LabError({ code: "BAD_OPTION", message: `maxQueuedRows must be a positive integer, got ${maxQueuedRows}`, hint: "e.g. 2_000_000 (about 100 MB of rows)", context: { option: "maxQueuedRows" } });
  }
  let dropped = 0;
  const incidents: SlowConsumerIncident[] = [];
  const queue: TickBatch[] = [];
  let queuedRows = 0;
  let delivered = 0;
  let paused = false;
  let ending = false;
  let state: PaperStatus["state"] = "running";
  let error: string | undefined;
  let waiter: (() => void) | undefined;
  const live = { position: 0, cash: 0, equity: 0, localNs: 0n, callbacks: 0 };

  const wakeUp = (): void => {
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  const offRows = feed.onRows((rows) => {
    queue.push(rows);
    queuedRows += rows.length;
    if (queuedRows > maxQueued) {
      const last = queue[queue.length - 1]!;
      const n = last.length - 1;
      const restart = feed.stats().inSync ? bookSnapshot(feed, last.exchTs[n]!, last.localTs[n]!) : undefined;
      incidents.push({ at: wallNs(), droppedRows: queuedRows, snapshot: restart !== undefined });
      if (incidents.length > 1000) incidents.shift();
      dropped += queuedRows;
      queue.length = 0;
      queuedRows = 0;
      if (restart) {
        queue.push(restart);
        queuedRows = restart.length;
      }
    }
    if (!paused) wakeUp();
  });
  const offEnd = feed.onEnd(() => {
    ending = true;
    wakeUp();
  });
  if (feed.ended) ending = true;

  const source: TickChunkSource = {
    instruments: [feed.instrument],
    traits: [traits ?? { hasLast: true, l3: false, hasTrades: true }],
    description: `live feed ${feed.instrument.symbol}`,
    // The run keeps its few pending rows in the room before each piece's columns instead of copying the piece.
    frontRowsOf,
    next: async () => {
      for (;;) {
        if (!paused && queue.length > 0) {
          const rows = queue.shift()!;
          queuedRows -= rows.length;
          delivered += rows.length;
          return receipt ? receipt.apply(rows, source) : withFrontRoom(rows, source);
        }
        // Ended while paused: the rows wait for resume() (stop() resumes).
        if (ending && !paused && queue.length === 0) return undefined;
        if (idleTick > 0 && !paused) {
          let timer: NodeJS.Timeout | undefined;
          const woken = await new Promise<boolean>((resolve) => {
            waiter = () => resolve(true);
            timer = setTimeout(() => resolve(false), idleTick);
          });
          clearTimeout(timer);
          if (!woken) {
            waiter = undefined;
            if (!paused && !ending && queue.length === 0) {
              const step = receipt!.advanceTo(wallNs() + offsetBig, source, source.instruments, source.description);
              if (step) return step;
            }
          }
          continue;
        }
        await new Promise<void>((resolve) => (waiter = resolve));
      }
    },
    ...(receipt ? { horizonAfter: (chunk: TickBatch) => receipt.horizonAfter(chunk) } : {}),
    close: async () => {
      offRows();
      offEnd();
    },
  };

  const result = backtestStream(source, watched(strategy, live), backtestOptions).then(
    (r) => {
      state = "finished";
      return r;
    },
    (e: unknown) => {
      state = "failed";
      error = e instanceof Error ? e.message : String(e);
      throw e;
    },
  );
  // A failed session is reported through `result` and `status()`, never as an unhandled rejection.
  result.catch(() => undefined);
  if (startFeed ?? true) feed.start();

  return {
    result,
    status: () => ({ state, handover, raisedRows: receipt?.raised ?? 0, rowsDelivered: delivered, rowsQueued: queuedRows, ...live, droppedRows: dropped, incidents: [...incidents], feed: feed.stats(), ...(error !== undefined ? { error } : {}) }),
    pause: () => {
      if (state === "running") {
        paused = true;
        state = "paused";
      }
    },
    resume: () => {
      if (state === "paused") {
        paused = false;
        state = "running";
        wakeUp();
      }
    },
    stop: async () => {
      if (state === "running" || state === "paused") state = "stopping";
      paused = false;
      ending = true;
      offRows();
      wakeUp();
      return result;
    },
  };
}

/** The strategy, with each of its callbacks noting position, cash and equity for `status()`. */
function watched(strategy: StrategyLike | StrategyHandlers, live: { position: number; cash: number; equity: number; localNs: bigint; callbacks: number }): StrategyLike | StrategyHandlers {
  const isLike = typeof (strategy as StrategyLike).create === "function";
  const create = (): StrategyHandlers => (isLike ? (strategy as StrategyLike).create() : (strategy as StrategyHandlers));
  const note = (ctx: Context): void => {
    live.position = ctx.position();
    live.cash = ctx.cash();
    live.equity = ctx.equity();
    live.localNs = ctx.now();
    live.callbacks++;
  };
  const wrap = (inner: StrategyHandlers): StrategyHandlers => {
    const out: Record<string, unknown> = {};
    // Only the callbacks the strategy has: the engine's work depends on which ones exist.
    for (const name of HANDLERS) {
      const fn = inner[name] as ((this: StrategyHandlers, ctx: Context, ...rest: unknown[]) => void) | undefined;
      if (typeof fn !== "function") continue;
      out[name] = (ctx: Context, ...rest: unknown[]): void => {
        fn.call(inner, ctx, ...rest);
        note(ctx);
      };
    }
    return out as StrategyHandlers;
  };
  if (isLike) {
    const like = strategy as StrategyLike;
    return { name: like.name, params: like.params, create: () => wrap(create()) };
  }
  const ctorName = (strategy as object).constructor?.name;
  return { name: ctorName && ctorName !== "Object" ? ctorName : "custom", params: {}, create: () => wrap(create()) };
}

/** The feed's book as snapshot rows (bids then asks, Last on the final row) at the given times. */
function bookSnapshot(feed: BinanceFeed, exchTs: bigint, localTs: bigint): TickBatch | undefined {
  const book = feed.book;
  const builder = new TickBatchBuilder(book.levelCount(1) + book.levelCount(-1) + 1);
  let row = -1;
  for (const side of [1, -1] as const) {
    const n = book.levelCount(side);
    const prices = new Float64Array(n);
    const qtys = new Float64Array(n);
    const w = book.levels(side, n, prices, qtys);
    for (let k = 0; k < w; k++) row = builder.push(exchTs, localTs, EventKind.LevelSet, side, prices[k]!, qtys[k]!, NaN, EventFlag.Snapshot);
  }
  if (row < 0) return undefined;
  builder.orFlags(row, EventFlag.Last);
  return builder.build([feed.instrument], "slow-consumer snapshot");
}

/** The receive-clock offset the engine adds to the feed's one instrument (option clockOffsetNs; "auto" is refused by the streamed run). */
function receiveOffset(option: BacktestOptions["clockOffsetNs"]): number {
  if (typeof option === "number") return option;
  if (Array.isArray(option) && typeof option[0] === "number") return option[0];
  return 0;
}
