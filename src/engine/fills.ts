/**
 * Fill models: how the simulated exchange turns a trade at a resting order's price, and a
 * marketable order on arrival, into fills. The queue model (queue/*.ts) says how far the order has
 * advanced; the fill model says what the exchange then executes. Both built-ins agree on the rest:
 * a trade printed through the order's price, or the opposite touch moving to or through it, fills
 * the whole order at its own price; a post-only order that would cross on arrival is rejected
 * (`PostOnlyWouldCross`, hftbacktest's EXPIRED); on L3 data the exact FIFO queue decides.
 *
 * - `partial` (the default): a trade at the order's price fills the overshoot of the queue,
 *     lots = min(⌊−front⌋, trade lots not yet given to our earlier orders at that price, leaves)
 *   so one trade is shared among our orders in arrival order and an order may fill in pieces; a
 *   marketable order walks the opposite levels up to its limit, level by level. Source: the
 *   exchange's own matching (exchange.ts). hftbacktest's `PartialFillExchange` fills the
 *   overshoot too, min(overshoot, leaves), but without capping it by the trade's size left over
 *   from our earlier orders (nkaz001/hftbacktest, hftbacktest/src/backtest/proc/partialfillexchange.rs).
 * - `no-partial`: a trade at the order's price fills the whole order once its queue position is
 *   below zero, i.e. round(front) < 0 in lots (front < −½ lot); every order at the price sees the
 *   whole trade (the trade is not shared); a marketable limit order fills its whole size at the
 *   touch price as taker, whatever the size there. Source: hftbacktest's `NoPartialFillExchange`
 *   (nkaz001/hftbacktest v1.8.4, hftbacktest/proc/nopartialfillexchange.py; `is_filled` in
 *   hftbacktest/models/queue.py), the exchange model of its 1.x default.
 *
 * Custom models implement `FillModel`; the exchange calls them only on these two decisions.
 */
import { LabError } from "../core/index.js";
import type { L2QueueModel, QueueState } from "./queue/index.js";

export type FillModelName = "partial" | "no-partial";

export interface FillModel {
  readonly name: string;
  /**
   * A trade printed at resting order `slot`'s price against its side, and the queue model has
   * counted it. Returns the lots of the order that fill now (0..leavesLots). `unclaimedLots` is the
   * part of the trade not yet filled against our earlier orders at that price; the exchange
   * subtracts what this returns from it for the next order.
   */
  tradeAtPrice(queue: L2QueueModel, q: QueueState, slot: number, leavesLots: number, unclaimedLots: number): number;
  /**
   * How a marketable order takes liquidity on arrival: "walk" fills level by level up to its
   * limit; "touch" fills the whole order at the touch price.
   */
  readonly taking: "walk" | "touch";
}

class PartialFills implements FillModel {
  readonly name = "partial";
  readonly taking = "walk" as const;
  tradeAtPrice(queue: L2QueueModel, q: QueueState, slot: number, leavesLots: number, unclaimedLots: number): number {
    const reached = queue.filledLots(q, slot);
    if (reached <= 0 || unclaimedLots <= 0) return 0;
    return Math.min(reached, unclaimedLots, leavesLots);
  }
}

class NoPartialFills implements FillModel {
  readonly name = "no-partial";
  readonly taking = "touch" as const;
  tradeAtPrice(_queue: L2QueueModel, q: QueueState, slot: number, leavesLots: number): number {
    // Math.round(−0.5) is −0, as Python's round(−0.5) is 0: exactly half a lot behind is not filled.
    return Math.round(q.front[slot]!) < 0 ? leavesLots : 0;
  }
}

// One object per model for every run: engine code that inlined its methods stays valid (fees.ts).
const PARTIAL: FillModel = new PartialFills();
const NO_PARTIAL: FillModel = new NoPartialFills();

/** Fills the queue overshoot; one trade is shared among our orders at its price (the default). */
export function partial(): FillModel {
  return PARTIAL;
}

/** Fills the whole order once its queue position is below zero (hftbacktest's NoPartialFillExchange). */
export function noPartial(): FillModel {
  return NO_PARTIAL;
}

export const FILL_MODEL_NAMES: readonly FillModelName[] = ["partial", "no-partial"];

export function fillModelByName(name: string): FillModel {
  if (name === "partial") return PARTIAL;
  if (name === "no-partial") return NO_PARTIAL;
  throw new LabError({ code: "BAD_OPTION", message: `backtest option fills: unknown fill model "${name}"`, hint: `use one of ${FILL_MODEL_NAMES.join(", ")}, or a FillModel object`, context: { option: "fills" } });
}

export function isFillModel(value: unknown): value is FillModel {
  return typeof value === "object" && value !== null && typeof (value as FillModel).tradeAtPrice === "function" && ((value as FillModel).taking === "walk" || (value as FillModel).taking === "touch");
}
