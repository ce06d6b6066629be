/**
 * Trade analytics from a run's fills (and the mid price): FIFO round trips, markouts, adverse
 * selection, fill ratio, maker/taker shares, fees and rebates, inventory and turnover.
 *
 * Conventions:
 * - Round trips are matched first-in-first-out per instrument: a fill first closes the oldest open
 *   lots of the opposite direction, and any rest opens a new lot. Each (partial) match is one
 *   round trip; its gross PnL is (exit − entry)·qty·direction, its fees are the pro-rata shares of
 *   the opening and closing fills' fees (negative = rebate), net = gross − fees.
 * - Markout at horizon h of a fill at time t on side s (+1 buy, −1 sell): s·(mid(t + h) − mid(t)),
 *   in basis points of mid(t); mid(x) is the last mid at or before x (binary search). A positive
 *   markout means the price moved in the fill's favour. Fills without a mid before t, or whose
 *   t + h is past the last mid, are left out of that horizon (counted in `markouts.counts`).
 *   `edge` is the same with the fill price instead of mid(t): s·(mid(t + h) − price), which adds the
 *   half-spread captured (maker) or paid (taker).
 * - Adverse selection: the mean markout of MAKER fills at the adverse-selection horizon (1 s by
 *   default), sign flipped so that a positive number is the cost of being picked off.
 * - Fill ratio: orders with at least one fill / orders sent (distinct order ids in the fills);
 *   without order ids, fills / orders.
 * - Inventory statistics are time-weighted over [first fill, last fill] of instrument 0 (or all
 *   fills when no instrument column), positions in the fills' quantity units.
 */
import { LabError } from "../core/index.js";
import type { FillTable, MidSeries } from "./types.js";
import { Liquidity } from "./types.js";

/** Default markout horizons in ns: 100 ms, 1 s, 10 s. */
export const DEFAULT_MARKOUT_HORIZONS_NS: readonly number[] = [100_000_000, 1_000_000_000, 10_000_000_000];
/** @deprecated Use `DEFAULT_MARKOUT_HORIZONS_NS` (the same horizons in ns). Kept for one version. */
export const DEFAULT_MARKOUT_HORIZONS_MS: readonly number[] = [100, 1000, 10_000];
/** Default adverse-selection horizon: 1 s. */
const DEFAULT_ADVERSE_HORIZON_NS = 1_000_000_000;

export interface RoundTrips {
  count: number;
  openTs: BigInt64Array;
  closeTs: BigInt64Array;
  /** +1 long (opened by a buy), −1 short. */
  direction: Int8Array;
  qty: Float64Array;
  entryPrice: Float64Array;
  exitPrice: Float64Array;
  /** (exit − entry)·qty·direction. */
  grossPnl: Float64Array;
  /** Pro-rata fees of the opening and closing fills (negative = rebate). */
  fees: Float64Array;
  /** grossPnl − fees. */
  netPnl: Float64Array;
  instrument: Uint16Array;
}

export interface RoundTripSummary {
  count: number;
  grossPnl: number;
  netPnl: number;
  /** Share of round trips with net PnL > 0 (NaN without trips). */
  winRate: number;
  averageWin: number;
  averageLoss: number;
  /** Σ winning net PnL / |Σ losing net PnL| (NaN without losers). */
  profitFactor: number;
  /** Mean holding time in ns. */
  averageHoldingNs: number;
  /** @deprecated Use `averageHoldingNs` (here ns / 1e6). Kept for one version. */
  averageHoldingMs: number;
  /** Quantity still open at the end (FIFO leftovers), per instrument 0. */
  openQty: number;
}

export interface Markouts {
  /** Horizons in ns after the fill. */
  horizonsNs: number[];
  /** @deprecated Use `horizonsNs` (the same horizons in ns; here ns / 1e6). Kept for one version. */
  horizonsMs: number[];
  unit: "bp";
  /** Mean markout per horizon over all fills / buys / sells / maker / taker. NaN where no fill qualifies. */
  all: Float64Array;
  buy: Float64Array;
  sell: Float64Array;
  maker: Float64Array;
  taker: Float64Array;
  /** Mean edge s·(mid(t + h) − price)/mid(t) in bp, all fills. */
  edge: Float64Array;
  /** Fills that qualified per horizon. */
  counts: Int32Array;
  /** Fills with a mid at their time (qualify for horizon 0). */
  count: number;
  /** Per fill and horizon (row-major fills × horizons), NaN where it does not qualify. */
  perFill: Float64Array;
}

