/**
 * Every order type against a hand-built book, with the expected fills worked out by hand:
 *   bids 100×5, 99×10 · asks 101×3, 102×4, 103×10   (tick 0.01, lot 1)
 *   fees: maker −1 bp (rebate), taker +4 bp of notional; latency 0 unless stated.
 */
import { describe, expect, it } from "vitest";
import { OrderReason, OrderStatus, backtest } from "../../src/engine/index.js";
import { Feed, scripted, testSpec, toUs } from "./scenarios/helpers.js";

const spec = testSpec({ makerFee: -0.0001, takerFee: 0.0004 });
// A deep bid at 90 arriving at 1000 µs keeps the run going past the scripted actions (a run
// ends with its last feed row) without touching the levels the scenarios trade against.
const book = (): Feed => new Feed().levels(0, [[100, 5], [99, 10]], [[101, 3], [102, 4], [103, 10]]).level(1000, 1, 90, 1);
const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThan(1e-12);

describe("market orders", () => {
  it("walk the ask levels, pay taker fees, and report slippage against the touch", () => {
    const { strategy, rec } = scripted([[10, (ctx) => ctx.market(1, 5)]]);
    const run = backtest(book().build(spec), strategy);
    // 3 lots at 101 then 2 at 102.
    expect(Array.from(run.fills.price)).toEqual([1.01, 1.02]);
    expect(Array.from(run.fills.qty)).toEqual([3, 2]);
    expect(Array.from(run.fills.liquidity)).toEqual([1, 1]);
    close(run.fills.fee[0]!, 0.0004 * 1.01 * 3);
    close(run.fills.fee[1]!, 0.0004 * 1.02 * 2);
    expect(run.orders.status[0]).toBe(OrderStatus.Filled);
    // average (3·101 + 2·102)/5 = 101.4 ticks; touch at arrival 101 → 0.4 ticks of slippage.
    close(run.orders.avgPriceTicks[0]!, 101.4);
    close(run.orders.slippageTicks[0]!, 0.4);
    expect(rec.updates.map((u) => u.event)).toEqual(["ack", "fill", "fill"]);
    expect(rec.updates.at(-1)!.status).toBe("Filled");
    expect(run.summary.finalPosition).toEqual([5]);
    // cash = −(3·1.01 + 2·1.02) − fees; marked at the last mid (100 + 101)/2 = 100.5 ticks.
    const cash = -(3 * 1.01 + 2 * 1.02) - 0.0004 * (3 * 1.01 + 2 * 1.02);
    close(run.equity.equity.at(-1)!, cash + 5 * 1.005);
  });

  it("cancel the part the visible book cannot fill (NoLiquidity)", () => {
    const { strategy } = scripted([[10, (ctx) => ctx.market(1, 20)]]);
    const run = backtest(book().build(spec), strategy);
    expect(run.orders.filledLots[0]).toBe(17);
    expect(run.orders.status[0]).toBe(OrderStatus.Cancelled);
    expect(run.orders.reason[0]).toBe(OrderReason.NoLiquidity);
  });

  it("are rejected on an empty opposite side", () => {
    const { strategy, rec } = scripted([[10, (ctx) => ctx.market(1, 1)]]);
    const run = backtest(new Feed().levels(0, [[100, 5]], []).level(50, 1, 90, 1).build(spec), strategy);
    expect(run.orders.status[0]).toBe(OrderStatus.Rejected);
    expect(run.orders.reason[0]).toBe(OrderReason.NoLiquidity);
    expect(rec.updates.map((u) => [u.event, u.reason])).toEqual([["rejected", "NoLiquidity"]]);
  });

  it("sells walk the bid side", () => {
    const { strategy } = scripted([[10, (ctx) => ctx.sell(7)]]);
    const run = backtest(book().build(spec), strategy);
    expect(Array.from(run.fills.price)).toEqual([1, 0.99]);
    expect(Array.from(run.fills.qty)).toEqual([5, 2]);
    // (5·100 + 2·99)/7 = 99.714…; sells: slippage = −(avg − touch) = 100 − 99.714 = 0.2857 ticks.
    close(run.orders.slippageTicks[0]!, 100 - (5 * 100 + 2 * 99) / 7);
  });
});

