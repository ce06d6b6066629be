/**
 * The engine's optimized code must survive what researchers do in a notebook: backtests on small
 * slices first, then on the whole day. Two properties keep it from deoptimizing into slow,
 * allocating code (docs/architecture.md, "Hot paths"):
 * - every TickBatch, whatever made it, has the same hidden class (V8 map), so code optimized on
 *   one batch runs on the next;
 * - after many runs on 20,000-row slices, a run on a million rows still allocates a few bytes per
 *   event (it allocated over 100 bytes per event, and ran at half speed, when slices and whole
 *   batches had different shapes).
 * Both run in a fresh Node process from the built package: the first needs V8's natives syntax,
 * the second a process whose JIT state only this scenario shaped.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
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

  it("a long run after many short ones on slices allocates only per order, not per event", () => {
    const script = `
      import * as lab from ${dist("index.js")};
      import { Session } from "node:inspector/promises";
      const events = 1_000_000;
      const data = lab.data.generateTicks({ events, seed: 7, mode: "l2" });
      const options = { latencyNs: 50_000 };
      for (let i = 0; i < 8; i++) lab.backtest(lab.data.sliceBatch(data, 0, 20_000), lab.strategies.imbalance({ threshold: 0.2 + 0.025 * i }), options);
      lab.backtest(data, lab.strategies.imbalance({ threshold: 0.3 }), options);
      const session = new Session();
      session.connect();
      await session.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      const run = lab.backtest(data, lab.strategies.imbalance({ threshold: 0.3 }), options);
      const { profile } = await session.post("HeapProfiler.stopSampling");
      let bytes = 0;
      const walk = (node) => { bytes += node.selfSize; node.children.forEach(walk); };
      walk(profile.head);
      console.log(JSON.stringify({ bytesPerEvent: bytes / events, orders: run.summary.orders }));
    `;
    const { bytesPerEvent, orders } = JSON.parse(runScript(script)) as { bytesPerEvent: number; orders: number };
    // The run's own objects (orders, fills, result columns) come to ~7-8 bytes per event here;
    // boxed numbers in the event loop would add 16 bytes per number per event.
    expect(orders).toBeGreaterThan(1_000);
    expect(bytesPerEvent).toBeLessThan(30);
  });
});
