import { describe, expect, it } from "vitest";
import { Rng, rng } from "../../src/core/index.js";

/** Independent xoshiro128** written with BigInt arithmetic, to check the 32-bit JS version. */
function referenceXoshiro128ss(state: [bigint, bigint, bigint, bigint], count: number): number[] {
  const M = 0xffffffffn;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  let [s0, s1, s2, s3] = state;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((rotl((s1 * 5n) & M, 7n) * 9n) & M));
    const t = (s1 << 9n) & M;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11n);
  }
  return out;
}

describe("seeded RNG (xoshiro128**)", () => {
  it("matches an independent BigInt implementation of the algorithm", () => {
    const r = new Rng(7);
    const internal = r as unknown as { s0: number; s1: number; s2: number; s3: number };
    const state: [bigint, bigint, bigint, bigint] = [internal.s0, internal.s1, internal.s2, internal.s3].map((v) => BigInt(v >>> 0)) as [bigint, bigint, bigint, bigint];
    const expected = referenceXoshiro128ss(state, 1000);
    const actual = Array.from({ length: 1000 }, () => r.uint32());
    expect(actual).toEqual(expected);
  });

  it("gives the same stream for the same seed and different streams otherwise", () => {
    const a = Array.from({ length: 100 }, ((r) => () => r.float())(rng(123)));
    const b = Array.from({ length: 100 }, ((r) => () => r.float())(rng(123)));
    const c = Array.from({ length: 100 }, ((r) => () => r.float())(rng(124)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(rng("abc").uint32()).toBe(rng("abc").uint32());
    expect(rng(1).fork(1).uint32()).not.toBe(rng(1).fork(2).uint32());
  });

  it("has the right moments (uniform, normal, exponential, poisson)", () => {
    const r = rng(99);
    const n = 200_000;
    let su = 0, sn = 0, sn2 = 0, se = 0, sp = 0;
    for (let i = 0; i < n; i++) {
      su += r.float();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
      se += r.exponential(2);
      sp += r.poisson(3.5);
    }
    // Tolerances are ~5 standard errors of each sample mean.
    expect(Math.abs(su / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sn / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(se / n - 2)).toBeLessThan(5 * 2 / Math.sqrt(n));
    expect(Math.abs(sp / n - 3.5)).toBeLessThan(5 * Math.sqrt(3.5 / n));
  });

  it("int(n) is unbiased and in range", () => {
    const r = rng(5);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });
});