describe("limit orders", () => {
  it("GTC: the crossing part takes, the rest rests and fills as maker when the touch comes to it", () => {
    const { strategy, rec } = scripted([[10, (ctx) => ctx.limit(1, 102, 10)]]);
    // At 20 the asks at 101 and 102 are gone (touch 103 > our 102: no fill); at 30 a new ask at
    // 102 appears: the touch moved onto our price → the remaining 3 fill at 102 as maker.
    const feed = book().level(20, -1, 101, 0).level(20, -1, 102, 0).level(30, -1, 102, 2);
    const run = backtest(feed.build(spec), strategy);
    expect(Array.from(run.fills.price)).toEqual([1.01, 1.02, 1.02]);
    expect(Array.from(run.fills.qty)).toEqual([3, 4, 3]);
    expect(Array.from(run.fills.liquidity)).toEqual([1, 1, 0]);
    expect(Array.from(run.fills.ts, toUs)).toEqual([10, 10, 30]);
    close(run.fills.fee[2]!, -0.0001 * 1.02 * 3);
    expect(run.orders.status[0]).toBe(OrderStatus.Filled);
    expect(rec.updates.map((u) => u.status)).toEqual(["Acked", "PartiallyFilled", "PartiallyFilled", "Filled"]);
  });

  it("IOC: fills what it can within the limit, cancels the rest", () => {
    const { strategy } = scripted([[10, (ctx) => ctx.limit(1, 101, 5, { tif: "IOC" })]]);
    const run = backtest(book().build(spec), strategy);
    expect(run.orders.filledLots[0]).toBe(3);
    expect(run.orders.status[0]).toBe(OrderStatus.Cancelled);
    expect(run.orders.reason[0]).toBe(OrderReason.IocRemainder);
  });

  it("IOC that does not cross is cancelled without fills", () => {
    const { strategy } = scripted([[10, (ctx) => ctx.limit(1, 100, 5, { tif: "IOC" })]]);
    const run = backtest(book().build(spec), strategy);
    expect(run.fills.ts.length).toBe(0);
    expect(run.orders.reason[0]).toBe(OrderReason.IocRemainder);
  });

  it("FOK: all or nothing against the levels within the limit", () => {
    // Within 102 there are 3 + 4 = 7 lots: 8 is not fillable, 7 is.
    const { strategy } = scripted([
      [10, (ctx) => ctx.limit(1, 102, 8, { tif: "FOK" })],
      [20, (ctx) => ctx.limit(1, 102, 7, { tif: "FOK" })],
    ]);
    const run = backtest(book().level(30, 1, 98, 1).build(spec), strategy);
    expect(run.orders.status[0]).toBe(OrderStatus.Cancelled);
    expect(run.orders.reason[0]).toBe(OrderReason.FokNotFillable);
    expect(run.orders.filledLots[0]).toBe(0);
    expect(run.orders.status[1]).toBe(OrderStatus.Filled);
    expect(Array.from(run.fills.qty)).toEqual([3, 4]);
    expect(Array.from(run.fills.orderId!)).toEqual([1, 1]);
  });

  it("post-only: rejected if it would cross, rests otherwise", () => {
    const { strategy, rec } = scripted([
      [10, (ctx) => ctx.limit(1, 101, 1, { postOnly: true })],
      [20, (ctx) => ctx.limit(1, 100, 1, { tif: "PostOnly" })],
    ]);
    const run = backtest(book().level(30, 1, 98, 1).build(spec), strategy);
    expect(run.orders.status[0]).toBe(OrderStatus.Rejected);
    expect(run.orders.reason[0]).toBe(OrderReason.PostOnlyWouldCross);
    expect(run.orders.status[1]).toBe(OrderStatus.Acked);
    expect(rec.updates.map((u) => [u.id, u.event])).toEqual([
      [0, "rejected"],
      [1, "ack"],
    ]);
  });
});

