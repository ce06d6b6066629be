/**
 * Engine time. At the API edges time is exact `bigint` ns since the epoch; inside the loop it is a
 * `number` of ns since the run's time base (exact up to 2^53 ns ≈ 104 days). Timestamps are read
 * straight from a `BigInt64Array`'s bytes as two 32-bit words, because reading a BigInt element
 * allocates a heap BigInt per event and subtracting bigints allocates again.
 */
import { LabError } from "../core/index.js";

export class TimeBase {
  readonly base: bigint;
  /** The base as signed high and unsigned low 32-bit words (for inlined conversions in hot loops). */
  readonly hi: number;
  readonly lo: number;

  constructor(base: bigint) {
    this.base = base;
    this.hi = Number(BigInt.asIntN(32, base >> 32n));
    this.lo = Number(BigInt.asUintN(32, base));
  }

  /** ns since the base of element `i` of the column viewed as `words` (see `wordsOf`). */
  at(words: Int32Array, i: number): number {
    return (words[2 * i + 1]! - this.hi) * 4294967296 + ((words[2 * i]! >>> 0) - this.lo);
  }

  toBigInt(offset: number): bigint {
    return this.base + BigInt(offset);
  }

  /**
   * Writes base + offset into element `j` of a BigInt64Array seen as `words` (see `wordsOf`),
   * with 32-bit arithmetic: no BigInt is created (results tables hold many timestamps).
   */
  writeAt(words: Int32Array, j: number, offset: number): void {
    const offHi = Math.floor(offset / 4294967296);
    const lo = this.lo + (offset - offHi * 4294967296);
    const carry = lo >= 4294967296 ? 1 : 0;
    words[2 * j] = (lo - carry * 4294967296) | 0;
    words[2 * j + 1] = (this.hi + offHi + carry) | 0;
  }

  /** A BigInt64Array of base + offsets (NaN offsets become 0n). */
  toBigInt64Array(offsets: ArrayLike<number>, length = offsets.length): BigInt64Array {
    const out = new BigInt64Array(length);
    const words = wordsOf(out);
    for (let j = 0; j < length; j++) {
      const t = offsets[j]!;
      if (t === t) this.writeAt(words, j, t);
    }
    return out;
  }

  fromBigInt(ns: bigint, what = "time"): number {
    const d = ns - this.base;
    if (d > 9007199254740991n || d < -9007199254740991n) {
      throw new LabError({ code: "TIME_RANGE", message: `${what} is ${d} ns from the start of the run, beyond the 2^53 ns (~104 days) a run can span`, hint: "split the data into shorter runs" });
    }
    return Number(d);
  }
}

/** The 64-bit column as little-endian 32-bit word pairs (no copy). */
export function wordsOf(column: BigInt64Array): Int32Array {
  return new Int32Array(column.buffer, column.byteOffset, column.length * 2);
}
