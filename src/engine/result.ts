/**
 * `BacktestResult`: the columns a run produced (orders, fills, equity, positions, mid) in the
 * shared result-table shapes of src/stats/types.ts, a few summary figures, and a compact text form
 * for notebooks. `toJSON()` writes the input of `strategy-lab report`: timestamps as exact ns
 * strings, numbers as numbers.
 */
import { inspect } from "node:util";
import { annualizationOf, annualizationText, annualizeSharpe, calendarOf, formatNs, periodsPerSessionOf, periodsPerYearOf, spanText, type InstrumentSpec, type InstrumentSpecInit } from "../core/index.js";
import { Liquidity, dailySummary, equityDrawdown, gridValuesAt, sessionPeriods, sharpeOfChanges, type DayRow, type EquityCurve, type FillTable, type MidSeries } from "../stats/index.js";
import type { L3Book } from "../book/index.js";
import { describeInputCheck, type InputCheckReport } from "./input-check.js";
import type { RawRun } from "./loop.js";
import { ORDER_REASON_NAMES, ORDER_STATUS_NAMES, ORDER_TYPE_NAMES, OrderStatus, TIME_IN_FORCE_NAMES, type OrderTable } from "./orders.js";

export interface BacktestSummary {
  strategy: string;
  params: Readonly<Record<string, number | boolean | string>>;
  /** Final equity − initial cash (fees included). */
  pnl: number;
  realizedPnl: number;
  unrealizedPnl: number;
  /** Fees paid; negative = net rebates received. */
  fees: number;
  /** Number of fills. */
  trades: number;
  orders: number;
  /** Filled size in lots (all instruments). */
  filledLots: number;
  /** Share of filled lots that provided liquidity (maker); NaN without fills. */
  makerShare: number;
  /** Traded notional. */
  volume: number;
  /** Largest fall of equity from a running peak (currency, ≥ 0), over all samples. */
  maxDrawdown: number;
  /**
   * Sharpe ratio of equity changes between grid samples (src/stats/equity.ts), annualized by the
   * venues' trading calendar: mean/sd · √(sessions per year × session / interval), e.g.
   * √(252 × 23,400) for 1 s periods on NASDAQ, √(365 × 86,400) around the clock. NaN with fewer
   * than 3 grid samples or zero variance.
   */
  sharpe: number;
  /** The same Sharpe ratio per trading session (day): mean/sd · √(session / interval). */
  sharpePerDay: number;
  /** The same Sharpe ratio per grid period (not scaled). */
  sharpePerPeriod: number;
  /** How `sharpe` and `sharpePerDay` were scaled, in words (calendar, periods per year). */
  sharpeConvention: string;
  /** Final position in lots per instrument. */
  finalPosition: number[];
  startTs: bigint;
  endTs: bigint;
  events: number;
  /** Feed rows processed per wall-clock second (both processors count a row once). */
  eventsPerSecond: number;
  /** The drawdown stop halted trading. */
  halted: boolean;
}

export interface BacktestSettings {
  latency: string;
  feedLatency: string;
  queue: string;
  fees: string;
  seed: number;
  equityIntervalNs: number;
  initialCash: number;
  book: "l2" | "l3";
}

export interface RunDiagnostics {
  /** Rows whose receive time (after the clock offset) was before their exchange time (raised to the exchange time: zero feed latency). */
  feedTimestampsRaised: number;
  /** Per instrument: ns added to its receive times (option clockOffsetNs; 0 = none). */
  clockOffsetNs: number[];
  /** Strategy callbacks made. */
  callbacks: number;
  wallMs: number;
  /**
   * Health of each instrument's book: one that crossed (best bid > best ask) or, on order-by-order
   * data, saw events for orders it never held is not the venue's book, and fills simulated
   * against it are not to be trusted there.
   */
  books: BookHealth[];
  /** Plain-words warnings drawn from the counters above (empty when nothing looks wrong). */
  warnings: string[];
}

export interface BookHealth {
  instrument: number;
  /** Event groups (the points where the strategy is called) seen. */
  groups: number;
  /** Event groups after which the book had best bid > best ask. */
  crossedGroups: number;
  /** Row of the first crossed top of book, −1 if never. */
  firstCrossedRow: number;
  /** Cancels, executions or modifies of order ids the book did not hold (order-by-order data; 0 on price levels). */
  unknownIdEvents: number;
}

