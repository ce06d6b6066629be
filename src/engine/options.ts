/**
 * Backtest options, normalized once: every key is checked (with "did you mean"), shorthands are
 * expanded (a number of ns means constant latency; a queue name means that model) and defaults
 * come from the one `DEFAULTS` object below.
 */
import { LabError, parseTime, resolveTradingHours, type ProgressSink, type TradingHours, type TradingHoursSpec } from "../core/index.js";
import { checkOptionKeys } from "../core/internal.js";
import { DEFAULT_MARKOUT_HORIZONS_NS } from "../stats/index.js";
import { fromInstrument, isFeeModel, makerTaker, type FeeModel } from "./fees.js";
import { constant, feedConstant, isFeedLatencyModel, isLatencyModel, type FeedLatencyModel, type LatencyModel } from "./latency.js";
import type { InputCheckMode } from "./input-check.js";
import type { RiskLimits } from "./context/account.js";
import { l3Fifo, log, prob, riskAverse, squareProb, type QueueModel } from "./queue/index.js";
import { FILL_MODEL_NAMES, fillModelByName, isFillModel, type FillModel, type FillModelName } from "./fills.js";

export type QueueName = "riskAverse" | "prob" | "log" | "squareProb" | "l3Fifo";
export type BookKind = "auto" | "l2" | "l3";

export interface BacktestOptions {
  /** Order latency: a number = the same entry and response latency in ns; or a `LatencyModel`. @default 0 */
  latencyNs?: number | LatencyModel;
  /** Feed latency: "data" (each row's localTs − exchTs), a constant ns added to exchTs, or a `FeedLatencyModel`. @default "data" */
  feedLatencyNs?: "data" | number | FeedLatencyModel;
  /**
   * With feedLatencyNs "data": ns added to every receive time before feed latency is taken from
   * the data, for a collector whose clock runs behind the exchange's (a receive time below its
   * exchange time is otherwise raised to it: zero feed latency). "auto" estimates it per
   * instrument from the data (the largest amount by which receive time trails exchange time;
   * src/data/clock-offset.ts); a number applies to every instrument, an array gives one per
   * instrument in the run's order. @default 0
   */
  clockOffsetNs?: "auto" | number | readonly number[];
  /** Queue model: "riskAverse", "prob" (power, n = 3), "log", "squareProb" (hftbacktest's SquareProbQueueModel), "l3Fifo", or a model. @default "riskAverse" on L2 data, "l3Fifo" on L3 data */
  queue?: QueueName | QueueModel;
  /**
   * Fill model (src/engine/fills.ts): "partial" fills the queue overshoot, one trade shared among
   * our orders; "no-partial" fills the whole order once its queue position is below zero
   * (hftbacktest's NoPartialFillExchange); or a `FillModel`. L3 data always uses the exact FIFO.
   * @default "partial" (with compat "hftbacktest": "no-partial")
   */
  fills?: FillModelName | FillModel;
  /**
   * Where `ctx.every` grids start when the strategy does not say: "start" (the run's start) or
   * "firstRow" (the data's first row, before a `startAt` fast-forward). @default "start"
   */
  everyOrigin?: "start" | "firstRow";
  /**
   * Sets every semantic choice to another engine's behaviour; each stays settable on its own.
   * "hftbacktest" (1.x): fills "no-partial", everyOrigin "firstRow" (its `while elapse(step)`
   * loop starts at the first row). Readers: read its event files with format "hftbacktest" (their
   * own timestamps), Binance captures with exchangeTime "transaction" (docs/fidelity.md).
   * @default none
   */
  compat?: "hftbacktest";
  /** Fees: a `FeeModel`, or `{ maker, taker }` fractions of notional for every instrument (negative = rebate). @default each instrument's makerFee / takerFee */
  fees?: FeeModel | { maker: number; taker: number };
  /** Seed for every random draw of the run (latency distributions). @default 0 */
  seed?: number;
  /** Equity (and mid) sampling interval in ns, on multiples of the interval since the epoch; samples are also taken at every fill. @default 1_000_000_000 */
  equityIntervalNs?: number;
  /** Starting cash. @default 0 (equity is then the PnL) */
  initialCash?: number;
  /** Horizons (ns after each fill) at which the exact mid is sampled for markouts. @default [100_000_000, 1_000_000_000, 10_000_000_000] (100 ms, 1 s, 10 s) */
  markoutHorizonsNs?: readonly number[];
  /**
   * The same horizons in ms.
   * @deprecated Use `markoutHorizonsNs` (simulation times and durations are ns): `[100, 1000]` ms is
   * `[100_000_000, 1_000_000_000]` ns. Kept for one version; giving both is a BAD_OPTION.
   */
  markoutHorizonsMs?: readonly number[];
  /**
   * Fast-forward: rows received before this local time (ns, or a time text) only build the books
   * (the exchange's: rows stamped before it; the strategy's: rows received before it). The
   * strategy starts at the first row received at or after it, exactly as if it had ignored every
   * earlier event, and the run's equity starts there: a backtest of the afternoon trades against
   * the book the morning built. @default none (start at the first row)
   */
  startAt?: bigint | string;
  /** Pre-trade risk limits and the drawdown stop. @default {} (none) */
  risk?: RiskLimits;
  /** Book kind: "auto" detects L3 data by its order rows. @default "auto" */
  book?: BookKind;
  /** L3 venue rules (priority on modify, unknown ids). @default "fifo" */
  venueRules?: "fifo" | "lobster" | "databento";
  /**
   * Input check, one pass over the rows before the run (src/engine/input-check.ts): "warn" runs and
   * reports issues in `result.inputCheck` (and a line of the summary); "strict" refuses input with
   * wrong values, exchange time going backwards or rows the reader set aside (a `DATA_<CLASS>` LabError
   * naming the first row); "off" skips the pass. @default "warn"
   */
  check?: InputCheckMode;
  /**
   * Trading sessions for runs over several days (src/engine/sessions.ts): "24x7" never closes;
   * "nasdaq", "nyse", "us-equity", "lse", "xetra", "euronext", "cme-globex", or
   * `{ open: "09:30", close: "16:00", timeZone: "America/New_York", days: [1, 2, 3, 4, 5] }`. At
   * each close the exchange cancels every resting order (reason SessionClosed); outside sessions
   * it rejects new orders and modifies (MarketClosed). @default "24x7"
   */
  session?: TradingHoursSpec;
  progress?: ProgressSink;
}

