/**
 * Shared tracker of the probabilistic queue models (L2 data). The size at the order's price can
 * shrink for two reasons: trades (which always take from the front) and cancellations (which may
 * come from ahead of or behind the order). Trades are subtracted from the front as they print and
 * remembered, so the next level update only attributes the *unexplained* decrease to cancels:
 *
 *   on trade q:        front ← front − q;  traded ← traded + q
 *   on level change (prev → new):
 *     Δ = (prev − new) − traded;  traded ← 0
 *     if Δ < 0 (the level grew net of trades): front ← min(front, new)   (new orders join behind)
 *     else, with back = prev − front and p = prob(front, back):
 *       front ← min(new, front − (1 − p)·Δ + min(0, back − p·Δ))
 *
 * p is the probability that a cancelled lot was *behind* the order, so the front shrinks by
 * (1 − p)·Δ; if fewer than p·Δ lots are behind, the excess must have come from the front. This is
 * hftbacktest's convention (`ProbQueueModel::depth`, nkaz001/hftbacktest,
 * hftbacktest/src/backtest/models/queue.rs), after Rigtorp, "Estimating order queue position"
 * (2013) and quant.stackexchange question 3782.
 */
import { wholeLots, type L2QueueModel, type QueueState } from "./types.js";

export function probabilisticQueue(name: string, prob: (front: number, back: number) => number): L2QueueModel {
  return {
    kind: "l2",
    name,
    onNew(q: QueueState, slot: number, levelQty: number): void {
      q.front[slot] = levelQty;
      q.traded[slot] = 0;
    },
    onTrade(q: QueueState, slot: number, qty: number): void {
      q.front[slot] = q.front[slot]! - qty;
      q.traded[slot] = q.traded[slot]! + qty;
    },
    onLevelChange(q: QueueState, slot: number, prevQty: number, newQty: number): void {
      const change = prevQty - newQty - q.traded[slot]!;
      q.traded[slot] = 0;
      const front = q.front[slot]!;
      if (change < 0) {
        if (newQty < front) q.front[slot] = newQty;
        return;
      }
      const back = prevQty - front;
      const p = prob(front, back);
      const estimate = front - (1 - p) * change + Math.min(0, back - p * change);
      q.front[slot] = Math.min(estimate, newQty);
    },
    filledLots(q: QueueState, slot: number): number {
      const f = q.front[slot]!;
      return f < 0 ? wholeLots(-f) : 0;
    },
  };
}
