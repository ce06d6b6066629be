import { describe, expect, it } from "vitest";
import { formatNs, isLabError, nextSessionBoundary, parseTime, resolveTradingHours, sessionOpenAt, sessionsBetween, type TradingHours } from "../../src/core/index.js";
import { EventFlag, generateTicks, mergeBatches, type TickBatch } from "../../src/data/index.js";
import { OrderReason, OrderStatus, backtest, backtestStream, chunksOf, type BacktestOptions, type BacktestResult } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";

const iso = (ns: bigint): string => formatNs(ns).slice(0, 16);

describe("trading hours", () => {
  it("NASDAQ sessions follow New York's clock across the daylight-saving change and skip the weekend", () => {
    const h = resolveTradingHours("nasdaq")!;
    const sessions = sessionsBetween(h, parseTime("2024-03-07T12:00:00Z"), parseTime("2024-03-12T23:00:00Z")).filter((s) => s.closeNs > parseTime("2024-03-07T12:00:00Z") && s.openNs < parseTime("2024-03-12T23:00:00Z"));
    // EST (UTC−5) until Sunday 2024-03-10, EDT (UTC−4) after
    expect(sessions.map((s) => [iso(s.openNs), iso(s.closeNs)])).toEqual([
      ["2024-03-07T14:30", "2024-03-07T21:00"],
      ["2024-03-08T14:30", "2024-03-08T21:00"],
      ["2024-03-11T13:30", "2024-03-11T20:00"],
      ["2024-03-12T13:30", "2024-03-12T20:00"],
    ]);
    expect(nextSessionBoundary(h, parseTime("2024-03-08T21:00:00Z"))).toEqual({ atNs: parseTime("2024-03-11T13:30:00Z"), opens: true });
    expect(sessionOpenAt(h, parseTime("2024-03-08T20:59:59Z"))).toBe(true);
    expect(sessionOpenAt(h, parseTime("2024-03-08T21:00:00Z"))).toBe(false);
  });

  it("an overnight session (CME Globex) opens Sunday evening and closes Monday afternoon, Chicago time", () => {
    const h = resolveTradingHours("cme-globex")!;
    // Sunday 2024-03-10 is the US daylight-saving change: 17:00 CDT = 22:00Z, Monday 16:00 CDT = 21:00Z
    expect(nextSessionBoundary(h, parseTime("2024-03-09T12:00:00Z"))).toEqual({ atNs: parseTime("2024-03-10T22:00:00Z"), opens: true });
    expect(nextSessionBoundary(h, parseTime("2024-03-10T22:00:00Z"))).toEqual({ atNs: parseTime("2024-03-11T21:00:00Z"), opens: false });
    expect(sessionOpenAt(h, parseTime("2024-03-11T03:00:00Z"))).toBe(true);
    expect(sessionOpenAt(h, parseTime("2024-03-11T21:30:00Z"))).toBe(false);
  });

  it("bad hours are a coded error naming the option", () => {
    for (const bad of ["nasdq", { open: "9:3", close: "16:00", timeZone: "UTC" }, { open: "09:30", close: "16:00", timeZone: "Mars/Olympus" }, { open: "09:30", close: "16:00", timeZone: "UTC", days: [7] }]) {
      let error: unknown;
      try {
        resolveTradingHours(bad as TradingHours);
      } catch (e) {
        error = e;
      }
      expect(isLabError(error) && error.code === "BAD_OPTION" && error.message.includes("session"), JSON.stringify(bad)).toBe(true);
    }
    expect(resolveTradingHours("24x7")).toBeUndefined();
  });
});