function bookHealth(run: RawRun, instrument: number): BookHealth {
  const local = run.local;
  const unknownIdEvents = run.l3 ? (run.exchangeBooks[instrument] as unknown as L3Book).stats.unknownIdEvents : 0;
  return { instrument, groups: local.groups[instrument]!, crossedGroups: local.crossedGroups[instrument]!, firstCrossedRow: local.firstCrossedRow[instrument]!, unknownIdEvents };
}

/**
 * A receive clock behind the exchange's: more than 1 % of rows received "before" they were sent
 * were seen with zero feed latency, which flatters every strategy that races the feed.
 */
function feedWarnings(run: RawRun): string[] {
  if (run.events === 0 || run.feedClamped <= 0.01 * run.events) return [];
  const pct = (100 * run.feedClamped) / run.events;
  return [
    `${run.feedClamped.toLocaleString("en-US")} of ${run.events.toLocaleString("en-US")} rows (${pct.toFixed(1)} %) were received before their exchange time and seen with zero feed latency: the capture's clock runs behind the exchange's; clockOffsetNs: "auto" (CLI --clock-offset auto) estimates the offset and adds it to receive times`,
  ];
}

function bookWarnings(books: readonly BookHealth[], instruments: readonly InstrumentSpec[]): string[] {
  const out: string[] = [];
  for (const b of books) {
    if (b.crossedGroups === 0) continue;
    const symbol = instruments[b.instrument]?.symbol ?? String(b.instrument);
    const share = `${((100 * b.crossedGroups) / Math.max(1, b.groups)).toFixed(b.crossedGroups < b.groups / 100 ? 2 : 0)}%`;
    const unknown = b.unknownIdEvents > 0 ? `; ${b.unknownIdEvents.toLocaleString("en-US")} ${b.unknownIdEvents === 1 ? "event named an order" : "events named orders"} the book never held` : "";
    const fix = b.unknownIdEvents > 0 ? 'check the data; for LOBSTER, backtest order by order on lab.venues.lobster.l3Batch (reconciled with the orderbook file; CLI --format lobster-l3) or on price levels with lab.venues.lobster.l2Batch (--format lobster-l2)' : "check the data for gaps (a missed update leaves a stale level) or an auction period";
    out.push(`${symbol}: the book crossed (best bid > best ask) after ${b.crossedGroups.toLocaleString("en-US")} of ${b.groups.toLocaleString("en-US")} event groups (${share}, first at row ${b.firstCrossedRow.toLocaleString("en-US")}${unknown}); there it is not the venue's book and simulated fills are unreliable: ${fix}.`);
  }
  return out;
}

/** The arrays a run leaves behind (no books, no strategy): what the result tables are built from. */
interface RawTables {
  time: RawRun["time"];
  tickets: RawRun["tickets"];
  ex: Pick<RawRun["exchange"], "arrivedT" | "price" | "qty" | "status" | "reason" | "doneT" | "touch">;
  local: Pick<RawRun["local"]["orders"], "status" | "reason" | "ackT" | "doneT">;
  portfolio: RawRun["portfolio"];
  fills: RawRun["fills"];
  equity: RawRun["equity"];
  markouts: RawRun["markouts"];
  endT: number;
}

/**
 * Result tables are built on first access and cached, so a run whose caller only needs the
 * summary (an optimizer trial) never pays for them.
 */
export class BacktestResult {
  readonly instruments: readonly InstrumentSpec[];
  readonly summary: BacktestSummary;
  readonly settings: BacktestSettings;
  readonly diagnostics: RunDiagnostics;
  /**
   * What the input check found before the run (option `check`): counts per issue class, the first
   * rows, rows checked and the readers' own issues. Undefined with `check: "off"`.
   */
  readonly inputCheck: InputCheckReport | undefined;
  private readonly raw: RawTables;
  private cache: { orders?: OrderTable; fills?: FillTable; equity?: EquityCurve; positions?: Float64Array[]; mids?: MidSeries[]; equityMarks?: Float64Array[]; equitySampleFill?: Int32Array } = {};

