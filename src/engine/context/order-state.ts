/**
 * The strategy's knowledge of its orders, learnt only from responses that have arrived: status,
 * the last reason, size left, the request in flight, and the open orders per instrument in the
 * order they were sent. The one place `ctx.order()`, the open-order questions and the fills CSV
 * read; the exchange keeps its own state and neither writes the other's.
 *
 * Columns are indexed by order slot (the ticket's index) and grow ×4 without pre-filling: `begin`
 * writes every column of a new slot.
 */
import type { TimeBase } from "../clock.js";
import { grownCapacity, grownColumn } from "../grow.js";
import { ORDER_REASON_NAMES, ORDER_STATUS_NAMES, OrderStatus, OrderType, TIME_IN_FORCE_NAMES } from "../orders.js";
import { SlotLists } from "../slot-lists.js";
import type { OrderEvent, OrderUpdate } from "../strategy-types.js";
import type { OrderTickets } from "../tickets.js";
import type { LocalClock } from "./clock.js";

/** The request in flight without a response yet, per order (`pendingRequest`). */
export const PendingRequest = { None: 0, Cancel: 1, Modify: 2 } as const;

/**
 * Every fill report as it reached the strategy: order, exchange time, local arrival time, price
 * (ticks) and lots, in arrival order (the fills CSV, src/engine/fills-csv.ts).
 */
export interface FillReports {
  length: number;
  order: Int32Array;
  exchT: Float64Array;
  localT: Float64Array;
  price: Float64Array;
  qty: Float64Array;
}

export class OrderState {
  private cap = 0;
  status = new Uint8Array(0);
  /** The reason of the order's last update (rejects, cancels; 0 = none). */
  reason = new Uint8Array(0);
  price = new Float64Array(0);
  qty = new Float64Array(0);
  leaves = new Float64Array(0);
  ackT = new Float64Array(0);
  doneT = new Float64Array(0);
  /** Per order: the request in flight without a response yet (`PendingRequest`). */
  pendingRequest = new Uint8Array(0);
  /** The strategy's open orders, per instrument, in the order they were sent. */
  private readonly open: SlotLists;
  readonly openCount: Int32Array;
  /** Per instrument: lots still open on buy (sell) orders. */
  readonly openBuy: Float64Array;
  readonly openSell: Float64Array;
  readonly reports: FillReports = { length: 0, order: new Int32Array(64), exchT: new Float64Array(64), localT: new Float64Array(64), price: new Float64Array(64), qty: new Float64Array(64) };
  private nowNsAt = NaN;
  private nowNsValue = 0n;

  constructor(
    instruments: number,
    private readonly tickets: OrderTickets,
    private readonly time: TimeBase,
    private readonly clock: LocalClock,
  ) {
    this.open = new SlotLists(instruments);
    this.openCount = this.open.counts;
    this.openBuy = new Float64Array(instruments);
    this.openSell = new Float64Array(instruments);
    this.ensure(64);
  }

  // ------------------------------------------------------------------ changes

  /** A new order in slot `o`, not yet checked or sent. */
  begin(o: number, price: number, qty: number): void {
    this.ensure(o + 1);
    this.price[o] = price;
    this.qty[o] = qty;
    this.leaves[o] = qty;
    this.status[o] = OrderStatus.New;
    this.reason[o] = 0;
    this.ackT[o] = NaN;
    this.doneT[o] = NaN;
    this.pendingRequest[o] = PendingRequest.None;
  }

  /** Refused before it left (risk limits, bad size or price); it never becomes open. */
  refuse(o: number, reason: number): void {
    this.status[o] = OrderStatus.Rejected;
    this.reason[o] = reason;
  }

  /** The order left: open, its size counted on its side. */
  opened(k: number, o: number, side: number, qty: number): void {
    this.open.add(k, o);
    if (side === 1) this.openBuy[k] = this.openBuy[k]! + qty;
    else this.openSell[k] = this.openSell[k]! + qty;
  }

  acked(o: number, t: number): void {
    if (this.status[o] === OrderStatus.New) this.status[o] = OrderStatus.Acked;
    this.ackT[o] = t;
  }

