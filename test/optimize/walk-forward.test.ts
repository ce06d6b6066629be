/**
 * Walk-forward windows and the no-leakage guarantee.
 *
 * Data: 1,000 rows at 1 ms steps; aux = 1 on rows 0..499 and 5 on rows 500..999 (a regime change).
 * Evaluator `regime`: score(level) = mean over the range of −(aux − level)², maximized by the level
 * nearest the range's mean aux. Windows (rolling, IS 300 ms, OOS 100 ms, purge 30 ms, embargo 20 ms):
 *   window i: IS rows [100i, 300 + 100i), OOS rows [350 + 100i, 450 + 100i), i = 0..5
 *   (6 windows: (999 ms − 300 − 50) / 100 → 6).
 * IS mean aux and best level, by hand:
 *   i=0,1,2: all 1 → 1;  i=3: rows 300..599 = 200×1 + 100×5 → 2.33 → 2;
 *   i=4: 100×1 + 200×5 → 3.67 → 4;  i=5: all 5 → 5.
 * Had the search also seen the OOS rows (IS start .. OOS end), window 2 would pick 2 (rows 200..649:
 * 300×1 + 150×5 → 2.33) and window 3 would pick 3 (rows 300..749: 200×1 + 250×5 → 3.22), so the
 * data can reveal a leak.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { optimize, parseWalkForward, range, walkForwardWindows, type OptimizationResult } from "../../src/optimize/index.js";
import { FIXTURES, buildDist, scratch, timedBatch } from "./helpers.js";

const N = 1000;
const aux = Float64Array.from({ length: N }, (_, i) => (i < 500 ? 1 : 5));
const data = timedBatch(aux);
const t0 = data.localTs[0]!;
const MS = 1_000_000n;
const spec = { mode: "rolling" as const, inSample: "300ms", outOfSample: "100ms", purge: "30ms", embargo: "20ms" };
const LEVELS = [0, 1, 2, 3, 4, 5, 6];

/** Best level by brute force over rows [from, to) of `values` (ties: lowest level, like the optimizer's lowest trial index). */
function bruteBest(values: ArrayLike<number>, from: number, to: number): number {
  let best = NaN;
  let bestScore = -Infinity;
  for (const level of LEVELS) {
    let s = 0;
    for (let i = from; i < to; i++) s += -((values[i]! - level) ** 2);
    const score = s / (to - from);
    if (score > bestScore) (best = level), (bestScore = score);
  }
  return best;
}

beforeAll(() => buildDist());

describe("walk-forward windows", () => {
  it("rolling windows with purge and embargo, by hand", () => {
    const ws = walkForwardWindows(data, spec);
    expect(ws).toHaveLength(6);
    ws.forEach((w, i) => {
      expect(w.inSample).toEqual({ start: 100 * i, end: 300 + 100 * i });
      expect(w.outOfSample).toEqual({ start: 350 + 100 * i, end: 450 + 100 * i });
      expect(w.oosStartNs - w.isEndNs).toBe(50n * MS);
      expect(w.isStartNs).toBe(t0 + BigInt(100 * i) * MS);
    });
  });

  it("anchored windows start in-sample at the first row", () => {
    const ws = walkForwardWindows(data, { ...spec, mode: "anchored" });
    ws.forEach((w, i) => expect(w.inSample).toEqual({ start: 0, end: 300 + 100 * i }));
  });

  it("windows and ratio split the span so the last OOS window ends at the data's end", () => {
    // span = 999 ms + 1 ns = 999,000,001 ns; OOS = floor(span / (3 + 4)) = 142,714,285 ns; IS = 3 × OOS = 428,142,855 ns.
    const ws = walkForwardWindows(data, { windows: 4, ratio: 3 });
    const oos = 142_714_285n;
    const is = 428_142_855n;
    const firstRowAtOrAfter = (ns: bigint): number => Number((ns + MS - 1n) / MS);
    ws.forEach((w, i) => {
      const start = is + BigInt(i) * oos;
      expect(w.oosStartNs - t0).toBe(start);
      expect(w.outOfSample.start).toBe(firstRowAtOrAfter(start));
      expect(w.inSample).toEqual({ start: firstRowAtOrAfter(start - is), end: firstRowAtOrAfter(start) });
    });
    expect(ws[3]!.outOfSample.end).toBe(N);
  });

  it("parses the CLI form and rejects unknown keys", () => {
    expect(parseWalkForward("anchored:windows=3,ratio=2,purge=1s,embargo=500ms")).toEqual({ mode: "anchored", windows: 3, ratio: 2, purge: "1s", embargo: "500ms" });
    expect(parseWalkForward("windows=5")).toEqual({ mode: "rolling", windows: 5 });
    expect(() => parseWalkForward("rolling:window=3")).toThrow(/unknown walk-forward key "window"/);
    expect(() => walkForwardWindows(data, { inSample: "900ms", outOfSample: "200ms" })).toThrow(/no window fits/);
  });
});

