/**
 * LOBSTER as an order-by-order (L3) stream that stays equal to LOBSTER's own order book.
 *
 * Replaying the messages alone drifts: orders resting before the file starts are never added,
 * orders deeper than the window enter it without a message, and NASDAQ replaces some orders
 * without a message for the old id (GOOG 2012-06-21: message 2,254 deletes an id the file never
 * added, and the replaced order would rest in the book forever, until the book crosses). This
 * stream keeps the messages' order-level detail and, after every message, reconciles the levels
 * inside the window with the orderbook file's row, so a plain L3 consumer (the engine, an
 * `L3Book` with any venue rules) never sees an id it does not hold and never a level LOBSTER does
 * not list.
 *
 * Rows, all at the message's time, the last of each message flagged `EventFlag.Last`:
 * - the start: the book before message 1 (`lobsterStartBook`) as Add rows of anonymous orders
 *   (negative ids), flagged Snapshot;
 * - a message on an order the stream holds: the message row as read (`aux` = LOBSTER type);
 * - a cancel or execution of an id the file never added: the same row kind against the anonymous
 *   orders at its side and price, front first (the oldest size); an execution larger than the
 *   anonymous size there keeps the rest as a Hidden execution (a print that leaves the book);
 * - reconciliation (`aux` = -1 adds, -2 removals): a level the orderbook lists with more size than
 *   the stream holds gets an anonymous Add at the back of its queue (a level entering the window
 *   from beyond it, or size no message explains); a level with less loses anonymous size first,
 *   then the one order whose size equals the excess (the oldest such, as a replaced order would
 *   be), then orders from the back of the queue; a level the orderbook no longer lists inside the
 *   window is emptied.
 * Hidden executions, cross trades and halts pass through unchanged.
 */
import { L3Book } from "../../book/index.js";
import { EventFlag, EventKind, type TickBatch } from "../../data/index.js";
import { beyondEdge, lobsterStartBook, lobsterStream, orderbookSide } from "./l2.js";
import type { LobsterData } from "./read.js";

export interface LobsterL3Options {
  /** Levels per side reconciled with the orderbook file. @default the orderbook's L */
  levels?: number;
}

export interface LobsterL3Result {
  /** The L3 stream (see the module comment). */
  batch: TickBatch;
  /** Batch rows after message i's group: rows [messageEnd[i-1], messageEnd[i]) belong to message i. */
  messageEnd: Int32Array;
  /** Messages on ids the file never added, served from anonymous orders. */
  unknownIdMessages: number;
  /** Anonymous Add rows from reconciliation (start book not counted). */
  anonymousAdds: number;
  /** Rows removing orders the file did add because the orderbook no longer has their size. */
  forcedRemovals: number;
  /** Index (0-based) of the first message after which a forced removal was needed; -1 if none. */
  firstForcedRemoval: number;
  /** Executions of unknown ids beyond the anonymous size at their price, kept as Hidden prints. */
  unattributedExecutions: number;
}

const RECONCILE_ADD = -1;
const RECONCILE_REMOVE = -2;

