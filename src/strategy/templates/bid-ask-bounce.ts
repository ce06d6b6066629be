/**
 * BidAskBounce: provide liquidity after a print, betting that trade prices bounce between bid and
 * ask (Roll, "A simple implicit measure of the effective bid-ask spread", 1984: consecutive trade
 * price changes are negatively correlated because trades alternate between the two sides).
 *
 * - Entry: after a sell-initiated trade at the bid (buy-initiated at the ask), join the best bid
 *   (ask) with a post-only order of `size`, if the spread is at least `minSpreadTicks` and the
 *   position is below `maxPosition`. Unfilled entries are cancelled after `entryTimeoutMs`.
 * - Exit: once a position is open, rest a post-only order on the other side at
 *   entry price ± `targetTicks` (at least one tick better than the opposite touch is not required:
 *   it waits in the queue).
 * - Stop: if the touch moves `stopTicks` against the entry, cancel the exit and close at market.
 *
 * Entry size: `size` lots, or by default (`size: 0`) `orderNotional` of quote currency at the
 * first two-sided book, at least one lot, cut so that |position| stays within `maxPosition` (lots;
 * its default 0 means one entry's worth).
 */
import type { BookView, Context, StrategyHandlers, TradeView } from "../../engine/index.js";
import { defineStrategy } from "../api.js";
import { orderSizer, positionLimit, sizeParams } from "./sizing.js";

export const BidAskBounce = defineStrategy({
  name: "bidAskBounce",
  aliases: ["BidAskBounce", "bounce"],
  description: "Join the touch after a print on that side; exit passively on the bounce",
  params: [
    ...sizeParams("per entry"),
    { name: "maxPosition", type: "integer", default: 0, min: 0, max: 1_000_000, step: 1, description: "max |position| in lots; 0 = one entry's worth" },
    { name: "minSpreadTicks", type: "integer", default: 1, min: 1, max: 1000, step: 1, description: "only enter when the spread is at least this" },
    { name: "targetTicks", type: "integer", default: 1, min: 1, max: 1000, step: 1, description: "exit price distance from the entry price" },
    { name: "stopTicks", type: "integer", default: 3, min: 1, max: 10_000, step: 1, description: "close at market when the touch moves this far against the entry" },
    { name: "entryTimeoutMs", type: "number", default: 500, min: 1, max: 600_000, step: 50, description: "cancel an unfilled entry after this" },
  ],
  create: (p): StrategyHandlers => {
    const lotsFor = orderSizer(p.size, p.orderNotional);
    const maxPosition = p.maxPosition;
    const minSpread = p.minSpreadTicks;
    const target = p.targetTicks;
    const stop = p.stopTicks;
    const timeoutNs = p.entryTimeoutMs * 1e6;
    let entry = -1;
    let entrySentNs = 0;
    let exit = -1;
    let stopping = -1;
    let entryPrice = NaN;
    return {
      onTrade(ctx: Context, trade: TradeView): void {
        if (entry >= 0 || exit >= 0 || stopping >= 0) return;
        const k = trade.instrument;
        const book = ctx.book(k);
        const pos = ctx.position(k);
        if (book.spread() < minSpread) return;
        const side = -trade.side;
        if (side === 0 || (pos !== 0 && Math.sign(pos) !== side)) return;
        const price = side === 1 ? book.bestBid() : book.bestAsk();
        if (price !== price || trade.priceTicks !== price) return;
        const lots = lotsFor(book);
        const qty = Math.min(lots, positionLimit(maxPosition, lots, 1) - Math.abs(pos));
        if (qty <= 0) return;
        entry = ctx.place(side as 1 | -1, qty, price, { instrument: k, postOnly: true });
        entrySentNs = ctx.elapsedNs();
      },
      onBook(ctx: Context, book: BookView): void {
        if (entry >= 0 && ctx.elapsedNs() - entrySentNs >= timeoutNs) ctx.cancel(entry);
        const pos = ctx.position(book.instrument);
        if (pos === 0 || stopping >= 0 || entryPrice !== entryPrice) return;
        const adverse = pos > 0 ? entryPrice - book.bestBid() : book.bestAsk() - entryPrice;
        if (adverse >= stop) {
          if (exit >= 0) ctx.cancel(exit);
          stopping = ctx.market(pos > 0 ? -1 : 1, Math.abs(pos), { instrument: book.instrument });
        }
      },
      onFill(ctx, fill): void {
        if (fill.orderId === entry) {
          entryPrice = fill.priceTicks;
          const pos = ctx.position(fill.instrument);
          if (exit < 0 && stopping < 0 && pos !== 0) {
            exit = ctx.place(pos > 0 ? -1 : 1, Math.abs(pos), entryPrice + Math.sign(pos) * target, { instrument: fill.instrument, postOnly: true });
          }
        }
      },
      onOrderUpdate(ctx, order): void {
        const done = order.status === "Filled" || order.status === "Cancelled" || order.status === "Rejected";
        if (!done) return;
        if (order.id === entry) entry = -1;
        if (order.id === exit) exit = -1;
        if (order.id === stopping) stopping = -1;
        const pos = ctx.position(order.instrument);
        if (pos === 0) entryPrice = NaN;
        else if (exit < 0 && stopping < 0 && entry < 0 && entryPrice === entryPrice) {
          // Exit rejected (would cross) or partially done: re-post at the target or the touch, whichever is passive.
          const book = ctx.book(order.instrument);
          const side = pos > 0 ? -1 : 1;
          const want = entryPrice + Math.sign(pos) * target;
          const price = side === -1 ? Math.max(want, book.bestBid() + 1) : Math.min(want, book.bestAsk() - 1);
          exit = ctx.place(side, Math.abs(pos), price, { instrument: order.instrument, postOnly: true });
        }
      },
    };
  },
});