describe("no leakage", () => {
  let result: OptimizationResult;
  let log: string;

  beforeAll(async () => {
    log = join(scratch("leak"), "ranges.jsonl");
    result = await optimize({ data, evaluator: { module: FIXTURES, export: "regimeRecording", options: { log } }, space: { level: range(0, 6, 1) }, objective: "score", walkForward: spec, workers: 2 });
  });

  it("chooses, per window, exactly the best level of the rows strictly before OOS start − purge − embargo", () => {
    const chosen = result.windows.map((w) => w.best?.params.level);
    expect(chosen).toEqual([1, 1, 1, 2, 4, 5]);
    const ws = walkForwardWindows(data, spec);
    ws.forEach((w, i) => {
      const cut = w.oosStartNs - 30n * MS - 20n * MS;
      let end = 0;
      while (end < N && data.localTs[end]! < cut) end++;
      expect(chosen[i]).toBe(bruteBest(aux, w.inSample.start, end));
    });
    // The data would reveal a leak: searching through the OOS window's end picks another level in windows 2 and 3.
    expect(bruteBest(aux, 200, 650)).toBe(2);
    expect(bruteBest(aux, 300, 750)).toBe(3);
  });

  it("the evaluator saw only in-sample rows for the search, and exactly the OOS rows for the chosen params", () => {
    const seen = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { level: number; start: number; end: number });
    const ws = walkForwardWindows(data, spec);
    expect(seen).toHaveLength(ws.length * LEVELS.length + ws.length);
    for (const w of ws) {
      const cut = w.oosStartNs - 50n * MS;
      const search = seen.filter((s) => s.start === w.inSample.start && s.end === w.inSample.end);
      expect(search.map((s) => s.level).sort()).toEqual(LEVELS);
      for (const s of search) expect(data.localTs[s.end - 1]! < cut).toBe(true);
      const oos = seen.filter((s) => s.start === w.outOfSample.start);
      expect(oos).toEqual([{ level: result.windows[w.index]!.best!.params.level, start: w.outOfSample.start, end: w.outOfSample.end }]);
    }
  });

  it("changing the future never changes earlier choices or in-sample results", async () => {
    // Rows from 650 on (time 650 ms) change. Windows 0..3 have IS ends at 300..600 ms: unchanged.
    const changed = Float64Array.from(aux, (v, i) => (i >= 650 ? 100 : v));
    const other = await optimize({ data: timedBatch(changed), evaluator: { module: FIXTURES, export: "regime" }, space: { level: range(0, 6, 1) }, objective: "score", walkForward: spec, workers: 2 });
    for (let i = 0; i <= 3; i++) {
      expect(other.windows[i]!.best!.params).toEqual(result.windows[i]!.best!.params);
      expect(other.windowTrials(i).map((t) => t.metrics)).toEqual(result.windowTrials(i).map((t) => t.metrics));
    }
    // Window 4's in-sample data (rows 400..699) did change, and so does its choice (6 = top of the range).
    expect(other.windows[4]!.best!.params.level).toBe(6);
  });

  it("reports in-sample vs out-of-sample per window and stitches the OOS returns in order", () => {
    const w3 = result.windows[3]!;
    // IS rows 300..599 with level 2: (200·1 + 100·9)/300 = −11/3; OOS rows 650..749 all 5: −9.
    expect(w3.isObjective).toBeCloseTo(-11 / 3, 12);
    expect(w3.oosObjective).toBe(-9);
    expect(w3.degradation).toBeCloseTo(-9 + 11 / 3, 12);
    const stitched = result.stitchedOutOfSample();
    expect(Array.from(stitched.returns)).toEqual(result.windows.map((w) => w.oosObjective));
    expect(stitched.equity[5]).toBeCloseTo(result.windows.reduce((a, w) => a + w.oosObjective, 0), 12);
  });
});