describe("cancel and modify", () => {
  it("cancels an open order; a second cancel is refused locally", () => {
    const results: boolean[] = [];
    const { strategy } = scripted([
      [10, (ctx) => ctx.limit(1, 99, 1)],
      [20, (ctx) => results.push(ctx.cancel(0))],
      [30, (ctx) => results.push(ctx.cancel(0))],
    ]);
    const run = backtest(book().level(40, 1, 98, 1).build(spec), strategy);
    expect(results).toEqual([true, false]);
    expect(run.orders.status[0]).toBe(OrderStatus.Cancelled);
    expect(run.orders.reason[0]).toBe(OrderReason.UserCancel);
    expect(toUs(run.orders.doneTs[0]!)).toBe(20);
  });

  it("a cancel that arrives after the fill is rejected (OrderNotOpen)", () => {
    // latency 10 µs each way: the buy at 100 arrives at 20; a sell prints through it at 25 (fills);
    // the strategy, not knowing yet (the fill report lands at 35), cancels at 30 → arrives 40.
    const { strategy, rec } = scripted([
      [10, (ctx) => ctx.limit(1, 100, 1)],
      [30, (ctx) => ctx.cancel(0)],
    ]);
    const feed = book().trade(25, -1, 99, 1).level(60, 1, 98, 1);
    const run = backtest(feed.build(spec), strategy, { latencyNs: 10_000 });
    expect(run.orders.status[0]).toBe(OrderStatus.Filled);
    expect(rec.updates.map((u) => [u.event, u.atUs])).toEqual([
      ["ack", 30],
      ["fill", 35],
      ["cancelRejected", 50],
    ]);
    expect(rec.updates[2]!.reason).toBe("OrderNotOpen");
  });

  it("modify: a smaller size at the same price keeps the queue place, a larger one goes to the back", () => {
    // Our buy 4 @100 joins behind 5 lots; then 3 more lots join behind us (level 5 → 8).
    // A: modify to 2 lots (keeps front = 5); B: modify to 6 lots (front = visible 8).
    // Then a sell of 6 prints at 100: A reaches 6 − 5 = 1 lot; B gets nothing.
    const scenario = (newQty: number) => {
      const { strategy } = scripted([
        [10, (ctx) => ctx.limit(1, 100, 4)],
        [30, (ctx) => ctx.modify(0, { qtyLots: newQty })],
      ]);
      const feed = book().level(20, 1, 100, 8).trade(40, -1, 100, 6).level(40, 1, 100, 2);
      return backtest(feed.build(spec), strategy, { queue: "riskAverse" });
    };
    const a = scenario(2);
    expect(Array.from(a.fills.qty)).toEqual([1]);
    expect(a.orders.qtyLots[0]).toBe(2);
    const b = scenario(6);
    expect(b.fills.ts.length).toBe(0);
    expect(b.orders.qtyLots[0]).toBe(6);
  });

  it("modify to a new price re-queues behind that level; to a size ≤ filled is rejected", () => {
    const { strategy, rec } = scripted([
      [10, (ctx) => ctx.limit(1, 100, 2)],
      [20, (ctx) => ctx.modify(0, { priceTicks: 99 })],
      [40, (ctx) => ctx.modify(0, { qtyLots: 1 })],
    ]);
    // At 30 a sell of 11 prints at 99: 10 lots were ahead at 99, so 1 of our 2 fills.
    const feed = book().trade(30, -1, 99, 11).level(30, 1, 99, 0);
    const run = backtest(feed.build(spec), strategy, { queue: "riskAverse" });
    expect(Array.from(run.fills.price)).toEqual([0.99]);
    expect(Array.from(run.fills.qty)).toEqual([1]);
    expect(rec.updates.map((u) => u.event)).toEqual(["ack", "modified", "fill", "modifyRejected"]);
    expect(rec.updates[3]!.reason).toBe("BadModify");
  });
});

