/**
 * `L3Book`: an order-by-order limit order book with exact FIFO queues per price level.
 *
 * Layout (chosen for replay speed: no object is allocated per event):
 * - Orders live in typed-array pools indexed by a slot number (id, side, price, qty, priority,
 *   prev/next links, level slot). Freed slots are recycled through a free list.
 * - Order id -> slot is an open-addressing hash table (linear probing, backward-shift deletion)
 *   over a Float64Array of keys and an Int32Array of slots. A JS `Map<number, number>` would box
 *   large ids as heap numbers, allocate on growth in ways we do not control, and measured ~3x
 *   slower on replay; ids are integers up to 2^53, so a Float64 key is exact.
 * - Each price level is a slot in a level pool holding its total qty, order count and the head
 *   and tail of an intrusive doubly-linked list of its orders (the FIFO queue).
 * - Per side, a tick-indexed window `levelAt[price - base]` maps a price to its level slot, with
 *   an occupancy bitmap so the next best level is found 32 ticks at a time after the best level
 *   empties. The window grows (re-centred, doubled) when a price falls outside it.
 *
 * Priority: every time an order gets a new place at the back of a queue (add, or a modify that
 * loses priority) it gets the next value of a monotone counter; `orderPriority(id)` returns it.
 *
 * Venue rules (`venueRules`) decide what a modify does to queue priority and what an event for
 * an unknown order id means; see `VENUE_RULES` and docs/l3-book.md.
 */
import { LabError } from "../core/index.js";
import { checkOptionKeys } from "../core/internal.js";
import { EventKind, EventFlag, type TickBatch } from "../data/index.js";

/** "None" (no level, no such order) as a module constant, not a literal NaN: see docs/architecture.md, "Hot paths". */
const ABSENT = NaN;

/** A name of venue rules: "fifo", or one a venue registered (`registerVenueRules`). */
export type L3VenueRules = "fifo" | (string & {});

export interface L3BookOptions {
  /** Priority and unknown-id conventions of the data source. @default "fifo" */
  venueRules?: L3VenueRules;
  /** What to do with an event for an order id the book does not hold. @default "count" */
  onUnknownId?: "count" | "throw";
  /** Initial order capacity (pools grow by doubling). @default 4096 */
  initialOrders?: number;
  /** Largest price span (in ticks) one side's level window may cover. @default 16_777_216 */
  maxPriceSpanTicks?: number;
}

/** What each venue convention does; all are FIFO within a level. */
export interface VenueRuleSet {
  /** A modify that raises the size sends the order to the back of its level. */
  sizeIncreaseLosesPriority: boolean;
  /** A modify that lowers the size sends the order to the back of its level. */
  sizeDecreaseLosesPriority: boolean;
  /** A modify for an unknown id that carries a side is applied as an add (and still counted). */
  modifyUnknownAddsOrder: boolean;
  /**
   * A reduce/delete/execute row for an unknown id takes its size from the anonymous orders
   * (`addAnonymous`: liquidity that rested before the data starts) at the row's side and price.
   */
  unknownIdTakesAnonymous: boolean;
}

/**
 * The venue rules by name. `fifo` is generic price-time priority: a price change or a size
 * increase loses priority, a size decrease keeps it. Each venue registers its own conventions
 * (`registerVenueRules`, from src/venues/), documented where it registers them.
 */
export const VENUE_RULES: Readonly<Record<L3VenueRules, VenueRuleSet>> = {
  fifo: { sizeIncreaseLosesPriority: true, sizeDecreaseLosesPriority: false, modifyUnknownAddsOrder: false, unknownIdTakesAnonymous: false },
};

/** Adds (or replaces) the venue rules `name`, which `new L3Book({ venueRules: name })` then applies. */
export function registerVenueRules(name: string, rules: VenueRuleSet): void {
  (VENUE_RULES as Record<string, VenueRuleSet>)[name] = rules;
}

/** Counters of everything the book had to tolerate; `first*Row` are batch rows (-1 = none / direct call). */
export interface L3BookStats {
  /** Rows applied through `apply`. */
  events: number;
  /** Reduce/delete/modify/execute for an order id the book does not hold. */
  unknownIdEvents: number;
  firstUnknownIdRow: number;
  firstUnknownId: number;
  /** Reduce/execute larger than the order's remaining size (the order is removed, never negative). */
  negativeQtyEvents: number;
  firstNegativeQtyRow: number;
  /** Add for an id already in the book (the old order is replaced). */
  duplicateAddEvents: number;
  firstDuplicateAddRow: number;
  /** Rows with a NaN/non-integer price or a non-positive/NaN size where one is required (ignored). */
  invalidEvents: number;
  firstInvalidRow: number;
  /** Modifies for unknown ids applied as adds (venue rules with `modifyUnknownAddsOrder`). */
  modifyAsAddEvents: number;
  /** Unknown-id rows whose size was taken from anonymous orders (venue rules with `unknownIdTakesAnonymous`). */
  anonymousTakeEvents: number;
  /**
   * ... of which found less anonymous size at their price than they removed (the rest is not
   * taken: a message file may also name ids it never added, e.g. after an order replace that kept price and
   * size, and guessing which order they meant would corrupt queue positions).
   */
  anonymousShortfallEvents: number;
  /** Rows flagged `EventFlag.Last` after which best bid >= best ask. */
  crossedAfterLast: number;
  firstCrossedRow: number;
  /** Rows flagged `EventFlag.Last` checked for crossing. */
  lastRowsChecked: number;
  clears: number;
}

