/**
 * OrderBookImbalance: trade in the direction of the resting-size imbalance at the top of the book.
 *
 *   I = (B − A) / (B + A),   B, A = bid and ask size over the top `levels` levels
 *   target position = +maxPosition if I ≥ threshold, −maxPosition if I ≤ −threshold,
 *                     0 if |I| < exitThreshold (when exitThreshold > 0), else unchanged
 * Each book update moves the position toward the target by at most `size` lots, no more often
 * than every `cooldownMs`, with one order in flight at a time. `mode: "taker"` sends market orders;
 * `mode: "maker"` joins the touch with post-only limits (cancelled when the signal flips or after
 * `cooldownMs`). One-sided, locked and crossed books are skipped. Order size: `size` lots, or by
 * default (`size: 0`) `orderNotional` of quote currency at the first two-sided book, at least one
 * lot; `maxPosition` is in lots, its default 0 meaning five orders' worth. Imbalance predicts the next mid move over short horizons (Cont, Kukanov & Stoikov,
 * "The price impact of order book events", 2014; Cartea, Donnelly & Jaimungal, 2018).
 */
import type { BookView, Context, StrategyHandlers } from "../../engine/index.js";
import { defineStrategy } from "../api.js";
import { orderSizer, positionLimit, sizeParams } from "./sizing.js";

/** Orders' worth of position the default target allows. */
const DEFAULT_LIMIT_ORDERS = 5;

export const OrderBookImbalance = defineStrategy({
  name: "imbalance",
  aliases: ["OrderBookImbalance", "obi"],
  description: "Follow the top-of-book size imbalance toward ±maxPosition",
  params: [
    { name: "threshold", type: "number", default: 0.3, min: 0, max: 1, step: 0.05, description: "enter when |imbalance| ≥ threshold" },
    { name: "exitThreshold", type: "number", default: 0, min: 0, max: 1, step: 0.05, description: "flatten when |imbalance| < this (0 = hold until the opposite signal)" },
    { name: "levels", type: "integer", default: 1, min: 1, max: 20, step: 1, description: "levels per side in the imbalance" },
    ...sizeParams("per order"),
    { name: "maxPosition", type: "integer", default: 0, min: 0, max: 1_000_000, step: 1, description: `target |position| in lots; 0 = ${DEFAULT_LIMIT_ORDERS} orders' worth` },
    { name: "cooldownMs", type: "number", default: 10, min: 0, max: 60_000, step: 5, description: "minimum time between orders" },
    { name: "mode", type: "choice", default: "taker", choices: ["taker", "maker"], description: "market orders, or post-only orders at the touch" },
  ],
  create: (p): StrategyHandlers => {
    const threshold = p.threshold;
    const exitThreshold = p.exitThreshold;
    const levels = p.levels;
    const lotsFor = orderSizer(p.size, p.orderNotional);
    const maxPosition = p.maxPosition;
    const cooldownNs = p.cooldownMs * 1e6;
    const maker = p.mode === "maker";
    let lastOrderNs = -Infinity;
    let working = -1;
    let workingSide = 0;
    let target = 0;
    return {
      onBook(ctx: Context, book: BookView): void {
        // A one-sided, locked or crossed book (a side emptied, a snapshot half rebuilt, a locked
        // market in the data) carries no usable signal.
        const bid = book.bestBid();
        const ask = book.bestAsk();
        if (!(ask > bid)) return;
        const size = lotsFor(book);
        const limit = positionLimit(maxPosition, size, DEFAULT_LIMIT_ORDERS);
        const imbalance = book.imbalance(levels);
        if (imbalance >= threshold) target = limit;
        else if (imbalance <= -threshold) target = -limit;
        else if (exitThreshold > 0 && Math.abs(imbalance) < exitThreshold) target = 0;
        const now = ctx.elapsedNs();
        if (working >= 0) {
          // A resting maker order: pull it when the target no longer wants that side, or when stale.
          if (maker && (Math.sign(target - ctx.position(book.instrument)) !== workingSide || now - lastOrderNs >= cooldownNs)) ctx.cancel(working);
          return;
        }
        if (now - lastOrderNs < cooldownNs) return;
        const gap = target - ctx.position(book.instrument);
        if (gap === 0) return;
        const side = gap > 0 ? 1 : -1;
        const qty = Math.min(size, Math.abs(gap));
        const options = { instrument: book.instrument };
        if (maker) {
          const price = side === 1 ? bid : ask;
          working = ctx.place(side, qty, price, { ...options, postOnly: true });
        } else {
          working = ctx.market(side, qty, options);
        }
        workingSide = side;
        lastOrderNs = now;
      },
      onOrderUpdate(_ctx, order): void {
        if (order.id === working && (order.status === "Filled" || order.status === "Cancelled" || order.status === "Rejected")) working = -1;
      },
    };
  },
});