/** Builds the reconciled L3 stream; see the module comment. */
export function lobsterL3Batch(data: LobsterData, options: LobsterL3Options = {}): LobsterL3Result {
  const { ob, L, m, out, messageEnd } = lobsterStream(data, options.levels);
  const book = new L3Book({ venueRules: "fifo", onUnknownId: "throw" });
  let nextAnonymous = -1;
  let ts = m.length > 0 ? m.exchTs[0]! : 0n;
  let local = ts;
  const counts = { unknownIdMessages: 0, anonymousAdds: 0, forcedRemovals: 0, firstForcedRemoval: -1, unattributedExecutions: 0 };

  const addAnonymous = (side: 1 | -1, price: number, qty: number, flags: number, aux: number): void => {
    const id = nextAnonymous--;
    book.add(id, side, price, qty);
    out.push(ts, local, EventKind.Add, side, price, qty, id, flags, 0, NaN, aux);
  };
  /** Takes `qty` from order `id` with a row of `kind` (Reduce or Execute; a Reduce of all of it is a Delete). */
  const take = (kind: number, id: number, side: number, price: number, qty: number, flags: number, aux: number): void => {
    const whole = qty >= book.orderQty(id);
    if (kind === EventKind.Execute) book.execute(id, qty);
    else if (whole) book.delete(id);
    else book.reduce(id, qty);
    out.push(ts, local, kind === EventKind.Execute ? kind : whole ? EventKind.Delete : EventKind.Reduce, side, price, qty, id, flags, 0, NaN, aux);
  };
  /** Removes up to `qty` of anonymous size at a level, front first; returns what is left to remove. */
  const takeAnonymous = (kind: number, side: 1 | -1, price: number, qty: number, flags: number, aux: number): number => {
    for (const o of book.ordersAt(side, price)) {
      if (qty <= 0) break;
      if (o.orderId >= 0) continue;
      const q = Math.min(qty, o.qtyLots);
      take(kind, o.orderId, side, price, q, flags, aux);
      qty -= q;
    }
    return qty;
  };

  /** Removes `excess` at a level: anonymous size, then the oldest order of exactly that size, then from the back. */
  const removeExcess = (side: 1 | -1, price: number, excess: number, message: number): void => {
    let left = takeAnonymous(EventKind.Reduce, side, price, excess, 0, RECONCILE_REMOVE);
    if (left <= 0) return;
    if (counts.firstForcedRemoval < 0) counts.firstForcedRemoval = message;
    const orders = book.ordersAt(side, price);
    const exact = orders.find((o) => o.qtyLots === left);
    if (exact !== undefined) {
      take(EventKind.Reduce, exact.orderId, side, price, left, 0, RECONCILE_REMOVE);
      counts.forcedRemovals++;
      return;
    }
    for (let k = orders.length - 1; k >= 0 && left > 0; k--) {
      const q = Math.min(left, orders[k]!.qtyLots);
      take(EventKind.Reduce, orders[k]!.orderId, side, price, q, 0, RECONCILE_REMOVE);
      counts.forcedRemovals++;
      left -= q;
    }
  };

  // The start: the book before message 1, each level one anonymous order.
  const start = lobsterStartBook(data, L);
  for (const side of [1, -1] as const) {
    for (let k = 0; k < start.levelCount(side); k++) addAnonymous(side, start.priceAt(side, k), start.qtyAtLevel(side, k), EventFlag.Snapshot, 0);
  }
  if (out.length > 0) out.orFlags(out.length - 1, EventFlag.Last);

  const stale: number[] = [];
  for (let i = 0; i < m.length; i++) {
    ts = m.exchTs[i]!;
    local = m.localTs[i]!;
    const groupStart = out.length;
    const kind = m.kind[i]!;
    const side = m.side[i]! as 1 | -1;
    const price = m.priceTicks[i]!;
    const qty = m.qtyLots[i]!;
    const id = m.orderId[i]!;
    const flags = m.flags[i]! & ~EventFlag.Last;
    const aux = m.aux[i]!;
    const changesBook = (flags & EventFlag.Hidden) === 0 && (kind === EventKind.Add || kind === EventKind.Reduce || kind === EventKind.Delete || kind === EventKind.Execute);
    if (!changesBook) {
      out.push(ts, local, kind, side, price, qty, id, flags, 0, m.seq[i]!, aux);
    } else if (kind === EventKind.Add) {
      book.add(id, side, price, qty);
      out.push(ts, local, kind, side, price, qty, id, flags, 0, m.seq[i]!, aux);
    } else if (book.hasOrder(id)) {
      const q = kind === EventKind.Delete ? book.orderQty(id) : Math.min(qty, book.orderQty(id));
      take(kind, id, side, price, q, flags, aux);
    } else {
      counts.unknownIdMessages++;
      const left = takeAnonymous(kind, side, price, qty, flags, aux);
      if (left > 0 && kind === EventKind.Execute) {
        out.push(ts, local, EventKind.Execute, side, price, left, NaN, flags | EventFlag.Hidden, 0, NaN, aux);
        counts.unattributedExecutions++;
      }
    }

    // Reconcile the window with orderbook row i.
    for (const s of [1, -1] as const) {
      const { prices: refP, sizes: refQ, base, count: refCount, edge } = orderbookSide(ob, i, s, L);
      // Every level the stream holds at or inside the edge that the row does not list (collected
      // first: removing one shifts the ranks of the rest).
      stale.length = 0;
      for (let k = 0, n = book.levelCount(s); k < n; k++) {
        const p = book.priceAt(s, k);
        if (beyondEdge(s, p, edge)) break;
        let listed = false;
        for (let j = 0; j < refCount; j++) if (refP[base + j] === p) listed = true;
        if (!listed) stale.push(p);
      }
      for (const p of stale) removeExcess(s, p, book.qtyAt(s, p), i);
      for (let j = 0; j < refCount; j++) {
        const p = refP[base + j]!;
        const diff = refQ[base + j]! - book.qtyAt(s, p);
        if (diff > 0) {
          addAnonymous(s, p, diff, 0, RECONCILE_ADD);
          counts.anonymousAdds++;
        } else if (diff < 0) removeExcess(s, p, -diff, i);
      }
    }
    if (out.length > groupStart) out.orFlags(out.length - 1, EventFlag.Last);
    messageEnd[i] = out.length;
  }

  const batch = out.build(m.instruments, `${m.source ?? "LOBSTER"} (L3, reconciled to ${L} levels)`);
  return { batch, messageEnd, ...counts };
}