export interface InventoryStats {
  maxLong: number;
  /** Most negative position (≤ 0). */
  maxShort: number;
  /** Time-weighted mean |position|. */
  meanAbsolute: number;
  /** Share of time with position 0. */
  flatShare: number;
  final: number;
}

export interface TradeSummary {
  fills: number;
  buys: number;
  sells: number;
  /** Σ qty. */
  volume: number;
  /** Σ price·qty. */
  notional: number;
  /** Notional per day of [first fill, last fill] (NaN for a single instant). */
  notionalPerDay: number;
  makerFills: number;
  takerFills: number;
  /** Maker share of filled quantity. */
  makerShare: number;
  takerShare: number;
  /** Net fees (negative = net rebates). */
  fees: number;
  /** Σ of positive fees. */
  feesPaid: number;
  /** Σ of rebates, as a positive amount. */
  rebates: number;
  makerFees: number;
  takerFees: number;
  /** NaN without an order count. */
  fillRatio: number;
  orders: number;
  roundTrips: RoundTripSummary;
  /** Maker adverse selection at `adverseSelectionHorizonNs`, bp (positive = cost). */
  adverseSelectionBp: number;
  /** Share of maker fills with a negative markout at that horizon. */
  adverseShare: number;
  /** Horizon of the adverse selection, ns after the fill. */
  adverseSelectionHorizonNs: number;
  /** @deprecated Use `adverseSelectionHorizonNs` (here ns / 1e6). Kept for one version. */
  adverseSelectionHorizonMs: number;
  inventory: InventoryStats;
}

export interface TradeAnalyticsOptions {
  /** Orders sent, for the fill ratio. */
  orders?: number;
  /** Markout horizons in ns. @default [100_000_000, 1_000_000_000, 10_000_000_000] (100 ms, 1 s, 10 s) */
  horizonsNs?: readonly number[];
  /** Horizon for adverse selection, ns (must be one of the horizons). @default 1_000_000_000 (1 s), or the horizon nearest to it when 1 s is not one */
  adverseSelectionHorizonNs?: number;
  /** @deprecated Use `horizonsNs` (ns). Kept for one version; giving both is a BAD_OPTION. */
  horizonsMs?: readonly number[];
  /** @deprecated Use `adverseSelectionHorizonNs` (ns). Kept for one version; giving both is a BAD_OPTION. */
  adverseSelectionHorizonMs?: number;
}

export interface TradeReport {
  summary: TradeSummary;
  roundTrips: RoundTrips;
  /** Undefined without a mid series. */
  markouts: Markouts | undefined;
  /** Why some figures are NaN. */
  reasons: Record<string, string>;
}

/** Index of the last ts ≤ t, or −1. */
export function lastAtOrBefore(ts: BigInt64Array, t: bigint): number {
  let lo = 0;
  let hi = ts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const m = (lo + hi) >>> 1;
    if (ts[m]! <= t) {
      found = m;
      lo = m + 1;
    } else hi = m - 1;
  }
  return found;
}