  constructor(run: RawRun, strategy: string, params: Readonly<Record<string, number | boolean | string>>, settings: BacktestSettings, inputCheck?: InputCheckReport) {
    const { exchange: ex, local, portfolio, equity: eq } = run;
    this.instruments = run.instruments;
    this.settings = settings;
    this.inputCheck = inputCheck;
    ex.reserve(run.tickets.length);
    this.raw = {
      time: run.time,
      tickets: run.tickets,
      ex: { arrivedT: ex.arrivedT, price: ex.price, qty: ex.qty, status: ex.status, reason: ex.reason, doneT: ex.doneT, touch: ex.touch },
      local: { status: local.orders.status, reason: local.orders.reason, ackT: local.orders.ackT, doneT: local.orders.doneT },
      portfolio,
      fills: run.fills,
      equity: eq,
      markouts: run.markouts,
      endT: run.endT,
    };

    const s = eq.length;
    const finalEquity = s > 0 ? eq.equity[s - 1]! : portfolio.cash;
    let fees = 0;
    let realized = 0;
    let volume = 0;
    let lots = 0;
    let makerLots = 0;
    let unrealized = 0;
    for (let k = 0; k < run.instruments.length; k++) {
      fees += portfolio.fees[k]!;
      realized += portfolio.realized[k]!;
      volume += portfolio.volume[k]!;
      lots += portfolio.tradedQty[k]!;
      makerLots += portfolio.makerQty[k]!;
      const lastMark = s > 0 ? eq.marks[k]![s - 1]! : NaN;
      unrealized += portfolio.unrealized(k, lastMark);
    }
    // The one grid, Sharpe and drawdown of src/stats/equity.ts, as trials and the tear sheet use them.
    const grid = gridValuesAt(eq.t, eq.equity, s, run.time.base, settings.equityIntervalNs, run.startT, run.endT);
    const calendar = calendarOf(run.instruments.map((i) => i.venue));
    const counted = sessionPeriods(run.time.base + BigInt(grid.first), settings.equityIntervalNs, grid.values.length, calendar.tradingHours);
    const sharpePerPeriod = sharpeOfChanges(grid.values, 0, grid.values.length, counted);
    this.summary = {
      strategy,
      params,
      pnl: finalEquity - portfolio.initialCash,
      realizedPnl: realized,
      unrealizedPnl: unrealized,
      fees,
      trades: run.fills.length,
      orders: run.tickets.length,
      filledLots: lots,
      makerShare: lots > 0 ? makerLots / lots : NaN,
      volume,
      maxDrawdown: equityDrawdown(eq.equity, 0, s).depth,
      sharpe: annualizeSharpe(sharpePerPeriod, calendar, settings.equityIntervalNs),
      sharpePerDay: sharpePerPeriod * Math.sqrt(periodsPerSessionOf(calendar, settings.equityIntervalNs)),
      sharpePerPeriod,
      sharpeConvention: annualizationText(calendar, settings.equityIntervalNs),
      finalPosition: Array.from(portfolio.positionLots),
      startTs: run.time.toBigInt(run.startT),
      endTs: run.time.toBigInt(run.endT),
      events: run.events,
      eventsPerSecond: run.wallMs > 0 ? (run.events * 1000) / run.wallMs : NaN,
      halted: local.account.halted,
    };
    const books = run.instruments.map((_, k) => bookHealth(run, k));
    this.diagnostics = { feedTimestampsRaised: run.feedClamped, clockOffsetNs: run.clockOffsets, callbacks: local.callbacks, wallMs: run.wallMs, books, warnings: [...feedWarnings(run), ...bookWarnings(books, run.instruments)] };
  }

