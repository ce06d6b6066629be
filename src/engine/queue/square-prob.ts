/**
 * hftbacktest 1.x's `SquareProbQueueModel` (L2 data), exactly:
 *
 *   f(x) = x²,   p = f(back) / (f(back) + f(front)),   p = 1 when that is 0/0
 *
 * with the shared update of prob-tracker.ts. It differs from `prob({ n: 2 })` only where a size is
 * negative: after trades the front can be below zero without a fill (up to half a lot under the
 * no-partial fill model), and the back (prev − front) can be below zero; x² weighs those as
 * positive sizes, where `prob` takes nothing ahead (p = 1) or nothing behind (p = 0). Use it to
 * reproduce hftbacktest's numbers; `prob` is the principled choice otherwise. Source:
 * nkaz001/hftbacktest v1.8.4, hftbacktest/models/queue.py (`ProbQueueModel.prob`,
 * `SquareProbQueueModel.f`, and `depth`'s `if not np.isfinite(prob): prob = 1`).
 */
import { probabilisticQueue } from "./prob-tracker.js";
import type { L2QueueModel } from "./types.js";

/** back² / (back² + front²); 1 when both are 0. */
export function squareProbability(front: number, back: number): number {
  const fb = back * back;
  const s = fb + front * front;
  return s === 0 ? 1 : fb / s;
}

/** One object for every run (stateless; see RISK_AVERSE in risk-averse.ts). */
const SQUARE: L2QueueModel = probabilisticQueue("squareProb", squareProbability);

export function squareProb(): L2QueueModel {
  return SQUARE;
}
