/**
 * `ctx.place(side, qtyLots, priceTicks?, options?)` sends the same orders as `buy`/`sell`, the
 * deprecated `limit(side, priceTicks, qtyLots)` and `market(side, qtyLots)`. Book (tick 0.01,
 * lot 1): bids 100×5, 99×10 · asks 101×3, 102×4, 103×10; latency 0. Prices and sizes differ in
 * every order, so a swapped pair would show in the orders table.
 */
import { describe, expect, it } from "vitest";
import { backtest, type Context } from "../../src/engine/index.js";
import { Feed, scripted, testSpec } from "./scenarios/helpers.js";

const spec = testSpec({ makerFee: -0.0001, takerFee: 0.0004 });
const book = (): Feed => new Feed().levels(0, [[100, 5], [99, 10]], [[101, 3], [102, 4], [103, 10]]).level(1000, 1, 90, 1);

/** The same five orders, sent through one family of order methods. */
const ORDERS: Record<string, (ctx: Context) => void> = {
  place: (ctx) => {
    ctx.place(1, 2, 99, { postOnly: true });
    ctx.place(-1, 3, 102);
    ctx.place(1, 1);
    ctx.place(1, 4, 101, { tif: "IOC" });
    ctx.place(-1, 6);
  },
  buySell: (ctx) => {
    ctx.buy(2, 99, { postOnly: true });
    ctx.sell(3, 102);
    ctx.buy(1);
    ctx.buy(4, 101, { tif: "IOC" });
    ctx.sell(6);
  },
  limitMarket: (ctx) => {
    ctx.limit(1, 99, 2, { postOnly: true });
    ctx.limit(-1, 102, 3);
    ctx.market(1, 1);
    ctx.limit(1, 101, 4, { tif: "IOC" });
    ctx.market(-1, 6);
  },
};

function run(family: string) {
  const { strategy } = scripted([[10, ORDERS[family]!]]);
  return backtest(book().build(spec), strategy);
}

describe("ctx.place", () => {
  it("sends the orders buy/sell and limit/market send, with the arguments in one order", () => {
    const viaPlace = run("place");
    const table = viaPlace.ordersReadable();
    // Worked out by hand from the book above.
    expect(Array.from(table.side as ArrayLike<number>)).toEqual([1, -1, 1, 1, -1]);
    expect(Array.from(table.type as ArrayLike<string>)).toEqual(["Limit", "Limit", "Market", "Limit", "Market"]);
    expect(Array.from(table.tif as ArrayLike<string>)).toEqual(["PostOnly", "GTC", "IOC", "IOC", "IOC"]);
    expect(Array.from(table.qtyLots as ArrayLike<number>)).toEqual([2, 3, 1, 4, 6]);
    expect(Array.from(table.priceTicks as ArrayLike<number>).slice(0, 2)).toEqual([99, 102]);
    expect((table.priceTicks as ArrayLike<number>)[3]).toBe(101);
    // The market buy takes 1 lot at 101; the IOC buy at 101 takes the 3 there (the book is the
    // feed's: our own takes do not remove lots from it) and cancels the 4th; the market sell
    // takes 5 at 100 and 1 at 99. The resting orders (buy 2 at 99, sell 3 at 102) do not fill.
    expect(Array.from(viaPlace.fills.price)).toEqual([1.01, 1.01, 1, 0.99]);
    expect(Array.from(viaPlace.fills.qty)).toEqual([1, 3, 5, 1]);
    expect(Array.from(table.filledLots as ArrayLike<number>)).toEqual([0, 0, 1, 3, 6]);
    expect(Array.from(viaPlace.fills.side)).toEqual([1, 1, -1, -1]);

    for (const family of ["buySell", "limitMarket"]) {
      const other = run(family);
      expect(other.ordersReadable()).toEqual(table);
      expect(Array.from(other.fills.price)).toEqual(Array.from(viaPlace.fills.price));
      expect(Array.from(other.fills.qty)).toEqual(Array.from(viaPlace.fills.qty));
      expect(Array.from(other.fills.side)).toEqual(Array.from(viaPlace.fills.side));
    }
  });

  it("refuses a side that is neither 1 nor -1 (BAD_SIDE)", () => {
    const { strategy } = scripted([[10, (ctx) => ctx.place(0 as 1, 1, 100)]]);
    expect(() => backtest(book().build(spec), strategy)).toThrow(expect.objectContaining({ code: "BAD_SIDE" }));
  });
});
