/**
 * Small hand-built feeds for engine scenarios. Times are given in µs after BASE (exchange time);
 * the local (receive) time defaults to the exchange time plus `feedUs`.
 */
import { createHash } from "node:crypto";
import { instrument, type InstrumentSpec } from "../../../src/core/index.js";
import { EventFlag, EventKind, TickBatchBuilder, type TickBatch } from "../../../src/data/index.js";
import type { Context, FillEvent, OrderUpdate, StrategyHandlers, StrategyLike } from "../../../src/engine/index.js";
import { defineStrategy } from "../../../src/strategy/index.js";

/** 2024-01-02T14:30:00Z in ns. */
export const BASE = 1_704_205_800_000_000_000n;
export const us = (x: number): bigint => BASE + BigInt(Math.round(x * 1000));

export function testSpec(overrides: Partial<{ symbol: string; makerFee: number; takerFee: number; tickSize: string; lotSize: string; multiplier: number }> = {}): InstrumentSpec {
  return instrument({ symbol: overrides.symbol ?? "TEST", venue: "SIM", tickSize: overrides.tickSize ?? "0.01", lotSize: overrides.lotSize ?? "1", makerFee: overrides.makerFee ?? 0, takerFee: overrides.takerFee ?? 0, ...(overrides.multiplier === undefined ? {} : { multiplier: overrides.multiplier }) });
}

export interface RowOptions {
  /** Local receive time in µs (default: exchange time + feedUs). */
  localUs?: number;
  flags?: number;
  orderId?: number;
}

/** Rows are kept in time order on `build()` (stable: rows of one instant keep the order written). */
export class Feed {
  private readonly rows: { t: number; args: Parameters<TickBatchBuilder["push"]> }[] = [];
  constructor(private readonly feedUs = 0) {}

  private push(tUs: number, kind: number, side: number, price: number, qty: number, o: RowOptions = {}): this {
    this.rows.push({ t: tUs, args: [us(tUs), us(o.localUs ?? tUs + this.feedUs), kind, side, price, qty, o.orderId ?? NaN, o.flags ?? EventFlag.Last] });
    return this;
  }

  /** Sets levels at one instant: one atomic group (Last on the final row). */
  levels(tUs: number, bids: [number, number][], asks: [number, number][], o: RowOptions = {}): this {
    const rows: [number, number, number][] = [...bids.map(([p, q]) => [1, p, q] as [number, number, number]), ...asks.map(([p, q]) => [-1, p, q] as [number, number, number])];
    rows.forEach(([side, p, q], j) => this.push(tUs, EventKind.LevelSet, side, p, q, { ...o, flags: (o.flags ?? 0) | (j === rows.length - 1 ? EventFlag.Last : 0) }));
    return this;
  }

  level(tUs: number, side: 1 | -1, price: number, qty: number, o: RowOptions = {}): this {
    return this.push(tUs, EventKind.LevelSet, side, price, qty, o);
  }

  /** A trade print; `aggressor` 1 = buyer lifted the ask, −1 = seller hit the bid. Not a group end. */
  trade(tUs: number, aggressor: 1 | -1 | 0, price: number, qty: number, o: RowOptions = {}): this {
    return this.push(tUs, EventKind.Trade, aggressor, price, qty, { ...o, flags: o.flags ?? 0 });
  }

  add(tUs: number, id: number, side: 1 | -1, price: number, qty: number, o: RowOptions = {}): this {
    return this.push(tUs, EventKind.Add, side, price, qty, { ...o, orderId: id });
  }
  reduce(tUs: number, id: number, side: 1 | -1, price: number, qty: number, o: RowOptions = {}): this {
    return this.push(tUs, EventKind.Reduce, side, price, qty, { ...o, orderId: id });
  }
  del(tUs: number, id: number, side: 1 | -1, price: number, qty: number, o: RowOptions = {}): this {
    return this.push(tUs, EventKind.Delete, side, price, qty, { ...o, orderId: id });
  }
  execute(tUs: number, id: number, side: 1 | -1, price: number, qty: number, o: RowOptions = {}): this {
    return this.push(tUs, EventKind.Execute, side, price, qty, { ...o, orderId: id });
  }

