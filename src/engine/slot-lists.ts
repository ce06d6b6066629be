/**
 * Per-instrument lists of order slots in arrival order (the exchange's resting orders, the
 * strategy's open orders). Removal keeps the order of the rest: fills are handed out by walking a
 * list, so its order is part of what makes a run deterministic. Lists are short (a strategy's own
 * orders), so a linear scan beats any index.
 */
export class SlotLists {
  private readonly lists: Int32Array[];
  /** Slots per instrument; read directly on hot paths. */
  readonly counts: Int32Array;

  constructor(instruments: number) {
    this.lists = Array.from({ length: instruments }, () => new Int32Array(16));
    this.counts = new Int32Array(instruments);
  }

  /**
   * Instrument k's backing array: slots 0..counts[k]−1 are live. No view is made, because hot
   * paths walk it on every row; copy the live part before changing the list while walking it.
   */
  backing(k: number): Int32Array {
    return this.lists[k]!;
  }

  add(k: number, o: number): void {
    let list = this.lists[k]!;
    const n = this.counts[k]!;
    if (n === list.length) {
      const next = new Int32Array(n * 2);
      next.set(list);
      this.lists[k] = list = next;
    }
    list[n] = o;
    this.counts[k] = n + 1;
  }

  /** Removes slot o from instrument k's list; false when it was not there. */
  remove(k: number, o: number): boolean {
    const list = this.lists[k]!;
    const n = this.counts[k]!;
    for (let j = 0; j < n; j++) {
      if (list[j] !== o) continue;
      list.copyWithin(j, j + 1, n);
      this.counts[k] = n - 1;
      return true;
    }
    return false;
  }

  has(k: number, o: number): boolean {
    const list = this.lists[k]!;
    for (let j = 0, n = this.counts[k]!; j < n; j++) if (list[j] === o) return true;
    return false;
  }
}
