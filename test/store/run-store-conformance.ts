/**
 * The run-registry conformance suite: every back end (memory, DuckDB, PostgreSQL) must answer these
 * the same way. `describeRunStore(name, open)` registers the suite; `open` returns a fresh, empty
 * store (the suite closes it). Values asserted are fixed by the contract in src/store/run-types.ts.
 */
import { describe, expect, it } from "vitest";
import type { LabStore, RunManifest, RunRecord, TrialRecord } from "../../src/store/index.js";
import { caughtAsync } from "../helpers/checks.js";

async function expectLabError(p: Promise<unknown>, code: string): Promise<void> {
  expect((await caughtAsync(p)).code).toBe(code);
}

export function manifest(strategy: string, params: RunManifest["strategy"]["params"] = {}, extra: Partial<RunManifest> = {}): RunManifest {
  return {
    kind: "backtest",
    strategy: { name: strategy, params },
    data: { files: [{ path: "data/ticks.parquet", bytes: 1234, sha256: "ab".repeat(32) }], rows: 1000, symbols: ["SYN"], start: "2024-01-02T14:30:00.000Z", end: "2024-01-02T14:35:00.000Z" },
    engine: { latencyNs: 50_000, queue: "riskAverse", fees: { maker: -0.0001, taker: 0.0004 }, seed: 1 },
    seed: 1,
    version: "0.1.0",
    host: "host-a",
    node: "v20.0.0",
    ...extra,
  };
}

function trial(index: number): TrialRecord {
  return { index, window: 0, phase: "search", generation: 0, params: { threshold: index / 10 }, status: "ok", metrics: { sharpe: index }, objective: index, seed: index, durationMs: 1, events: 10, range: { start: 0, end: 10 } };
}

