import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogSummary, generateTicks, readCatalog, writeCatalog } from "../../src/data/index.js";
import { parseTime } from "../../src/core/index.js";
import { optimize } from "../../src/runs/index.js";

// A sweep over a catalog range that spans two days: read once into shared memory, it must give
// exactly the sweep over the same rows read by hand (walk-forward windows crossing midnight
// included), and a range too large for its memory budget is refused before any row is read.
describe("optimize over catalog data", () => {
  let dir: string;
  const start = parseTime("2024-03-04T23:00:00Z");
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sweep-catalog-"));
    // 2 hours around midnight: two date partitions
    await writeCatalog(dir, generateTicks({ events: 60_000, seed: 31, mode: "l2", startNs: start, ratePerSecond: 60_000 / 7_200 }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a two-day range with walk-forward windows across midnight equals the sweep on the batch read by hand", async () => {
    const range = { start: parseTime("2024-03-04T23:10:00Z"), end: parseTime("2024-03-05T00:50:00Z") };
    const space = { threshold: [0.2, 0.4, 0.6], size: 1, maxPosition: 3 };
    const walkForward = { windows: 2, ratio: 2 };
    const common = { strategy: "imbalance", space, walkForward, backtest: { latencyNs: 50_000 }, objective: "pnl" as const, workers: 0, seed: 3, onWarning: () => undefined };
    const fromCatalog = await optimize({ ...common, data: { catalog: dir, ...range } });
    const batch = await readCatalog(dir, range);
    const byHand = await optimize({ ...common, data: batch });
    expect(fromCatalog.windows?.length).toBe(2);
    // the windows cross midnight: the first OOS window starts before it, the last ends after it
    const midnight = parseTime("2024-03-05T00:00:00Z");
    expect(fromCatalog.windows![0]!.isStartNs! < midnight && fromCatalog.windows![1]!.oosEndNs! > midnight).toBe(true);
    expect(fromCatalog.trials.length).toBe(byHand.trials.length);
    expect(fromCatalog.trials.length).toBeGreaterThan(3);
    expect(fromCatalog.trials.map((t) => [t.params, t.metrics.pnl, t.metrics.trades])).toEqual(byHand.trials.map((t) => [t.params, t.metrics.pnl, t.metrics.trades]));
    expect(fromCatalog.trials.some((t) => (t.metrics.trades ?? 0) > 0)).toBe(true);
  });

  it("a streamed sweep (each trial reads its rows from the catalog on a worker thread) equals the in-memory sweep, windows across midnight included", async () => {
    const range = { start: parseTime("2024-03-04T23:10:00Z"), end: parseTime("2024-03-05T00:50:00Z") };
    const space = { threshold: [0.2, 0.5], size: 1, maxPosition: 3 };
    const common = { strategy: "imbalance", space, walkForward: { windows: 2, ratio: 2 }, backtest: { latencyNs: 50_000 }, objective: "pnl" as const, seed: 5, onWarning: () => undefined };
    const inMemory = await optimize({ ...common, workers: 0, data: await readCatalog(dir, range) });
    // a memory budget the range does not fit: "auto" streams; one index row per data row
    const streamed = await optimize({ ...common, workers: 2, data: { catalog: dir, ...range, maxMemoryBytes: 100_000, timeIndexEvery: 1, chunkRows: 4_000 } });
    expect(streamed.windows?.map((w) => [w.isStartNs, w.oosStartNs, w.oosEndNs])).toEqual(inMemory.windows?.map((w) => [w.isStartNs, w.oosStartNs, w.oosEndNs]));
    const figures = (r: typeof inMemory): unknown[] => r.trials.map((t) => [t.window, t.phase, t.params, t.status, t.metrics.pnl, t.metrics.trades, t.metrics.sharpe, t.metrics.maxDrawdown, Array.from(t.periodReturns ?? [])]);
    expect(figures(streamed)).toEqual(figures(inMemory));
    const oos = (r: typeof inMemory): unknown[] => (r.windows ?? []).map((w) => [w.oos?.params, w.oos?.metrics.pnl, w.oos?.metrics.trades, Array.from(w.oos?.periodReturns ?? [])]);
    expect(oos(streamed)).toEqual(oos(inMemory));
    expect(streamed.windows!.every((w) => w.oos !== undefined && Number.isFinite(w.oosObjective))).toBe(true);
    expect(streamed.trials.some((t) => (t.metrics.trades ?? 0) > 0)).toBe(true);
  }, 120_000);

  it("a range larger than maxMemoryBytes is refused with DATA_TOO_LARGE when streaming is off, counted from the catalog alone", async () => {
    const summary = await catalogSummary(dir);
    expect(summary.totalRows).toBe(60_000);
    const error = await optimize({ data: { catalog: dir, maxMemoryBytes: 1_000_000, stream: false }, strategy: "imbalance", space: { threshold: [0.3] }, workers: 0, onWarning: () => undefined }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("DATA_TOO_LARGE");
    expect((error as Error).message).toContain("60,000 rows");
  });
});