  /** One row per order (id = row index). */
  get orders(): OrderTable {
    if (this.cache.orders) return this.cache.orders;
    const { time, tickets, ex, local, fills: fr } = this.raw;
    const n = tickets.length;
    // Filled size, average price and taker price per order, from the fills.
    const filled = new Float64Array(n);
    const pxSum = new Float64Array(n);
    const takerQty = new Float64Array(n);
    const takerPxSum = new Float64Array(n);
    for (let j = 0; j < fr.length; j++) {
      const o = fr.orderId[j]!;
      const q = fr.qtyLots[j]!;
      const px = fr.priceTicks[j]!;
      filled[o] = filled[o]! + q;
      pxSum[o] = pxSum[o]! + q * px;
      if (fr.liquidity[j] === Liquidity.Taker) {
        takerQty[o] = takerQty[o]! + q;
        takerPxSum[o] = takerPxSum[o]! + q * px;
      }
    }
    const orders: OrderTable = {
      id: new Float64Array(n),
      instrument: tickets.instrument.slice(0, n),
      side: tickets.side.slice(0, n),
      type: tickets.type.slice(0, n),
      tif: tickets.tif.slice(0, n),
      priceTicks: new Float64Array(n),
      qtyLots: new Float64Array(n),
      filledLots: new Float64Array(n),
      avgPriceTicks: new Float64Array(n),
      status: new Uint8Array(n),
      reason: new Uint8Array(n),
      sentTs: time.toBigInt64Array(tickets.sentT, n),
      arrivedTs: new BigInt64Array(0),
      ackTs: time.toBigInt64Array(local.ackT, n),
      doneTs: new BigInt64Array(0),
      slippageTicks: new Float64Array(n),
    };
    const doneT = new Float64Array(n);
    const arrivedT = new Float64Array(n);
    for (let o = 0; o < n; o++) {
      const arrived = ex.status[o] !== 0;
      orders.id[o] = o;
      orders.priceTicks[o] = arrived ? ex.price[o]! : tickets.price[o]!;
      orders.qtyLots[o] = arrived ? ex.qty[o]! : tickets.qty[o]!;
      orders.filledLots[o] = filled[o]!;
      orders.avgPriceTicks[o] = filled[o]! > 0 ? pxSum[o]! / filled[o]! : NaN;
      orders.status[o] = arrived ? ex.status[o]! : local.status[o]!;
      orders.reason[o] = arrived ? ex.reason[o]! : local.reason[o]!;
      doneT[o] = arrived ? ex.doneT[o]! : local.doneT[o]!;
      arrivedT[o] = arrived ? ex.arrivedT[o]! : NaN;
      orders.slippageTicks[o] = takerQty[o]! > 0 ? tickets.side[o]! * (takerPxSum[o]! / takerQty[o]! - ex.touch[o]!) : NaN;
    }
    orders.doneTs = time.toBigInt64Array(doneT);
    orders.arrivedTs = time.toBigInt64Array(arrivedT);
    return (this.cache.orders = orders);
  }

  /** One row per fill, at exchange time; prices and sizes in currency and instrument units. */
  get fills(): FillTable {
    if (this.cache.fills) return this.cache.fills;
    const { time, portfolio, fills: fr } = this.raw;
    const m = fr.length;
    const fills: FillTable = {
      ts: time.toBigInt64Array(fr.t, m),
      side: fr.side.slice(0, m),
      price: new Float64Array(m),
      qty: new Float64Array(m),
      fee: fr.fee.slice(0, m),
      liquidity: fr.liquidity.slice(0, m),
      instrument: fr.instrument.slice(0, m),
      orderId: fr.orderId.slice(0, m),
    };
    for (let j = 0; j < m; j++) {
      const k = fr.instrument[j]!;
      fills.price[j] = portfolio.priceOf(k, fr.priceTicks[j]!);
      fills.qty[j] = portfolio.sizeOf(k, fr.qtyLots[j]!);
    }
    return (this.cache.fills = fills);
  }

  /** Equity at each sample (grid and fills); `position` = instrument 0 in lots. */
  get equity(): EquityCurve {
    if (this.cache.equity) return this.cache.equity;
    const eq = this.raw.equity;
    const s = eq.length;
    return (this.cache.equity = { ts: this.raw.time.toBigInt64Array(eq.t, s), equity: eq.equity.slice(0, s), position: this.positions[0]!.slice() });
  }

  /** Position in lots per instrument at each equity sample. */
  get positions(): Float64Array[] {
    if (this.cache.positions) return this.cache.positions;
    const eq = this.raw.equity;
    return (this.cache.positions = eq.positions.map((p) => p.slice(0, eq.length)));
  }

  /** Per equity sample: index of the fill that triggered it; −1 for grid samples, −2 for the start and end of the run. */
  get equitySampleFill(): Int32Array {
    return (this.cache.equitySampleFill ??= this.raw.equity.fill.slice(0, this.raw.equity.length));
  }

