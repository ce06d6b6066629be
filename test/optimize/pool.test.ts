/**
 * Worker pool and determinism across worker counts. Workers run the compiled package, so dist/ is
 * built first (see helpers.ts). Expected values come from the fixture formulas
 * (test/optimize/fixtures/evaluators.mjs) and from sums computed here over the same rows.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { isLabError } from "../../src/core/index.js";
import { generateTicks } from "../../src/data/index.js";
import { WORKER_NICENESS, closeIdleWorkers, optimize, range, type TrialRecord } from "../../src/optimize/index.js";
import { TrialPool } from "../../src/optimize/internal.js";
import { ROOT } from "../helpers/paths.js";
import { FIXTURES, buildDist, scratch } from "./helpers.js";

const shared = generateTicks({ events: 30_000, seed: 21, mode: "l2", shared: true });

function comparable(trials: readonly TrialRecord[]): unknown[] {
  return trials.map(({ durationMs: _d, periodReturns, ...rest }) => ({ ...rest, periodReturns: periodReturns ? Array.from(periodReturns) : null }));
}

function priceSum(start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) {
    const v = shared.priceTicks[i]!;
    if (v === v) s += v;
  }
  return s;
}

beforeAll(() => buildDist());

describe("determinism across worker counts", () => {
  it("a genetic search gives the same trials and results in this thread, with 1 worker and with 2", async () => {
    const run = (workers: number) =>
      optimize({
        data: shared,
        evaluator: { module: FIXTURES, export: "quadratic" },
        space: { x: range(0, 10, 0.5), y: range(0, 2, 0.1) },
        method: "genetic",
        genetic: { population: 10, generations: 6 },
        objective: "score",
        seed: 42,
        workers,
      });
    const [w0, w1, w2] = [await run(0), await run(1), await run(2)];
    expect(w1.workers).toBe(1);
    expect(w2.workers).toBe(2);
    expect(w0.trialCount).toBeGreaterThan(20);
    expect(comparable(w1.trials)).toEqual(comparable(w0.trials));
    expect(comparable(w2.trials)).toEqual(comparable(w0.trials));
    expect(w2.bestParams).toEqual(w0.bestParams);
    // Trial indices are 0..n−1 in proposal order; each trial's seed depends only on the point.
    expect(w2.trials.map((t) => t.index)).toEqual(w2.trials.map((_, i) => i));
    const another = await optimize({ data: shared, evaluator: { module: FIXTURES, export: "quadratic" }, space: { x: range(0, 10, 0.5), y: range(0, 2, 0.1) }, method: "genetic", genetic: { population: 10, generations: 6 }, objective: "score", seed: 43, workers: 2 });
    expect(comparable(another.trials)).not.toEqual(comparable(w0.trials));
  });

  it("workers read the shared rows without a copy, and see exactly the rows of their range", async () => {
    const pool = await TrialPool.open({ data: shared, evaluator: { module: FIXTURES, export: "quadratic" }, workers: 2 });
    try {
      expect(pool.copiedData).toBe(false);
      const tasks = [
        { id: 0, params: { x: 1 }, range: { start: 0, end: 30_000 }, seed: 1 },
        { id: 1, params: { x: 2 }, range: { start: 1_000, end: 2_500 }, seed: 2 },
        { id: 2, params: { x: 3 }, range: { start: 29_999, end: 30_000 }, seed: 3 },
      ];
      const out = await pool.run(tasks);
      expect(out.map((o) => o.id)).toEqual([0, 1, 2]);
      expect(out.map((o) => o.metrics.priceSum)).toEqual([priceSum(0, 30_000), priceSum(1_000, 2_500), priceSum(29_999, 30_000)]);
      expect(out.map((o) => o.metrics.seedEcho)).toEqual([1, 2, 3]);
    } finally {
      await pool.close();
    }
    const local = generateTicks({ events: 1_000, seed: 21, mode: "l2" });
    const copying = await TrialPool.open({ data: local, evaluator: { module: FIXTURES, export: "quadratic" }, workers: 1 });
    expect(copying.copiedData).toBe(true);
    await copying.close();
  });
});

describe("scheduling", () => {
  // Linux only: elsewhere a thread cannot have its own niceness and the pool leaves it alone.
  it.runIf(process.platform === "linux")("worker threads run at the pool's niceness, the calling thread keeps its own", async () => {
    const before = os.getPriority(0);
    const niceOf = async (niceness: number | undefined) => {
      const pool = await TrialPool.open({ data: shared, evaluator: { module: FIXTURES, export: "niceness" }, workers: 2, ...(niceness === undefined ? {} : { niceness }) });
      try {
        const out = await pool.run([0, 1, 2, 3].map((id) => ({ id, params: { x: id }, range: { start: 0, end: 10 }, seed: id })));
        return out.map((o) => o.metrics.niceness);
      } finally {
        await pool.close();
      }
    };
    expect(await niceOf(undefined)).toEqual(Array(4).fill(Math.min(19, before + WORKER_NICENESS)));
    expect(await niceOf(0)).toEqual(Array(4).fill(before));
    expect(await niceOf(11)).toEqual(Array(4).fill(Math.min(19, before + 11)));
    expect(os.getPriority(0)).toBe(before);
    await expect(TrialPool.open({ data: shared, evaluator: { module: FIXTURES, export: "niceness" }, workers: 1, niceness: 25 })).rejects.toThrow(/niceness must be an integer from 0 to 19/);
  });
});

describe("warm workers between sweeps", () => {
  const threadsOf = (r: { trials: readonly TrialRecord[] }): number[] => [...new Set(r.trials.map((t) => Number(t.metrics.thread)))].sort((a, b) => a - b);
  const sweep = (options: { data?: typeof shared; keepWorkersMs?: number; exportName?: string } = {}) =>
    optimize({ data: options.data ?? shared, evaluator: { module: FIXTURES, export: options.exportName ?? "whichThread" }, space: { x: range(0, 7, 1) }, objective: "score", workers: 2, ...(options.keepWorkersMs === undefined ? {} : { keepWorkersMs: options.keepWorkersMs }) });

  it("a next sweep over the same data with the same evaluator runs on the same threads; other data, another evaluator or keepWorkersMs: 0 start new ones", async () => {
    try {
      const first = threadsOf(await sweep());
      expect(first).toHaveLength(2);
      expect(first.every((t) => t > 0)).toBe(true);
      expect(threadsOf(await sweep())).toEqual(first);
      const another = threadsOf(await sweep({ exportName: "whichThreadAgain" }));
      expect(another.some((t) => first.includes(t))).toBe(false);
      const other = generateTicks({ events: 1_000, seed: 5, mode: "l2", shared: true });
      const onOther = threadsOf(await sweep({ data: other }));
      expect(onOther.some((t) => another.includes(t))).toBe(false);
      const closing = threadsOf(await sweep({ data: other, keepWorkersMs: 0 }));
      expect(closing).toEqual(onOther);
      expect(threadsOf(await sweep({ data: other }))).not.toEqual(onOther);
    } finally {
      await closeIdleWorkers();
    }
  });

  it("editing the evaluator's module file starts fresh workers (parked ones hold the old code)", async () => {
    const dir = scratch("warm-edit");
    const file = join(dir, "edited-evaluator.mjs");
    const write = (version: number) => writeFileSync(file, `import { threadId } from "node:worker_threads";\nexport function evaluate(params) { return { metrics: { score: Number(params.x), version: ${version}, thread: threadId }, events: 0 }; }\n`);
    const run = () => optimize({ data: shared, evaluator: { module: file, export: "evaluate" }, space: { x: [1, 2, 3, 4] }, objective: "score", workers: 2 });
    try {
      write(1);
      const first = await run();
      expect(first.trials.map((t) => t.metrics.version)).toEqual([1, 1, 1, 1]);
      expect(threadsOf(await run())).toEqual(threadsOf(first));
      write(22); // another size too, so the edit shows even within the file system's time resolution
      const edited = await run();
      expect(edited.trials.map((t) => t.metrics.version)).toEqual([22, 22, 22, 22]);
      expect(threadsOf(edited).some((t) => threadsOf(first).includes(t))).toBe(false);
    } finally {
      await closeIdleWorkers();
    }
  });

  it("idle workers close after keepWorkersMs, and never keep a script's process alive", async () => {
    const first = threadsOf(await sweep({ keepWorkersMs: 200 }));
    await new Promise((r) => setTimeout(r, 600));
    expect(threadsOf(await sweep({ keepWorkersMs: 0 }))).not.toEqual(first);
    // A script whose sweep leaves workers parked for ten minutes still exits as soon as it is done.
    const script = `
      const lab = await import(${JSON.stringify(pathToFileURL(join(ROOT, "dist", "index.js")).href)});
      const data = lab.data.generateTicks({ events: 2_000, seed: 1, mode: "l2", shared: true });
      const r = await lab.optimize({ data, evaluator: { module: ${JSON.stringify(FIXTURES)}, export: "whichThread" }, space: { x: [1, 2, 3] }, objective: "score", workers: 2, keepWorkersMs: 600_000 });
      console.log(r.trialCount);`;
    // The limit only has to stay below keepWorkersMs; the script takes a few seconds, more on a busy machine.
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 300_000 });
    expect(child.stderr).toBe("");
    expect(child.stdout.trim()).toBe("3");
    // Killed by the timeout (signal set) if the parked threads had kept it alive.
    expect({ status: child.status, signal: child.signal }).toEqual({ status: 0, signal: null });
  });
});

describe("failures", () => {
  it("a throwing trial is recorded as failed with its message and the sweep continues", async () => {
    const r = await optimize({ data: shared, evaluator: { module: FIXTURES, export: "flaky" }, space: { x: range(0, 6, 1) }, objective: "score", workers: 2 });
    expect(r.trials.map((t) => t.status)).toEqual(["ok", "ok", "failed", "ok", "infeasible", "ok", "ok"]);
    expect(r.trials[2]!.error).toBe("x = 2 is not allowed (row 0)");
    expect(r.trials[4]!.error).toBe("objective score is NaN");
    expect(r.bestParams).toEqual({ x: 3 });
  });

  it("a worker that dies fails only its trial; a fresh worker takes the rest", async () => {
    const r = await optimize({ data: shared, evaluator: { module: FIXTURES, export: "crashing" }, space: { x: range(0, 8, 1) }, objective: "score", workers: 2 });
    expect(r.trialCount).toBe(9);
    const failed = r.trials.filter((t) => t.status === "failed");
    expect(failed.map((t) => t.params.x)).toEqual([5]);
    expect(failed[0]!.error).toBe("worker exited with code 3");
    // Every other trial has the fixture's value −(x−3)² − 0.25 (y = 0).
    for (const t of r.trials) if (t.params.x !== 5) expect(t.metrics.score).toBe(-((Number(t.params.x) - 3) ** 2) - 0.25);
  });

  it("a missing export fails the start with the module's exports in the hint", async () => {
    try {
      await TrialPool.open({ data: shared, evaluator: { module: FIXTURES, export: "quadratik" }, workers: 1 });
      expect.unreachable();
    } catch (e) {
      expect(isLabError(e) && e.code).toBe("EVALUATOR_FAILED");
      expect((e as Error).message).toContain('has no function export "quadratik"');
    }
    await expect(TrialPool.open({ data: shared, evaluator: () => ({ metrics: {}, events: 0 }), workers: 2 })).rejects.toThrow(/worker threads cannot receive a function evaluator/);
  });
});

describe("side channel", () => {
  it("each trial runs exactly once across workers", async () => {
    const dir = scratch("once");
    const log = join(dir, "evaluations.jsonl");
    const r = await optimize({ data: shared, evaluator: { module: FIXTURES, export: "recording", options: { log } }, space: { x: range(0, 9, 1), y: [0, 1] }, objective: "score", workers: 2 });
    const lines = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { params: { x: number; y: number }; pid: number });
    expect(lines).toHaveLength(20);
    expect(new Set(lines.map((l) => `${l.params.x}/${l.params.y}`)).size).toBe(20);
    expect(r.trialCount).toBe(20);
  });
});

describe("pool reuse", () => {
  it("a pool keeps its size across runs even when a worker died in an earlier run", async () => {
    const pool = await TrialPool.open({ data: shared, evaluator: { module: FIXTURES, export: "crashing" }, workers: 2 });
    try {
      const first = await pool.run([0, 1, 5, 3].map((x, id) => ({ id, params: { x }, range: { start: 0, end: 10 }, seed: id })));
      expect(first.map((o) => o.ok)).toEqual([true, true, false, true]);
      const second = await pool.run([5, 5, 2].map((x, id) => ({ id, params: { x }, range: { start: 0, end: 10 }, seed: id })));
      expect(second.map((o) => o.error ?? "ok")).toEqual(["worker exited with code 3", "worker exited with code 3", "ok"]);
      const third = await pool.run([1, 2].map((x, id) => ({ id, params: { x }, range: { start: 0, end: 10 }, seed: id })));
      expect(third.map((o) => o.metrics.score)).toEqual([-4.25, -1.25]);
    } finally {
      await pool.close();
    }
  });
});
