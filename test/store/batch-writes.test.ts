/**
 * Trial batches as the optimizer writes them (thousands at a time): every back end stores a large
 * batch exactly (doubles bit for bit, awkward text, a key given twice, a key already stored), a batch
 * that fails midway leaves nothing and does not leak into the next one, a DuckDB writer killed in
 * the middle of a batch leaves only whole batches, and listings of DuckDB and memory stores equal
 * the shared reference (`filterRuns`) for random filters.
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DuckDbStore, MemoryStore, filterRuns, type LabStore, type RunRecord, type TrialRecord, type TrialStore } from "../../src/store/index.js";
import { PostgresStore } from "../../src/store/postgres.js";
import { caughtAsync } from "../helpers/checks.js";
import { ROOT, TEST_OUTPUT } from "../helpers/paths.js";
import { usePostgres } from "../helpers/postgres.js";
import { manifest } from "./run-store-conformance.js";

const postgres = usePostgres();

function dbPath(name: string): string {
  const dir = join(TEST_OUTPUT, "store");
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2, 8)}.duckdb`);
}

const SPECIAL = [Number.NaN, Infinity, -Infinity, -0, 5e-324, Number.MAX_VALUE, 0.1 + 0.2, -1e-300];

/** Trial `i` of a batch: every field differs between trials, and special doubles recur. */
function trial(i: number, extra: Partial<TrialRecord> = {}): TrialRecord {
  const returns = new Float64Array(1 + (i % 9));
  for (let k = 0; k < returns.length; k++) returns[k] = k % 4 === 3 ? SPECIAL[(i + k) % SPECIAL.length]! : Math.sin(i * 31 + k) * 1e-3;
  const t: TrialRecord = {
    index: i,
    window: i % 3,
    phase: i % 5 === 0 ? "oos" : "search",
    generation: i % 11,
    params: { threshold: i / 7, levels: i % 4, mode: i % 2 ? "maker" : "taker", flag: i % 3 === 0, note: `tab\there "q" \\ ${"é"} ${i}` },
    status: i % 13 === 0 ? "failed" : "ok",
    metrics: { sharpe: Math.cos(i), pnl: i * 0.5, special: SPECIAL[i % SPECIAL.length]! },
    objective: i % 10 === 0 ? SPECIAL[(i / 10) % SPECIAL.length]! : Math.sin(i),
    seed: 4_000_000_000 + i,
    durationMs: i % 17 === 0 ? -0 : i / 3,
    events: 1000 + i,
    range: { start: i * 10, end: i * 10 + 2 ** 40 },
    ...extra,
  };
  if (i % 13 === 0) t.error = `line 1\nline 2 of trial ${i}: it's "quoted"`;
  if (i % 6 !== 5) t.periodReturns = returns;
  return t;
}

function key(t: TrialRecord): string {
  return `${t.window}/${t.phase}/${t.index}`;
}

/** A trial with its doubles as bit patterns, so NaN, -0 and every last bit compare exactly. */
function exact(t: TrialRecord): unknown {
  const bits = (v: number): string => Buffer.from(Float64Array.of(v).buffer).toString("hex");
  // Metrics are JSON text, where -0 is 0 (as on every back end); other doubles keep their bits.
  const metrics = Object.fromEntries(Object.entries(t.metrics).map(([k, v]) => [k, bits(v === 0 ? 0 : v)]));
  return {
    ...t,
    metrics,
    objective: bits(t.objective),
    durationMs: bits(t.durationMs),
    periodReturns: t.periodReturns === undefined ? "none" : Buffer.from(t.periodReturns.buffer, t.periodReturns.byteOffset, t.periodReturns.byteLength).toString("hex"),
  };
}

function sorted(trials: readonly TrialRecord[]): unknown[] {
  return [...trials].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).map(exact);
}

type Open = () => Promise<{ store: TrialStore; reopen: () => Promise<TrialStore> }>;

const backends: [string, Open][] = [
  ["memory", async () => {
    const store = new MemoryStore();
    return { store, reopen: async () => store };
  }],
  ["duckdb", async () => {
    const path = dbPath("batch");
    return { store: await DuckDbStore.open(path), reopen: () => DuckDbStore.open(path) };
  }],
  ["postgres", async () => {
    const url = await postgres.freshDatabase("batch");
    return { store: await PostgresStore.open(url), reopen: () => PostgresStore.open(url) };
  }],
];

