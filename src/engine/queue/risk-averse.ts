/**
 * Risk-averse queue model (L2 data): the order advances only when trades print at its price.
 *
 *   on arrival:       front = visible size at the price
 *   on trade q:       front ← front − q
 *   on level change:  front ← min(front, newSize)      (cancels can only shorten the queue to
 *                                                      what is still visible, never more)
 *   executable lots:  max(0, ⌊−front⌋)
 *
 * Cancellations are assumed to come from behind the order, so fills are as late as the data allows:
 * the pessimistic bound. Source: hftbacktest's `RiskAdverseQueueModel`
 * (nkaz001/hftbacktest, hftbacktest/src/backtest/models/queue.rs).
 */
import { wholeLots, type L2QueueModel, type QueueState } from "./types.js";

/**
 * One object for every run: the model holds no state (that lives in QueueState), and engine code
 * optimized around its methods stays valid from run to run (a fresh object literal per run brings
 * fresh method closures, and code that inlined the old ones is thrown away).
 */
const RISK_AVERSE: L2QueueModel = {
  kind: "l2",
  name: "riskAverse",
  onNew(q: QueueState, slot: number, levelQty: number): void {
    q.front[slot] = levelQty;
    q.traded[slot] = 0;
  },
  onTrade(q: QueueState, slot: number, qty: number): void {
    q.front[slot] = q.front[slot]! - qty;
  },
  onLevelChange(q: QueueState, slot: number, _prevQty: number, newQty: number): void {
    if (newQty < q.front[slot]!) q.front[slot] = newQty;
  },
  filledLots(q: QueueState, slot: number): number {
    const f = q.front[slot]!;
    return f < 0 ? wholeLots(-f) : 0;
  },
};

export function riskAverse(): L2QueueModel {
  return RISK_AVERSE;
}