function emptyStats(): L3BookStats {
  return {
    events: 0,
    unknownIdEvents: 0,
    firstUnknownIdRow: -1,
    firstUnknownId: NaN,
    negativeQtyEvents: 0,
    firstNegativeQtyRow: -1,
    duplicateAddEvents: 0,
    firstDuplicateAddRow: -1,
    invalidEvents: 0,
    firstInvalidRow: -1,
    modifyAsAddEvents: 0,
    anonymousTakeEvents: 0,
    anonymousShortfallEvents: 0,
    crossedAfterLast: 0,
    firstCrossedRow: -1,
    lastRowsChecked: 0,
    clears: 0,
  };
}

/** Top `n` levels per side, NaN-padded. */
export interface L2Levels {
  bidPrice: Float64Array;
  bidQty: Float64Array;
  askPrice: Float64Array;
  askQty: Float64Array;
}

/** One resting order as seen by `ordersAt` (for views and tests, not hot loops). */
export interface L3OrderView {
  orderId: number;
  side: 1 | -1;
  priceTicks: number;
  qtyLots: number;
  priority: number;
  queuePosition: number;
  queueAhead: number;
}

const NONE = -1;
const L3_OPTION_KEYS = ["venueRules", "onUnknownId", "initialOrders", "maxPriceSpanTicks"] as const;
const TWO_32 = 4294967296;

/** Per-side tick-indexed window of level slots plus an occupancy bitmap. */
class SideLadder {
  base = 0;
  levelAt: Int32Array = new Int32Array(0);
  bits: Uint32Array = new Uint32Array(0);
  /** Number of non-empty levels. */
  count = 0;
  /** Best price in ticks (highest bid / lowest ask), NaN when empty. */
  best = NaN;
  /** Bumped whenever a level appears or disappears (invalidates the depth cache). */
  version = 0;
  cacheVersion = -1;
  cacheLen = 0;
  cachePrices = new Float64Array(16);
  constructor(readonly side: 1 | -1) {}
}

export class L3Book {
  readonly venueRules: L3VenueRules;
  readonly rules: VenueRuleSet;
  readonly onUnknownId: "count" | "throw";
  readonly stats: L3BookStats = emptyStats();
  private readonly maxSpan: number;

  // Order pool.
  private ordCap: number;
  private ordId: Float64Array;
  private ordSide: Int8Array;
  private ordPrice: Float64Array;
  private ordQty: Float64Array;
  private ordPriority: Float64Array;
  private ordPrev: Int32Array;
  private ordNext: Int32Array;
  private ordLevel: Int32Array;
  private ordAnon: Uint8Array;
  private anonymousIds = 0;
  private ordFree = NONE;
  private ordUsed = 0;
  private live = 0;

  // id -> slot hash (open addressing, linear probing, load <= 1/2).
  private hashKeys: Float64Array;
  private hashSlots: Int32Array;
  private hashMask: number;

  // Level pool.
  private lvlCap: number;
  private lvlQty: Float64Array;
  private lvlCount: Int32Array;
  private lvlHead: Int32Array;
  private lvlTail: Int32Array;
  private lvlFree = NONE;
  private lvlUsed = 0;

  private readonly bids = new SideLadder(1);
  private readonly asks = new SideLadder(-1);
  private priorityCounter = 0;
  /** Batch row being applied (-1 for direct calls), for stats and errors. */
  private row = -1;
  private source: string | undefined;

  constructor(options: L3BookOptions = {}) {
    checkOptionKeys(options as Record<string, unknown>, L3_OPTION_KEYS, "L3Book options");
    const venue = options.venueRules ?? "fifo";
    if (!(venue in VENUE_RULES)) {
      throw new LabError({ code: "BAD_OPTION", message: `unknown venueRules "${venue}"`, hint: `use one of ${Object.keys(VENUE_RULES).join(", ")}`, context: { value: venue } });
    }
    const onUnknown = options.onUnknownId ?? "count";
    if (onUnknown !== "count" && onUnknown !== "throw") {
      throw new LabError({ code: "BAD_OPTION", message: `unknown onUnknownId "${String(onUnknown)}"`, hint: 'use "count" or "throw"', context: { value: onUnknown } });
    }
    this.venueRules = venue;
    this.rules = VENUE_RULES[venue]!;
    this.onUnknownId = onUnknown;
    this.maxSpan = options.maxPriceSpanTicks ?? 1 << 24;
    let cap = 16;
    while (cap < (options.initialOrders ?? 4096)) cap *= 2;
    this.ordCap = cap;
    this.ordId = new Float64Array(cap);
    this.ordSide = new Int8Array(cap);
    this.ordPrice = new Float64Array(cap);
    this.ordQty = new Float64Array(cap);
    this.ordPriority = new Float64Array(cap);
    this.ordPrev = new Int32Array(cap);
    this.ordNext = new Int32Array(cap);
    this.ordLevel = new Int32Array(cap);
    this.ordAnon = new Uint8Array(cap);
    this.hashKeys = new Float64Array(cap * 2);
    this.hashSlots = new Int32Array(cap * 2).fill(NONE);
    this.hashMask = cap * 2 - 1;
    this.lvlCap = 256;
    this.lvlQty = new Float64Array(this.lvlCap);
    this.lvlCount = new Int32Array(this.lvlCap);
    this.lvlHead = new Int32Array(this.lvlCap);
    this.lvlTail = new Int32Array(this.lvlCap);
  }

