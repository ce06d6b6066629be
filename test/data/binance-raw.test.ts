import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { readBinanceRaw, parseBinanceRaw, BinanceMessage } from "../../src/venues/data-aliases.js";
import { LabError } from "../../src/core/index.js";
import { SHARED_DATA, TEST_OUTPUT } from "../helpers/paths.js";

const dir = join(SHARED_DATA, "binance-btcusdt-raw-ws-20240808");
const futuresFile = join(dir, "usdm_futures_btcusdt_20240808.gz");
const spotFile = join(dir, "spot_btcusdt_20240808.gz");

describe("Binance raw websocket reader", () => {
  // Counts stated in the capture's SOURCE.md.
  it.each([
    ["futures", futuresFile, 93_954, { diffs: 6_551, bookTickers: 66_089, trades: 21_313, snapshots: 1 }],
    ["spot", spotFile, 41_249, { diffs: 3_451, bookTickers: 28_040, trades: 9_757, snapshots: 1 }],
  ] as const)("%s: every message is read and classified", (market, file, lines, counts) => {
    const capture = readBinanceRaw(file);
    expect(capture.market).toBe(market);
    expect(capture.problems).toEqual([]);
    expect(capture.messages).toBe(lines);
    expect(capture.counts).toEqual({ ...counts, skipped: 0 });
  });

  it("keeps the first futures messages exactly (SOURCE.md lines 1-2 and 55)", () => {
    const c = readBinanceRaw(futuresFile);
    expect(c.localTs[0]).toBe(1_723_161_255_030_314_667n);
    expect(c.exchTs[0]).toBe(1_723_161_256_299_000_000n);
    expect(c.kind[0]).toBe(BinanceMessage.Diff);
    expect([c.firstId[0], c.lastId[0], c.prevId[0]]).toEqual([5_123_107_832_006, 5_123_107_837_557, 5_123_107_831_937]);
    // First bid level ["58710.20","0.014"] on tick 0.1 / lot 0.001.
    const s = c.levelStart[0]!;
    expect([c.levelSide[s], c.levelPrice[s], c.levelQty[s]]).toEqual([1, 587_102, 14]);
    expect(c.instrument.priceString(c.levelPrice[s]!)).toBe("58710.2");
    // bookTicker u=5123107839020 b 61800.20 x 2.507, a 61800.30 x 2.510.
    expect(c.kind[1]).toBe(BinanceMessage.BookTicker);
    expect(c.lastId[1]).toBe(5_123_107_839_020);
    const t = c.levelStart[1]!;
    expect([c.levelPrice[t], c.levelQty[t], c.levelPrice[t + 1], c.levelQty[t + 1]]).toEqual([618_002, 2_507, 618_003, 2_510]);
    // trade: m=false means the buyer was the taker.
    expect(c.kind[2]).toBe(BinanceMessage.Trade);
    expect(c.levelSide[c.levelStart[2]!]).toBe(1);
    const snap = c.line.indexOf(55);
    expect(c.kind[snap]).toBe(BinanceMessage.Snapshot);
    expect(c.lastId[snap]).toBe(5_123_107_852_948);
    expect(c.levelEnd[snap]! - c.levelStart[snap]!).toBe(2000);
  });

  it("spot bookTicker has no event time and spot prices keep 8 decimals exactly", () => {
    const c = readBinanceRaw(spotFile);
    const ticker = c.kind.indexOf(BinanceMessage.BookTicker);
    expect(c.exchTs[ticker]).toBe(-1n);
    const s = c.levelStart[ticker]!;
    expect(c.instrument.priceString(c.levelPrice[s]!)).toBe("61837.63");
    expect(c.instrument.sizeString(c.levelQty[s]!)).toBe("3.78826");
    expect(c.levelQty[s]).toBe(378_826_000);
  });

  it("reports bad lines with file and line number and keeps every good message", () => {
    const text = gunzipSync(readFileSync(futuresFile)).toString("utf8").split("\n").slice(0, 10);
    text[3] = text[3]!.slice(0, 50); // truncated JSON
    text[5] = "not a capture line";
    text[6] = text[6]!.replace(/"p":"[0-9.]+"/, '"p":"61800.25"').replace(/"b":"[0-9.]+"/, '"b":"61800.25"'); // off the 0.1 grid
    const c = parseBinanceRaw(text.join("\n"), "sample.txt");
    expect(c.problems.map((p) => [p.line, p.code])).toEqual([[4, "BAD_JSON"], [6, "BAD_LINE"], [7, "OFF_GRID"]]);
    expect(c.problems[0]!.message).toMatch(/^sample\.txt:4: invalid JSON/);
    expect(c.messages).toBe(7);
    expect(Array.from(c.line)).toEqual([1, 2, 3, 5, 8, 9, 10]);
  });

  it("rejects a corrupt gzip file and a file with no messages, naming the file", () => {
    mkdirSync(TEST_OUTPUT, { recursive: true });
    const file = join(TEST_OUTPUT, "broken-capture.gz");
    const whole = gzipSync(Buffer.from("1 {}\n".repeat(1000)));
    writeFileSync(file, whole.subarray(0, whole.length - 10));
    expect(() => readBinanceRaw(file)).toThrow(expect.objectContaining({ code: "CORRUPT_GZIP", message: expect.stringContaining("broken-capture.gz") }));
    expect(() => parseBinanceRaw("1 {}\n", "empty.txt")).toThrow(LabError);
    expect(() => parseBinanceRaw("1 {}\n", "empty.txt")).toThrow(/empty\.txt: no Binance messages/);
  });
});
