import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { readBinanceRaw, parseBinanceRaw, BinanceMessage, EventFlag, EventKind } from "../../src/venues/data-aliases.js";
import { syncBinanceDepth, binanceSyncedBatch, L2Book } from "../../src/venues/book-aliases.js";
import { SHARED_DATA } from "../helpers/paths.js";

const dir = join(SHARED_DATA, "binance-btcusdt-raw-ws-20240808");
const futuresFile = join(dir, "usdm_futures_btcusdt_20240808.gz");
const spotFile = join(dir, "spot_btcusdt_20240808.gz");

function bookLevels(book: L2Book, side: 1 | -1): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < book.levelCount(side); k++) out.push([book.priceAt(side, k), book.qtyAtLevel(side, k)]);
  return out;
}

describe("Binance depth sync against bookTicker", () => {
  // SOURCE.md: snapshot + diffs reproduce every bookTicker with the same update id: 629 futures, 564 spot;
  // the first applied diff is futures line 42 and spot line 6.
  it.each([
    ["futures", futuresFile, 629, 42],
    ["spot", spotFile, 564, 6],
  ] as const)("%s: every comparable bookTicker equals the synced book", (_market, file, comparable, firstLine) => {
    const capture = readBinanceRaw(file);
    const { report, applyOrder } = syncBinanceDepth(capture);
    expect(report.gaps).toEqual([]);
    expect(report.syncs).toBe(1);
    expect(report.inSyncAtEnd).toBe(true);
    expect(report.tickersComparable).toBe(comparable);
    expect(report.tickersEqual).toBe(comparable);
    expect(report.tickersMismatched).toBe(0);
    expect(capture.kind[applyOrder[0]!]).toBe(BinanceMessage.Snapshot);
    expect(capture.line[applyOrder[1]!]).toBe(firstLine);
    expect(report.diffsApplied + report.diffsSuperseded).toBe(capture.counts.diffs);
  });

  it("a corrupted stream makes the comparison fail (the check can fail)", () => {
    const capture = readBinanceRaw(futuresFile);
    // One extra lot on every non-empty level of every diff.
    for (let m = 0; m < capture.messages; m++) {
      if (capture.kind[m] !== BinanceMessage.Diff) continue;
      for (let j = capture.levelStart[m]!; j < capture.levelEnd[m]!; j++) if (capture.levelQty[j]! > 0) capture.levelQty[j]! += 1;
    }
    const { report } = syncBinanceDepth(capture);
    expect(report.tickersMismatched).toBeGreaterThan(0);
    expect(report.firstTickerMismatch).not.toBeNull();
  });

  it("a removed diff is detected as a gap, and the book resyncs from the next snapshot", () => {
    const lines = gunzipSync(readFileSync(futuresFile)).toString("utf8").split("\n").filter((l) => l !== "");
    const full = parseBinanceRaw(lines.join("\n"), "futures.txt");
    const diffs = [...full.kind.keys()].filter((m) => full.kind[m] === BinanceMessage.Diff);
    const removed = diffs[2000]!;
    const resyncAt = diffs[2600]!;
    // The true book right after message `resyncAt`, from the untouched stream, becomes a later REST snapshot.
    let snapshotLine = "";
    syncBinanceDepth(full, {
      onApplied: (m, book) => {
        if (m !== resyncAt) return;
        const fmt = (side: 1 | -1) => bookLevels(book, side).map(([p, q]) => [full.instrument.priceString(p), full.instrument.sizeString(q)]);
        snapshotLine = `${full.localTs[m]} ${JSON.stringify({ lastUpdateId: full.lastId[m], bids: fmt(1), asks: fmt(-1) })}`;
      },
    });
    const edited = [...lines];
    edited.splice(full.line[resyncAt]!, 0, snapshotLine); // after the resync diff's line
    edited.splice(full.line[removed]! - 1, 1); // drop the diff
    const capture = parseBinanceRaw(edited.join("\n"), "futures-with-gap.txt");
    const { report, marks } = syncBinanceDepth(capture);

    expect(report.gaps).toHaveLength(1);
    const gap = report.gaps[0]!;
    expect(gap.line).toBe(full.line[diffs[2001]!]! - 1); // the next diff, one line earlier after the removal
    expect(gap.expected).toBe(full.lastId[diffs[1999]!]);
    expect(gap.got).toBe(full.prevId[diffs[2001]!]);
    expect(gap.message).toMatch(/^futures-with-gap\.txt:\d+: sequence gap: pu=\d+, expected \d+/);
    expect(report.resyncs).toBe(1);
    expect(report.syncs).toBe(2);
    expect(report.inSyncAtEnd).toBe(true);
    expect(report.diffsOutOfSync).toBe(600); // diff 2001 broke the sequence, 2002..2600 arrived before the resync
    expect(report.diffsUnapplied).toBe(0);
    expect(report.diffsApplied + report.diffsSuperseded).toBe(capture.counts.diffs);
    // After the resync the book is right again: every comparable bookTicker still matches.
    expect(report.tickersMismatched).toBe(0);
    expect(report.tickersComparable).toBeGreaterThan(400);
    expect(report.tickersComparable).toBeLessThan(629);
    // Messages between the gap and the resync are marked.
    const gapMessage = capture.line.indexOf(gap.line);
    expect(marks.afterGap[gapMessage + 1]).toBe(1);
    expect(marks.afterGap[capture.messages - 1]).toBe(0);
  });

  it("the synced TickBatch replays into the same book, in time order", () => {
    const capture = readBinanceRaw(futuresFile);
    const sync = syncBinanceDepth(capture);
    const batch = binanceSyncedBatch(capture, sync);
    const book = new L2Book();
    let levelRows = 0;
    let outOfOrder = 0;
    for (let i = 0; i < batch.length; i++) {
      book.apply(batch, i);
      if (batch.kind[i] === EventKind.LevelSet && !(batch.flags[i]! & EventFlag.NoBookEffect)) levelRows++;
      if (i > 0 && batch.localTs[i]! < batch.localTs[i - 1]!) outOfOrder++;
    }
    expect(outOfOrder).toBe(0);
    expect(bookLevels(book, 1)).toEqual(bookLevels(sync.book, 1));
    expect(bookLevels(book, -1)).toEqual(bookLevels(sync.book, -1));
    let expectedLevels = 0;
    for (const m of sync.applyOrder) expectedLevels += capture.levelEnd[m]! - capture.levelStart[m]!;
    expect(levelRows).toBe(expectedLevels);
    const bbo = batch.kind.reduce((n, k) => n + (k === EventKind.Bbo ? 1 : 0), 0);
    const trades = batch.kind.reduce((n, k) => n + (k === EventKind.Trade ? 1 : 0), 0);
    expect(bbo).toBe(2 * 66_089);
    expect(trades).toBe(21_313);
    const firstBookRow = batch.kind.indexOf(EventKind.LevelSet);
    expect(batch.flags[firstBookRow]! & EventFlag.Snapshot).toBe(EventFlag.Snapshot);
  });
});