  // ---------------------------------------------------------------- batch replay

  /**
   * Applies row `i` of `batch`. Trade, Bbo, LevelSet and Halt rows, and rows flagged
   * `EventFlag.NoBookEffect`, do not change L3 state.
   */
  apply(batch: TickBatch, i: number): void {
    this.row = i;
    this.stats.events++;
    const flags = batch.flags[i]!;
    // NoBookEffect rows (a vendor's fill messages) report an execution whose book change comes in later rows.
    const kind = (flags & EventFlag.NoBookEffect) !== 0 ? 0 : batch.kind[i]!;
    // A row with no order id (a hidden execution, id 0 -> NaN) names no resting order: a
    // hidden one leaves the visible book alone, any other is counted as an unknown id. NaN must
    // never reach the id hash (NaN equals no key, so a probe would not end).
    if (kind >= EventKind.Add && kind <= EventKind.Execute && Number.isNaN(batch.orderId[i]!)) {
      if ((flags & EventFlag.Hidden) === 0) this.unknown(NaN);
      return;
    }
    switch (kind) {
      case EventKind.Add:
        this.add(batch.orderId[i]!, batch.side[i]! as 1 | -1, batch.priceTicks[i]!, batch.qtyLots[i]!);
        break;
      case EventKind.Reduce:
      case EventKind.Delete:
      case EventKind.Execute: {
        const id = batch.orderId[i]!;
        const slot = this.lookup(id);
        if (slot === NONE) {
          this.unknown(id);
          if (this.rules.unknownIdTakesAnonymous) this.takeAnonymous(batch.side[i]!, batch.priceTicks[i]!, batch.qtyLots[i]!);
        } else if (kind === EventKind.Delete) this.remove(slot);
        else this.take(slot, batch.qtyLots[i]!);
        break;
      }
      case EventKind.Modify:
        this.modify(batch.orderId[i]!, batch.priceTicks[i]!, batch.qtyLots[i]!, batch.side[i]!);
        break;
      case EventKind.Clear:
        this.clear();
        break;
      default:
        break;
    }
    if ((flags & EventFlag.Last) !== 0) this.checkCrossed();
    this.row = -1;
  }

  /** Applies rows [start, end) of `batch`; the source name is used in error messages. */
  applyRange(batch: TickBatch, start = 0, end = batch.length): void {
    this.source = batch.source;
    for (let i = start; i < end; i++) this.apply(batch, i);
  }

  private checkCrossed(): void {
    this.stats.lastRowsChecked++;
    const b = this.bids.best;
    const a = this.asks.best;
    if (b >= a) {
      this.stats.crossedAfterLast++;
      if (this.stats.firstCrossedRow < 0) this.stats.firstCrossedRow = this.row;
    }
  }

  // ---------------------------------------------------------------- order events

  /** Adds a new order at the back of its level's queue. A duplicate id replaces the old order. */
  add(orderId: number, side: 1 | -1, priceTicks: number, qtyLots: number): void {
    if (priceTicks !== Math.floor(priceTicks) || !(qtyLots > 0) || (side !== 1 && side !== -1) || orderId !== orderId) {
      this.invalid();
      return;
    }
    let slot = this.lookup(orderId);
    if (slot !== NONE) {
      this.stats.duplicateAddEvents++;
      if (this.stats.firstDuplicateAddRow < 0) this.stats.firstDuplicateAddRow = this.row;
      this.unlink(slot);
    } else {
      slot = this.allocOrder();
      this.insertId(orderId, slot);
      this.live++;
    }
    this.ordId[slot] = orderId;
    this.ordSide[slot] = side;
    this.ordPrice[slot] = priceTicks;
    this.ordQty[slot] = qtyLots;
    this.linkTail(slot);
  }

  /** Partial cancel: removes `qtyLots` from the order; the order leaves the book at zero. */
  reduce(orderId: number, qtyLots: number): void {
    const slot = this.lookup(orderId);
    if (slot === NONE) {
      this.unknown(orderId);
      return;
    }
    this.take(slot, qtyLots);
  }

  /** Removes the order whatever its remaining size. */
  delete(orderId: number): void {
    const slot = this.lookup(orderId);
    if (slot === NONE) {
      this.unknown(orderId);
      return;
    }
    this.remove(slot);
  }