describe.each(backends)("trial batches on %s", (name, open) => {
  it("a 2,000-trial batch round-trips exactly; a key given twice or already stored keeps the last write", async () => {
    const { store, reopen } = await open();
    const run = await store.beginRun({ fingerprint: "fp", config: {}, resume: false });
    const first = Array.from({ length: 10 }, (_, i) => trial(i));
    await store.record(run.runId, first);
    // Trial 3 is rewritten (already stored), trial 1500 appears twice in the batch: the later wins.
    const batch = [trial(3, { objective: 99, status: "ok" }), ...Array.from({ length: 2000 }, (_, i) => trial(10 + i)), trial(1500, { objective: -7, metrics: {} })];
    await store.record(run.runId, batch);
    await store.close();
    const again = await reopen();
    const got = await again.loadTrials(run.runId);
    expect(got).toHaveLength(2010);
    const expected = new Map<string, TrialRecord>();
    for (const t of [...first, ...batch]) expected.set(key(t), t);
    expect(sorted(got)).toEqual(sorted([...expected.values()]));
    const byIndex = new Map(got.map((t) => [t.index, t]));
    expect(byIndex.get(3)!.objective).toBe(99);
    expect(byIndex.get(1500)!.objective).toBe(-7);
    expect(byIndex.get(1500)!.metrics).toEqual({});
    expect(Object.is(byIndex.get(17)!.durationMs, -0)).toBe(true);
    expect(byIndex.get(26)!.error).toBe(`line 1\nline 2 of trial 26: it's "quoted"`);
    expect((await again.listTrialRuns()).find((r) => r.runId === run.runId)!.trials).toBe(2010);
    if (name !== "memory") await again.close();
  });

  if (name === "memory") return;

  it("a batch that fails midway stores none of it, and the next batch stores exactly its own trials", async () => {
    const { store } = await open();
    const run = await store.beginRun({ fingerprint: "fp", config: {}, resume: false });
    const first = Array.from({ length: 10 }, (_, i) => trial(i));
    await store.record(run.runId, first);
    // Trial 1500 of 2,000 cannot be stored (a fractional row number in a BIGINT column); the batch
    // also rewrites trial 3, already stored.
    const bad = [trial(3, { objective: 99 }), ...Array.from({ length: 2000 }, (_, i) => trial(10 + i, i === 1500 ? { range: { start: 1.5, end: 2 } } : {}))];
    const error = await caughtAsync(store.record(run.runId, bad));
    expect(error.code).toBe("STORE_WRITE_FAILED");
    expect(error.message).toContain("could not write trials");
    expect(sorted(await store.loadTrials(run.runId))).toEqual(sorted(first));
    // Nothing of the failed batch is left over for the next one.
    const next = [trial(20), trial(3, { objective: 42 })];
    await store.record(run.runId, next);
    const after = await store.loadTrials(run.runId);
    expect(after.map((t) => t.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20]);
    expect(after.find((t) => t.index === 3)!.objective).toBe(42);
    await store.close();
  });
});

describe("trial batches on postgres without a primary key (the hypertable layout)", () => {
  it("replace stored trials, also when the key was dropped after the store opened", async () => {
    const url = await postgres.freshDatabase("nokey");
    const before = await PostgresStore.open(url);
    const run = await before.beginRun({ fingerprint: "fp", config: {}, resume: false });
    await before.record(run.runId, Array.from({ length: 10 }, (_, i) => trial(i)));
    await postgres.sql(url, `ALTER TABLE optimize_trials DROP CONSTRAINT optimize_trials_pkey`);
    await postgres.sql(url, `CREATE INDEX optimize_trials_key ON optimize_trials (run_id, win, phase, idx)`);
    const after = await PostgresStore.open(url);
    for (const store of [before, after]) {
      const k = store === before ? 1 : 2;
      await store.record(run.runId, [trial(3, { objective: 10 * k }), ...Array.from({ length: 1000 }, (_, i) => trial(10 + i, { objective: k }))]);
      const got = await store.loadTrials(run.runId);
      expect(got).toHaveLength(1010);
      expect(got.find((t) => t.index === 3)!.objective).toBe(10 * k);
      expect(got.filter((t) => t.index >= 10).every((t) => t.objective === k)).toBe(true);
    }
    expect((await postgres.sql<{ n: number }>(url, `SELECT count(*)::int AS n FROM optimize_trials`))[0]!.n).toBe(1010);
    await before.close();
    await after.close();
  });
});

describe("a DuckDB writer killed in the middle of a batch", () => {
  it("leaves exactly the batches committed before the kill", async () => {
    const path = dbPath("killed-batch");
    const BATCH = 5000;
    // The child records 10 trials, then batches of 5,000 back to back, saying after each commit how many.
    const code = `
      const { DuckDbStore } = await import(${JSON.stringify(join(ROOT, "dist/store/index.js"))});
      const store = await DuckDbStore.open(${JSON.stringify(path)});
      const run = await store.beginRun({ runId: "killed", fingerprint: "fp", config: {}, resume: false });
      const trial = (i) => ({ index: i, window: 0, phase: "search", generation: 0, params: { i }, status: "ok", metrics: { m: i }, objective: i, seed: i, durationMs: 1, events: 1, range: { start: 0, end: i }, periodReturns: Float64Array.of(i, -i) });
      await store.record(run.runId, Array.from({ length: 10 }, (_, i) => trial(i)));
      for (let b = 0; ; b++) {
        await store.record(run.runId, Array.from({ length: ${BATCH} }, (_, i) => trial(10 + b * ${BATCH} + i)));
        process.stdout.write("committed " + (b + 1) + "\\n");
      }`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        // Killed while the second batch is being written (the child writes without pause).
        if (out.includes("committed 1\n")) setTimeout(() => { child.kill("SIGKILL"); resolve(); }, 30);
      });
      child.on("exit", () => reject(new Error(`the writer stopped by itself: ${err}`)));
    });
    expect(await exited).toBe("SIGKILL");
    const reported = Math.max(...[...out.matchAll(/committed (\d+)/g)].map((m) => Number(m[1])));
    const store = await DuckDbStore.open(path);
    const trials = await store.loadTrials("killed");
    await store.close();
    const whole = (trials.length - 10) / BATCH;
    expect(Number.isInteger(whole)).toBe(true);
    expect(whole).toBeGreaterThanOrEqual(reported);
    expect(trials.map((t) => t.index)).toEqual(Array.from({ length: trials.length }, (_, i) => i));
    expect(trials.every((t) => t.objective === t.index && t.periodReturns![1] === -t.index && t.range.end === t.index)).toBe(true);
  }, 60_000);
});