  /**
   * Mid (currency) of instrument 0 from the exchange-side book: at each equity sample, and at
   * exactly fill time + each markout horizon (`markoutHorizonsNs`), so `markouts()` and the tear
   * sheet read the true mid at +100 ms rather than the last equity sample before it.
   */
  get mid(): MidSeries {
    return this.mids[0]!;
  }

  /** The markout horizons the run sampled the mid at (option `markoutHorizonsNs`), ns. */
  get markoutHorizonsNs(): readonly number[] {
    return Array.from(this.raw.markouts.horizonsNs);
  }

  /** Mid series per instrument: equity samples merged with the markout samples, in time order. */
  get mids(): MidSeries[] {
    return (this.cache.mids ??= this.instruments.map((_, k) => this.midSeries(k, null)));
  }

  /** Mark (exchange-side mid, currency) of each instrument at each equity sample, aligned with `equity.ts`. */
  get equityMarks(): Float64Array[] {
    const eq = this.raw.equity;
    return (this.cache.equityMarks ??= this.instruments.map((spec, k) => eq.marks[k]!.slice(0, eq.length).map((m) => m * spec.tick)));
  }

  /** Equity samples (all, or the listed indices) of instrument k merged with its markout samples. */
  private midSeries(k: number, samples: readonly number[] | null): MidSeries {
    const eq = this.raw.equity;
    const tick = this.instruments[k]!.tick;
    const fills = this.raw.fills;
    const mk = this.raw.markouts;
    const H = mk.horizonsNs.length;
    // Markout samples of this instrument that were taken (targets after the run are not).
    const at: number[] = [];
    const value: number[] = [];
    for (let p = 0; p < fills.length; p++) {
      if (fills.instrument[p] !== k) continue;
      for (let h = 0; h < H; h++) {
        const t = fills.t[p]! + mk.horizonsNs[h]!;
        if (t > this.raw.endT) continue;
        at.push(t);
        value.push(mk.midTicks[p * H + h]!);
      }
    }
    const order = Array.from(at.keys()).sort((a, b) => at[a]! - at[b]! || a - b);
    const s = samples === null ? eq.length : samples.length;
    const sampleAt = (i: number): number => (samples === null ? i : samples[i]!);
    const m = order.length;
    const times = new Float64Array(s + m);
    const mid = new Float64Array(s + m);
    // Merge; at equal times the equity sample goes first, so a lookup "last at or before t"
    // lands on the markout sample, which reflects every event stamped ≤ t.
    let i = 0;
    let j = 0;
    for (let o = 0; o < s + m; o++) {
      if (j >= m || (i < s && eq.t[sampleAt(i)]! <= at[order[j]!]!)) {
        times[o] = eq.t[sampleAt(i)]!;
        mid[o] = eq.marks[k]![sampleAt(i)]! * tick;
        i++;
      } else {
        times[o] = at[order[j]!]!;
        mid[o] = value[order[j]!]! * tick;
        j++;
      }
    }
    return { ts: this.raw.time.toBigInt64Array(times, s + m), mid };
  }

  /** Orders with readable names (status, reason, type, tif) for tables. */
  ordersReadable(): Record<string, ArrayLike<unknown>> {
    const o = this.orders;
    // every code the engine writes has a name; a code that had none would show as its number
    const names = <K extends string>(a: Uint8Array, table: Readonly<Record<number, K>>): K[] => Array.from(a, (v) => table[v] ?? (String(v) as K));
    return {
      id: o.id,
      instrument: o.instrument,
      side: o.side,
      type: names(o.type, ORDER_TYPE_NAMES),
      tif: names(o.tif, TIME_IN_FORCE_NAMES),
      priceTicks: o.priceTicks,
      qtyLots: o.qtyLots,
      filledLots: o.filledLots,
      avgPriceTicks: o.avgPriceTicks,
      status: names(o.status, ORDER_STATUS_NAMES),
      reason: names(o.reason, ORDER_REASON_NAMES),
      sentTs: o.sentTs,
      arrivedTs: o.arrivedTs,
      ackTs: o.ackTs,
      doneTs: o.doneTs,
      slippageTicks: o.slippageTicks,
    };
  }

