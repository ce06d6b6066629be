/**
 * Trial stores: exact round trips (NaN and ±Infinity metrics, float64 returns bit for bit, mixed
 * parameter types), durability across reopening the file, and run selection on resume. The same
 * tests run on every back end: memory, DuckDB, and PostgreSQL (a throwaway cluster, one new
 * database per test).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isLabError } from "../../src/core/index.js";
import { DuckDbStore, MemoryStore, type TrialRecord, type TrialStore } from "../../src/store/index.js";
import { PostgresStore } from "../../src/store/postgres.js";
import { TEST_OUTPUT } from "../helpers/paths.js";
import { usePostgres } from "../helpers/postgres.js";

const postgres = usePostgres();

function dbPath(name: string): string {
  const dir = join(TEST_OUTPUT, "store");
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}-${process.pid}-${Date.now()}.duckdb`);
}

const returns = Float64Array.from([0.1 + 0.2, -0, 1e-300, Number.NaN, -Infinity, 123456.789]);

function trial(index: number, extra: Partial<TrialRecord> = {}): TrialRecord {
  return {
    index,
    window: 1,
    phase: "search",
    generation: 2,
    params: { threshold: 0.35, levels: 3, mode: "maker", flag: true },
    status: "ok",
    metrics: { sharpe: 1.25, pnl: -3.5, dsr: Number.NaN, cap: Infinity, floor: -Infinity },
    objective: 1.25,
    seed: 4_000_000_001,
    durationMs: 12.5,
    events: 7_000_000,
    periodReturns: returns,
    range: { start: 10, end: 7_000_010 },
    ...extra,
  };
}

function bits(a: Float64Array | undefined): string {
  return a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex") : "none";
}

const backends: [string, () => Promise<{ store: TrialStore; reopen: () => Promise<TrialStore> }>][] = [
  ["memory", async () => {
    const store = new MemoryStore();
    return { store, reopen: async () => store };
  }],
  ["duckdb", async () => {
    const path = dbPath("roundtrip");
    const store = await DuckDbStore.open(path);
    return { store, reopen: async () => DuckDbStore.open(path) };
  }],
  ["postgres", async () => {
    const url = await postgres.freshDatabase("trials");
    const store = await PostgresStore.open(url);
    return { store, reopen: async () => PostgresStore.open(url) };
  }],
];

describe.each(backends)("%s store", (_name, make) => {
  it("round-trips trials exactly, including non-finite metrics and return bits", async () => {
    const { store, reopen } = await make();
    const run = await store.beginRun({ fingerprint: "fp1", config: { a: 1 }, resume: false });
    expect(run.resumed).toBe(false);
    const failed = trial(1, { status: "failed", objective: Number.NaN, error: "boom: it's \"quoted\"", metrics: {} });
    delete failed.periodReturns;
    await store.record(run.runId, [trial(0), failed]);
    await store.record(run.runId, [trial(0, { phase: "oos", index: 0 })]);
    await store.close();
    const again = await reopen();
    const got = (await again.loadTrials(run.runId)).sort((a, b) => (a.phase === b.phase ? a.index - b.index : a.phase < b.phase ? -1 : 1));
    expect(got).toHaveLength(3);
    const [oos, t0, t1] = got;
    expect(oos!.phase).toBe("oos");
    expect(t0!.params).toEqual({ threshold: 0.35, levels: 3, mode: "maker", flag: true });
    expect(t0!.metrics.sharpe).toBe(1.25);
    expect(Number.isNaN(t0!.metrics.dsr)).toBe(true);
    expect(t0!.metrics.cap).toBe(Infinity);
    expect(t0!.metrics.floor).toBe(-Infinity);
    expect(bits(t0!.periodReturns)).toBe(bits(returns));
    expect(t0!.seed).toBe(4_000_000_001);
    expect(t0!.range).toEqual({ start: 10, end: 7_000_010 });
    expect(t0!.generation).toBe(2);
    expect(t1!.status).toBe("failed");
    expect(t1!.error).toBe('boom: it\'s "quoted"');
    expect(Number.isNaN(t1!.objective)).toBe(true);
    expect(t1!.periodReturns).toBeUndefined();
    await again.close();
  });

  it("resume picks the newest run with the same fingerprint and returns its finished trials", async () => {
    const { store } = await make();
    const a = await store.beginRun({ fingerprint: "fpA", config: {}, resume: false });
    await store.record(a.runId, [trial(0), trial(1)]);
    const b = await store.beginRun({ fingerprint: "fpB", config: {}, resume: true });
    expect(b.resumed).toBe(false); // no run with fpB yet
    const again = await store.beginRun({ fingerprint: "fpA", config: {}, resume: true });
    expect(again).toMatchObject({ runId: a.runId, resumed: true });
    expect(again.trials.map((t) => t.index).sort()).toEqual([0, 1]);
    // Writing the same trial twice keeps one row.
    await store.record(a.runId, [trial(1)]);
    expect(await store.loadTrials(a.runId)).toHaveLength(2);
    const runs = await store.listTrialRuns();
    expect(runs.find((r) => r.runId === a.runId)?.trials).toBe(2);
    await store.finishRun(a.runId, { done: true });
    expect((await store.listTrialRuns()).find((r) => r.runId === a.runId)?.status).toBe("finished");
    await store.close();
  });

  it("refuses to reuse a run id without resume, or with another configuration", async () => {
    const { store } = await make();
    await store.beginRun({ runId: "sweep-1", fingerprint: "fp1", config: {}, resume: false });
    const code = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
        return "no error";
      } catch (e) {
        return isLabError(e) ? e.code : String(e);
      }
    };
    expect(await code(store.beginRun({ runId: "sweep-1", fingerprint: "fp1", config: {}, resume: false }))).toBe("RUN_EXISTS");
    expect(await code(store.beginRun({ runId: "sweep-1", fingerprint: "fp2", config: {}, resume: true }))).toBe("RESUME_MISMATCH");
    expect((await store.beginRun({ runId: "sweep-1", fingerprint: "fp1", config: {}, resume: true })).resumed).toBe(true);
    await store.close();
  });
});

describe("duckdb store file", () => {
  it("is readable with plain SQL", async () => {
    const path = dbPath("sql");
    const store = await DuckDbStore.open(path);
    const run = await store.beginRun({ fingerprint: "fp", config: { method: "grid" }, resume: false });
    await store.record(run.runId, [trial(0), trial(1, { objective: 2.5 })]);
    await store.close();
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const db = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" });
    const c = await db.connect();
    const rows = (await c.runAndReadAll("SELECT idx, objective, n_periods, json_extract(params, '$.mode')::VARCHAR AS mode FROM optimize_trials ORDER BY idx")).getRowObjectsJson();
    expect(rows).toEqual([
      { idx: 0, objective: 1.25, n_periods: 6, mode: '"maker"' },
      { idx: 1, objective: 2.5, n_periods: 6, mode: '"maker"' },
    ]);
    c.closeSync();
    db.closeSync();
  });
});
