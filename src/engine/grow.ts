/**
 * Growing typed-array columns (order state, fills, equity samples). Growth is ×4 and new space is
 * never pre-filled: on the machines this runs on, touching fresh memory costs more than the
 * arithmetic, so few large steps and untouched tails are what keeps order-heavy runs fast.
 */
type Column = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** The capacity after growing `cap` (at least `min`) by ×4 until it holds `n`. */
export function grownCapacity(cap: number, n: number, min = 256): number {
  let next = Math.max(min, cap);
  while (next < n) next *= 4;
  return next;
}

/** `a` copied into a new column of `cap` elements of the same type. */
export function grownColumn<T extends Column>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a as ArrayLike<number> as never);
  return b;
}