describe("rejects", () => {
  it.each([
    ["price off the tick grid", (ctx: import("../../src/engine/index.js").Context) => ctx.limit(1, 100.5, 1), "BadPriceTick"],
    ["fractional lots", (ctx: import("../../src/engine/index.js").Context) => ctx.limit(1, 100, 1.5), "BadSizeLot"],
    ["zero size", (ctx: import("../../src/engine/index.js").Context) => ctx.market(1, 0), "BadSizeLot"],
  ])("%s", (_name, send, reason) => {
    const { strategy, rec } = scripted([[10, (ctx) => send(ctx)]]);
    const run = backtest(book().build(spec), strategy, { latencyNs: 1_000_000 });
    expect(run.orders.status[0]).toBe(OrderStatus.Rejected);
    // Local checks answer at once, without the round trip.
    expect(rec.updates).toMatchObject([{ event: "rejected", reason, atUs: 10 }]);
    expect(run.orders.arrivedTs[0]).toBe(0n);
  });

  it("risk limits: max position counts open orders, max order size, no short selling", () => {
    const { strategy, rec } = scripted([
      [10, (ctx) => ctx.limit(1, 99, 3)],
      [11, (ctx) => ctx.limit(1, 99, 3)],
      [12, (ctx) => ctx.limit(1, 99, 2)],
      [13, (ctx) => ctx.limit(-1, 105, 1)],
      [14, (ctx) => ctx.limit(1, 98, 9)],
    ]);
    const run = backtest(book().level(20, 1, 97, 1).build(spec), strategy, { risk: { maxPosition: 5, allowShort: false, maxOrderQty: 8 } });
    expect(Array.from(run.orders.reason)).toEqual([OrderReason.None, OrderReason.RiskMaxPosition, OrderReason.None, OrderReason.InsufficientPosition, OrderReason.RiskMaxOrderQty]);
    expect(rec.updates.filter((u) => u.event === "rejected").map((u) => u.reason)).toEqual(["RiskMaxPosition", "InsufficientPosition", "RiskMaxOrderQty"]);
  });

  it("risk limits: order rate over any 1 s window", () => {
    const { strategy } = scripted([
      [10, (ctx) => ctx.limit(1, 90, 1)],
      [20, (ctx) => ctx.limit(1, 90, 1)],
      [30, (ctx) => ctx.limit(1, 90, 1)],
      [1_000_011, (ctx) => ctx.limit(1, 90, 1)],
    ]);
    const run = backtest(book().level(1_000_020, 1, 97, 1).build(spec), strategy, { risk: { maxOrdersPerSecond: 2 } });
    expect(Array.from(run.orders.reason)).toEqual([OrderReason.None, OrderReason.None, OrderReason.RiskOrderRate, OrderReason.None]);
  });

  it("drawdown stop: flattens at market and halts", () => {
    // Buy 5 at market: 3 at 101 + 2 at 102 = 5.07 (no fees). Equity = −5.07 + 5·mid; the peak is
    // 0 (before the buy). Mid 97.5 → −0.195 (kept); mid 96.5 → −0.245, more than 0.2 below the
    // peak: cancel the working order, sell 5 at the bid 96, halt.
    const { strategy, rec } = scripted([
      [10, (ctx) => ctx.market(1, 5)],
      [15, (ctx) => ctx.limit(1, 90, 1)],
      [40, (ctx) => ctx.limit(1, 90, 1)],
    ]);
    // (the action at 40 never runs: a halted strategy gets no callbacks, timers included)
    const feed = book().levels(20, [[98, 5]], [[99, 5]]).level(20, 1, 100, 0).level(20, 1, 99, 0).level(20, -1, 101, 0).level(20, -1, 102, 0).level(20, -1, 103, 0);
    feed.levels(30, [[96, 5]], [[97, 5]]).level(30, 1, 98, 0).level(30, -1, 99, 0).level(50, 1, 95, 1);
    const noFees = testSpec();
    const run = backtest(feed.build(noFees), strategy, { risk: { maxDrawdown: 0.2 } });
    expect(run.summary.halted).toBe(true);
    expect(run.summary.finalPosition).toEqual([0]);
    expect(Array.from(run.fills.price)).toEqual([1.01, 1.02, 0.96]);
    expect(Array.from(run.fills.qty)).toEqual([3, 2, 5]);
    expect(run.orders.status[1]).toBe(OrderStatus.Cancelled);
    expect(run.orders.reason[1]).toBe(OrderReason.UserCancel);
    expect(run.orders.id.length).toBe(3);
    close(run.summary.pnl, -5.07 + 4.8);
    // After the halt the strategy hears nothing more.
    expect(rec.updates.every((u) => u.atUs <= 30)).toBe(true);
  });
});

