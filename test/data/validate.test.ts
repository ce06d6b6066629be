import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { EventFlag, EventKind, TickBatchBuilder, generateTicks, mergeBatches, qualityReportJson, readBinanceDepthCsv, readFile, validate, type QualityReport } from "../../src/venues/data-aliases.js";
import { qualityReportHtml } from "../../src/report/views/data.js";
import { ROOT } from "../helpers/paths.js";
// The book layer registers the formats whose readers synchronise a book (binance-raw, lobster-*).
import "../../src/venues/index.js";

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

describe("a real Binance capture: depth, bookTicker and trades are separate feeds", () => {
  // The capture interleaves three streams whose exchange times cross by milliseconds and whose
  // sequence numbers are separate counters (depth and bookTicker update ids, trade ids).
  const file = join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz");
  const lines = gunzipSync(readFileSync(file)).toString("utf8").split("\n").slice(0, 4000);
  const tmp = mkdtempSync(join(tmpdir(), "validate-feeds-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, l: string[]): string => {
    const path = join(tmp, name);
    writeFileSync(path, l.join("\n") + "\n");
    return path;
  };
  const typeAt = (i: number): string | undefined => /"e":"(\w+)"/.exec(lines[i]!)?.[1];
  const nextOf = (from: number, type: string): number => {
    for (let i = from; i < lines.length; i++) if (typeAt(i) === type) return i;
    throw new Error(`no ${type} line`);
  };

  it("an intact capture has no time-order or sequence issue (only the collector's clock skew)", async () => {
    const batch = await readFile(write("clean.txt", lines), { format: "binance-raw" });
    // the feeds do cross: rows earlier than an earlier row of another feed
    let crossings = 0;
    let latest = batch.exchTs[0]!;
    for (let i = 1; i < batch.length; i++) {
      if (batch.exchTs[i]! < latest) crossings++;
      else latest = batch.exchTs[i]!;
    }
    expect(crossings).toBeGreaterThan(100);
    const r = validate(batch);
    expect(r.issues.map((i) => i.class)).toEqual(["local-before-exch"]);
    expect(r.summary.sequenceScope).toBe("feed");
    expect(r.summary.sequenceMode).toBe("increasing");
    expect(r.clean.length).toBe(batch.length);
  });

  it("a trade stamped earlier than the previous trade, or a trade id going back, is still found at its row", async () => {
    const damaged = [...lines];
    const back = nextOf(nextOf(2000, "trade") + 1, "trade");
    const prevE = Number(/"E":(\d+)/.exec(lines[nextOf(2000, "trade")]!)![1]);
    damaged[back] = damaged[back]!.replace(/"E":\d+/, `"E":${prevE - 5000}`).replace(/"T":\d+/, `"T":${prevE - 5000}`);
    const idLine = nextOf(3000, "trade");
    damaged[idLine] = damaged[idLine]!.replace(/"t":\d+/, '"t":1');
    const batch = await readFile(write("damaged.txt", damaged), { format: "binance-raw" });
    const r = validate(batch);
    const rowOfLine = (line: number): number => {
      // the row of that line's trade: trades keep their order, one row each
      let count = 0;
      for (let i = 0; i < line; i++) if (typeAt(i) === "trade") count++;
      let seen = 0;
      for (let i = 0; i < batch.length; i++) if (batch.kind[i] === EventKind.Trade && seen++ === count) return i;
      throw new Error("no row");
    };
    expect(find(r, "exch-ts-order")).toMatchObject({ count: 1, samples: [{ row: rowOfLine(back), column: "exchTs" }] });
    expect(find(r, "sequence-order")).toMatchObject({ count: 1, samples: [{ row: rowOfLine(idLine), column: "seq", value: expect.stringMatching(/^1 after \d+$/) }] });
    expect(r.summary.sequenceScope).toBe("feed");
  });
});
