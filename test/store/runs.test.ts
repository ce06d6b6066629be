/**
 * The run registry: the conformance suite on memory and DuckDB, DuckDB durability across reopening,
 * and recording through the facade (backtests, optimizations, reports).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DuckDbStore, MemoryStore } from "../../src/store/index.js";
import { describeRunStore, manifest } from "./run-store-conformance.js";

const dir = mkdtempSync(join(tmpdir(), "lab-runs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const dbFile = (): string => join(dir, `runs-${++counter}.duckdb`);

describeRunStore("memory", async () => new MemoryStore());
describeRunStore("duckdb", async () => DuckDbStore.open(dbFile()));

describe("duckdb run registry", () => {
  it("keeps runs, metrics and artifacts across reopening the file", async () => {
    const path = dbFile();
    const a = await DuckDbStore.open(path);
    const id = await a.createRun({ kind: "backtest", manifest: manifest("imbalance", { threshold: 0.3 }) });
    await a.updateRun(id, { state: "finished", metrics: { sharpe: Number.NaN, pnl: -1.5 }, equity: { timeMs: [1, 2], equity: [Infinity, -0.5] } });
    await a.putArtifact(id, "orders.parquet", Uint8Array.from([0, 1, 2, 255]), "application/vnd.apache.parquet");
    await a.close();
    const b = await DuckDbStore.open(path);
    try {
      const run = (await b.getRun(id))!;
      expect(run.state).toBe("finished");
      expect(run.metrics.sharpe).toBeNaN();
      expect(run.metrics.pnl).toBe(-1.5);
      expect(run.equity).toEqual({ timeMs: [1, 2], equity: [Infinity, -0.5] });
      expect(Array.from(await b.readArtifact(id, "orders.parquet"))).toEqual([0, 1, 2, 255]);
    } finally {
      await b.close();
    }
  });
});