  /**
   * Changes price and/or size. A price change always loses priority (back of the new level);
   * a size change loses it or keeps it per the venue rules. Size 0 removes the order. `side`
   * (optional) lets a modify for an unknown id become an add under rules with `modifyUnknownAddsOrder`.
   */
  modify(orderId: number, priceTicks: number, qtyLots: number, side = 0): void {
    const slot = this.lookup(orderId);
    if (slot === NONE) {
      this.unknown(orderId);
      if (this.rules.modifyUnknownAddsOrder && (side === 1 || side === -1) && qtyLots > 0) {
        this.stats.modifyAsAddEvents++;
        this.add(orderId, side, priceTicks, qtyLots);
      }
      return;
    }
    if (priceTicks !== Math.floor(priceTicks) || qtyLots !== qtyLots) {
      this.invalid();
      return;
    }
    if (qtyLots <= 0) {
      if (qtyLots < 0) this.negative();
      this.remove(slot);
      return;
    }
    const oldQty = this.ordQty[slot]!;
    if (priceTicks !== this.ordPrice[slot]!) {
      this.unlink(slot);
      this.ordPrice[slot] = priceTicks;
      this.ordQty[slot] = qtyLots;
      this.linkTail(slot);
      return;
    }
    const loses = qtyLots > oldQty ? this.rules.sizeIncreaseLosesPriority : qtyLots < oldQty ? this.rules.sizeDecreaseLosesPriority : false;
    if (loses) {
      this.unlink(slot);
      this.ordQty[slot] = qtyLots;
      this.linkTail(slot);
    } else {
      { const lv = this.ordLevel[slot]!; this.lvlQty[lv] = this.lvlQty[lv]! + qtyLots - oldQty; }
      this.ordQty[slot] = qtyLots;
    }
  }

  /** A resting order traded `qtyLots`; the order leaves the book when fully filled. */
  execute(orderId: number, qtyLots: number): void {
    const slot = this.lookup(orderId);
    if (slot === NONE) {
      this.unknown(orderId);
      return;
    }
    this.take(slot, qtyLots);
  }

  /**
   * Adds size that rested before the data starts (e.g. the first row of a venue's order book
   * file), as an anonymous order with a reserved negative id, at the front of its level by default
   * (it is older than anything the data shows). Returns the id. Unknown-id cancels/executions take
   * from it under rules with `unknownIdTakesAnonymous`.
   */
  addAnonymous(side: 1 | -1, priceTicks: number, qtyLots: number, atFront = true): number {
    const id = --this.anonymousIds;
    this.add(id, side, priceTicks, qtyLots);
    const slot = this.lookup(id);
    if (slot === NONE) return ABSENT;
    this.ordAnon[slot] = 1;
    if (atFront) this.moveToFront(slot);
    return id;
  }

  /** Total anonymous size at a level. */
  anonymousQtyAt(side: 1 | -1, priceTicks: number): number {
    const lv = this.levelSlot(side === 1 ? this.bids : this.asks, priceTicks);
    let q = 0;
    if (lv === NONE) return 0;
    for (let s = this.lvlHead[lv]!; s !== NONE; s = this.ordNext[s]!) if (this.ordAnon[s] === 1) q += this.ordQty[s]!;
    return q;
  }

  /** Empties the book (keeps the counters in `stats`). */
  clear(): void {
    this.stats.clears++;
    if (this.live === 0) return;
    this.hashSlots.fill(NONE);
    this.live = 0;
    this.ordFree = NONE;
    this.ordUsed = 0;
    this.lvlFree = NONE;
    this.lvlUsed = 0;
    for (const ladder of [this.bids, this.asks]) {
      ladder.levelAt.fill(NONE);
      ladder.bits.fill(0);
      ladder.count = 0;
      ladder.best = NaN;
      ladder.version++;
    }
  }

  // ---------------------------------------------------------------- queries

  hasOrder(orderId: number): boolean {
    return this.lookup(orderId) !== NONE;
  }

  orderCount(): number {
    return this.live;
  }

  /** Remaining size of the order, NaN if unknown. */
  orderQty(orderId: number): number {
    const slot = this.lookup(orderId);
    return slot === NONE ? ABSENT : this.ordQty[slot]!;
  }

  orderPrice(orderId: number): number {
    const slot = this.lookup(orderId);
    return slot === NONE ? ABSENT : this.ordPrice[slot]!;
  }

  orderSide(orderId: number): number {
    const slot = this.lookup(orderId);
    return slot === NONE ? ABSENT : this.ordSide[slot]!;
  }

  /** Monotone counter value of when the order got its current queue place; NaN if unknown. */
  orderPriority(orderId: number): number {
    const slot = this.lookup(orderId);
    return slot === NONE ? ABSENT : this.ordPriority[slot]!;
  }

  /** Quantity queued ahead of the order at its level (FIFO); NaN if unknown. */
  queueAhead(orderId: number): number {
    const slot = this.lookup(orderId);
    if (slot === NONE) return ABSENT;
    let ahead = 0;
    for (let s = this.ordPrev[slot]!; s !== NONE; s = this.ordPrev[s]!) ahead += this.ordQty[s]!;
    return ahead;
  }

