import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { EventFlag, EventKind, TickBatchBuilder, generateTicks, mergeBatches, qualityReportJson, readBinanceDepthCsv, validate, type QualityReport } from "../../src/data/index.js";
import { qualityReportHtml } from "../../src/report/views/data.js";
import { ROOT } from "../helpers/paths.js";

const spec = instrument({ symbol: "T", venue: "V", tickSize: "1" });
const { LevelSet, Trade, Halt, Clear } = EventKind;
const { Last, Snapshot } = EventFlag;

/** A hand-made stream; the comment on each row says which issue it carries. */
function handMade() {
  const b = new TickBatchBuilder();
  const t = (us: number): bigint => 1_700_000_000_000_000_000n + BigInt(us) * 1000n;
  b.push(t(0), t(0) + 50n, Clear, 0, NaN, NaN, NaN, Snapshot | Last, 0, 1); // 0
  b.push(t(0), t(0) + 50n, LevelSet, 1, 100, 5, NaN, Snapshot, 0, 2); // 1
  b.push(t(0), t(0) + 50n, LevelSet, -1, 101, 5, NaN, Snapshot | Last, 0, 2); // 2
  b.push(t(10), t(10) + 50n, Trade, 1, 101, 2, NaN, 0, 0, 3); // 3 trade (no Last: part of message 3)
  b.push(t(10), t(10) + 50n, LevelSet, -1, 101, 3, NaN, Last, 0, 3); // 4
  b.push(t(5), t(20) + 50n, Trade, -1, 100, 1, NaN, Last, 0, 4); // 5 exchange time goes back
  b.push(t(30), t(29), Trade, -1, 100, 1, NaN, Last, 0, 5); // 6 received before sent (and local order fine)
  b.push(t(40), t(40) + 50n, Trade, 1, 101, 1, NaN, Last, 0, 6); // 7
  b.push(t(40), t(40) + 50n, Trade, 1, 101, 1, NaN, Last, 0, 6); // 8 exact duplicate of 7
  b.push(t(50), t(50) + 50n, Trade, 1, 101, -3, NaN, Last, 0, 7); // 9 negative size
  b.push(t(60), t(60) + 50n, Trade, 1, 0, 1, NaN, Last, 0, 8); // 10 zero price
  b.push(t(70), t(70) + 50n, LevelSet, 1, 102, 4, NaN, Last, 0, 11); // 11 seq gap (9, 10 missing) + bid 102 > ask 101: crossed
  b.push(t(80), t(80) + 50n, LevelSet, 1, 102, 0, NaN, Last, 0, 12); // 12 uncrossed again
  b.push(t(90), t(90) + 50n, LevelSet, 1, 101, 7, NaN, Last, 0, 13); // 13 bid 101 = ask 101: locked
  b.push(t(95), t(95) + 50n, Halt, 0, NaN, NaN, NaN, Last, 0, 14, 1); // 14 halt
  return b.build([spec], "hand.csv");
}

const find = (r: QualityReport, cls: string) => r.issues.find((i) => i.class === cls);

