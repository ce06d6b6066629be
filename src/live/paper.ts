/**
 * Paper trading: a strategy on a live feed with the backtest's own engine. The feed's rows (laid
 * out as a capture of the same messages would be, src/live/rows.ts) are a `TickChunkSource` whose
 * `next()` waits for the next rows, and the run is `backtestStream` over it: the same exchange
 * simulator, queue, latency and fee models, options and result as `lab.backtest`. Orders never
 * leave the machine. The result, when the session ends, is a normal `BacktestResult`.
 *
 * Time is the rows' time: order latency, timers and `ctx.now()` follow the receive times of the
 * data (this machine's clock on a live feed, the capture's on a stamped replay), not the wall
 * clock while the strategy waits. The engine takes a row once it knows the next one (it needs the
 * next row's time to schedule), so the strategy sees each row when the following piece arrives.
 *
 * Pausing holds the rows in the session (the feed goes on and its book stays in sync); resuming
 * hands them to the engine in order, so a pause delays decisions but changes none.
 */
import { LabError } from "../core/index.js";
import type { TickBatch } from "../data/index.js";
import { backtestStream, type BacktestOptions, type BacktestResult, type Context, type StrategyHandlers, type StrategyLike, type StreamTraits, type TickChunkSource } from "../engine/index.js";
import type { BinanceFeed, FeedStats } from "./feed.js";

export interface PaperOptions extends BacktestOptions {
  /** What the rows hold, over the whole session (the engine's rules depend on it). @default Binance depth + trades: { hasLast: true, l3: false, hasTrades: true } */
  traits?: StreamTraits;
  /** Start the feed if it is not started yet. @default true */
  startFeed?: boolean;
}

export interface PaperStatus {
  state: "running" | "paused" | "stopping" | "finished" | "failed";
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
  const { traits, startFeed, ...backtestOptions } = options;
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
    next: async () => {
      for (;;) {
        if (!paused && queue.length > 0) {
          const rows = queue.shift()!;
          queuedRows -= rows.length;
          delivered += rows.length;
          return rows;
        }
        // Ended while paused: the rows wait for resume() (stop() resumes).
        if (ending && !paused && queue.length === 0) return undefined;
        await new Promise<void>((resolve) => (waiter = resolve));
      }
    },
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
    status: () => ({ state, rowsDelivered: delivered, rowsQueued: queuedRows, ...live, feed: feed.stats(), ...(error !== undefined ? { error } : {}) }),
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