async function withStore(open: () => Promise<LabStore>, fn: (store: LabStore) => Promise<void>): Promise<void> {
  const store = await open();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

export function describeRunStore(name: string, open: () => Promise<LabStore>): void {
  describe(`run registry on ${name}`, () => {
    it("round-trips a run: manifest, params, metrics (NaN, ±Infinity, -0), hash, equity, error, times", async () => {
      await withStore(open, async (store) => {
        const m = manifest("imbalance", { threshold: 0.3, levels: 3, mode: "maker", flag: true }, { commit: "0123abcd", parent: "run-parent" });
        const id = await store.createRun({ kind: "backtest", manifest: m });
        expect(id).toMatch(/^run-\d{8}-\d{6}-[0-9a-f]{8}$/);
        const fresh = (await store.getRun(id))!;
        expect(fresh.state).toBe("running");
        expect(fresh.strategy).toBe("imbalance");
        expect(fresh.params).toEqual({ threshold: 0.3, levels: 3, mode: "maker", flag: true });
        expect(fresh.metrics).toEqual({});
        expect(fresh.trials).toBe(0);
        expect(fresh.artifacts).toEqual([]);
        expect(fresh.equity).toBeUndefined();
        expect(fresh.finishedAt).toBeUndefined();
        expect(Number.isFinite(Date.parse(fresh.createdAt))).toBe(true);

        const equity = { timeMs: [1704205800000, 1704205801000, 1704205802000], equity: [0, 0.1 + 0.2, -1e-300] };
        await store.updateRun(id, { metrics: { sharpe: 1.25, psr: Number.NaN, cap: Infinity, floor: -Infinity, zero: -0, pnl: 0.1 + 0.2 } });
        await store.updateRun(id, { metrics: { trades: 7, sharpe: 2.5 }, state: "finished", finishedAt: "2024-01-02T14:40:00.000Z", resultHash: "f".repeat(64), equity, error: "it's \"quoted\"", params: { threshold: 0.4 } });
        const run = (await store.getRun(id))!;
        expect(run.manifest).toEqual(m);
        expect(run.state).toBe("finished");
        expect(run.finishedAt).toBe("2024-01-02T14:40:00.000Z");
        expect(run.resultHash).toBe("f".repeat(64));
        expect(run.error).toBe("it's \"quoted\"");
        expect(run.params).toEqual({ threshold: 0.4 });
        // Metrics merge: a later patch replaces only the keys it names.
        expect(Object.keys(run.metrics).sort()).toEqual(["cap", "floor", "pnl", "psr", "sharpe", "trades", "zero"]);
        expect(run.metrics.sharpe).toBe(2.5);
        expect(run.metrics.trades).toBe(7);
        expect(run.metrics.psr).toBeNaN();
        expect(run.metrics.cap).toBe(Infinity);
        expect(run.metrics.floor).toBe(-Infinity);
        expect(run.metrics.pnl).toBe(0.30000000000000004);
        expect(run.equity).toEqual(equity);
        expect(run.equity!.equity[2]).toBe(-1e-300);
      });
    });

    it("refuses a duplicate id and unknown runs", async () => {
      await withStore(open, async (store) => {
        const id = await store.createRun({ id: "run-fixed-1", kind: "report", manifest: manifest("x"), state: "finished" });
        expect(id).toBe("run-fixed-1");
        expect((await store.getRun(id))!.state).toBe("finished");
        expect((await store.getRun(id))!.kind).toBe("report");
        await expectLabError(store.createRun({ id, kind: "backtest", manifest: manifest("x") }), "RUN_EXISTS");
        expect(await store.getRun("run-missing")).toBeUndefined();
        await expectLabError(store.updateRun("run-missing", { state: "failed" }), "RUN_NOT_FOUND");
        await expectLabError(store.putArtifact("run-missing", "a.txt", new Uint8Array([1]), "text/plain"), "RUN_NOT_FOUND");
        await expectLabError(store.readArtifact("run-missing", "a.txt"), "RUN_NOT_FOUND");
      });
    });

    it("stores artifacts byte for byte, replaces by name, and refuses names that could escape", async () => {
      await withStore(open, async (store) => {
        const id = await store.createRun({ kind: "backtest", manifest: manifest("imbalance") });
        const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) & 0xff);
        expect(await store.putArtifact(id, "fills.parquet", bytes, "application/vnd.apache.parquet")).toEqual({ name: "fills.parquet", mediaType: "application/vnd.apache.parquet", bytes: 70_000 });
        await store.putArtifact(id, "report.html", new TextEncoder().encode("<p>old</p>"), "text/html");
        await store.putArtifact(id, "report.html", new TextEncoder().encode("<p>new é</p>"), "text/html; charset=utf-8");
        expect(Buffer.from(await store.readArtifact(id, "fills.parquet")).equals(Buffer.from(bytes))).toBe(true);
        expect(new TextDecoder().decode(await store.readArtifact(id, "report.html"))).toBe("<p>new é</p>");
        const run = (await store.getRun(id))!;
        expect(run.artifacts).toEqual([
          { name: "fills.parquet", mediaType: "application/vnd.apache.parquet", bytes: 70_000 },
          { name: "report.html", mediaType: "text/html; charset=utf-8", bytes: 13 },
        ]);
        await expectLabError(store.readArtifact(id, "equity.parquet"), "ARTIFACT_NOT_FOUND");
        for (const bad of ["../escape", "..", ".", "a/b", "a\\b", "", "name with space", "x\0y", "/etc/passwd", "é.txt"]) {
          await expectLabError(store.putArtifact(id, bad, new Uint8Array([1]), "text/plain"), "BAD_ARTIFACT_NAME");
        }
        expect((await store.getRun(id))!.artifacts.map((a) => a.name)).toEqual(["fills.parquet", "report.html"]);
      });
    });

    it("lists with filters, metric bounds, sorting and paging; total counts before paging", async () => {
      await withStore(open, async (store) => {
        const specs: [string, "backtest" | "optimize", number][] = [
          ["imbalance", "backtest", 1.5],
          ["imbalance", "backtest", Number.NaN],
          ["marketMaker", "backtest", -0.5],
          ["imbalance", "optimize", 3],
          ["marketMaker", "backtest", 0.75],
        ];
        const ids: string[] = [];
        for (const [strategy, kind, sharpe] of specs) {
          const id = await store.createRun({ kind, manifest: manifest(strategy, {}, { kind }) });
          await store.updateRun(id, { metrics: { sharpe }, state: ids.length === 2 ? "failed" : "finished", equity: { timeMs: [1], equity: [2] } });
          ids.push(id);
        }
        const all = await store.listRuns();
        expect(all.total).toBe(5);
        // Newest first by default; listings leave the equity series out.
        expect(all.runs.map((r) => r.id)).toEqual([...ids].reverse());
        expect(all.runs.every((r) => r.equity === undefined)).toBe(true);
        expect((await store.listRuns({ order: "asc" })).runs.map((r) => r.id)).toEqual(ids);

        const im = await store.listRuns({ strategy: "imbalance", kind: "backtest" });
        expect(im.runs.map((r) => r.id)).toEqual([ids[1], ids[0]]);
        expect((await store.listRuns({ state: "failed" })).runs.map((r) => r.id)).toEqual([ids[2]]);
        expect((await store.listRuns({ kind: "optimize" })).runs.map((r) => r.id)).toEqual([ids[3]]);

        // Metric bounds: NaN and missing metrics never match.
        expect((await store.listRuns({ where: { sharpe: { gt: 0.75 } }, order: "asc" })).runs.map((r) => r.id)).toEqual([ids[0], ids[3]]);
        expect((await store.listRuns({ where: { sharpe: { gte: 0.75, lt: 3 } }, order: "asc" })).runs.map((r) => r.id)).toEqual([ids[0], ids[4]]);
        expect((await store.listRuns({ where: { sharpe: { lte: 0 } } })).runs.map((r) => r.id)).toEqual([ids[2]]);
        expect((await store.listRuns({ where: { missing: { gt: -Infinity } } })).total).toBe(0);

        // Sorting by a metric: NaN last in both orders.
        expect((await store.listRuns({ sort: "sharpe", order: "desc" })).runs.map((r) => r.id)).toEqual([ids[3], ids[0], ids[4], ids[2], ids[1]]);
        expect((await store.listRuns({ sort: "sharpe", order: "asc" })).runs.map((r) => r.id)).toEqual([ids[2], ids[4], ids[0], ids[3], ids[1]]);

        // Paging: pages join up to the whole list; total is the count before paging.
        const page1 = await store.listRuns({ sort: "sharpe", limit: 2 });
        const page2 = await store.listRuns({ sort: "sharpe", limit: 2, offset: 2 });
        const page3 = await store.listRuns({ sort: "sharpe", limit: 2, offset: 4 });
        expect([page1.total, page2.total, page3.total]).toEqual([5, 5, 5]);
        expect([...page1.runs, ...page2.runs, ...page3.runs].map((r) => r.id)).toEqual([ids[3], ids[0], ids[4], ids[2], ids[1]]);
        expect((await store.listRuns({ limit: 0 })).runs).toEqual([]);

        // Time window: since is inclusive, until exclusive.
        const third = (await store.getRun(ids[2]!))!.createdAt;
        expect((await store.listRuns({ since: third, order: "asc" })).runs.map((r) => r.id)).toEqual(ids.slice(2));
        expect((await store.listRuns({ until: third, order: "asc" })).runs.map((r) => r.id)).toEqual(ids.slice(0, 2));
      });
    });

    it("refuses malformed filters", async () => {
      await withStore(open, async (store) => {
        const bad: unknown[] = [{ limit: -1 }, { offset: 1.5 }, { order: "up" }, { since: "yesterday" }, { kind: "trade" }, { where: { sharpe: { gt: "1" } } }, { where: { sharpe: { above: 1 } } }];
        for (const f of bad) await expectLabError(store.listRuns(f as never), "BAD_RUN_FILTER");
      });
    });

    it("shares the id of an optimization's trial run and counts its stored trials", async () => {
      await withStore(open, async (store) => {
        const begun = await store.beginRun({ fingerprint: "fp", config: { method: "grid" }, resume: false });
        const id = await store.createRun({ id: begun.runId, kind: "optimize", manifest: manifest("imbalance", {}, { kind: "optimize", optimize: { method: "grid", trials: 3 } }) });
        expect(id).toBe(begun.runId);
        await store.record(begun.runId, [trial(0), trial(1), trial(2)]);
        await store.record(begun.runId, [trial(1)]);
        const run = (await store.getRun(id))!;
        expect(run.trials).toBe(3);
        expect(run.manifest.optimize).toEqual({ method: "grid", trials: 3 });
        const listed = (await store.listRuns({ kind: "optimize" })).runs;
        expect(listed.map((r: RunRecord) => [r.id, r.trials])).toEqual([[id, 3]]);
        expect((await store.listTrialRuns()).map((r) => [r.runId, r.trials])).toEqual([[id, 3]]);
      });
    });
  });
}