  /** 0-based index of the order in its level's FIFO queue; NaN if unknown. */
  queuePosition(orderId: number): number {
    const slot = this.lookup(orderId);
    if (slot === NONE) return ABSENT;
    let n = 0;
    for (let s = this.ordPrev[slot]!; s !== NONE; s = this.ordPrev[s]!) n++;
    return n;
  }

  bestBid(): number {
    return this.bids.best;
  }

  bestAsk(): number {
    return this.asks.best;
  }

  bestBidQty(): number {
    return this.bids.count === 0 ? ABSENT : this.lvlQty[this.levelSlot(this.bids, this.bids.best)]!;
  }

  bestAskQty(): number {
    return this.asks.count === 0 ? ABSENT : this.lvlQty[this.levelSlot(this.asks, this.asks.best)]!;
  }

  /** Total size resting at a price on one side (0 if none). */
  qtyAt(side: 1 | -1, priceTicks: number): number {
    const lv = this.levelSlot(side === 1 ? this.bids : this.asks, priceTicks);
    return lv === NONE ? 0 : this.lvlQty[lv]!;
  }

  /** Number of orders resting at a price on one side. */
  ordersAtCount(side: 1 | -1, priceTicks: number): number {
    const lv = this.levelSlot(side === 1 ? this.bids : this.asks, priceTicks);
    return lv === NONE ? 0 : this.lvlCount[lv]!;
  }

  /** Number of non-empty price levels on a side. */
  levelCount(side: 1 | -1): number {
    return (side === 1 ? this.bids : this.asks).count;
  }

  /** Price of the k-th level from the best (k = 0 is best); NaN past the last level. */
  priceAt(side: 1 | -1, k: number): number {
    const ladder = side === 1 ? this.bids : this.asks;
    if (k < 0 || k >= ladder.count) return ABSENT;
    if (ladder.cacheVersion !== ladder.version) {
      ladder.cacheVersion = ladder.version;
      ladder.cacheLen = 0;
    }
    if (k < ladder.cacheLen) return ladder.cachePrices[k]!;
    if (k >= ladder.cachePrices.length) {
      let n = ladder.cachePrices.length;
      while (n <= k) n *= 2;
      const next = new Float64Array(n);
      next.set(ladder.cachePrices);
      ladder.cachePrices = next;
    }
    let off = ladder.cacheLen === 0 ? ladder.best - ladder.base : ladder.cachePrices[ladder.cacheLen - 1]! - ladder.base;
    if (ladder.cacheLen === 0) ladder.cachePrices[ladder.cacheLen++] = ladder.best;
    while (ladder.cacheLen <= k) {
      off = side === 1 ? this.nextBelow(ladder, off) : this.nextAbove(ladder, off);
      ladder.cachePrices[ladder.cacheLen++] = ladder.base + off;
    }
    return ladder.cachePrices[k]!;
  }

  /** Total size of the k-th level from the best; NaN past the last level. */
  qtyAtLevel(side: 1 | -1, k: number): number {
    const p = this.priceAt(side, k);
    if (p !== p) return ABSENT;
    return this.lvlQty[this.levelSlot(side === 1 ? this.bids : this.asks, p)]!;
  }

  /** The L2 view: top `n` levels per side (NaN-padded). Pass `out` to reuse arrays. */
  toL2Levels(n: number, out?: L2Levels): L2Levels {
    const o = out ?? { bidPrice: new Float64Array(n), bidQty: new Float64Array(n), askPrice: new Float64Array(n), askQty: new Float64Array(n) };
    for (let k = 0; k < n; k++) {
      o.bidPrice[k] = this.priceAt(1, k);
      o.bidQty[k] = this.qtyAtLevel(1, k);
      o.askPrice[k] = this.priceAt(-1, k);
      o.askQty[k] = this.qtyAtLevel(-1, k);
    }
    return o;
  }

  /** Orders at one level in queue order (allocates; for views and tests). */
  ordersAt(side: 1 | -1, priceTicks: number): L3OrderView[] {
    const lv = this.levelSlot(side === 1 ? this.bids : this.asks, priceTicks);
    const out: L3OrderView[] = [];
    if (lv === NONE) return out;
    let ahead = 0;
    for (let s = this.lvlHead[lv]!; s !== NONE; s = this.ordNext[s]!) {
      out.push({ orderId: this.ordId[s]!, side, priceTicks, qtyLots: this.ordQty[s]!, priority: this.ordPriority[s]!, queuePosition: out.length, queueAhead: ahead });
      ahead += this.ordQty[s]!;
    }
    return out;
  }

  /** Calls `fn` for every resting order (level order, then queue order); for checks and exports. */
  forEachOrder(fn: (orderId: number, side: 1 | -1, priceTicks: number, qtyLots: number, priority: number) => void): void {
    for (const side of [1, -1] as const) {
      for (let k = 0; k < this.levelCount(side); k++) {
        const p = this.priceAt(side, k);
        const lv = this.levelSlot(side === 1 ? this.bids : this.asks, p);
        for (let s = this.lvlHead[lv]!; s !== NONE; s = this.ordNext[s]!) fn(this.ordId[s]!, side, p, this.ordQty[s]!, this.ordPriority[s]!);
      }
    }
  }