export interface NormalizedOptions {
  latency: LatencyModel;
  feed: "data" | FeedLatencyModel;
  clockOffsetNs: "auto" | number | readonly number[];
  queue: QueueModel | undefined;
  fills: FillModel;
  everyOrigin: "start" | "firstRow";
  compat: "hftbacktest" | undefined;
  fees: FeeModel;
  seed: number;
  equityIntervalNs: number;
  initialCash: number;
  markoutHorizonsNs: readonly number[];
  startAt: bigint | undefined;
  risk: RiskLimits;
  book: BookKind;
  venueRules: "fifo" | "lobster" | "databento";
  check: InputCheckMode;
  session: TradingHours | undefined;
  progress: ProgressSink | undefined;
}

export const DEFAULTS = {
  latencyNs: 0,
  feedLatencyNs: "data",
  clockOffsetNs: 0,
  queue: undefined,
  fills: undefined,
  everyOrigin: undefined,
  compat: undefined,
  fees: undefined,
  seed: 0,
  equityIntervalNs: 1_000_000_000,
  initialCash: 0,
  markoutHorizonsNs: DEFAULT_MARKOUT_HORIZONS_NS,
  markoutHorizonsMs: undefined,
  startAt: undefined,
  risk: {},
  book: "auto",
  venueRules: "fifo",
  check: "warn",
  session: "24x7",
  progress: undefined,
} as const satisfies Record<keyof BacktestOptions, unknown>;

export const OPTION_KEYS = Object.keys(DEFAULTS) as (keyof BacktestOptions)[];
const RISK_KEYS = ["maxPosition", "maxOrderQty", "maxOrdersPerSecond", "maxDrawdown", "allowShort"] as const;
const QUEUE_NAMES: readonly QueueName[] = ["riskAverse", "prob", "log", "squareProb", "l3Fifo"];

function bad(option: string, message: string, hint: string): LabError {
  return new LabError({ code: "BAD_OPTION", message: `backtest option ${option}: ${message}`, hint, context: { option } });
}

export function queueByName(name: string): QueueModel {
  switch (name) {
    case "riskAverse":
      return riskAverse();
    case "prob":
      return prob({ n: 3 });
    case "log":
      return log();
    case "squareProb":
      return squareProb();
    case "l3Fifo":
      return l3Fifo();
    default: {
      throw bad("queue", `unknown queue model "${name}"`, `use one of ${QUEUE_NAMES.join(", ")}, or a model from lab.queue`);
    }
  }
}