describe("trading halts in the data", () => {
  it("reject new orders and modifies while halted, allow cancels, and trade again after the resume", () => {
    // Halt at 100, quoting resumes at 200 (still no trading), trading resumes at 300.
    const { strategy, rec } = scripted([
      [10, (ctx) => ctx.limit(1, 98, 1)],
      [150, (ctx) => ctx.market(1, 1)],
      [160, (ctx) => ctx.modify(0, { priceTicks: 97 })],
      [250, (ctx) => ctx.limit(1, 101, 1, { tif: "IOC" })],
      [260, (ctx) => ctx.cancel(0)],
      [350, (ctx) => ctx.market(1, 2)],
    ]);
    const feed = book().halt(100, -1).halt(200, 0).halt(300, 1);
    const run = backtest(feed.build(spec), strategy);
    // Orders: 0 the resting limit (cancelled during the halt), 1 market (rejected), 2 IOC (rejected), 3 market after resume.
    expect(Array.from(run.orders.status)).toEqual([OrderStatus.Cancelled, OrderStatus.Rejected, OrderStatus.Rejected, OrderStatus.Filled]);
    expect(run.orders.reason[1]).toBe(OrderReason.TradingHalted);
    expect(run.orders.reason[2]).toBe(OrderReason.TradingHalted);
    expect(run.orders.reason[0]).toBe(OrderReason.UserCancel);
    expect(rec.updates.some((u) => u.event === "modifyRejected" && u.reason === "TradingHalted")).toBe(true);
    // Only the order after the resume traded: 2 lots at the ask 101.
    expect(Array.from(run.fills.price)).toEqual([1.01]);
    expect(Array.from(run.fills.qty)).toEqual([2]);
    expect(Array.from(run.fills.ts, toUs)).toEqual([350]);
  });
});

describe("one order vocabulary", () => {
  it("an order's last update and its row in the result's order table name its type, time in force, status and reason alike", () => {
    const { strategy, rec } = scripted([
      [10, (ctx) => ctx.market(1, 2)], // fills at 101
      [20, (ctx) => ctx.limit(-1, 105, 1, { tif: "GTC" })], // rests
      [30, (ctx) => ctx.limit(1, 102, 1, { postOnly: true })], // would cross: rejected
      [40, (ctx) => ctx.limit(1, 101, 50, { tif: "IOC" })], // takes what is left at 101, the rest cancelled
      [50, (ctx) => ctx.cancel(1)], // the resting sell
    ]);
    const run = backtest(book().build(spec), strategy);
    const table = run.ordersReadable() as Record<"id" | "type" | "tif" | "status" | "reason", ArrayLike<unknown>>;
    const lastUpdate = new Map(rec.updates.map((u) => [u.id, u]));
    const rows = Array.from(table.id as ArrayLike<number>, (id, i) => [id, table.type[i], table.tif[i], table.status[i], table.reason[i]]);
    expect(rows).toEqual([...lastUpdate.values()].map((u) => [u.id, u.type, u.tif, u.status, u.reason]));
    // the spelling is the `const` objects' keys (OrderType, TimeInForce, OrderStatus, OrderReason)
    expect(rows).toEqual([
      [0, "Market", "IOC", "Filled", "None"],
      [1, "Limit", "GTC", "Cancelled", "UserCancel"],
      [2, "Limit", "PostOnly", "Rejected", "PostOnlyWouldCross"],
      [3, "Limit", "IOC", "Cancelled", "IocRemainder"],
    ]);
  });
});
