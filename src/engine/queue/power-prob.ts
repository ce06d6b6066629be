/**
 * Probabilistic queue model with a power weight (L2 data):
 *
 *   f(x) = xⁿ,   p = f(back) / (f(back) + f(front))
 *
 * p is the probability that a cancellation came from behind the order; the front shrinks by
 * (1 − p)·Δ (see prob-tracker.ts for the update). n = 1 splits cancels in proportion to the size
 * ahead and behind; larger n makes cancels ever more likely to come from the longer side. Computed
 * as 1 / (1 + (front/back)ⁿ) so large sizes do not overflow. Source: hftbacktest's
 * `PowerProbQueueFunc` (nkaz001/hftbacktest, hftbacktest/src/backtest/models/queue.rs); Rigtorp (2013).
 */
import { LabError } from "../../core/index.js";
import { probabilisticQueue } from "./prob-tracker.js";
import type { L2QueueModel } from "./types.js";

/** p = f(back)/(f(back)+f(front)) with f(x) = xⁿ; both sizes zero gives p = 1 (nothing is ahead). */
export function powerProbability(n: number): (front: number, back: number) => number {
  return (front, back) => {
    if (front <= 0) return 1;
    if (back <= 0) return 0;
    return 1 / (1 + Math.pow(front / back, n));
  };
}

/** One model per exponent, shared by every run (stateless; see RISK_AVERSE in risk-averse.ts). */
const PROB_BY_EXPONENT = new Map<number, L2QueueModel>();

export function prob(options: { n?: number } = {}): L2QueueModel {
  const n = options.n ?? 3;
  if (!Number.isFinite(n) || n <= 0) {
    throw new LabError({ code: "BAD_OPTION", message: `queue.prob: n must be a positive number, got ${String(n)}`, hint: "e.g. queue.prob({ n: 3 })", context: { option: "n" } });
  }
  let model = PROB_BY_EXPONENT.get(n);
  if (model === undefined) {
    model = probabilisticQueue(`prob(n=${n})`, powerProbability(n));
    PROB_BY_EXPONENT.set(n, model);
  }
  return model;
}