function everyOrigin(value: unknown, hft: boolean): "start" | "firstRow" {
  if (value === undefined) return hft ? "firstRow" : "start";
  if (value === "start" || value === "firstRow") return value;
  throw bad("everyOrigin", `must be "start" or "firstRow", got ${String(value)}`, 'e.g. everyOrigin: "firstRow"');
}

/** `markoutHorizonsNs`, or the deprecated `markoutHorizonsMs` converted to ns (not both). */
function markoutHorizons(options: BacktestOptions): number[] {
  const { markoutHorizonsNs: ns, markoutHorizonsMs: ms } = options;
  if (ns !== undefined && ms !== undefined) {
    throw bad("markoutHorizonsMs", "is the deprecated spelling of markoutHorizonsNs; both were given", "keep markoutHorizonsNs (ns) and drop markoutHorizonsMs");
  }
  const increasing = (h: readonly unknown[]): boolean => h.every((v, i) => i === 0 || (v as number) > (h[i - 1] as number));
  if (ms !== undefined) {
    const h = ms as readonly unknown[];
    if (!Array.isArray(h) || h.some((v) => !(typeof v === "number" && Number.isFinite(v) && v > 0)) || !increasing(h)) {
      throw bad("markoutHorizonsMs", `must be increasing positive numbers of ms, got ${JSON.stringify(h)}`, "use markoutHorizonsNs, e.g. markoutHorizonsNs: [100_000_000, 1_000_000_000] for 100 ms and 1 s");
    }
    // As the sampler always converted them: ms × 1e6, rounded to whole ns.
    return ms.map((v) => Math.round(v * 1e6));
  }
  const h = (ns ?? DEFAULT_MARKOUT_HORIZONS_NS) as readonly unknown[];
  if (!Array.isArray(h) || h.some((v) => !(typeof v === "number" && Number.isSafeInteger(v) && v > 0)) || !increasing(h)) {
    throw bad("markoutHorizonsNs", `must be increasing positive whole numbers of ns, got ${JSON.stringify(h)}`, "e.g. markoutHorizonsNs: [100_000_000, 1_000_000_000, 10_000_000_000] for 100 ms, 1 s and 10 s");
  }
  return [...(h as readonly number[])];
}

