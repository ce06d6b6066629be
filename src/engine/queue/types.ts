/**
 * Queue-position models decide when a resting order fills. The simulated exchange owns the state
 * (typed arrays indexed by order slot) and calls the model at the events that move the queue; the
 * model only does the arithmetic, so each variant is a few lines with its formula beside it.
 */

/** Per-order queue state, indexed by order slot. Quantities are lots. */
export interface QueueState {
  /**
   * Estimated quantity ahead of the order at its price level. When it goes negative, that many
   * lots of the order have been reached by trades (and are executable).
   */
  front: Float64Array;
  /** Quantity traded at the order's level since the last level-size update (probabilistic models). */
  traded: Float64Array;
  /** L3: the book's priority counter at the order's arrival; orders with priority ≤ this are ahead. */
  priority: Float64Array;
}

/** Queue model for price-level (L2) data, where the order's place must be estimated. */
export interface L2QueueModel {
  readonly kind: "l2";
  readonly name: string;
  /** The order joins the back of a level holding `levelQty` lots. */
  onNew(q: QueueState, slot: number, levelQty: number): void;
  /** A trade of `qty` lots printed at the order's price against its side. */
  onTrade(q: QueueState, slot: number, qty: number): void;
  /** The visible size at the order's price changed from `prevQty` to `newQty`. */
  onLevelChange(q: QueueState, slot: number, prevQty: number, newQty: number): void;
  /** Whole lots of the order reached by trades so far (≥ 0). */
  filledLots(q: QueueState, slot: number): number;
}

/**
 * Queue model for order-by-order (L3) data, where the order's place is exact: the exchange tells
 * the model, for each feed row at the order's level, whether the feed order it names was ahead of
 * ours (priority ≤ our arrival priority) and how much it took from the level.
 */
export interface L3QueueModel {
  readonly kind: "l3";
  readonly name: string;
  /** The order joins the back of a level holding `levelQty` lots; `priority` is the book's counter now. */
  onNew(q: QueueState, slot: number, levelQty: number, priority: number): void;
  /** `qty` lots left the level from an order ahead of ours (cancel, reduce, execution, priority loss). */
  onRemovedAhead(q: QueueState, slot: number, qty: number): void;
  /**
   * `qty` lots of a feed order at our level executed. Returns the lots of our order that would
   * have executed first (exact FIFO: an execution behind us means we were hit first).
   */
  onExecution(q: QueueState, slot: number, qty: number, ahead: boolean, leavesLots: number): number;
}

export type QueueModel = L2QueueModel | L3QueueModel;

/** Rounds a lot quantity down to whole lots, tolerating float dust from probabilistic updates. */
export function wholeLots(x: number): number {
  return Math.floor(x + 1e-9);
}
