/**
 * The run registry: the conformance suite on memory and DuckDB, DuckDB durability across reopening,
 * and recording through the facade (backtests, optimizations, reports).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as lab from "../../src/index.js";
import { LabError } from "../../src/core/index.js";
import { DuckDbStore, MemoryStore, downsampleEquity } from "../../src/store/index.js";
import { ROOT } from "../helpers/paths.js";
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

describe("downsampleEquity", () => {
  it("keeps at most max points, the first and last, and the extremes", () => {
    const n = 10_007;
    const t = Array.from({ length: n }, (_, i) => i * 1000);
    const e = Array.from({ length: n }, (_, i) => Math.sin(i / 50) * 100 + (i === 4321 ? 1e6 : 0) - (i === 777 ? 1e6 : 0));
    const d = downsampleEquity(t, e, 2000);
    expect(d.timeMs.length).toBeLessThanOrEqual(2000);
    expect(d.timeMs.length).toBe(d.equity.length);
    expect(d.timeMs[0]).toBe(0);
    expect(d.timeMs[d.timeMs.length - 1]).toBe((n - 1) * 1000);
    expect(Math.max(...d.equity)).toBe(Math.max(...e));
    expect(Math.min(...d.equity)).toBe(Math.min(...e));
    // Every kept point is a real point of the curve, in time order.
    d.timeMs.forEach((ms, i) => expect(d.equity[i]).toBe(e[ms / 1000]));
    expect([...d.timeMs].sort((a, b) => a - b)).toEqual(d.timeMs);
    expect(downsampleEquity([1, 2], [3, 4])).toEqual({ timeMs: [1, 2], equity: [3, 4] });
  });
});

describe("recording through lab.store and lab.runs", () => {
  const file = join(dir, "ticks.parquet");
  let ticks: lab.TickBatch;

  afterAll(async () => {
    await lab.store.use(undefined);
  });

  it("records a backtest of file data: manifest, metrics equal to the summary, hash, equity and Parquet artifacts", async () => {
    await lab.data.writeParquet(lab.data.generateTicks({ events: 20_000, seed: 1, mode: "l2" }), file);
    ticks = await lab.data.readFile(file);
    const store = new MemoryStore();
    await lab.store.use(store);
    expect(await lab.store.current()).toBe(store);
    const result = lab.backtest(ticks, lab.strategies.imbalance({ threshold: 0.4 }), { latencyNs: 50_000, seed: 3 });
    await lab.store.flush();
    const list = await lab.runs.list();
    expect(list.total).toBe(1);
    const run = (await store.getRun(list.ids[0]!))!;
    expect(run.state).toBe("finished");
    expect(run.kind).toBe("backtest");

    // Manifest: the file's size and checksum as computed here, every option, the environment.
    const bytes = readFileSync(file);
    expect(run.manifest.data.files).toEqual([{ path: file, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") }]);
    expect(run.manifest.data.rows).toBe(20_000);
    expect(run.manifest.data.symbols).toEqual(["SYN"]);
    expect(run.manifest.strategy.name).toBe("imbalance");
    expect(run.manifest.strategy.params).toEqual({ ...result.summary.params });
    expect(run.params.threshold).toBe(0.4);
    expect((run.manifest.strategy.schema as { name: string }[]).map((p) => p.name)).toEqual(lab.strategies.imbalance.schema.map((p) => p.name));
    expect(run.manifest.engine.latencyNs).toBe(50_000);
    expect(run.manifest.engine.seed).toBe(3);
    expect(run.manifest.engine.equityIntervalNs).toBe(1_000_000_000);
    expect(run.manifest.engine.resolved).toEqual({ ...result.settings });
    expect(run.manifest.engine.progress).toBeUndefined();
    expect(run.manifest.seed).toBe(3);
    expect(run.manifest.version).toBe((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
    expect(run.manifest.node).toBe(process.version);
    expect(run.manifest.host).toBe(hostname());

    // Metrics are the summary's figures.
    const s = result.summary;
    expect(run.metrics.pnl).toBe(s.pnl);
    expect(run.metrics.trades).toBe(s.trades);
    expect(run.metrics.fees).toBe(s.fees);
    expect(run.metrics.maxDrawdown).toBe(s.maxDrawdown);
    expect(Object.is(run.metrics.sharpe, s.sharpe)).toBe(true);
    expect(Object.is(run.metrics.makerShare, s.makerShare)).toBe(true);
    expect(s.trades).toBeGreaterThan(0);

    // Equity for charts: every sample here (fewer than 2000), in ms.
    expect(run.equity!.equity).toEqual(Array.from(result.equity.equity));
    expect(run.equity!.timeMs[0]).toBe(Number(result.equity.ts[0]! / 1_000_000n));

    // Artifacts: the Parquet files read back by DuckDB hold the result's rows.
    expect(run.artifacts.map((a) => a.name)).toEqual(["checklist.json", "equity.parquet", "fills.parquet", "orders.parquet"]);
    // The research checklist as the run's own checklist gives it (the dashboard shows this file).
    const checklist = JSON.parse(new TextDecoder().decode(await store.readArtifact(run.id, "checklist.json"))) as { subject: string; items: { id: string; status: string }[] };
    expect(checklist).toEqual(JSON.parse(JSON.stringify(result.checklist())));
    expect(checklist.items.find((i) => i.id === "out-of-sample")?.status).toBe("warn");
    const fills = join(dir, "fills-back.parquet");
    writeFileSync(fills, await lab.runs.artifact(run.id, "fills.parquet"));
    const orders = join(dir, "orders-back.parquet");
    writeFileSync(orders, await store.readArtifact(run.id, "orders.parquet"));
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const inst = await DuckDBInstance.create(":memory:");
    const c = await inst.connect();
    try {
      const f = (await c.runAndReadAll(`SELECT count(*), sum(price * qty), min(ts), max(ts) FROM read_parquet('${fills}')`)).getRows()[0]!;
      let notional = 0;
      for (let j = 0; j < result.fills.price.length; j++) notional += result.fills.price[j]! * result.fills.qty[j]!;
      expect(Number(f[0])).toBe(s.trades);
      expect(Number(f[1])).toBeCloseTo(notional, 6);
      expect(BigInt(f[2] as bigint)).toBe(result.fills.ts[0]);
      expect(BigInt(f[3] as bigint)).toBe(result.fills.ts[result.fills.ts.length - 1]);
      const o = (await c.runAndReadAll(`SELECT count(*), count(*) FILTER (WHERE status = 'Filled') FROM read_parquet('${orders}')`)).getRows()[0]!;
      expect(Number(o[0])).toBe(s.orders);
      expect(Number(o[1])).toBe(result.statusCounts().Filled ?? 0);
    } finally {
      c.closeSync();
      inst.closeSync();
    }

    // The same backtest again: the same result hash; another latency: another hash.
    lab.backtest(ticks, lab.strategies.imbalance({ threshold: 0.4 }), { latencyNs: 50_000, seed: 3 });
    lab.backtest(ticks, lab.strategies.imbalance({ threshold: 0.4 }), { latencyNs: 200_000, seed: 3 });
    await lab.store.flush();
    const runs = (await lab.runs.list({ order: "asc" })).runs;
    expect(runs).toHaveLength(3);
    expect(runs[0]!.resultHash).toMatch(/^[0-9a-f]{64}$/);
    expect(runs[1]!.resultHash).toBe(runs[0]!.resultHash);
    expect(runs[2]!.resultHash).not.toBe(runs[0]!.resultHash);
    const cmp = await lab.runs.compare(runs[0]!.id, runs[2]!.id);
    expect(cmp.identical).toBe(false);
    expect(cmp.differences.map((d) => d.field)).toEqual(["engine.latencyNs", "engine.resolved.latency"]);
    expect(cmp.metrics.find((m) => m.name === "pnl")!.diff).toBe(runs[2]!.metrics.pnl! - runs[0]!.metrics.pnl!);
    expect((await lab.runs.compare(runs[0]!.id, runs[1]!.id)).identical).toBe(true);

    // Rerun in-process reads the file again and reproduces the hash.
    const again = await lab.runs.rerun(runs[0]!.id);
    expect(again.reproduced).toBe(true);
    expect(again.resultHash.now).toBe(runs[0]!.resultHash);
    expect(again.lines[0]).toBe(`reproduced bit for bit (result hash ${runs[0]!.resultHash})`);
  });

  it("shows runs as notebook tables and text", async () => {
    const list = await lab.runs.list({ limit: 2 });
    const html = (list as unknown as Record<symbol, () => { "text/html": string }>)[Symbol.for("strategy-lab.display")]!()["text/html"];
    expect(html).toContain("<table");
    expect(html).toContain(list.ids[0]!);
    expect(html).toContain("2 of 3 runs");
    expect(String(list)).toContain("RunList: 2 of 3 runs");
    const view = await lab.runs.get(list.ids[0]!);
    expect(String(view)).toContain(`Run ${list.ids[0]}`);
    expect(list.table().id).toEqual(list.ids);
    await expect(lab.runs.get("run-nope")).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
  });

  it("records an optimization under its trial run id with the chosen trial's params and metrics", async () => {
    const store = new MemoryStore();
    await lab.store.use(store);
    const result = await lab.optimize(ticks, "imbalance", { threshold: [0.2, 0.4, 0.6] }, { workers: 0, onWarning: () => undefined });
    const run = (await store.getRun(result.runId))!;
    expect(run.kind).toBe("optimize");
    expect(run.state).toBe("finished");
    expect(run.trials).toBe(3);
    expect(run.trials).toBe(result.trialCount);
    expect(run.params).toEqual(result.bestParams);
    expect(run.metrics.objective).toBe(result.best!.objective);
    expect(run.metrics.trials).toBe(3);
    expect(run.metrics.pnl).toBe(result.best!.metrics.pnl);
    expect(run.manifest.optimize).toMatchObject({ method: "grid", objective: { name: "sharpe", direction: "maximize" }, seed: 0 });
    expect(run.manifest.data.files?.[0]?.path).toBe(file);
    expect((await store.loadTrials(result.runId)).length).toBe(3);
    // its research checklist, as sweep.checklist() gives it: 3 combinations, one free parameter
    const checklist = JSON.parse(new TextDecoder().decode(await store.readArtifact(result.runId, "checklist.json"))) as { subject: string; complexity: { combinations: number; freeParameters: number } };
    expect(checklist).toEqual(JSON.parse(JSON.stringify(result.checklist())));
    expect(checklist.subject).toBe("optimization");
    expect(checklist.complexity).toMatchObject({ combinations: 3, freeParameters: 1 });
  });

  it("records the checklist of a sweep given a store file by path (the sweep closes it; the checklist is added after)", async () => {
    const path = dbFile();
    const result = await lab.optimize(ticks, "imbalance", { threshold: [0.2, 0.4] }, { workers: 0, store: path, onWarning: () => undefined });
    const store = await DuckDbStore.open(path);
    try {
      expect((await store.getRun(result.runId))?.kind).toBe("optimize");
      const checklist = JSON.parse(new TextDecoder().decode(await store.readArtifact(result.runId, "checklist.json"))) as { subject: string; complexity: { combinations: number } };
      expect(checklist).toEqual(JSON.parse(JSON.stringify(result.checklist())));
      expect(checklist.complexity.combinations).toBe(2);
    } finally {
      await store.close();
    }
  });

  it("attaches a report as report.html, or records it as a report run", async () => {
    const store = new MemoryStore();
    await lab.store.use(store);
    const id = await lab.runs.record(lab.backtest(ticks, lab.strategies.imbalance(), {}), { name: "run-explicit-1", data: ticks });
    expect(id).toBe("run-explicit-1");
    await lab.store.flush();
    // With recording on, lab.backtest recorded it too: two runs.
    expect((await lab.runs.list()).total).toBe(2);
    expect(await lab.runs.attachReport(id, "<p>sheet</p>")).toBe(id);
    const page = new TextDecoder().decode(await store.readArtifact(id, "report.html"));
    expect(page.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(page).toContain("<p>sheet</p>");
    const reportId = await lab.runs.attachReport(id, "<p>sheet 2</p>", { asRun: true });
    const report = (await store.getRun(reportId))!;
    expect(report.kind).toBe("report");
    expect(report.manifest.parent).toBe(id);
    expect(report.artifacts.map((a) => a.name)).toEqual(["report.html"]);
  });

  it("reports recording failures: one warning per code, and flush rejects with them", async () => {
    const inner = new MemoryStore();
    const failing = Object.assign(Object.create(inner) as MemoryStore, {
      createRun: async () => {
        throw new LabError({ code: "STORE_WRITE_FAILED", message: "disk full", hint: "free space" });
      },
    });
    await lab.store.use(failing);
    const warnings: string[] = [];
    const original = process.emitWarning;
    process.emitWarning = ((w: string | Error) => void warnings.push(String(w))) as typeof process.emitWarning;
    try {
      lab.backtest(ticks, lab.strategies.imbalance(), {});
      lab.backtest(ticks, lab.strategies.imbalance(), {});
      const error = await lab.store.flush().then(() => undefined, (e: unknown) => e as LabError);
      expect(error?.code).toBe("RECORD_FAILED");
      expect(error?.message).toContain("2 recordings failed; the first: STORE_WRITE_FAILED: disk full");
      lab.backtest(ticks, lab.strategies.imbalance(), {});
      await expect(lab.store.flush()).rejects.toMatchObject({ code: "STORE_WRITE_FAILED" });
      await expect(lab.store.flush()).resolves.toBeUndefined();
    } finally {
      process.emitWarning = original;
    }
    expect(warnings.filter((w) => w.includes("STORE_WRITE_FAILED"))).toHaveLength(1);
    await lab.store.use(undefined);
    expect(await lab.store.current()).toBeUndefined();
  });
});
