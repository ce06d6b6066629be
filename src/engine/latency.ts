/**
 * Latency models. Three latencies shape what a strategy can do (as in hftbacktest's model):
 * - feed latency: exchange event -> strategy sees it. From the data (`localTs - exchTs`), or
 *   `exchTs` + a constant or a seeded distribution (`FeedLatencyModel`).
 * - entry latency: strategy sends a request -> the exchange processes it.
 * - response latency: the exchange acts (ack, fill, cancel) -> the strategy learns of it.
 *
 * `LatencyModel` is two methods, `entryNs(tsNs, order)` and `responseNs(tsNs, order)`, where `tsNs`
 * is the time of the request (local clock) or of the exchange action (exchange clock), in exact ns
 * since the first event of the run. A negative entry latency means the exchange dropped the request:
 * the strategy receives a rejection (`ExchangeRejected`) after |latency| ns (hftbacktest's
 * convention for overloaded venues).
 *
 * Requests travel over one session and are processed in the order sent (as on one TCP connection):
 * an arrival time earlier than the previous request's is moved up to it. Responses likewise.
 */
import { LabError, type Rng } from "../core/index.js";

/** What a latency model may look at. The object is reused between calls: read, do not keep. */
export interface LatencyOrderInfo {
  readonly id: number;
  readonly instrument: number;
  /** 1 = buy, -1 = sell. */
  readonly side: number;
  readonly priceTicks: number;
  readonly qtyLots: number;
  /** `OrderType` value. */
  readonly type: number;
  /** 1 = new order, 2 = cancel, 3 = modify (`RequestKind`). */
  readonly request: number;
}

/** The one mutable `LatencyOrderInfo` the exchange and the local view each fill before asking a model. */
export class MutableLatencyOrderInfo implements LatencyOrderInfo {
  id = 0;
  instrument = 0;
  side = 0;
  priceTicks = NaN;
  qtyLots = NaN;
  type = 0;
  request = 0;
}

export interface LatencyModel {
  readonly name: string;
  /** Request sent at local `tsNs` reaches the exchange `entryNs` later (negative = dropped). */
  entryNs(tsNs: number, order: LatencyOrderInfo): number;
  /** Exchange acted at `tsNs`; the strategy learns of it `responseNs` later (≥ 0). */
  responseNs(tsNs: number, order: LatencyOrderInfo): number;
  /** Called once at the start of every run with a stream derived from the run seed. */
  start?(rng: Rng): void;
  /** Called with each feed latency the strategy observes (for models built on feed latency). */
  observeFeed?(feedLatencyNs: number): void;
}

/** Market-data latency: a row stamped `exchTsNs` at the exchange is seen `feedNs` later. */
export interface FeedLatencyModel {
  readonly name: string;
  feedNs(exchTsNs: number): number;
  start?(rng: Rng): void;
}

function nonNegative(value: number, name: string, where: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new LabError({ code: "BAD_OPTION", message: `${where}: ${name} must be a finite number of ns ≥ 0, got ${String(value)}`, hint: `e.g. ${name}: 50_000 (50 µs)`, context: { option: name } });
  }
  return value;
}

// Built-in models are class instances, not literals of closures: engine code that inlined their
// methods then stays valid from one run to the next (new closures per run are new call targets,
// and that code would be thrown away). Numeric fields start as NaN: see docs/architecture.md,
// "Hot paths".

class ConstantLatency implements LatencyModel {
  readonly name: string;
  constructor(
    private readonly entry: number,
    private readonly response: number,
  ) {
    this.name = `constant(${entry}, ${response})`;
  }
  entryNs(): number {
    return this.entry;
  }
  responseNs(): number {
    return this.response;
  }
}

/** Same entry and response latency for every request. `responseNs` defaults to `entryNs`. */
export function constant(options: { entryNs: number; responseNs?: number }): LatencyModel {
  const entry = Math.round(nonNegative(options.entryNs, "entryNs", "latency.constant"));
  const response = Math.round(nonNegative(options.responseNs ?? options.entryNs, "responseNs", "latency.constant"));
  return new ConstantLatency(entry, response);
}

class FeedDerivedLatency implements LatencyModel {
  readonly name: string;
  private feed = NaN;
  constructor(
    private readonly entryMultiplier: number,
    private readonly responseMultiplier: number,
    private readonly entryOffset: number,
    private readonly responseOffset: number,
  ) {
    this.name = `fromFeed(×${entryMultiplier}+${entryOffset}, ×${responseMultiplier}+${responseOffset})`;
    this.feed = 0;
  }
  start(): void {
    this.feed = 0;
  }
  observeFeed(ns: number): void {
    this.feed = ns;
  }
  entryNs(): number {
    return Math.round(this.entryMultiplier * this.feed + this.entryOffset);
  }
  responseNs(): number {
    return Math.round(this.responseMultiplier * this.feed + this.responseOffset);
  }
}

/**
 * Order latency derived from the latest feed latency the strategy has seen (the data's own
 * `localTs - exchTs`): entry = entryMultiplier·feed + entryOffsetNs, response = responseMultiplier·feed
 * + responseOffsetNs. Useful when no order-latency log exists (hftbacktest's backward feed latency).
 * Before the first row the feed latency is taken as 0.
 */