export function normalizeBacktestOptions(options: BacktestOptions = {}): NormalizedOptions {
  if (typeof options !== "object" || options === null) throw bad("options", "must be an object", "e.g. { latencyNs: 50_000 }");
  checkOptionKeys(options, OPTION_KEYS, "backtest");
  const o = { ...DEFAULTS, ...options };

  let latency: LatencyModel;
  if (typeof o.latencyNs === "number") {
    if (!Number.isFinite(o.latencyNs) || o.latencyNs < 0) throw bad("latencyNs", `must be ≥ 0 ns, got ${o.latencyNs}`, "e.g. latencyNs: 50_000 for 50 µs each way");
    latency = constant({ entryNs: o.latencyNs, responseNs: o.latencyNs });
  } else if (isLatencyModel(o.latencyNs)) {
    latency = o.latencyNs;
  } else {
    throw bad("latencyNs", "must be a number of ns or a latency model", "e.g. 50_000, or lab.latency.constant({ entryNs: 30_000, responseNs: 20_000 })");
  }

  let feed: "data" | FeedLatencyModel;
  if (o.feedLatencyNs === "data") feed = "data";
  else if (typeof o.feedLatencyNs === "number") feed = feedConstant(o.feedLatencyNs);
  else if (isFeedLatencyModel(o.feedLatencyNs)) feed = o.feedLatencyNs;
  else throw bad("feedLatencyNs", `must be "data", a number of ns or a feed latency model`, 'e.g. "data", 20_000, or lab.latency.feedLognormal({ medianNs: 20_000 })');

  const offset = o.clockOffsetNs as unknown;
  const offsetOk = offset === "auto" || (typeof offset === "number" && Number.isSafeInteger(offset)) || (Array.isArray(offset) && offset.every((v) => typeof v === "number" && Number.isSafeInteger(v)));
  if (!offsetOk) throw bad("clockOffsetNs", `must be "auto", a whole number of ns or one per instrument, got ${String(offset)}`, 'e.g. clockOffsetNs: "auto" (estimated from the data) or 1_273_000_000');
  if (feed !== "data" && offset !== 0) throw bad("clockOffsetNs", "applies to receive times from the data (feedLatencyNs: \"data\"), but a feed latency model sets them", 'drop clockOffsetNs, or use feedLatencyNs: "data"');

  let queue: QueueModel | undefined;
  if (o.queue === undefined) queue = undefined;
  else if (typeof o.queue === "string") queue = queueByName(o.queue);
  else if (typeof o.queue === "object" && o.queue !== null && (o.queue.kind === "l2" || o.queue.kind === "l3")) queue = o.queue;
  else throw bad("queue", "must be a queue model name or model", `use one of ${QUEUE_NAMES.join(", ")}`);

  if (o.compat !== undefined && o.compat !== "hftbacktest") throw bad("compat", `unknown engine "${String(o.compat)}"`, 'use compat: "hftbacktest"');
  const hft = o.compat === "hftbacktest";
  let fills: FillModel;
  if (o.fills === undefined) fills = fillModelByName(hft ? "no-partial" : "partial");
  else if (typeof o.fills === "string") fills = fillModelByName(o.fills);
  else if (isFillModel(o.fills)) fills = o.fills;
  else throw bad("fills", "must be a fill model name or a FillModel", `use one of ${FILL_MODEL_NAMES.join(", ")}`);

  let fees: FeeModel;
  if (o.fees === undefined) fees = fromInstrument();
  else if (isFeeModel(o.fees)) fees = o.fees;
  else if (typeof o.fees === "object" && o.fees !== null && "maker" in o.fees && "taker" in o.fees) fees = makerTaker(o.fees);
  else throw bad("fees", "must be a fee model or { maker, taker }", "e.g. { maker: -0.0001, taker: 0.0004 } (negative = rebate)");

  if (!Number.isInteger(o.seed)) throw bad("seed", `must be an integer, got ${String(o.seed)}`, "e.g. seed: 1");
  if (!(typeof o.equityIntervalNs === "number" && Number.isInteger(o.equityIntervalNs) && o.equityIntervalNs > 0)) {
    throw bad("equityIntervalNs", `must be a positive integer number of ns, got ${String(o.equityIntervalNs)}`, "e.g. 1_000_000_000 for one sample per second");
  }
  if (!Number.isFinite(o.initialCash)) throw bad("initialCash", `must be a finite number, got ${String(o.initialCash)}`, "e.g. initialCash: 100_000");
  const markoutHorizonsNs = markoutHorizons(options);

  let startAt: bigint | undefined;
  if (o.startAt !== undefined) {
    try {
      startAt = typeof o.startAt === "bigint" ? o.startAt : parseTime(o.startAt as string);
    } catch {
      throw bad("startAt", `must be ns (bigint) or a time text, got ${String(o.startAt)}`, 'e.g. startAt: "2024-01-02T15:00:00Z"');
    }
  }

  const risk = (o.risk ?? {}) as RiskLimits;
  checkOptionKeys(risk, RISK_KEYS, "backtest risk limits");
  for (const key of ["maxPosition", "maxOrderQty", "maxOrdersPerSecond", "maxDrawdown"] as const) {
    const v = risk[key];
    if (v !== undefined && !(typeof v === "number" && v >= 0)) throw bad(`risk.${key}`, `must be a number ≥ 0, got ${String(v)}`, `e.g. risk: { ${key}: 10 }`);
  }
  if (risk.allowShort !== undefined && typeof risk.allowShort !== "boolean") throw bad("risk.allowShort", "must be true or false", "e.g. risk: { allowShort: false }");

  if (o.book !== "auto" && o.book !== "l2" && o.book !== "l3") throw bad("book", `must be "auto", "l2" or "l3", got ${String(o.book)}`, 'e.g. book: "l2"');
  if (!["fifo", "lobster", "databento"].includes(o.venueRules)) throw bad("venueRules", `unknown venue rules "${String(o.venueRules)}"`, 'use "fifo", "lobster" or "databento"');
  if (o.check !== "warn" && o.check !== "strict" && o.check !== "off") throw bad("check", `must be "warn", "strict" or "off", got ${String(o.check)}`, 'e.g. check: "strict" to refuse damaged input, "off" to skip the pass');

  return {
    latency,
    feed,
    clockOffsetNs: offset as "auto" | number | readonly number[],
    queue,
    fills,
    everyOrigin: everyOrigin(o.everyOrigin, hft),
    compat: o.compat,
    fees,
    seed: o.seed,
    equityIntervalNs: o.equityIntervalNs,
    initialCash: o.initialCash,
    markoutHorizonsNs,
    startAt,
    risk,
    book: o.book,
    venueRules: o.venueRules,
    check: o.check,
    session: o.session === undefined ? undefined : resolveTradingHours(o.session),
    progress: o.progress,
  };
}