  /** A plain summary of `stats` plus the current top of book. */
  summary(): L3BookStats & { orders: number; bestBid: number; bestAsk: number; bidLevels: number; askLevels: number } {
    return { ...this.stats, orders: this.live, bestBid: this.bids.best, bestAsk: this.asks.best, bidLevels: this.bids.count, askLevels: this.asks.count };
  }

  // ---------------------------------------------------------------- internals: counters

  private unknown(orderId: number): void {
    const st = this.stats;
    st.unknownIdEvents++;
    if (st.unknownIdEvents === 1) {
      st.firstUnknownIdRow = this.row;
      st.firstUnknownId = orderId;
    }
    if (this.onUnknownId === "throw") {
      throw new LabError({
        code: "BOOK_UNKNOWN_ORDER",
        message: `order id ${orderId} is not in the book${this.row >= 0 ? ` at row ${this.row}` : ""}${this.source ? ` of ${this.source}` : ""}`,
        hint: 'the data may start mid-day without a snapshot; use onUnknownId: "count" to tolerate and count such events',
        context: { row: this.row, orderId, ...(this.source ? { file: this.source } : {}) },
      });
    }
  }

  private negative(): void {
    this.stats.negativeQtyEvents++;
    if (this.stats.firstNegativeQtyRow < 0) this.stats.firstNegativeQtyRow = this.row;
  }

  private invalid(): void {
    this.stats.invalidEvents++;
    if (this.stats.firstInvalidRow < 0) this.stats.firstInvalidRow = this.row;
  }

  /** Removes `qty` from an order (reduce/execute); at or below zero the order leaves the book. */
  private take(slot: number, qty: number): void {
    if (!(qty > 0)) {
      if (qty !== 0) this.invalid();
      return;
    }
    const rest = this.ordQty[slot]! - qty;
    if (rest > 0) {
      this.ordQty[slot] = rest;
      { const lv = this.ordLevel[slot]!; this.lvlQty[lv] = this.lvlQty[lv]! - qty; }
      return;
    }
    if (rest < 0) this.negative();
    this.remove(slot);
  }

  // ---------------------------------------------------------------- internals: orders and hash

  private allocOrder(): number {
    let s: number;
    if (this.ordFree !== NONE) {
      s = this.ordFree;
      this.ordFree = this.ordNext[s]!;
    } else {
      if (this.ordUsed === this.ordCap) this.growOrders();
      s = this.ordUsed++;
    }
    this.ordAnon[s] = 0;
    return s;
  }

  /**
   * Removes up to `qty` of anonymous size at a level, front first, as an unknown-id cancel or
   * execution does under rules with `unknownIdTakesAnonymous`. Counted in `stats.anonymousTakeEvents` and
   * `anonymousShortfallEvents`.
   */
  takeUnattributed(side: number, price: number, qty: number): void {
    this.takeAnonymous(side, price, qty);
  }

  private takeAnonymous(side: number, price: number, qty: number): void {
    if ((side !== 1 && side !== -1) || !(qty > 0)) return;
    let lv = this.levelSlot(side === 1 ? this.bids : this.asks, price);
    let left = qty;
    let s = lv === NONE ? NONE : this.lvlHead[lv]!;
    while (s !== NONE && left > 0) {
      const next = this.ordNext[s]!;
      if (this.ordAnon[s] === 1) {
        const q = this.ordQty[s]!;
        if (q > left) {
          this.ordQty[s] = q - left;
          this.lvlQty[lv] = this.lvlQty[lv]! - left;
          left = 0;
        } else {
          left -= q;
          this.remove(s);
        }
      }
      s = next;
    }
    this.stats.anonymousTakeEvents++;
    if (left > 0) this.stats.anonymousShortfallEvents++;
  }

  /** Moves an order to the front of its level's queue, keeping its priority value below all others there. */
  private moveToFront(slot: number): void {
    const lv = this.ordLevel[slot]!;
    if (this.lvlHead[lv] === slot) return;
    const prev = this.ordPrev[slot]!;
    const next = this.ordNext[slot]!;
    this.ordNext[prev] = next;
    if (next === NONE) this.lvlTail[lv] = prev;
    else this.ordPrev[next] = prev;
    const head = this.lvlHead[lv]!;
    this.ordPrev[slot] = NONE;
    this.ordNext[slot] = head;
    this.ordPrev[head] = slot;
    this.lvlHead[lv] = slot;
    this.ordPriority[slot] = Math.min(this.ordPriority[slot]!, this.ordPriority[head]! - 0.5);
  }

