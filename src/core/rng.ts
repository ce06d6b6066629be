/**
 * Seeded random numbers. Algorithm: xoshiro128** (Blackman & Vigna, 2018) on four 32-bit words,
 * seeded by expanding the seed with SplitMix32. Chosen because it needs only 32-bit integer
 * operations (fast and exact in JavaScript with Math.imul), passes BigCrush, and gives the same
 * stream on every platform. `float()` combines two outputs into a 53-bit uniform in [0, 1).
 * Same seed = same sequence, in any process or worker; `fork(k)` derives independent streams.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal = NaN;
  readonly seed: number;

  constructor(seed: number | string = 0) {
    const s = typeof seed === "string" ? hashString(seed) : seed >>> 0 ^ Math.floor(seed / 2 ** 32) >>> 0;
    this.seed = typeof seed === "number" ? seed : s;
    let state = s >>> 0;
    const next = (): number => {
      // SplitMix32 step: spreads one seed word into well-mixed state words.
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next uniform 32-bit unsigned integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (n <= 0) return 0;
    if (n <= 2 ** 32) {
      const limit = 2 ** 32 - (2 ** 32 % n);
      let x = this.uint32();
      while (x >= limit) x = this.uint32();
      return x % n;
    }
    return Math.floor(this.float() * n);
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Standard normal by the Marsaglia polar method (pairs cached). */
  normal(mean = 0, sd = 1): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = NaN;
      return mean + sd * v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.float() - 1;
      v = 2 * this.float() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return mean + sd * u * f;
  }

  /** Exponential with the given mean. */
  exponential(mean = 1): number {
    return -mean * Math.log(1 - this.float());
  }

  /** Poisson count with mean `lambda` (Knuth for small lambda, normal approximation above 60). */
  poisson(lambda: number): number {
    if (lambda > 60) return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    const l = Math.exp(-lambda);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.float();
    } while (p > l);
    return k - 1;
  }

  /** An independent stream derived from this seed and `stream` (e.g. a worker or trial index). */
  fork(stream: number): Rng {
    return new Rng(hashString(`${this.seed}:${stream}`));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** FNV-1a 32-bit hash of a string, used to turn string seeds into numbers. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function rng(seed: number | string = 0): Rng {
  return new Rng(seed);
}