  filled(k: number, o: number, side: number, qty: number, t: number): void {
    this.leaves[o] = Math.max(0, this.leaves[o]! - qty);
    if (side === 1) this.openBuy[k] = this.openBuy[k]! - qty;
    else this.openSell[k] = this.openSell[k]! - qty;
    if (this.leaves[o] === 0) {
      this.status[o] = OrderStatus.Filled;
      this.close(k, o, t);
    } else {
      this.status[o] = OrderStatus.PartiallyFilled;
    }
  }

  /** Cancelled or rejected by the exchange (`status`), for `reason`. */
  ended(k: number, o: number, status: number, reason: number, t: number): void {
    this.status[o] = status;
    this.reason[o] = reason;
    if (this.ackT[o] !== this.ackT[o]) this.ackT[o] = t;
    this.close(k, o, t);
  }

  modified(k: number, o: number, side: number, price: number, qty: number): void {
    const before = this.leaves[o]!;
    const filled = this.qty[o]! - before;
    this.price[o] = price;
    this.qty[o] = qty;
    this.leaves[o] = Math.max(0, qty - filled);
    const d = this.leaves[o]! - before;
    if (side === 1) this.openBuy[k] = this.openBuy[k]! + d;
    else this.openSell[k] = this.openSell[k]! + d;
  }

  private close(k: number, o: number, t: number): void {
    this.doneT[o] = t;
    if (!this.open.remove(k, o)) return;
    const rest = this.leaves[o]!;
    if (rest > 0) {
      if (this.tickets.side[o] === 1) this.openBuy[k] = this.openBuy[k]! - rest;
      else this.openSell[k] = this.openSell[k]! - rest;
    }
  }

  noteReport(o: number, exchT: number, t: number, price: number, qty: number): void {
    const r = this.reports;
    if (r.length === r.order.length) {
      const cap = r.length * 2;
      r.order = grownColumn(r.order, cap);
      r.exchT = grownColumn(r.exchT, cap);
      r.localT = grownColumn(r.localT, cap);
      r.price = grownColumn(r.price, cap);
      r.qty = grownColumn(r.qty, cap);
    }
    const j = r.length++;
    r.order[j] = o;
    r.exchT[j] = exchT;
    r.localT[j] = t;
    r.price[j] = price;
    r.qty[j] = qty;
  }

  // ------------------------------------------------------------------ questions

  /** True for an order of this run that is New, Acked or PartiallyFilled. */
  isOpen(o: number): boolean {
    if (!(o >= 0 && o < this.tickets.length)) return false;
    const s = this.status[o];
    return s === OrderStatus.New || s === OrderStatus.Acked || s === OrderStatus.PartiallyFilled;
  }

  /** True when `o` is an order of this run (sent, whatever became of it). */
  exists(o: number): boolean {
    return o >= 0 && o < this.tickets.length;
  }

  /** Open orders over every instrument. */
  openTotal(): number {
    let n = 0;
    for (let k = 0; k < this.openCount.length; k++) n += this.openCount[k]!;
    return n;
  }

  /** Instrument k's open orders, copied: cancelling while walking the copy is safe. */
  openSnapshot(k: number): Int32Array {
    return this.open.backing(k).slice(0, this.openCount[k]!);
  }

