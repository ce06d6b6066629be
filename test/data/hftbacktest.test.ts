/**
 * hftbacktest's event files: the 1.x reference file read as a TickBatch (counts from its README,
 * rows as numpy prints them), written back as a 2.x event_dtype file and read again.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { EventFlag, EventKind, allocateColumns, estimateClockOffset, validate, detectFormat, readFile, readHftbacktest, splitByExchangeOrder, tickBatch, writeHftbacktest, TICK_COLUMN_NAMES, type TickBatch } from "../../src/venues/data-aliases.js";
import { SHARED_DATA, TEST_OUTPUT } from "../helpers/paths.js";

const NPZ = join(SHARED_DATA, "..", "reference", "hftbacktest-1.8.4", "btcusdt_20240808.npz");
const SPEC = instrument({ symbol: "BTCUSDT", venue: "BINANCE-FUTURES", tickSize: "0.1", lotSize: "0.001" });

function row(b: TickBatch, i: number): unknown[] {
  return [b.kind[i], b.exchTs[i], b.localTs[i], b.side[i], b.priceTicks[i], b.qtyLots[i], b.flags[i]];
}

describe("hftbacktest 1.x reference file", () => {
  const batch = readHftbacktest(NPZ, { instrument: SPEC });

  it("has the README's rows: 466,493 depth + 4,000 snapshot, 21,476 trades, 4 clears; 25,137 one-sided each way", () => {
    expect(batch.length).toBe(491_973);
    let depth = 0, snapshot = 0, trades = 0, clears = 0, exchOnly = 0, localOnly = 0, offGrid = 0;
    for (let i = 0; i < batch.length; i++) {
      const k = batch.kind[i]!;
      const f = batch.flags[i]!;
      if (k === EventKind.LevelSet) (f & EventFlag.Snapshot ? snapshot++ : depth++);
      else if (k === EventKind.Trade) trades++;
      else if (k === EventKind.Clear) clears++;
      if (f & EventFlag.ExchangeOnly) exchOnly++;
      if (f & EventFlag.LocalOnly) localOnly++;
      if (f & EventFlag.OffGrid) offGrid++;
    }
    expect({ depth, snapshot, trades, clears, exchOnly, localOnly, offGrid }).toEqual({ depth: 466_493, snapshot: 4_000, trades: 21_476, clears: 4, exchOnly: 25_137, localOnly: 25_137, offGrid: 0 });
  });

  it("first, split and last rows equal numpy's reading (float64 ns, decimals on the 0.1 / 0.001 grid)", () => {
    // numpy: d[0] = [1, 1.723161256298e18, 1.7231612563024714e18, 1, 58710.2, 0.014] (ints: 1723161256297999872, 1723161256302471424)
    expect(row(batch, 0)).toEqual([EventKind.LevelSet, 1723161256297999872n, 1723161256302471424n, 1, 587102, 14, 0]);
    expect(row(batch, 1)).toEqual([EventKind.LevelSet, 1723161256297999872n, 1723161256302471424n, 1, 614965, 10, 0]);
    // d[264] = [4, 1.723161256493e18, -1, 1, 61800.2, 2.909]: exchange-only snapshot row; its local
    // time is the filler (the largest receive time before it).
    expect(row(batch, 264)).toEqual([EventKind.LevelSet, 1723161256492999936n, batch.localTs[263], 1, 618002, 2909, EventFlag.Snapshot | EventFlag.ExchangeOnly | EventFlag.BadTimestamp]);
    // d[2336] = [4, -1, 1.7231612565918592e18, 1, 61800.2, 2.909]: its local-only twin.
    expect(row(batch, 2336).slice(2)).toEqual([1723161256591859200n, 1, 618002, 2909, EventFlag.Snapshot | EventFlag.LocalOnly]);
    // d[-1] = [1, 1.723161601054e18, 1.7231616011056492e18, 1, 61632.6, 0.0]
    // The last row ends its message (Last).
    expect(row(batch, batch.length - 1)).toEqual([EventKind.LevelSet, 1723161601054000128n, 1723161601105649152n, 1, 616326, 0, EventFlag.Last]);
  });

  it("rows sharing both times are one message: only the last of each is flagged Last, so validate sees whole messages", () => {
    let last = 0, expected = 0, prev = -1;
    for (let i = 0; i < batch.length; i++) {
      if ((batch.flags[i]! & EventFlag.Last) !== 0) last++;
      if ((batch.flags[i]! & EventFlag.ExchangeOnly) !== 0) continue;
      if (prev >= 0 && (batch.localTs[i] !== batch.localTs[prev] || batch.exchTs[i] !== batch.exchTs[prev])) expected++;
      prev = i;
    }
    expect(last).toBe(expected + 1);
    // Checked message by message, the exchange's book never crosses (row by row it would, halfway through diffs).
    const report = validate(batch, { onReject: "report" });
    expect(report.issues.map((x) => x.class).filter((c) => c === "crossed-book" || c === "locked-book")).toEqual([]);
    expect(report.summary.clockOffsetNs).toBe(0);
  });

  it("the fillers do not read as a clock offset: the file's smallest feed latency is 0, so the estimate is 0", () => {
    expect(estimateClockOffset(batch).maxNs).toBe(0);
  });

  it("fillers keep both clocks in order: exchange times never fall, receive times never fall, and no row is received before it was sent", () => {
    let backE = 0, backL = 0, early = 0;
    for (let i = 1; i < batch.length; i++) {
      if (batch.exchTs[i]! < batch.exchTs[i - 1]!) backE++;
      if (batch.localTs[i]! < batch.localTs[i - 1]!) backL++;
      if ((batch.flags[i]! & EventFlag.ExchangeOnly) === 0 && batch.localTs[i]! < batch.exchTs[i]!) early++;
    }
    expect({ backE, backL, early }).toEqual({ backE: 0, backL: 0, early: 0 });
  });

  it("is told from its content and read through readFile", async () => {
    expect(detectFormat(NPZ).format).toBe("hftbacktest");
    const viaFile = await readFile(NPZ, { instrument: SPEC });
    expect(viaFile.length).toBe(batch.length);
    expect(Array.from(viaFile.priceTicks.subarray(0, 100))).toEqual(Array.from(batch.priceTicks.subarray(0, 100)));
  });

  it("needs an instrument", () => {
    expect(() => readHftbacktest(NPZ)).toThrow(/without an instrument/);
  });

  it("writes the 2.x event_dtype layout, which reads back to the same batch", () => {
    mkdirSync(TEST_OUTPUT, { recursive: true });
    const out = join(TEST_OUTPUT, "hftbacktest-roundtrip.npz");
    const written = writeHftbacktest(batch, out);
    expect(written.rows).toBe(491_973);
    // The file, read without our reader: one member data.npy, a v1 header naming event_dtype.
    const members = unzipSync(readFileSync(out));
    expect(Object.keys(members)).toEqual(["data.npy"]);
    const npy = members["data.npy"]!;
    const headerLength = npy[8]! + 256 * npy[9]!;
    const header = Buffer.from(npy.subarray(10, 10 + headerLength)).toString("latin1");
    expect(header).toContain("'descr': [('ev', '<u8'), ('exch_ts', '<i8'), ('local_ts', '<i8'), ('px', '<f8'), ('qty', '<f8'), ('order_id', '<u8'), ('ival', '<i8'), ('fval', '<f8')]");
    expect(header).toContain("'shape': (491973,)");
    expect((10 + headerLength) % 64).toBe(0);
    const body = Buffer.from(npy.subarray(10 + headerLength));
    expect(body.length).toBe(491_973 * 64);
    // Row 0: DEPTH_EVENT | EXCH_EVENT | LOCAL_EVENT | BUY_EVENT = 1 + 2^31 + 2^30 + 2^29.
    expect(body.readBigUInt64LE(0)).toBe(1n + (1n << 31n) + (1n << 30n) + (1n << 29n));
    expect(body.readBigInt64LE(8)).toBe(1723161256297999872n);
    expect(body.readBigInt64LE(16)).toBe(1723161256302471424n);
    expect(body.readDoubleLE(24)).toBe(58710.2);
    expect(body.readDoubleLE(32)).toBe(0.014);
    // Row 264: DEPTH_SNAPSHOT_EVENT | EXCH_EVENT | BUY_EVENT (exchange only).
    expect(body.readBigUInt64LE(264 * 64)).toBe(4n + (1n << 31n) + (1n << 29n));
    // Row 2336: DEPTH_SNAPSHOT_EVENT | LOCAL_EVENT | BUY_EVENT (local only).
    expect(body.readBigUInt64LE(2336 * 64)).toBe(4n + (1n << 30n) + (1n << 29n));
    // The last row: a bid level deleted (qty 0) at 61632.6.
    const last = 491_972 * 64;
    expect([body.readBigUInt64LE(last), body.readDoubleLE(last + 24), body.readDoubleLE(last + 32)]).toEqual([1n + (1n << 31n) + (1n << 30n) + (1n << 29n), 61632.6, 0]);

    const again = readHftbacktest(out, { instrument: SPEC });
    // Column bytes compared whole (element-wise deep equality of 500k-row arrays is very slow).
    const bytesOf = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const differing = TICK_COLUMN_NAMES.filter((name) => name !== "aux" && !bytesOf(again[name]).equals(bytesOf(batch[name])));
    expect(differing).toEqual([]);
  }, 60_000);
});

describe("splitByExchangeOrder", () => {
  it("keeps rows in both orders once and splits the rows whose two orders differ, as hftbacktest's converter does", () => {
    // Receive order: A(e10,l20) B(e30,l25) C(e15,l26) D(e40,l45). By exchange time: A C B D; by
    // receive time: A B C D. Merge (exchange heads keyed by exchTs, receive heads by localTs):
    //   A at both heads: once · C (exchange head, 15 ≤ B's 25): exchange-only · B now at both
    //   heads: once · C (receive head, 26 < D's 40): local-only · D: once.
    const cols = allocateColumns(4);
    const rows: [bigint, bigint, number][] = [[10n, 20n, 1], [30n, 25n, 2], [15n, 26n, 3], [40n, 45n, 4]];
    rows.forEach(([e, l, p], i) => {
      cols.exchTs[i] = e;
      cols.localTs[i] = l;
      cols.kind[i] = EventKind.LevelSet;
      cols.side[i] = 1;
      cols.priceTicks[i] = p;
      cols.qtyLots[i] = 1;
      cols.flags[i] = EventFlag.Last;
    });
    const out = splitByExchangeOrder(tickBatch(cols, [SPEC]));
    const E = EventFlag.ExchangeOnly | EventFlag.BadTimestamp, L = EventFlag.LocalOnly, Last = EventFlag.Last;
    expect(Array.from(out.priceTicks)).toEqual([1, 3, 2, 3, 4]);
    // The exchange-only copy loses Last: it never ends a group the strategy sees.
    expect(Array.from(out.flags)).toEqual([Last, E, Last, Last | L, Last]);
    // Fillers: an exchange-only row's receive time is the largest before it; a local-only row's
    // exchange time the largest before it (capped at its receive time); the file's value in aux.
    expect(Array.from(out.exchTs)).toEqual([10n, 15n, 30n, 26n, 40n]);
    expect(Array.from(out.localTs)).toEqual([20n, 20n, 25n, 26n, 45n]);
    expect(Array.from(out.aux)).toEqual([NaN, 26, NaN, 15, NaN]);
  });
});
