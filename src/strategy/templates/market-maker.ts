/**
 * MarketMaker: two-sided quotes skewed by inventory, after Avellaneda & Stoikov, "High-frequency
 * trading in a limit order book" (Quantitative Finance, 2008), in its constant-horizon form and in
 * tick units:
 *
 *   reservation price   r = mid − q·γ·σ²·τ
 *   half spread         δ = max(minHalfSpreadTicks, ½·(γ·σ²·τ + (2/γ)·ln(1 + γ/κ)))
 *   quotes              bid = ⌊r − δ⌋,  ask = ⌈r + δ⌉  (kept passive: bid < best ask, ask > best bid)
 *
 * q = inventory in lots, γ = risk aversion, κ = order-arrival decay (per tick), τ = horizon in
 * seconds, σ² = variance rate of the mid in ticks²/s, estimated online with exponential weights of
 * half-life `volHalfLifeSec`: σ² = Σw·Δmid² / Σw·Δt. No bid at q ≥ maxPosition, no ask at
 * q ≤ −maxPosition. Quotes are post-only and re-priced (modify) at most every `requoteMs` when the
 * target price moves.
 *
 * Quote size: `size` lots, or by default (`size: 0`) `orderNotional` of quote currency at the first
 * two-sided book (1,000 USDT ≈ 0.016 BTC on BTCUSDT, 2 shares of a 580 USD stock), at least one
 * lot. `maxPosition` is in lots; its default 0 means ten quotes' worth. A quote is cut so that its
 * fill keeps |q| ≤ maxPosition.
 */
import type { BookView, Context, StrategyHandlers } from "../../engine/index.js";
import { defineStrategy } from "../api.js";
import { orderSizer, positionLimit, sizeParams } from "./sizing.js";

/** Quotes' worth of inventory the default position limit allows. */
const DEFAULT_LIMIT_ORDERS = 10;

export const MarketMaker = defineStrategy({
  name: "marketMaker",
  aliases: ["MarketMaker", "mm", "avellanedaStoikov"],
  description: "Avellaneda–Stoikov-style inventory-skewed two-sided quotes",
  params: [
    { name: "gamma", type: "number", default: 0.1, min: 0.001, max: 10, step: 0.05, description: "risk aversion γ" },
    { name: "kappa", type: "number", default: 5, min: 0.01, max: 100, step: 0.25, description: "order arrival decay κ (per tick)" },
    { name: "horizonSec", type: "number", default: 0.1, min: 0, max: 86_400, step: 0.5, description: "horizon τ in seconds" },
    { name: "minHalfSpreadTicks", type: "number", default: 0.5, min: 0, max: 1000, step: 0.5, description: "floor on the half spread" },
    ...sizeParams("per quote"),
    { name: "maxPosition", type: "integer", default: 0, min: 0, max: 1_000_000, step: 1, description: `stop quoting the side that grows |position| beyond this many lots; 0 = ${DEFAULT_LIMIT_ORDERS} quotes' worth` },
    { name: "requoteMs", type: "number", default: 50, min: 0, max: 60_000, step: 10, description: "minimum time between re-pricing a quote" },
    { name: "volHalfLifeSec", type: "number", default: 10, min: 0.001, max: 86_400, description: "half-life of the volatility estimate" },
  ],
  create: (p): StrategyHandlers => {
    const gamma = p.gamma;
    const kappa = p.kappa;
    const tau = p.horizonSec;
    const minHalf = p.minHalfSpreadTicks;
    const lotsFor = orderSizer(p.size, p.orderNotional);
    const maxPosition = p.maxPosition;
    const requoteNs = p.requoteMs * 1e6;
    const halfLifeNs = p.volHalfLifeSec * 1e9;
    const baseHalf = (2 / gamma) * Math.log(1 + gamma / kappa);
    const quote = [-1, -1];
    const quotePrice = [NaN, NaN];
    const lastQuoteNs = [-Infinity, -Infinity];
    let lastMid = NaN;
    let lastMidNs = 0;
    let sumSq = 0;
    let sumDt = 0;

    const manage = (ctx: Context, book: BookView, slot: 0 | 1, want: number, allowed: boolean, size: number): void => {
      const side = slot === 0 ? 1 : -1;
      const id = quote[slot]!;
      const now = ctx.elapsedNs();
      if (id >= 0) {
        if (!allowed) {
          ctx.cancel(id);
          quote[slot] = -1;
        } else if (want !== quotePrice[slot] && now - lastQuoteNs[slot]! >= requoteNs) {
          if (ctx.modify(id, { priceTicks: want })) {
            quotePrice[slot] = want;
            lastQuoteNs[slot] = now;
          }
        }
        return;
      }
      if (!allowed || now - lastQuoteNs[slot]! < requoteNs) return;
      quote[slot] = ctx.place(side, size, want, { instrument: book.instrument, postOnly: true });
      quotePrice[slot] = want;
      lastQuoteNs[slot] = now;
    };

    return {
      onBook(ctx: Context, book: BookView): void {
        const bid = book.bestBid();
        const ask = book.bestAsk();
        if (bid !== bid || ask !== ask || ask <= bid) return;
        const mid = (bid + ask) / 2;
        const now = ctx.elapsedNs();
        if (lastMid === lastMid) {
          const dt = now - lastMidNs;
          const w = Math.exp((-dt * Math.LN2) / halfLifeNs);
          const dm = mid - lastMid;
          sumSq = sumSq * w + dm * dm;
          sumDt = sumDt * w + dt / 1e9;
        }
        lastMid = mid;
        lastMidNs = now;
        const variance = sumDt > 0 ? sumSq / sumDt : 0;
        const q = ctx.position(book.instrument);
        const lots = lotsFor(book);
        const limit = positionLimit(maxPosition, lots, DEFAULT_LIMIT_ORDERS);
        const r = mid - q * gamma * variance * tau;
        const half = Math.max(minHalf, 0.5 * (gamma * variance * tau + baseHalf));
        const wantBid = Math.min(Math.floor(r - half), ask - 1);
        const wantAsk = Math.max(Math.ceil(r + half), bid + 1);
        manage(ctx, book, 0, wantBid, q < limit, Math.min(lots, limit - q));
        manage(ctx, book, 1, wantAsk, q > -limit, Math.min(lots, limit + q));
      },
      onOrderUpdate(_ctx, order): void {
        if (order.status !== "Filled" && order.status !== "Cancelled" && order.status !== "Rejected") return;
        for (const slot of [0, 1] as const) if (quote[slot] === order.id) quote[slot] = -1;
      },
    };
  },
});