describe.each([
  ["memory", async (): Promise<LabStore> => new MemoryStore()],
  ["duckdb", async (): Promise<LabStore> => DuckDbStore.open(dbPath("listing"))],
])("listing runs on %s", (_name, open) => {
  it("equals the shared reference for random filters (pages, metric sorts and bounds, time bounds)", async () => {
    const store = await open();
    const strategies = ["imbalance", "marketMaker", "momentum"];
    const kinds = ["backtest", "optimize", "report"] as const;
    const states = ["running", "finished", "failed", "interrupted"] as const;
    const values = [Number.NaN, Infinity, -Infinity, -0, 0, 1, 1, 2.5, -3, 0.1 + 0.2, 1e-300];
    for (let i = 0; i < 30; i++) {
      const id = await store.createRun({ kind: kinds[i % 3]!, manifest: manifest(strategies[i % 3 === 0 ? 0 : (i >> 1) % 3]!), state: states[i % 4]! });
      const metrics: Record<string, number> = { sharpe: values[i % values.length]! };
      if (i % 4 !== 1) metrics.pnl = values[(i * 7) % values.length]!;
      await store.updateRun(id, { metrics, equity: { timeMs: [i, i + 1], equity: [0, i] } });
    }
    await store.putArtifact((await store.listRuns({ limit: 1 })).runs[0]!.id, "report.html", new Uint8Array([1, 2, 3]), "text/html");
    const all = await store.listRuns();
    expect(all.total).toBe(30);
    expect(all.runs.every((r) => r.equity === undefined)).toBe(true);
    const reference = await Promise.all(all.runs.map(async (r) => (await store.getRun(r.id))!));
    expect(reference.every((r) => r.equity !== undefined)).toBe(true);
    for (const r of reference) delete r.equity;
    const createdTimes = reference.map((r) => r.createdAt).sort();
    const bound = fc.option(fc.constantFrom(...values.filter((v) => !Number.isNaN(v)), -1, 0.5, 3), { nil: undefined });
    const filter = fc.record(
      {
        kind: fc.constantFrom(...kinds),
        strategy: fc.constantFrom(...strategies, "none"),
        state: fc.constantFrom(...states),
        since: fc.constantFrom(...createdTimes, "0001-01-01T00:00:00Z", "+010000-01-01T00:00:00Z"),
        until: fc.constantFrom(...createdTimes, "0001-01-01T00:00:00Z", "+010000-01-01T00:00:00Z"),
        where: fc.dictionary(fc.constantFrom("sharpe", "pnl", "missing"), fc.record({ gt: bound, gte: bound, lt: bound, lte: bound }, { requiredKeys: [] }), { maxKeys: 2 }),
        sort: fc.constantFrom("createdAt", "sharpe", "pnl", "missing"),
        order: fc.constantFrom("asc" as const, "desc" as const),
        limit: fc.integer({ min: 0, max: 12 }),
        offset: fc.integer({ min: 0, max: 35 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(filter, async (f) => {
        const clean = { ...f, where: f.where && Object.fromEntries(Object.entries(f.where).map(([k, b]) => [k, Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined))])) };
        if (clean.where === undefined) delete clean.where;
        const expected = filterRuns(reference, clean);
        const got = await store.listRuns(clean);
        expect(got.total).toBe(expected.total);
        expect(got.runs.map((r: RunRecord) => r.id)).toEqual(expected.runs.map((r) => r.id));
        expect(got.runs).toEqual(expected.runs);
      }),
      { numRuns: 150, seed: 20240102 },
    );
    // A listed run is a copy: changing it changes nothing stored.
    const page = await store.listRuns({ limit: 1 });
    page.runs[0]!.metrics.sharpe = 1234;
    page.runs[0]!.manifest.strategy.name = "changed";
    const again = (await store.getRun(page.runs[0]!.id))!;
    expect(again.metrics.sharpe).not.toBe(1234);
    expect(again.manifest.strategy.name).not.toBe("changed");
    await store.close();
  });
});