  /** A trading-status row: code −1 halted, 0 quoting resumes, 1 trading resumes (LOBSTER's type 7 codes). */
  halt(tUs: number, code: -1 | 0 | 1): this {
    this.rows.push({ t: tUs, args: [us(tUs), us(tUs + this.feedUs), EventKind.Halt, 0, NaN, NaN, NaN, EventFlag.Last, 0, NaN, code] });
    return this;
  }

  build(spec: InstrumentSpec = testSpec()): TickBatch {
    const b = new TickBatchBuilder(this.rows.length);
    for (const row of [...this.rows].sort((x, y) => x.t - y.t)) b.push(...row.args);
    return b.build([spec], "scenario");
  }
}

export interface Recorder {
  updates: (OrderUpdate & { atUs: number })[];
  fills: (FillEvent & { atUs: number })[];
  books: { atUs: number; instrument: number; bid: number; ask: number }[];
  trades: { atUs: number; instrument: number; price: number; qty: number; side: number }[];
  ids: Record<string, number>;
}

export const toUs = (ts: bigint): number => Number(ts - BASE) / 1000;

/**
 * A strategy that runs `actions` at given local times (µs after BASE, via timers) and records
 * everything it is told.
 */
export function scripted(actions: [number, (ctx: Context, rec: Recorder) => void][], extra: StrategyHandlers = {}): { strategy: StrategyHandlers; rec: Recorder } {
  const rec: Recorder = { updates: [], fills: [], books: [], trades: [], ids: {} };
  const strategy: StrategyHandlers = {
    onStart(ctx) {
      actions.forEach(([t], j) => ctx.setTimerAt(us(t), j));
      extra.onStart?.(ctx);
    },
    onTimer(ctx, tag) {
      actions[tag as number]![1](ctx, rec);
    },
    onBook(ctx, book) {
      rec.books.push({ atUs: toUs(ctx.now()), instrument: book.instrument, bid: book.bestBid(), ask: book.bestAsk() });
      extra.onBook?.(ctx, book);
    },
    onTrade(ctx, trade) {
      rec.trades.push({ atUs: toUs(ctx.now()), instrument: trade.instrument, price: trade.priceTicks, qty: trade.qtyLots, side: trade.side });
      extra.onTrade?.(ctx, trade);
    },
    onOrderUpdate(ctx, order) {
      rec.updates.push({ ...order, atUs: toUs(ctx.now()) });
      extra.onOrderUpdate?.(ctx, order);
    },
    onFill(ctx, fill) {
      rec.fills.push({ ...fill, atUs: toUs(ctx.now()) });
      extra.onFill?.(ctx, fill);
    },
  };
  return { strategy, rec };
}

/** sha256 over the bytes of typed arrays (and JSON of anything else), for bit-identity checks. */
export function hashOf(values: readonly unknown[]): string {
  const h = createHash("sha256");
  for (const v of values) {
    if (ArrayBuffer.isView(v)) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    else h.update(JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x)) ?? "undefined");
    h.update("|");
  }
  return h.digest("hex");
}

/** A strategy that records every book and trade callback as "localTime|instrument|book|trade", in call order. */
export function callbackRecorder(seen: string[]): StrategyLike {
  return defineStrategy({
    name: "callbackRecorder",
    register: false,
    params: [],
    create: () => ({
      onBook(ctx, book) {
        seen.push(`${ctx.now()}|${book.instrument}|book`);
      },
      onTrade(ctx, trade) {
        seen.push(`${ctx.now()}|${trade.instrument}|trade`);
      },
    }),
  })();
}