/** FIFO round trips, per instrument. */
export function roundTrips(fills: FillTable): RoundTrips {
  const n = fills.ts.length;
  const out = { openTs: [] as bigint[], closeTs: [] as bigint[], direction: [] as number[], qty: [] as number[], entry: [] as number[], exit: [] as number[], gross: [] as number[], fees: [] as number[], instrument: [] as number[] };
  // Open lots per instrument as parallel arrays with a head index (no Array.shift in the loop).
  const books = new Map<number, { ts: bigint[]; qty: number[]; price: number[]; feePerUnit: number[]; dir: number[]; head: number }>();
  for (let i = 0; i < n; i++) {
    const k = fills.instrument?.[i] ?? 0;
    let book = books.get(k);
    if (!book) books.set(k, (book = { ts: [], qty: [], price: [], feePerUnit: [], dir: [], head: 0 }));
    const side = fills.side[i]!;
    const price = fills.price[i]!;
    const fillQty = fills.qty[i]!;
    const closeFeePerUnit = fillQty > 0 ? fills.fee[i]! / fillQty : 0;
    let left = fillQty;
    while (left > 1e-12 && book.head < book.qty.length && book.dir[book.head] === -side) {
      const h = book.head;
      const matched = Math.min(left, book.qty[h]!);
      const dir = book.dir[h]!;
      out.openTs.push(book.ts[h]!);
      out.closeTs.push(fills.ts[i]!);
      out.direction.push(dir);
      out.qty.push(matched);
      out.entry.push(book.price[h]!);
      out.exit.push(price);
      out.gross.push((price - book.price[h]!) * matched * dir);
      out.fees.push(book.feePerUnit[h]! * matched + closeFeePerUnit * matched);
      out.instrument.push(k);
      book.qty[h] = book.qty[h]! - matched;
      left -= matched;
      if (book.qty[h]! <= 1e-12) book.head++;
    }
    if (left > 1e-12) {
      book.ts.push(fills.ts[i]!);
      book.qty.push(left);
      book.price.push(price);
      book.feePerUnit.push(closeFeePerUnit);
      book.dir.push(side);
    }
  }
  const count = out.qty.length;
  const gross = Float64Array.from(out.gross);
  const fees = Float64Array.from(out.fees);
  return {
    count,
    openTs: BigInt64Array.from(out.openTs),
    closeTs: BigInt64Array.from(out.closeTs),
    direction: Int8Array.from(out.direction),
    qty: Float64Array.from(out.qty),
    entryPrice: Float64Array.from(out.entry),
    exitPrice: Float64Array.from(out.exit),
    grossPnl: gross,
    fees,
    netPnl: gross.map((g, j) => g - fees[j]!),
    instrument: Uint16Array.from(out.instrument),
  };
}

function summarizeRoundTrips(trips: RoundTrips, fills: FillTable): RoundTripSummary {
  let gross = 0;
  let net = 0;
  let wins = 0;
  let winSum = 0;
  let losses = 0;
  let lossSum = 0;
  let holding = 0;
  for (let j = 0; j < trips.count; j++) {
    gross += trips.grossPnl[j]!;
    const p = trips.netPnl[j]!;
    net += p;
    if (p > 0) {
      wins++;
      winSum += p;
    } else if (p < 0) {
      losses++;
      lossSum += p;
    }
    holding += Number(trips.closeTs[j]! - trips.openTs[j]!);
  }
  let position = 0;
  for (let i = 0; i < fills.ts.length; i++) if ((fills.instrument?.[i] ?? 0) === 0) position += fills.side[i]! * fills.qty[i]!;
  return {
    count: trips.count,
    grossPnl: gross,
    netPnl: net,
    winRate: trips.count > 0 ? wins / trips.count : NaN,
    averageWin: wins > 0 ? winSum / wins : NaN,
    averageLoss: losses > 0 ? lossSum / losses : NaN,
    profitFactor: losses > 0 ? winSum / -lossSum : NaN,
    averageHoldingNs: trips.count > 0 ? holding / trips.count : NaN,
    averageHoldingMs: trips.count > 0 ? holding / trips.count / 1e6 : NaN,
    openQty: Math.abs(position) < 1e-9 ? 0 : position,
  };
}