  /** Count of orders per final status name. */
  /**
   * One row per day (src/stats/daily.ts): PnL (the days add up to the run's), drawdown within the
   * day, fills, notional, fees and the closing position per instrument. `dayStartNs`: where a day
   * starts after midnight UTC (e.g. 22 h for CME's 17:00 Chicago open); UTC days by default.
   */
  days(options: { dayStartNs?: number } = {}): DayTable {
    return new DayTable(dailySummary(this.equity, this.fills, { ...options, positions: this.positions }), this.instruments);
  }

  statusCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    const { tickets, ex, local } = this.raw;
    for (let o = 0; o < tickets.length; o++) {
      const s = ex.status[o] !== 0 ? ex.status[o]! : local.status[o]!;
      const name = ORDER_STATUS_NAMES[s] ?? "Unknown";
      out[name] = (out[name] ?? 0) + 1;
    }
    return out;
  }

  /**
   * The Sharpe ratio as the text summary states it: annualized for a run of at least one trading
   * session (core/session.ts), per equity period otherwise: annualizing minutes of data multiplies
   * noise by hundreds (the tear sheet follows the same rule).
   */
  private sharpeText(fmt: (x: number, d?: number) => string): string {
    const s = this.summary;
    const interval = this.settings.equityIntervalNs;
    const venues = this.instruments.map((i) => i.venue);
    const a = annualizationOf(Number(s.endTs - s.startTs), 0, periodsPerYearOf(calendarOf(venues), interval), venues);
    if (a.annualized) return `sharpe ${fmt(s.sharpe)} (per day ${fmt(s.sharpePerDay)})`;
    return `sharpe per ${spanText(interval)} ${fmt(s.sharpePerPeriod, 4)} (${spanText(a.spanNs)} of data: not annualized)`;
  }

  toString(): string {
    const s = this.summary;
    const sym = this.instruments.map((i) => i.symbol).join("+");
    const params = Object.entries(s.params)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
    const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }) : "n/a");
    const counts = this.statusCounts();
    const statuses = Object.entries(counts)
      .map(([k, v]) => `${k.toLowerCase()} ${v}`)
      .join(", ");
    const start = formatNs(s.startTs);
    const end = formatNs(s.endTs);
    const input = this.inputLine();
    return [
      `BacktestResult ${s.strategy}(${params}) on ${sym} · ${s.events.toLocaleString("en-US")} events · ${start} → ${end}`,
      `  pnl ${fmt(s.pnl)}  fees ${fmt(s.fees)}  trades ${s.trades.toLocaleString("en-US")}  maker ${Number.isFinite(s.makerShare) ? (s.makerShare * 100).toFixed(1) + "%" : "n/a"}  max drawdown ${fmt(s.maxDrawdown)}  ${this.sharpeText(fmt)}  position ${s.finalPosition.join("/")}${s.halted ? "  HALTED (drawdown stop)" : ""}`,
      ...(Number.isFinite(s.sharpe) ? [`  sharpe ${s.sharpeConvention}`] : []),
      `  orders ${s.orders}${statuses ? ` (${statuses})` : ""} · latency ${this.settings.latency} · feed ${this.settings.feedLatency} · queue ${this.settings.queue} · fees ${this.settings.fees}`,
      ...(input ? [`  ${input}`] : []),
      ...this.diagnostics.warnings.map((w) => `  WARNING ${w}`),
    ].join("\n");
  }

  /**
   * The input check's findings in one line ("input: 3 issues in 20,000 rows: 1 non-positive-price
   * (row 812), 2 duplicate (rows 1808, 5705); lab.data.validate(batch) for the full report"), or
   * undefined when it found none or did not run.
   */
  inputLine(): string | undefined {
    const found = this.inputCheck ? describeInputCheck(this.inputCheck) : undefined;
    return found ? `input: ${found}; lab.data.validate(batch) for the full report` : undefined;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  /**
   * The report input: `{ summary, settings, instruments, equity, fills, mid, orders }`, timestamps
   * as ns strings. `equity` and `mid` hold the regular samples only (every `equity.intervalNs`,
   * plus the start and end of the run), the series a tear sheet turns into period returns; the
   * in-memory `run.equity` also has a sample at every fill.
   */
  toJSON(): BacktestJson {
    const str = (a: BigInt64Array): string[] => Array.from(a, (v) => v.toString());
    const num = (a: ArrayLike<number>): (number | null)[] => Array.from(a, (v) => (Number.isFinite(v) ? v : null));
    const s = this.summary;
    const keep: number[] = [];
    this.equitySampleFill.forEach((f, j) => {
      if (f < 0) keep.push(j);
    });
    const pick = <T>(a: ArrayLike<T>): T[] => keep.map((j) => a[j]!);
    const position = this.equity.position ?? new Float64Array(this.equity.ts.length);
    return {
      summary: { ...s, startTs: s.startTs.toString(), endTs: s.endTs.toString() },
      ...(this.inputCheck ? { inputCheck: this.inputCheck } : {}),
      settings: this.settings,
      instruments: this.instruments.map((i) => i.toJSON()),
      equity: { ts: pick(this.equity.ts).map(String), equity: num(pick(this.equity.equity)), position: num(pick(position)), intervalNs: this.settings.equityIntervalNs },
      fills: {
        ts: str(this.fills.ts),
        side: Array.from(this.fills.side),
        price: num(this.fills.price),
        qty: num(this.fills.qty),
        fee: num(this.fills.fee),
        liquidity: Array.from(this.fills.liquidity, (v) => (v === Liquidity.Maker ? "maker" : "taker")),
        instrument: Array.from(this.fills.instrument ?? new Uint16Array(0)),
        orderId: Array.from(this.fills.orderId ?? new Float64Array(0)),
      },
      mid: ((m: MidSeries) => ({ ts: str(m.ts), mid: num(m.mid) }))(this.midSeries(0, keep)),
      orders: {
        id: Array.from(this.orders.id),
        instrument: Array.from(this.orders.instrument),
        side: Array.from(this.orders.side),
        type: Array.from(this.orders.type, (v) => ORDER_TYPE_NAMES[v] ?? String(v)),
        tif: Array.from(this.orders.tif, (v) => TIME_IN_FORCE_NAMES[v] ?? String(v)),
        priceTicks: num(this.orders.priceTicks),
        qtyLots: num(this.orders.qtyLots),
        filledLots: num(this.orders.filledLots),
        status: Array.from(this.orders.status, (v) => ORDER_STATUS_NAMES[v] ?? String(v)),
        reason: Array.from(this.orders.reason, (v) => ORDER_REASON_NAMES[v] ?? String(v)),
        sentTs: str(this.orders.sentTs),
        doneTs: str(this.orders.doneTs),
      },
    };
  }

  /** Number of orders that ended in `status`. */
  countStatus(status: OrderStatus): number {
    let c = 0;
    for (const s of this.orders.status) if (s === status) c++;
    return c;
  }
}