  private growOrders(): void {
    const cap = this.ordCap * 2;
    const grow = <T extends Float64Array | Int32Array | Int8Array>(a: T, Ctor: new (n: number) => T): T => {
      const b = new Ctor(cap);
      b.set(a);
      return b;
    };
    this.ordId = grow(this.ordId, Float64Array);
    this.ordSide = grow(this.ordSide, Int8Array);
    this.ordPrice = grow(this.ordPrice, Float64Array);
    this.ordQty = grow(this.ordQty, Float64Array);
    this.ordPriority = grow(this.ordPriority, Float64Array);
    this.ordPrev = grow(this.ordPrev, Int32Array);
    this.ordNext = grow(this.ordNext, Int32Array);
    this.ordLevel = grow(this.ordLevel, Int32Array);
    const anon = new Uint8Array(cap);
    anon.set(this.ordAnon);
    this.ordAnon = anon;
    this.ordCap = cap;
    this.rehash(cap * 2);
  }

  private rehash(size: number): void {
    const keys = new Float64Array(size);
    const slots = new Int32Array(size).fill(NONE);
    const mask = size - 1;
    const oldKeys = this.hashKeys;
    const oldSlots = this.hashSlots;
    for (let j = 0; j < oldSlots.length; j++) {
      const s = oldSlots[j]!;
      if (s === NONE) continue;
      const key = oldKeys[j]!;
      let h = hashId(key) & mask;
      while (slots[h] !== NONE) h = (h + 1) & mask;
      keys[h] = key;
      slots[h] = s;
    }
    this.hashKeys = keys;
    this.hashSlots = slots;
    this.hashMask = mask;
  }

  private lookup(orderId: number): number {
    const keys = this.hashKeys;
    const slots = this.hashSlots;
    const mask = this.hashMask;
    let h = hashId(orderId) & mask;
    for (;;) {
      const s = slots[h]!;
      if (s === NONE) return NONE;
      if (keys[h] === orderId) return s;
      h = (h + 1) & mask;
    }
  }

  private insertId(orderId: number, slot: number): void {
    const mask = this.hashMask;
    let h = hashId(orderId) & mask;
    while (this.hashSlots[h] !== NONE) h = (h + 1) & mask;
    this.hashKeys[h] = orderId;
    this.hashSlots[h] = slot;
  }