export function fromFeed(options: { entryMultiplier?: number; responseMultiplier?: number; entryOffsetNs?: number; responseOffsetNs?: number } = {}): LatencyModel {
  const em = nonNegative(options.entryMultiplier ?? 1, "entryMultiplier", "latency.fromFeed");
  const rm = nonNegative(options.responseMultiplier ?? 1, "responseMultiplier", "latency.fromFeed");
  const eo = nonNegative(options.entryOffsetNs ?? 0, "entryOffsetNs", "latency.fromFeed");
  const ro = nonNegative(options.responseOffsetNs ?? 0, "responseOffsetNs", "latency.fromFeed");
  return new FeedDerivedLatency(em, rm, eo, ro);
}

export interface LognormalLatencyOptions {
  /** Median entry latency in ns. */
  entryMedianNs: number;
  /** Median response latency in ns. @default entryMedianNs */
  responseMedianNs?: number;
  /** Standard deviation of log-latency. @default 0.5 */
  sigma?: number;
  /** Floor in ns. @default 0 */
  minNs?: number;
}

/** max(floor, median·e^(σ·Z)) from the run's random stream; throws outside a run. */
function lognormalDraw(random: Rng | undefined, median: number, sigma: number, floor: number, model: string): number {
  if (!random) throw new LabError({ code: "LATENCY_NOT_STARTED", message: `latency.${model} used outside a backtest run`, hint: "pass the model to backtest(); the run seeds it" });
  return Math.max(floor, Math.round(median * Math.exp(sigma * random.normal())));
}

class LognormalLatency implements LatencyModel {
  readonly name: string;
  private random: Rng | undefined = undefined;
  constructor(
    private readonly entryMedian: number,
    private readonly responseMedian: number,
    private readonly sigma: number,
    private readonly floor: number,
  ) {
    this.name = `lognormal(${entryMedian}, ${responseMedian}, σ=${sigma})`;
  }
  start(rng: Rng): void {
    this.random = rng;
  }
  entryNs(): number {
    return lognormalDraw(this.random, this.entryMedian, this.sigma, this.floor, "lognormal");
  }
  responseNs(): number {
    return lognormalDraw(this.random, this.responseMedian, this.sigma, this.floor, "lognormal");
  }
}

/**
 * Seeded lognormal latency: latency = max(minNs, median·e^(σ·Z)), Z ~ N(0, 1), drawn from a stream
 * derived from the run seed, so a rerun with the same seed draws the same latencies.
 */
export function lognormal(options: LognormalLatencyOptions): LatencyModel {
  const em = nonNegative(options.entryMedianNs, "entryMedianNs", "latency.lognormal");
  const rmed = nonNegative(options.responseMedianNs ?? options.entryMedianNs, "responseMedianNs", "latency.lognormal");
  const sigma = nonNegative(options.sigma ?? 0.5, "sigma", "latency.lognormal");
  const floor = nonNegative(options.minNs ?? 0, "minNs", "latency.lognormal");
  return new LognormalLatency(em, rmed, sigma, floor);
}

class ConstantFeedLatency implements FeedLatencyModel {
  readonly name: string;
  constructor(private readonly value: number) {
    this.name = `feedConstant(${value})`;
  }
  feedNs(): number {
    return this.value;
  }
}

/** Feed latency of a constant number of ns after the exchange timestamp. */
export function feedConstant(ns: number): FeedLatencyModel {
  return new ConstantFeedLatency(Math.round(nonNegative(ns, "feedLatencyNs", "latency.feedConstant")));
}

class LognormalFeedLatency implements FeedLatencyModel {
  readonly name: string;
  private random: Rng | undefined = undefined;
  constructor(
    private readonly median: number,
    private readonly sigma: number,
    private readonly floor: number,
  ) {
    this.name = `feedLognormal(${median}, σ=${sigma})`;
  }
  start(rng: Rng): void {
    this.random = rng;
  }
  feedNs(): number {
    return lognormalDraw(this.random, this.median, this.sigma, this.floor, "feedLognormal");
  }
}

/** Seeded lognormal feed latency: max(minNs, median·e^(σ·Z)). */
export function feedLognormal(options: { medianNs: number; sigma?: number; minNs?: number }): FeedLatencyModel {
  const median = nonNegative(options.medianNs, "medianNs", "latency.feedLognormal");
  const sigma = nonNegative(options.sigma ?? 0.5, "sigma", "latency.feedLognormal");
  const floor = nonNegative(options.minNs ?? 0, "minNs", "latency.feedLognormal");
  return new LognormalFeedLatency(median, sigma, floor);
}

export function isLatencyModel(value: unknown): value is LatencyModel {
  return typeof value === "object" && value !== null && typeof (value as LatencyModel).entryNs === "function" && typeof (value as LatencyModel).responseNs === "function";
}

export function isFeedLatencyModel(value: unknown): value is FeedLatencyModel {
  return typeof value === "object" && value !== null && typeof (value as FeedLatencyModel).feedNs === "function";
}
