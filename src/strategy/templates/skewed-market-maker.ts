/**
 * SkewedMarketMaker: the symmetric market maker of hftbacktest's reference run
 * (../shared/data/reference/hftbacktest-1.8.4/README.md), quoting on a fixed-step clock with an
 * inventory skew. Every `stepMs` of local time (`ctx.every`, a grid from the run's clock origin,
 * as hftbacktest's `while elapse(step)`), after the first `warmupMs`, on a two-sided uncrossed book:
 *
 *   mid  = (best bid + best ask) / 2                        (ticks)
 *   skew = skewTicks · position / orderQty                   (ticks; position and orderQty in instrument units)
 *   bid  = min(⌊mid − halfSpreadTicks − skew⌋, best bid),   ask = max(⌈mid + halfSpreadTicks − skew⌉, best ask)
 *
 * A bid is wanted while position < maxPosition, an ask while position > −maxPosition. Each open
 * order is kept if it is on a wanted side at exactly the wanted price, otherwise cancelled when it
 * is cancellable (acknowledged, open, no request pending); a post-only limit of `orderQty` is sent
 * on each wanted side with no order at its price (bid first). Nothing waits for responses.
 *
 * `orderQty` and `maxPosition` are in instrument units (BTC for BTCUSDT), as in the reference; the
 * position is the strategy's position in lots (from fill reports) times the lot size, so at
 * maxPosition it equals maxPosition exactly (a running float sum of 0.01s would stop one step
 * early or late: 0.09 + 0.01 is 0.09999999999999999). Run against hftbacktest's reference with
 * `compat: "hftbacktest"`, this reproduces its orders, cancels, fills, position and balance
 * (test/fidelity/hftbacktest-mm.test.ts).
 */
import type { Context, OrderUpdate, StrategyHandlers } from "../../engine/index.js";
import { defineStrategy } from "../api.js";

export const SkewedMarketMaker = defineStrategy({
  name: "skewedMarketMaker",
  aliases: ["SkewedMarketMaker", "hftbacktestMarketMaker"],
  description: "fixed-step two-sided post-only quotes around the mid, skewed by inventory (hftbacktest's reference market maker)",
  params: [
    { name: "stepMs", type: "number", default: 100, min: 1, max: 3_600_000, step: 50, description: "quote every this many ms of local time" },
    { name: "warmupMs", type: "number", default: 1000, min: 0, max: 86_400_000, step: 500, description: "no quotes during the first ms after the clock's origin" },
    { name: "halfSpreadTicks", type: "number", default: 10, min: 0, max: 100_000, step: 1, description: "distance of each quote from the mid, ticks" },
    { name: "skewTicks", type: "number", default: 2, min: 0, max: 100_000, step: 0.5, description: "quote shift in ticks per orderQty of inventory" },
    { name: "orderQty", type: "number", default: 0.01, min: 0, max: 1e12, description: "quote size in instrument units (rounded to lots)" },
    { name: "maxPosition", type: "number", default: 0.1, min: 0, max: 1e12, description: "no bid at position ≥ this, no ask at position ≤ −this (instrument units)" },
  ],
  create: (p): StrategyHandlers => {
    const stepNs = Math.round(p.stepMs * 1e6);
    const warmupNs = p.warmupMs * 1e6;
    const half = p.halfSpreadTicks;
    const skewTicks = p.skewTicks;
    const orderQty = p.orderQty;
    const maxPosition = p.maxPosition;
    let lotSize = NaN;
    let qtyLots = 0;
    let steps = 0;
    let view: OrderUpdate | undefined;

    const step = (ctx: Context): void => {
      steps++;
      if (steps * stepNs < warmupNs) return;
      const book = ctx.book(0);
      const bb = book.bestBid();
      const ba = book.bestAsk();
      if (bb !== bb || ba !== ba || bb >= ba) return;
      const mid = (bb + ba) / 2;
      const position = ctx.position(0) * lotSize;
      const skew = (skewTicks * position) / orderQty;
      const bidTick = Math.min(Math.floor(mid - half - skew), bb);
      const askTick = Math.max(Math.ceil(mid + half - skew), ba);
      const wantBid = position < maxPosition;
      const wantAsk = position > -maxPosition;
      let haveBid = false;
      let haveAsk = false;
      // By index, one order view reused: the step loop allocates nothing per order.
      for (let j = 0, n = ctx.openOrderCount(0); j < n; j++) {
        const id = ctx.openOrderAt(j, 0);
        const o = (view = ctx.order(id, view)!);
        if (o.side === 1 && wantBid && o.priceTicks === bidTick) haveBid = true;
        else if (o.side === -1 && wantAsk && o.priceTicks === askTick) haveAsk = true;
        else if (o.cancellable) ctx.cancel(id);
      }
      if (wantBid && !haveBid) ctx.place(1, qtyLots, bidTick, { postOnly: true });
      if (wantAsk && !haveAsk) ctx.place(-1, qtyLots, askTick, { postOnly: true });
    };

    return {
      onStart(ctx: Context): void {
        lotSize = Number(ctx.instruments[0]!.lotSize);
        qtyLots = Math.max(1, Math.round(orderQty / lotSize));
        ctx.every(stepNs, step);
      },
    };
  },
});