  /** Backward-shift deletion keeps probe chains intact without tombstones. */
  private deleteId(orderId: number): void {
    const keys = this.hashKeys;
    const slots = this.hashSlots;
    const mask = this.hashMask;
    let h = hashId(orderId) & mask;
    while (keys[h] !== orderId || slots[h] === NONE) {
      if (slots[h] === NONE) return;
      h = (h + 1) & mask;
    }
    let hole = h;
    let j = h;
    for (;;) {
      j = (j + 1) & mask;
      const s = slots[j]!;
      if (s === NONE) break;
      const home = hashId(keys[j]!) & mask;
      // Move entry j into the hole if its home is not cyclically within (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        keys[hole] = keys[j]!;
        slots[hole] = s;
        hole = j;
      }
    }
    slots[hole] = NONE;
  }

  /** Removes an order completely (queue, level, hash, pool). */
  private remove(slot: number): void {
    this.unlink(slot);
    this.deleteId(this.ordId[slot]!);
    this.ordNext[slot] = this.ordFree;
    this.ordFree = slot;
    this.live--;
  }

  // ---------------------------------------------------------------- internals: levels and queues

  /** Appends the order (side/price/qty already set) to the back of its level with a new priority. */
  private linkTail(slot: number): void {
    const ladder = this.ordSide[slot]! === 1 ? this.bids : this.asks;
    const price = this.ordPrice[slot]!;
    let lv = this.levelSlot(ladder, price);
    if (lv === NONE) lv = this.openLevel(ladder, price);
    const tail = this.lvlTail[lv]!;
    this.ordPrev[slot] = tail;
    this.ordNext[slot] = NONE;
    if (tail === NONE) this.lvlHead[lv] = slot;
    else this.ordNext[tail] = slot;
    this.lvlTail[lv] = slot;
    this.lvlCount[lv]!++;
    this.lvlQty[lv] = this.lvlQty[lv]! + this.ordQty[slot]!;
    this.ordLevel[slot] = lv;
    this.ordPriority[slot] = ++this.priorityCounter;
  }

  /** Takes the order out of its level's queue (closing the level if it empties); keeps the slot. */
  private unlink(slot: number): void {
    const lv = this.ordLevel[slot]!;
    const prev = this.ordPrev[slot]!;
    const next = this.ordNext[slot]!;
    if (prev === NONE) this.lvlHead[lv] = next;
    else this.ordNext[prev] = next;
    if (next === NONE) this.lvlTail[lv] = prev;
    else this.ordPrev[next] = prev;
    this.lvlQty[lv] = this.lvlQty[lv]! - this.ordQty[slot]!;
    if (--this.lvlCount[lv]! === 0) this.closeLevel(this.ordSide[slot]! === 1 ? this.bids : this.asks, this.ordPrice[slot]!, lv);
  }

  private levelSlot(ladder: SideLadder, price: number): number {
    const off = price - ladder.base;
    if (off < 0 || off >= ladder.levelAt.length) return NONE;
    return ladder.levelAt[off]!;
  }

  private openLevel(ladder: SideLadder, price: number): number {
    let off = price - ladder.base;
    if (off < 0 || off >= ladder.levelAt.length) {
      this.growLadder(ladder, price);
      off = price - ladder.base;
    }
    let lv: number;
    if (this.lvlFree !== NONE) {
      lv = this.lvlFree;
      this.lvlFree = this.lvlHead[lv]!;
    } else {
      if (this.lvlUsed === this.lvlCap) this.growLevels();
      lv = this.lvlUsed++;
    }
    this.lvlQty[lv] = 0;
    this.lvlCount[lv] = 0;
    this.lvlHead[lv] = NONE;
    this.lvlTail[lv] = NONE;
    ladder.levelAt[off] = lv;
    ladder.bits[off >>> 5]! |= 1 << (off & 31);
    ladder.count++;
    ladder.version++;
    const best = ladder.best;
    if (best !== best || (ladder.side === 1 ? price > best : price < best)) ladder.best = price;
    return lv;
  }

  private closeLevel(ladder: SideLadder, price: number, lv: number): void {
    const off = price - ladder.base;
    ladder.levelAt[off] = NONE;
    ladder.bits[off >>> 5]! &= ~(1 << (off & 31));
    ladder.count--;
    ladder.version++;
    this.lvlQty[lv] = 0;
    this.lvlHead[lv] = this.lvlFree;
    this.lvlFree = lv;
    if (price === ladder.best) {
      if (ladder.count === 0) ladder.best = NaN;
      else ladder.best = ladder.base + (ladder.side === 1 ? this.nextBelow(ladder, off) : this.nextAbove(ladder, off));
    }
  }

  /** Offset of the highest occupied tick strictly below `off` (caller knows one exists). */
  private nextBelow(ladder: SideLadder, off: number): number {
    const bits = ladder.bits;
    let w = off >>> 5;
    const b = off & 31;
    let m = b === 0 ? 0 : bits[w]! & ((1 << b) - 1);
    while (m === 0) {
      if (--w < 0) return -1;
      m = bits[w]!;
    }
    return (w << 5) + 31 - Math.clz32(m);
  }

  /** Offset of the lowest occupied tick strictly above `off`. */
  private nextAbove(ladder: SideLadder, off: number): number {
    const bits = ladder.bits;
    let w = off >>> 5;
    const b = off & 31;
    let m = b === 31 ? 0 : bits[w]! & ~((2 << b) - 1);
    while (m === 0) {
      if (++w >= bits.length) return -1;
      m = bits[w]!;
    }
    return (w << 5) + 31 - Math.clz32(m & -m);
  }

  private growLadder(ladder: SideLadder, price: number): void {
    const oldLen = ladder.levelAt.length;
    const lo = oldLen === 0 ? price : Math.min(ladder.base, price);
    const hi = oldLen === 0 ? price + 1 : Math.max(ladder.base + oldLen, price + 1);
    const need = hi - lo;
    let cap = Math.max(4096, oldLen);
    while (cap < need * 2 && cap < this.maxSpan) cap *= 2;
    if (need > this.maxSpan || cap > this.maxSpan) {
      if (need > this.maxSpan) {
        throw new LabError({
          code: "BOOK_PRICE_RANGE",
          message: `${ladder.side === 1 ? "bid" : "ask"} prices span ${need} ticks (price ${price}${this.row >= 0 ? ` at row ${this.row}` : ""}), more than maxPriceSpanTicks ${this.maxSpan}`,
          hint: "check the instrument's tick size (prices must be in ticks), or raise maxPriceSpanTicks",
          context: { row: this.row, priceTicks: price, ...(this.source ? { file: this.source } : {}) },
        });
      }
      cap = this.maxSpan;
    }
    // Round the base down to a multiple of 32 so existing bitmap words move as whole words.
    const slack = cap - need;
    let base = Math.floor((lo - Math.floor(slack / 2)) / 32) * 32;
    if (base + cap < hi) base = Math.floor(lo / 32) * 32;
    if (base + cap < hi) cap += 32;
    const levelAt = new Int32Array(cap).fill(NONE);
    const bits = new Uint32Array(Math.ceil(cap / 32));
    if (oldLen > 0) {
      const shift = ladder.base - base;
      levelAt.set(ladder.levelAt, shift);
      bits.set(ladder.bits, shift / 32);
    }
    ladder.base = base;
    ladder.levelAt = levelAt;
    ladder.bits = bits;
    ladder.version++;
  }

  private growLevels(): void {
    const cap = this.lvlCap * 2;
    const q = new Float64Array(cap);
    q.set(this.lvlQty);
    const c = new Int32Array(cap);
    c.set(this.lvlCount);
    const h = new Int32Array(cap);
    h.set(this.lvlHead);
    const t = new Int32Array(cap);
    t.set(this.lvlTail);
    this.lvlQty = q;
    this.lvlCount = c;
    this.lvlHead = h;
    this.lvlTail = t;
    this.lvlCap = cap;
  }
}

/** 32-bit mix of an integer-valued double (exact up to 2^53), from its low and high words. */
function hashId(id: number): number {
  const lo = id >>> 0;
  const hi = (id / TWO_32) | 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 13;
  return h;
}
