/**
 * The wires between the two processors, as growable typed-array FIFOs (no object per message):
 * requests travel local -> exchange, responses exchange -> local. Each is one session, so arrival
 * times are kept non-decreasing (a message never overtakes an earlier one, as on one TCP
 * connection) and a FIFO is already in time order. Timers need arbitrary order: a binary heap.
 */

export const RequestKind = { New: 1, Cancel: 2, Modify: 3 } as const;
export type RequestKind = (typeof RequestKind)[keyof typeof RequestKind];

export const ResponseKind = { Ack: 1, Fill: 2, Cancelled: 3, Rejected: 4, Modified: 5, CancelRejected: 6, ModifyRejected: 7 } as const;
export type ResponseKind = (typeof ResponseKind)[keyof typeof ResponseKind];

type Column = Float64Array | Uint8Array | Int32Array;

/**
 * The FIFO mechanics both wires share: head/tail over growable columns, arrival times clamped
 * non-decreasing, compaction before growth. Subclasses name their columns and write one row.
 */
abstract class ColumnFifo {
  t = new Float64Array(64);
  private head = 0;
  private tail = 0;
  private last = -Infinity;
  /** Names of the per-message columns besides `t`, all of the same length. */
  protected abstract readonly columns: readonly string[];

  get length(): number {
    return this.tail - this.head;
  }

  /** Arrival time of the next message (Infinity when empty). */
  nextT(): number {
    return this.head < this.tail ? this.t[this.head]! : Infinity;
  }

  /** Index of the head message (read its columns, then `pop()`). */
  peek(): number {
    return this.head;
  }

  pop(): void {
    this.head++;
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  /** Appends a row at time `t` (clamped so no message overtakes an earlier one); returns its index. */
  protected append(t: number): number {
    if (t < this.last) t = this.last;
    this.last = t;
    if (this.tail === this.t.length) this.compactOrGrow();
    const j = this.tail++;
    this.t[j] = t;
    return j;
  }

  private compactOrGrow(): void {
    const n = this.tail - this.head;
    const cap = n * 2 > this.t.length ? this.t.length * 2 : this.t.length;
    const move = <T extends Column>(a: T): T => {
      const b = (cap === a.length ? a : new (a.constructor as new (n: number) => T)(cap)) as T;
      b.set(a.subarray(this.head, this.tail) as unknown as ArrayLike<number>, 0);
      return b;
    };
    this.t = move(this.t);
    const self = this as unknown as Record<string, Column>;
    for (const name of this.columns) self[name] = move(self[name]!);
    this.head = 0;
    this.tail = n;
  }
}

export class RequestQueue extends ColumnFifo {
  kind = new Uint8Array(64);
  slot = new Int32Array(64);
  price = new Float64Array(64);
  qty = new Float64Array(64);
  protected readonly columns = ["kind", "slot", "price", "qty"] as const;

  push(t: number, kind: number, slot: number, price: number, qty: number): void {
    const j = this.append(t);
    this.kind[j] = kind;
    this.slot[j] = slot;
    this.price[j] = price;
    this.qty[j] = qty;
  }
}

export class ResponseQueue extends ColumnFifo {
  /** Exchange time of the action being reported. */
  exchT = new Float64Array(64);
  kind = new Uint8Array(64);
  slot = new Int32Array(64);
  qty = new Float64Array(64);
  price = new Float64Array(64);
  fee = new Float64Array(64);
  liquidity = new Uint8Array(64);
  reason = new Uint8Array(64);
  protected readonly columns = ["exchT", "kind", "slot", "qty", "price", "fee", "liquidity", "reason"] as const;

  push(t: number, exchT: number, kind: number, slot: number, qty: number, price: number, fee: number, liquidity: number, reason: number): void {
    const j = this.append(t);
    this.exchT[j] = exchT;
    this.kind[j] = kind;
    this.slot[j] = slot;
    this.qty[j] = qty;
    this.price[j] = price;
    this.fee[j] = fee;
    this.liquidity[j] = liquidity;
    this.reason[j] = reason;
  }
}

/** Min-heap of timers keyed by (time, sequence), so equal times fire in the order they were set. */
export class TimerHeap {
  private t = new Float64Array(16);
  private seq = new Float64Array(16);
  private id = new Int32Array(16);
  private size = 0;
  private counter = 0;

  get length(): number {
    return this.size;
  }

  nextT(): number {
    return this.size > 0 ? this.t[0]! : Infinity;
  }

  /** Id of the earliest timer. */
  peekId(): number {
    return this.id[0]!;
  }

  push(t: number, id: number): void {
    if (this.size === this.t.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a as unknown as ArrayLike<number>);
        return b;
      };
      this.t = grow(this.t);
      this.seq = grow(this.seq);
      this.id = grow(this.id);
    }
    let i = this.size++;
    const s = this.counter++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.t[p]! < t || (this.t[p] === t && this.seq[p]! < s)) break;
      this.t[i] = this.t[p]!;
      this.seq[i] = this.seq[p]!;
      this.id[i] = this.id[p]!;
      i = p;
    }
    this.t[i] = t;
    this.seq[i] = s;
    this.id[i] = id;
  }

  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const t = this.t[n]!;
    const s = this.seq[n]!;
    const id = this.id[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && (this.t[c + 1]! < this.t[c]! || (this.t[c + 1] === this.t[c] && this.seq[c + 1]! < this.seq[c]!))) c++;
      if (t < this.t[c]! || (t === this.t[c] && s < this.seq[c]!)) break;
      this.t[i] = this.t[c]!;
      this.seq[i] = this.seq[c]!;
      this.id[i] = this.id[c]!;
      i = c;
    }
    this.t[i] = t;
    this.seq[i] = s;
    this.id[i] = id;
  }
}