  /** Ids of the open orders of instrument `instrument`, or of every instrument (undefined). */
  openIds(instrument: number | undefined): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.openCount.length; k++) {
      if (instrument !== undefined && k !== instrument) continue;
      const list = this.open.backing(k);
      for (let j = 0; j < this.openCount[k]!; j++) out.push(list[j]!);
    }
    return out;
  }

  /** The `index`-th open order of instrument k (k < 0: counting over every instrument), or −1. */
  openAt(index: number, k: number): number {
    if (k >= 0) return index >= 0 && index < this.openCount[k]! ? this.open.backing(k)[index]! : -1;
    let j = index;
    for (let i = 0; i < this.openCount.length; i++) {
      const n = this.openCount[i]!;
      if (j >= 0 && j < n) return this.open.backing(i)[j]!;
      j -= n;
    }
    return -1;
  }

  // ------------------------------------------------------------------ order views

  /** `now` as ns since the epoch, made once per time (every order update at one time shares it). */
  private nowNs(): bigint {
    const now = this.clock.now;
    if (this.nowNsAt !== now) {
      this.nowNsAt = now;
      this.nowNsValue = this.time.toBigInt(now);
    }
    return this.nowNsValue;
  }

  /**
   * `orderUpdate` written into an object the strategy passed back (`ctx.order(id, o)`): a loop over
   * open orders then allocates nothing. A method of its own: the usual path below stays a plain
   * object literal, which the compiler can keep off the heap when the callback does not keep it.
   */
  fillOrderUpdate(o: number, reason: number, reuse: OrderUpdate): OrderUpdate {
    const tk = this.tickets;
    const status = this.status[o]!;
    const qty = this.qty[o]!;
    const leaves = this.leaves[o]!;
    const pending = this.pendingRequest[o]!;
    const u = reuse as { -readonly [K in keyof OrderUpdate]: OrderUpdate[K] };
    u.id = o;
    u.event = "ack";
    u.instrument = tk.instrument[o]!;
    u.side = tk.side[o]!;
    u.type = tk.type[o] === OrderType.Market ? "Market" : "Limit";
    u.tif = TIME_IN_FORCE_NAMES[tk.tif[o]!] ?? "GTC";
    u.priceTicks = this.price[o]!;
    u.qtyLots = qty;
    u.filledLots = qty - leaves;
    u.leavesLots = status === OrderStatus.New || status === OrderStatus.Acked || status === OrderStatus.PartiallyFilled ? leaves : 0;
    u.status = ORDER_STATUS_NAMES[status] ?? "New";
    u.reason = ORDER_REASON_NAMES[reason] ?? "None";
    u.ts = this.nowNs();
    u.pendingRequest = pending !== 0;
    u.pendingCancel = pending === 1;
    u.cancellable = (status === OrderStatus.Acked || status === OrderStatus.PartiallyFilled) && pending === 0;
    return u;
  }

  /**
   * The order's state as a new plain object literal. Kept small (each column read once, the
   * pending-request codes as literals): the compiler inlines it into the response path, where the
   * object then never reaches the heap unless the strategy keeps it, only below a bytecode size
   * limit (460 bytes in Node 20's V8).
   */
  orderUpdate(o: number, event: OrderEvent, reason: number): OrderUpdate {
    const tk = this.tickets;
    const status = this.status[o]!;
    const qty = this.qty[o]!;
    const leaves = this.leaves[o]!;
    const pending = this.pendingRequest[o]!;
    return {
      id: o,
      event,
      instrument: tk.instrument[o]!,
      side: tk.side[o]!,
      type: tk.type[o] === OrderType.Market ? "Market" : "Limit",
      tif: TIME_IN_FORCE_NAMES[tk.tif[o]!] ?? "GTC",
      priceTicks: this.price[o]!,
      qtyLots: qty,
      // Unfilled lots stay in `leaves` after an order ends (cancel, reject); an ended order has none open.
      filledLots: qty - leaves,
      leavesLots: status === OrderStatus.New || status === OrderStatus.Acked || status === OrderStatus.PartiallyFilled ? leaves : 0,
      status: ORDER_STATUS_NAMES[status] ?? "New",
      reason: ORDER_REASON_NAMES[reason] ?? "None",
      ts: this.time.toBigInt(this.clock.now),
      pendingRequest: pending !== 0,
      pendingCancel: pending === 1,
      cancellable: (status === OrderStatus.Acked || status === OrderStatus.PartiallyFilled) && pending === 0,
    };
  }

  /** Grows the order columns ×4 without pre-filling (see ExchangeSim.ensure); `begin` writes each slot. */
  private ensure(n: number): void {
    if (n <= this.cap) return;
    const cap = grownCapacity(this.cap, n);
    this.status = grownColumn(this.status, cap);
    this.reason = grownColumn(this.reason, cap);
    this.price = grownColumn(this.price, cap);
    this.qty = grownColumn(this.qty, cap);
    this.leaves = grownColumn(this.leaves, cap);
    this.ackT = grownColumn(this.ackT, cap);
    this.doneT = grownColumn(this.doneT, cap);
    this.pendingRequest = grownColumn(this.pendingRequest, cap);
    this.cap = cap;
  }
}
