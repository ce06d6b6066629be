/**
 * The engine's optimized code must survive what researchers do in a notebook: backtests on small
 * slices first, then on the whole day. Two properties keep it from deoptimizing into slow,
 * allocating code (docs/architecture.md, "Hot paths"):
 * - every TickBatch, whatever made it, has the same hidden class (V8 map), so code optimized on
 *   one batch runs on the next;
 * - after many runs on 20,000-row slices, a run on a million rows still allocates a few bytes per
 *   event. It allocated over 100 bytes per event, and ran at half speed, when slices and whole
 *   batches had different shapes (110 B/event here), and when a loop run in chunks was compiled
 *   while running its first chunk (on-stack replacement), before its exit had run once: that code
 *   deoptimizes at the end of every chunk yet stays in use for the rest of the process, boxing
 *   the loop's numbers (141 B/event with the input check's scan and the event loop so compiled).
 * Both run in a fresh Node process from the built package: the first needs V8's natives syntax,
 * the second a process whose JIT state only this scenario shaped. The second runs V8 with flags
 * that take timing out of compilation, type feedback, garbage collection and heap sampling
 * (bench/slice-scenario.mjs), so its figure is the same on an idle and a busy machine
 * (test/robustness/load-independence.test.ts); with background compilation, whether the failures
 * showed depended on how busy the machine was. The figure on a default V8, and how it varies from
 * process to process, is in the engine benchmark (bench/engine.bench.mjs).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { runSliceScenario } from "../helpers/hot-path.js";
import { ROOT } from "../helpers/paths.js";

const dist = (...parts: string[]): string => JSON.stringify(pathToFileURL(join(ROOT, "dist", ...parts)).href);

function runScript(script: string, flags: string[] = []): string {
  const child = spawnSync(process.execPath, [...flags, "--input-type=module", "-e", script], { encoding: "utf8", cwd: ROOT, timeout: 120_000 });
  if (child.status !== 0) throw new Error(`child process failed (${child.status}):\n${child.stderr}`);
  return child.stdout.trim().split("\n").pop()!;
}

describe("hot-path stability", () => {
  it("batches from every constructor share one hidden class", () => {
    const script = `
      import * as lab from ${dist("index.js")};
      import { shareBatch, batchFromHandle } from ${dist("optimize", "evaluator.js")};
      const generated = lab.data.generateTicks({ events: 2_000, seed: 3, mode: "l2" });
      const other = lab.data.generateTicks({ events: 1_000, seed: 4, mode: "l3", shared: true });
      const lobster = lab.data.readLobster({ messages: ${JSON.stringify(join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip"))} }).batch;
      const databento = lab.data.readDbn(${JSON.stringify(join(ROOT, "data", "databento", "esm4-orderbooks_mbo_2024-05-08T00-00-00_2024-05-08T00-00-02.dbn.zst"))}, { definitions: ${JSON.stringify(join(ROOT, "data", "databento", "esm4-orderbooks_definition.dbn.zst"))} });
      if (databento.dbn.instrumentIds.length === 0) throw new Error("DBN details missing");
      const batches = {
        slice: lab.data.sliceBatch(generated, 10, 500),
        shared: lab.data.toShared(generated),
        workerView: batchFromHandle(shareBatch(generated).handle),
        generatedL3: other,
        merged: lab.data.mergeBatches([generated, other]),
        lobster,
        databento,
      };
      const same = {};
      for (const [name, b] of Object.entries(batches)) same[name] = %HaveSameMap(generated, b);
      console.log(JSON.stringify(same));
    `;
    const same = JSON.parse(runScript(script, ["--allow-natives-syntax"])) as Record<string, boolean>;
    expect(same).toEqual({ slice: true, shared: true, workerView: true, generatedL3: true, merged: true, lobster: true, databento: true });
  });

  it("the input check's loop keeps its optimized code when garbage is collected between backtests", () => {
    // V8 forgets an object layout (map) once no instance of it is left and throws away optimized
    // code that reads such objects ("weak objects" in its trace): the check's per-pass state did
    // that at every collection between runs, so each backtest recompiled the loop and ran its
    // first rows unoptimized (one deopt per collection: 6 here). The code compiled in the first run,
    // before the layouts settle, may still be dropped once. Compilation is made synchronous so the
    // trace does not depend on load.
    const script = `
      import * as lab from ${dist("index.js")};
      const ticks = lab.data.generateTicks({ events: 300_000, seed: 1, mode: "l2" });
      const strategy = lab.strategies.imbalance({ threshold: 0.3 });
      for (let r = 0; r < 6; r++) {
        globalThis.gc();
        lab.backtest(lab.data.sliceBatch(ticks, 0), strategy, { check: "warn" });
      }
      console.log("done");
    `;
    const child = spawnSync(process.execPath, ["--expose-gc", "--trace-opt", "--trace-deopt", "--no-concurrent-recompilation", "--input-type=module", "-e", script], { encoding: "utf8", cwd: ROOT, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    expect(child.status, child.stderr).toBe(0);
    const lines = child.stdout.split("\n");
    const scanLoop = /(JSFunction|SharedFunctionInfo) scan(Single|Multi)[ >]/;
    expect(lines.filter((l) => l.includes("completed compiling") && scanLoop.test(l)).length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes("weak objects") && scanLoop.test(l)).length).toBeLessThanOrEqual(1);
  }, 120_000);

  it("a long run after many short ones on slices allocates only per order, not per event", async () => {
    const { bytesPerEvent, orders } = await runSliceScenario();
    // The run's own objects (orders, fills, result columns) come to ~8 bytes per event here;
    // boxed numbers in the event loop add 16 bytes per number per event (~110 in all).
    expect(orders).toBeGreaterThan(1_000);
    expect(bytesPerEvent).toBeLessThan(30);
  });
});
