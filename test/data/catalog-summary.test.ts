import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instrument, parseIso } from "../../src/core/index.js";
import { EventFlag, EventKind, catalogChunks, catalogSummary, generateTicks, readCatalog, writeCatalog, type TickBatch } from "../../src/data/index.js";

// A catalog range's summary (rows per instrument, Last flags, order-by-order kinds, trades) is
// taken from the files' footers where a file lies inside the range and from scans where the range
// cuts a file. Ground truth: the rows readCatalog returns for the same range, counted in JS.
const L3_KINDS = new Set<number>([EventKind.Add, EventKind.Reduce, EventKind.Modify, EventKind.Delete, EventKind.Execute]);

function truth(batch: TickBatch, k: number): { rows: number; hasLast: boolean; l3: boolean; hasTrades: boolean } {
  let rows = 0;
  let hasLast = false;
  let l3 = false;
  let hasTrades = false;
  for (let i = 0; i < batch.length; i++) {
    if (batch.instrument[i] !== k) continue;
    rows++;
    hasLast ||= (batch.flags[i]! & EventFlag.Last) !== 0;
    l3 ||= L3_KINDS.has(batch.kind[i]!);
    hasTrades ||= batch.kind[i] === EventKind.Trade;
  }
  return { rows, hasLast, l3, hasTrades };
}

describe("catalog range summary from footers and scans", () => {
  let dir: string;
  const start = parseIso("2024-03-04T22:00:00Z");
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "catalog-summary-"));
    // two days per symbol (the UTC day changes at 00:00), an L2 and an L3 symbol
    await writeCatalog(dir, generateTicks({ events: 30_000, seed: 3, mode: "l2", startNs: start, ratePerSecond: 3, instrument: instrument({ symbol: "AAA", venue: "SIM", tickSize: "0.01" }) }));
    await writeCatalog(dir, generateTicks({ events: 20_000, seed: 4, mode: "l3", startNs: start, ratePerSecond: 1, instrument: instrument({ symbol: "BBB", venue: "SIM", tickSize: "0.05" }) }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // AAA's rows run from 22:00 to about 00:06, BBB's past 01:00 (the generator's own pace)
  const ranges: [string, { start?: string; end?: string }][] = [
    ["the whole catalog", {}],
    ["whole days (files inside the range)", { start: "2024-03-04T00:00:00Z", end: "2024-03-06T00:00:00Z" }],
    ["a range cutting both days' files", { start: "2024-03-04T23:50:00Z", end: "2024-03-05T00:03:00Z" }],
    ["a range inside one day's file only", { start: "2024-03-05T00:01:00Z", end: "2024-03-05T00:04:00Z" }],
    ["a range with only the L3 symbol's rows", { start: "2024-03-05T00:30:00Z", end: "2024-03-05T01:00:00Z" }],
  ];
  for (const [what, range] of ranges) {
    it(`${what}: rows and traits per instrument equal the rows read`, async () => {
      const batch = await readCatalog(dir, range);
      const summary = await catalogSummary(dir, range);
      // instruments without a row in the range are left out of a summary
      const present = batch.instruments.map((s, k) => ({ symbol: s.symbol, ...truth(batch, k) })).filter((t) => t.rows > 0);
      expect(summary.instruments.map((s) => s.symbol)).toEqual(present.map((t) => t.symbol));
      if (what.includes("only the L3")) expect(present.map((t) => t.symbol)).toEqual(["BBB"]);
      expect(summary.totalRows).toBe(batch.length);
      present.forEach((want, k) => expect(summary.traits[k]).toEqual({ hasLast: want.hasLast, l3: want.l3, hasTrades: want.hasTrades }));
      const chunks = await catalogChunks(dir, { ...range, chunkRows: 5_000 });
      let rows = 0;
      for (let c = await chunks.next(); c; c = await chunks.next()) rows += c.length;
      expect(chunks.totalRows).toBe(rows);
      expect(rows).toBe(batch.length);
    });
  }

  it("the L2 symbol alone: no order-by-order kinds, and trades; the L3 symbol: order-by-order kinds", async () => {
    const a = await catalogSummary(dir, { symbols: ["AAA"] });
    const b = await catalogSummary(dir, { symbols: ["BBB"] });
    const all = await readCatalog(dir);
    expect(a.totalRows).toBe(30_000);
    expect(b.totalRows).toBe(20_000);
    const ta = truth(all, all.instruments.findIndex((s) => s.symbol === "AAA"));
    const tb = truth(all, all.instruments.findIndex((s) => s.symbol === "BBB"));
    expect([ta.l3, ta.hasTrades, tb.l3]).toEqual([false, true, true]);
    expect(a.traits[0]).toEqual({ hasLast: ta.hasLast, l3: false, hasTrades: true });
    expect(b.traits[0]).toEqual({ hasLast: tb.hasLast, l3: true, hasTrades: tb.hasTrades });
  });
});
