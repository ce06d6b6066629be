/**
 * Exact FIFO queue position on order-by-order (L3) data.
 *
 *   on arrival:    ahead = visible size at the price; our priority = the book's latest priority
 *                  counter, so every order already resting is ahead and every later one behind
 *   feed row for an order at our level, priority π (looked up in the book *before* the row):
 *     π ≤ ours and the order loses size (cancel, reduce, execution, or priority loss on modify):
 *                  ahead ← max(0, ahead − size it left with)
 *     execution with π > ours (behind us): in a FIFO match we were hit first →
 *                  fill min(executed size, our leaves), ahead ← 0
 *   executable when an execution at the level reaches past `ahead`:
 *                  an execution ahead of size q with q > ahead fills q − ahead of ours
 *
 * Orders added after our arrival always sit behind us and never change `ahead`. This mirrors
 * hftbacktest's `L3FIFOQueueModel` (nkaz001/hftbacktest, hftbacktest/src/backtest/models/queue.rs)
 * without materializing our order in the feed's queue: the book's priority counter
 * (`L3Book.orderPriority`) tells ahead from behind. Venues that are not FIFO (pro-rata) need a
 * different model.
 */
import type { L3QueueModel, QueueState } from "./types.js";

/** One object for every run (stateless; see RISK_AVERSE in risk-averse.ts). */
const L3_FIFO: L3QueueModel = {
  kind: "l3",
  name: "l3Fifo",
  onNew(q: QueueState, slot: number, levelQty: number, priority: number): void {
    q.front[slot] = levelQty;
    q.traded[slot] = 0;
    q.priority[slot] = priority;
  },
  onRemovedAhead(q: QueueState, slot: number, qty: number): void {
    const f = q.front[slot]! - qty;
    q.front[slot] = f > 0 ? f : 0;
  },
  onExecution(q: QueueState, slot: number, qty: number, ahead: boolean, leavesLots: number): number {
    if (!ahead) {
      q.front[slot] = 0;
      return Math.min(qty, leavesLots);
    }
    const f = q.front[slot]!;
    if (qty <= f) {
      q.front[slot] = f - qty;
      return 0;
    }
    // The feed says the order ahead executed more than was ahead of us: only possible if our
    // estimate of what is ahead was too large (hidden size); the excess would have reached us.
    q.front[slot] = 0;
    return Math.min(qty - f, leavesLots);
  },
};

export function l3Fifo(): L3QueueModel {
  return L3_FIFO;
}