/** Markouts of every fill at each horizon (`horizonsNs`, ns after the fill) against the mid series. */
export function markouts(fills: FillTable, mid: MidSeries, options?: { horizonsNs?: readonly number[] }): Markouts;
/** @deprecated Pass `{ horizonsNs }` (ns): `markouts(fills, mid, { horizonsNs: [100_000_000] })` for 100 ms. Kept for one version. */
export function markouts(fills: FillTable, mid: MidSeries, horizonsMs: readonly number[]): Markouts;
export function markouts(fills: FillTable, mid: MidSeries, horizons?: readonly number[] | { horizonsNs?: readonly number[] }): Markouts {
  const horizonsNs = Array.isArray(horizons) ? msToNs(horizons as readonly number[]) : ((horizons as { horizonsNs?: readonly number[] } | undefined)?.horizonsNs ?? DEFAULT_MARKOUT_HORIZONS_NS);
  const n = fills.ts.length;
  const H = horizonsNs.length;
  const perFill = new Float64Array(n * H).fill(NaN);
  const sums = { all: new Float64Array(H), buy: new Float64Array(H), sell: new Float64Array(H), maker: new Float64Array(H), taker: new Float64Array(H), edge: new Float64Array(H) };
  const counts = { all: new Int32Array(H), buy: new Int32Array(H), sell: new Int32Array(H), maker: new Int32Array(H), taker: new Int32Array(H) };
  const lastTs = mid.ts.length > 0 ? mid.ts[mid.ts.length - 1]! : 0n;
  const horizonNs = horizonsNs.map((h) => BigInt(Math.round(h)));
  let withMid = 0;
  for (let i = 0; i < n; i++) {
    const t = fills.ts[i]!;
    const j0 = lastAtOrBefore(mid.ts, t);
    if (j0 < 0) continue;
    const m0 = mid.mid[j0]!;
    if (!(m0 > 0)) continue;
    withMid++;
    const s = fills.side[i]!;
    const maker = fills.liquidity[i] === Liquidity.Maker;
    for (let h = 0; h < H; h++) {
      const target = t + horizonNs[h]!;
      if (target > lastTs) continue;
      const m1 = mid.mid[lastAtOrBefore(mid.ts, target)]!;
      if (!Number.isFinite(m1)) continue;
      const bp = (s * (m1 - m0) * 1e4) / m0;
      perFill[i * H + h] = bp;
      sums.all[h]! += bp;
      counts.all[h]!++;
      sums.edge[h]! += (s * (m1 - fills.price[i]!) * 1e4) / m0;
      if (s > 0) {
        sums.buy[h]! += bp;
        counts.buy[h]!++;
      } else {
        sums.sell[h]! += bp;
        counts.sell[h]!++;
      }
      if (maker) {
        sums.maker[h]! += bp;
        counts.maker[h]!++;
      } else {
        sums.taker[h]! += bp;
        counts.taker[h]!++;
      }
    }
  }
  const avg = (s: Float64Array, c: Int32Array): Float64Array => s.map((v, h) => (c[h]! > 0 ? v / c[h]! : NaN));
  return {
    horizonsNs: [...horizonsNs],
    horizonsMs: horizonsNs.map((h) => h / 1e6),
    unit: "bp",
    all: avg(sums.all, counts.all),
    buy: avg(sums.buy, counts.buy),
    sell: avg(sums.sell, counts.sell),
    maker: avg(sums.maker, counts.maker),
    taker: avg(sums.taker, counts.taker),
    edge: avg(sums.edge, counts.all),
    counts: counts.all,
    count: withMid,
    perFill,
  };
}

function inventoryStats(fills: FillTable): InventoryStats {
  let position = 0;
  let maxLong = 0;
  let maxShort = 0;
  let weighted = 0;
  let flat = 0;
  let total = 0;
  let prevTs: bigint | undefined;
  for (let i = 0; i < fills.ts.length; i++) {
    if ((fills.instrument?.[i] ?? 0) !== 0) continue;
    const t = fills.ts[i]!;
    if (prevTs !== undefined) {
      const dt = Number(t - prevTs);
      weighted += Math.abs(position) * dt;
      if (Math.abs(position) < 1e-12) flat += dt;
      total += dt;
    }
    prevTs = t;
    position += fills.side[i]! * fills.qty[i]!;
    if (position > maxLong) maxLong = position;
    if (position < maxShort) maxShort = position;
  }
  return { maxLong, maxShort, meanAbsolute: total > 0 ? weighted / total : NaN, flatShare: total > 0 ? flat / total : NaN, final: Math.abs(position) < 1e-9 ? 0 : position };
}

/** The horizon of `horizons` nearest to `ns` (the first of two equally near). */
function nearestHorizon(horizons: readonly number[], ns: number): number {
  return horizons.reduce((best, h) => (Math.abs(h - ns) < Math.abs(best - ns) ? h : best), horizons[0] ?? ns);
}

function msToNs(ms: readonly number[]): number[] {
  return ms.map((h) => Math.round(h * 1e6));
}

/** An ns option, or its deprecated ms spelling converted to ns; both given is a BAD_OPTION. */
function nsOption<K extends "horizonsNs" | "adverseSelectionHorizonNs">(options: TradeAnalyticsOptions, ns: K, ms: "horizonsMs" | "adverseSelectionHorizonMs", example: string): TradeAnalyticsOptions[K] | undefined {
  if (options[ns] !== undefined && options[ms] !== undefined) {
    throw new LabError({ code: "BAD_OPTION", message: `tradeAnalytics option ${ms}: is the deprecated spelling of ${ns}; both were given`, hint: `keep ${ns} (ns) and drop ${ms}: ${example}`, context: { option: ms } });
  }
  const v = options[ms];
  if (v === undefined) return options[ns];
  return (typeof v === "number" ? Math.round(v * 1e6) : msToNs(v)) as TradeAnalyticsOptions[K];
}