describe("validate on a hand-made stream", () => {
  it("finds each planted issue at its row and column, with default policies", () => {
    const r = validate(handMade());
    expect(find(r, "exch-ts-order")).toMatchObject({ count: 1, policy: "quarantine", samples: [{ row: 5, column: "exchTs" }] });
    expect(find(r, "local-before-exch")).toMatchObject({ count: 1, samples: [{ row: 6, column: "localTs" }] });
    expect(find(r, "duplicate")).toMatchObject({ count: 1, policy: "warn", samples: [{ row: 8, value: "same as row 7" }] });
    expect(find(r, "bad-size")).toMatchObject({ count: 1, samples: [{ row: 9, column: "qtyLots", value: "-3" }] });
    expect(find(r, "non-positive-price")).toMatchObject({ count: 1, samples: [{ row: 10, column: "priceTicks", value: "0" }] });
    expect(find(r, "sequence-gap")).toMatchObject({ count: 1, samples: [{ row: 11, column: "seq", value: "2 missing after 8" }] });
    expect(find(r, "crossed-book")).toMatchObject({ count: 1, samples: [{ row: 11, value: "bid 102 > ask 101" }] });
    expect(find(r, "locked-book")).toMatchObject({ count: 1, samples: [{ row: 13 }] });
    expect(find(r, "halt")).toMatchObject({ count: 1, samples: [{ row: 14, value: "code 1" }] });
    expect(find(r, "local-ts-order")).toBeUndefined();
    expect(r.summary.sequenceMode).toBe("consecutive");
    expect(r.summary.messages).toBe(13); // every row but 1 and 3 ends a message
    expect(r.summary.byKind).toEqual({ Clear: 1, LevelSet: 6, Trade: 7, Halt: 1 });
    expect(r.summary.spanNs).toBe(95_000n);
    expect(r.ok).toBe(false);
    // quarantined: exchange-time row 5, size row 9, price row 10; everything else kept
    expect([...r.quarantine!.sourceRows]).toEqual([5, 9, 10]);
    expect(r.quarantine!.reasons).toEqual(["exch-ts-order", "bad-size", "non-positive-price"]);
    expect(r.clean.length).toBe(12);
    expect(r.clean.length + r.quarantine!.batch.length).toBe(15);
    expect(r.quarantine!.batch.qtyLots[1]).toBe(-3);
  });

  it("reject policy throws a LabError naming file, row and column; warn keeps every row", () => {
    expect(() => validate(handMade(), { policy: { "bad-size": "reject" } })).toThrow(expect.objectContaining({ code: "DATA_BAD_SIZE", context: expect.objectContaining({ file: "hand.csv", row: 9, column: "qtyLots" }) }));
    const all = validate(handMade(), { policy: { "exch-ts-order": "warn", "bad-size": "warn", "non-positive-price": "warn" } });
    expect(all.quarantine).toBeUndefined();
    expect(all.clean.length).toBe(15);
  });

  it("renders as JSON and HTML", () => {
    const r = validate(handMade());
    const json = JSON.parse(JSON.stringify(qualityReportJson(r)));
    expect(json.summary.spanNs).toBe("95000");
    expect(json.quarantinedRows).toBe(3);
    const html = qualityReportHtml(r);
    for (const cls of ["exch-ts-order", "crossed-book", "sequence-gap"]) expect(html).toContain(cls);
    expect(html).toContain("row 9 · qtyLots · -3");
  });

  it("a seeded generated stream is clean (no crossing, no gaps, monotonic)", () => {
    for (const mode of ["l2", "l3"] as const) {
      const r = validate(generateTicks({ events: 100_000, seed: 21, mode }));
      expect(r.issues).toEqual([]);
      expect(r.summary.rows).toBe(100_000);
    }
  });
});

describe("Binance update-id linkage", () => {
  it("the snapshot and update sample files do not chain: one gap, pu 2098041693400 vs u 2098021528332", async () => {
    const dir = join(ROOT, "data", "binance-futures-depth-csv-samples");
    const spec = instrument({ symbol: "BTCUSDT", venue: "binance", tickSize: "0.1", lotSize: "0.001" });
    const snap = await readBinanceDepthCsv(join(dir, "btcusdt-depth-snap.csv"), { instrument: spec });
    const update = await readBinanceDepthCsv(join(dir, "btcusdt-depth-update.csv"), { instrument: spec });
    expect(validate(update).summary.sequenceMode).toBe("linked");
    const both = mergeBatches([snap, update], "exchTs");
    const r = validate(both, { sequence: "linked" });
    const gap = find(r, "sequence-gap");
    expect(gap?.count).toBe(1);
    expect(gap?.samples[0]).toMatchObject({ row: 101, column: "aux", value: "previous id 2098041693400, expected 2098021528332" });
  });
});