describe("session boundaries in a multi-day run", () => {
  // about 35 hours from 09:00 UTC: two one-hour sessions (10:00–11:00 UTC) inside the data
  const data = generateTicks({ events: 100_000, seed: 41, mode: "l2", startNs: parseTime("2024-06-03T09:00:00Z"), ratePerSecond: 0.6 });
  const hours = { open: "10:00", close: "11:00", timeZone: "UTC", days: [0, 1, 2, 3, 4, 5, 6] };
  const maker = strategies.marketMaker({ requoteMs: 200, size: 1, maxPosition: 5 });
  const options: BacktestOptions = { latencyNs: 100_000, seed: 2 };
  const closes = [parseTime("2024-06-03T11:00:00Z"), parseTime("2024-06-04T11:00:00Z")];
  const inSession = (t: bigint): boolean => {
    const s = formatNs(t).slice(11, 19);
    return s >= "10:00:00" && s < "11:00:00";
  };

  /** Orders that arrived before a close and were still open after it. */
  const restingOverClose = (r: BacktestResult): number => {
    const o = r.orders;
    let n = 0;
    for (const c of closes) for (let i = 0; i < o.arrivedTs.length; i++) if (o.arrivedTs[i]! > 0n && o.arrivedTs[i]! < c && (o.doneTs[i] === 0n || o.doneTs[i]! > c)) n++;
    return n;
  };

  it("without sessions orders rest over the close (the case the option changes)", () => {
    // the data covers both sessions
    expect(data.exchTs[data.length - 1]! > parseTime("2024-06-04T11:30:00Z")).toBe(true);
    const free = backtest(data, maker, options);
    expect(restingOverClose(free)).toBeGreaterThan(0);
    let outside = 0;
    for (let i = 0; i < free.fills.ts.length; i++) if (!inSession(free.fills.ts[i]!)) outside++;
    expect(outside).toBeGreaterThan(0);
  });

  it("at each close every resting order is cancelled at the close, outside sessions orders are rejected, and nothing fills", () => {
    const run = backtest(data, maker, { ...options, session: hours });
    const o = run.orders;
    expect(restingOverClose(run)).toBe(0);
    // cancelled by the close: exactly at the close time, one batch per close
    const byClose = closes.map((c) => {
      let n = 0;
      for (let i = 0; i < o.id.length; i++) if (o.reason[i] === OrderReason.SessionClosed) {
        expect(o.status[i]).toBe(OrderStatus.Cancelled);
        if (o.doneTs[i] === c) n++;
      }
      return n;
    });
    const sessionClosed = o.reason.filter((r) => r === OrderReason.SessionClosed).length;
    expect(byClose[0]! + byClose[1]!).toBe(sessionClosed);
    expect(byClose[0]).toBeGreaterThan(0);
    expect(byClose[1]).toBeGreaterThan(0);
    // orders reaching the exchange outside a session are rejected; inside none is
    let rejectedOutside = 0;
    for (let i = 0; i < o.id.length; i++) {
      if (o.arrivedTs[i] === 0n) continue;
      const closed = o.reason[i] === OrderReason.MarketClosed;
      expect(closed, `order ${i} arrived ${formatNs(o.arrivedTs[i]!)}`).toBe(!inSession(o.arrivedTs[i]!));
      if (closed) {
        expect(o.status[i]).toBe(OrderStatus.Rejected);
        rejectedOutside++;
      }
    }
    expect(rejectedOutside).toBeGreaterThan(0);
    for (let i = 0; i < run.fills.ts.length; i++) expect(inSession(run.fills.ts[i]!), formatNs(run.fills.ts[i]!)).toBe(true);
    expect(run.fills.ts.length).toBeGreaterThan(10);
  });

  it("a streamed run keeps the same sessions as the in-memory run, for any chunk size", async () => {
    const memory = backtest(data, maker, { ...options, session: hours });
    for (const chunkRows of [1_000, 77_777]) {
      const streamed = await backtestStream(chunksOf(data, chunkRows), maker, { ...options, session: hours });
      expect(Array.from(streamed.orders.reason), `chunks of ${chunkRows}`).toEqual(Array.from(memory.orders.reason));
      expect(Array.from(streamed.fills.ts), `chunks of ${chunkRows}`).toEqual(Array.from(memory.fills.ts));
      expect(streamed.summary.pnl).toBe(memory.summary.pnl);
    }
  });
});

describe("a day's opening snapshot resets the books", () => {
  // day 2 opens around another price: a book that kept day 1's levels would be crossed
  const day1 = generateTicks({ events: 20_000, seed: 51, mode: "l2", startNs: parseTime("2024-06-03T13:30:00Z"), ratePerSecond: 2 });
  const day2 = generateTicks({ events: 20_000, seed: 52, mode: "l2", startNs: parseTime("2024-06-04T13:30:00Z"), ratePerSecond: 2, startPriceTicks: 12_000 });
  const both = mergeBatches([day1, day2]);
  const day2Start = day2.localTs[0]!;

  /** The book the strategy sees at its first event on day 2 (after the snapshot's last row): best prices and level counts. */
  const seen: { bid: number; ask: number; bids: number; asks: number }[] = [];
  const watcher = {
    name: "watch",
    params: {},
    create: () => ({
      onBook(ctx: { now(): bigint }, book: { bestBid(): number; bestAsk(): number; levelCount(side: 1 | -1): number }) {
        if (seen.length === 0 && ctx.now() >= day2Start) seen.push({ bid: book.bestBid(), ask: book.bestAsk(), bids: book.levelCount(1), asks: book.levelCount(-1) });
      },
    }),
  };

  /** Day 2's snapshot rows as the book they describe. */
  function snapshotOf(batch: TickBatch): { bid: number; ask: number; bids: number; asks: number } {
    let bid = -Infinity, ask = Infinity, bids = 0, asks = 0;
    for (let i = 0; i < batch.length && (batch.flags[i]! & EventFlag.Snapshot) !== 0; i++) {
      if (batch.side[i] === 1) {
        bids++;
        bid = Math.max(bid, batch.priceTicks[i]!);
      } else {
        asks++;
        ask = Math.min(ask, batch.priceTicks[i]!);
      }
    }
    return { bid, ask, bids, asks };
  }

  it("in memory and streamed, the strategy's first book of day 2 is day 2's snapshot, not day 1's levels with it", async () => {
    const want = snapshotOf(day2);
    expect(want.bids).toBeGreaterThan(3);
    expect(want.bid).toBeGreaterThan(11_000);
    backtest(both, watcher, { session: "24x7" });
    expect(seen).toEqual([want]);
    for (const chunkRows of [1_000, 7]) {
      seen.length = 0;
      await backtestStream(chunksOf(both, chunkRows), watcher, {});
      expect(seen, `chunks of ${chunkRows}`).toEqual([want]);
    }
  });
});