/** All trade analytics of a fill table; markouts and adverse selection need `mid`. */
export function tradeAnalytics(fills: FillTable, mid?: MidSeries, options: TradeAnalyticsOptions = {}): TradeReport {
  const n = fills.ts.length;
  const reasons: Record<string, string> = {};
  let buys = 0;
  let volume = 0;
  let notional = 0;
  let makerFills = 0;
  let makerQty = 0;
  let fees = 0;
  let paid = 0;
  let rebates = 0;
  let makerFees = 0;
  let takerFees = 0;
  const orderIds = new Set<number>();
  for (let i = 0; i < n; i++) {
    const q = fills.qty[i]!;
    if (fills.side[i] === 1) buys++;
    volume += q;
    notional += fills.price[i]! * q;
    const f = fills.fee[i]!;
    fees += f;
    if (f > 0) paid += f;
    else rebates -= f;
    if (fills.liquidity[i] === Liquidity.Maker) {
      makerFills++;
      makerQty += q;
      makerFees += f;
    } else takerFees += f;
    if (fills.orderId) orderIds.add(fills.orderId[i]!);
  }
  const orders = options.orders ?? NaN;
  let fillRatio = NaN;
  if (!(orders > 0)) reasons.fillRatio = "order count not given";
  else fillRatio = (fills.orderId ? orderIds.size : n) / orders;
  const spanDays = n > 1 ? Number(fills.ts[n - 1]! - fills.ts[0]!) / 86_400e9 : 0;
  const trips = roundTrips(fills);
  const horizons = nsOption(options, "horizonsNs", "horizonsMs", "e.g. { horizonsNs: [100_000_000, 1_000_000_000] } for 100 ms and 1 s") ?? DEFAULT_MARKOUT_HORIZONS_NS;
  const adverseHorizon = nsOption(options, "adverseSelectionHorizonNs", "adverseSelectionHorizonMs", "e.g. { adverseSelectionHorizonNs: 1_000_000_000 } for 1 s") ?? nearestHorizon(horizons, DEFAULT_ADVERSE_HORIZON_NS);
  const marks = mid ? markouts(fills, mid, { horizonsNs: horizons }) : undefined;
  let adverse = NaN;
  let adverseShare = NaN;
  const hIndex = horizons.indexOf(adverseHorizon);
  if (!marks) reasons.adverseSelectionBp = "no mid series given";
  else if (hIndex < 0) reasons.adverseSelectionBp = `adverse-selection horizon ${adverseHorizon} ns is not one of the markout horizons (${horizons.join(", ")} ns)`;
  else {
    let neg = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      if (fills.liquidity[i] !== Liquidity.Maker) continue;
      const v = marks.perFill[i * horizons.length + hIndex]!;
      if (v !== v) continue;
      c++;
      if (v < 0) neg++;
    }
    adverse = -marks.maker[hIndex]!;
    adverseShare = c > 0 ? neg / c : NaN;
    if (c === 0) reasons.adverseSelectionBp = "no maker fill with a mid price at the horizon";
  }
  if (n === 0) reasons.fills = "no fills";
  return {
    summary: {
      fills: n,
      buys,
      sells: n - buys,
      volume,
      notional,
      notionalPerDay: spanDays > 0 ? notional / spanDays : NaN,
      makerFills,
      takerFills: n - makerFills,
      makerShare: volume > 0 ? makerQty / volume : NaN,
      takerShare: volume > 0 ? 1 - makerQty / volume : NaN,
      fees,
      feesPaid: paid,
      rebates,
      makerFees,
      takerFees,
      fillRatio,
      orders,
      roundTrips: summarizeRoundTrips(trips, fills),
      adverseSelectionBp: adverse,
      adverseShare,
      adverseSelectionHorizonNs: adverseHorizon,
      adverseSelectionHorizonMs: adverseHorizon / 1e6,
      inventory: inventoryStats(fills),
    },
    roundTrips: trips,
    markouts: marks,
    reasons,
  };
}