export interface BacktestJson {
  summary: Omit<BacktestSummary, "startTs" | "endTs"> & { startTs: string; endTs: string };
  /** The input check's report (absent with `check: "off"`). */
  inputCheck?: InputCheckReport;
  settings: BacktestSettings;
  instruments: InstrumentSpecInit[];
  equity: { ts: string[]; equity: (number | null)[]; position: (number | null)[]; intervalNs: number };
  fills: { ts: string[]; side: number[]; price: (number | null)[]; qty: (number | null)[]; fee: (number | null)[]; liquidity: string[]; instrument: number[]; orderId: number[] };
  mid: { ts: string[]; mid: (number | null)[] };
  orders: Record<string, unknown[]>;
}

/** Per-day rows of a run (`run.days()`): an array of `DayRow`, shown as a table in a notebook. */
export class DayTable {
  constructor(
    readonly rows: readonly DayRow[],
    readonly instruments: readonly InstrumentSpec[],
  ) {}

  get length(): number {
    return this.rows.length;
  }

  toJSON(): unknown[] {
    return this.rows.map((r) => ({ ...r, firstTs: r.firstTs.toString(), lastTs: r.lastTs.toString() }));
  }

  toString(): string {
    const num = (x: number, d = 2): string => (Number.isFinite(x) ? x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }) : "n/a");
    const head = ["day", "pnl", "max dd", "fills", "notional", "fees", ...this.instruments.map((i) => `pos ${i.symbol}`)];
    const body = this.rows.map((r) => [r.day, num(r.pnl), num(r.maxDrawdown), r.fills.toLocaleString("en-US"), num(r.notional, 0), num(r.fees), ...r.closingPositions.map((p) => num(p, 0))]);
    const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
    const line = (cells: string[]): string => cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join("  ");
    return [line(head), ...body.map(line)].join("\n");
  }
}
