/**
 * Probabilistic queue model with a logarithmic weight (L2 data):
 *
 *   f(x) = log(1 + x),   p = f(back) / (f(back) + f(front))
 *
 * p is the probability that a cancellation came from behind the order; the front shrinks by
 * (1 − p)·Δ (see prob-tracker.ts). The log weight flattens the effect of size: a long queue
 * behind is only mildly more likely to be the source of a cancel. Source: hftbacktest's
 * `LogProbQueueFunc` (nkaz001/hftbacktest, hftbacktest/src/backtest/models/queue.rs).
 */
import { probabilisticQueue } from "./prob-tracker.js";
import type { L2QueueModel } from "./types.js";

/** p = log(1+back) / (log(1+back) + log(1+front)); both zero gives p = 1. */
export function logProbability(front: number, back: number): number {
  const fb = Math.log1p(Math.max(0, back));
  const ff = Math.log1p(Math.max(0, front));
  return fb + ff === 0 ? 1 : fb / (fb + ff);
}

/** One object for every run (stateless; see RISK_AVERSE in risk-averse.ts). */
const LOG: L2QueueModel = probabilisticQueue("log", logProbability);

export function log(): L2QueueModel {
  return LOG;
}
