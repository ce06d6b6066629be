/**
 * The live feed against the replay server on 127.0.0.1: a dropped connection, a lost diff and
 * malformed lines each end in a book equal to the one the capture's own sync builds, with the
 * incident reported; the recorder's file reads back equal to what was sent.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TICK_COLUMN_NAMES, parseBinanceRaw, readFile, type TickBatch } from "../../src/venues/data-aliases.js";
import { syncBinanceDepth, type L2Book } from "../../src/venues/book-aliases.js";
import { binanceFeed, recorder, startReplayServer, type BinanceFeed } from "../../src/live/index.js";
import { ROOT, TEST_OUTPUT } from "../helpers/paths.js";

const CAPTURE = join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz");
const DIR = join(TEST_OUTPUT, "live-faults");
const LINES = 12_000;
let lines: string[] = [];
let slice = "";

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  lines = gunzipSync(readFileSync(CAPTURE)).toString("utf8").split("\n").slice(0, LINES);
  slice = join(DIR, "slice.gz");
  writeFileSync(slice, gzipSync(`${lines.join("\n")}\n`));
});
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** The book the capture's own sync builds over these lines (the ground truth). */
function truthBook(text: string[]): L2Book {
  return syncBinanceDepth(parseBinanceRaw(text.join("\n"), "truth", { market: "futures" })).book;
}

function levels(book: L2Book, side: 1 | -1, n = 200): string {
  const prices = new Float64Array(n);
  const qtys = new Float64Array(n);
  const w = book.levels(side, n, prices, qtys);
  return Array.from({ length: w }, (_, k) => `${prices[k]}:${qtys[k]}`).join(" ");
}

function ended(feed: BinanceFeed): Promise<void> {
  return new Promise((resolve) => {
    if (feed.ended) resolve();
    else feed.onEnd(resolve);
  });
}

function concat(batches: TickBatch[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const name of TICK_COLUMN_NAMES) out[name] = batches.flatMap((b) => Array.from(b[name] as ArrayLike<unknown>));
  return out;
}

function columns(batch: TickBatch): Record<string, unknown[]> {
  return concat([batch]);
}

describe("live feed faults", () => {
  it("a dropped connection: reconnects, reports the gap and resynchronises to the capture's book", async () => {
    // Paced 20x so the snapshot requested at connect is in before the drop (line ~1000, 5 s of capture in).
    const server = await startReplayServer(slice, { speed: 20, dropAfter: 1_000, loseOnDrop: 40, maxLines: 2_500 });
    try {
      const feed = binanceFeed({ url: server.url, snapshotUrl: server.snapshotUrl, reconnect: { initialDelayMs: 20 }, snapshotIntervalMs: 50 });
      const done = ended(feed);
      feed.start();
      await done;
      const stats = feed.stats();
      expect(server.connections()).toBe(2);
      expect(stats.reconnects).toBe(1);
      // The break is a gap; a snapshot that does not reach the resumed stream is one more, and another
      // resync (a break before the first snapshot has arrived needs no resync: the first sync is one).
      expect(stats.gaps).toBeGreaterThanOrEqual(1);
      expect(stats.resyncs).toBeGreaterThanOrEqual(stats.gaps - 1);
      expect(stats.inSync).toBe(true);
      expect(stats.malformed).toBe(0);
      const kinds = feed.incidents.map((i) => i.kind);
      expect(kinds).toContain("disconnect");
      expect(kinds).toContain("reconnect");
      expect(kinds).toContain("resync");
      expect(feed.incidents.find((i) => i.kind === "gap")!.message).toMatch(/connection closed/);
      const truth = truthBook(lines.slice(0, 2_500));
      expect(levels(feed.book, 1)).toBe(levels(truth, 1));
      expect(levels(feed.book, -1)).toBe(levels(truth, -1));
      expect(feed.book.bestBid()).toBe(truth.bestBid());
    } finally {
      await server.close();
    }
  }, 60_000);

  it("a lost diff: the sequence gap (pu != last u) is reported and the book resyncs from a REST snapshot", async () => {
    // Line 1061 is a depth diff well after the capture's snapshot (line 55); paced 20x, the
    // snapshot requested at connect has long arrived when it is due (4.9 s of capture in).
    expect(lines[1060]).toContain('"depthUpdate"');
    const server = await startReplayServer(slice, { speed: 20, omitLines: [1061], maxLines: 1_500 });
    try {
      const feed = binanceFeed({ url: server.url, snapshotUrl: server.snapshotUrl, snapshotIntervalMs: 50 });
      const done = ended(feed);
      feed.start();
      await done;
      const stats = feed.stats();
      expect(stats.reconnects).toBe(0);
      // The first snapshot (requested at connect) syncs; the gap needs one more.
      expect(stats.gaps).toBe(1);
      expect(stats.resyncs).toBe(1);
      const gap = feed.incidents.find((i) => i.kind === "gap")!;
      const pu = /"pu":(\d+)/.exec(lines[1062]!)![1];
      const lostU = /"u":(\d+)/.exec(lines[1060]!)![1];
      const previousU = /"u":(\d+)/.exec(lines[1051]!)![1];
      expect(lines[1051]).toContain('"depthUpdate"');
      expect(lines[1061]).not.toContain('"depthUpdate"');
      expect(lost(gap.message)).toEqual({ got: pu, expected: previousU });
      expect(pu).toBe(lostU);
      expect(stats.inSync).toBe(true);
      const truth = truthBook(lines.slice(0, 1_500));
      expect(levels(feed.book, 1)).toBe(levels(truth, 1));
      expect(levels(feed.book, -1)).toBe(levels(truth, -1));
    } finally {
      await server.close();
    }
  }, 60_000);

  it("a snapshot that never meets the stream is asked for again, at most once per snapshotIntervalMs", async () => {
    let requests = 0;
    const stale = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { "content-type": "application/json" }).end('{"lastUpdateId":1,"E":1,"T":1,"bids":[["61800.20","1.000"]],"asks":[["61800.30","1.000"]]}');
    });
    await new Promise<void>((resolve) => stale.listen(0, "127.0.0.1", resolve));
    const server = await startReplayServer(slice, { speed: 4, maxLines: 1_500 });
    try {
      const feed = binanceFeed({ url: server.url, snapshotUrl: `http://127.0.0.1:${(stale.address() as AddressInfo).port}/fapi/v1/depth`, snapshotIntervalMs: 300 });
      const started = performance.now();
      const done = ended(feed);
      feed.start();
      await done;
      const seconds = (performance.now() - started) / 1000;
      const stats = feed.stats();
      expect(stats.inSync).toBe(false);
      expect(stats.snapshotsFetched).toBe(requests);
      // Every snapshot is older than the stream: each one is a gap, and another request, 300 ms on.
      expect(stats.gaps).toBe(requests);
      expect(requests).toBeGreaterThanOrEqual(2);
      expect(requests).toBeLessThanOrEqual(Math.floor(seconds / 0.3) + 1);
      expect(feed.incidents.filter((i) => i.kind === "gap")[0]!.message).toMatch(/first diff after snapshot 1 starts at U=/);
    } finally {
      await server.close();
      await new Promise((resolve) => stale.close(resolve));
    }
  }, 60_000);

  it("malformed lines are counted, kept with their text and skipped; the recorder's file reads back as sent", async () => {
    const bad = [
      { after: 100, line: `1723161255100000000 {"stream":"btcusdt@trade","data":{"e":"trade","E":17231`, code: "BAD_JSON" },
      { after: 200, line: "garbage without a receive time", code: "BAD_LINE" },
      { after: 300, line: `1723161255300000000 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":1,"p":"-5","q":"0.006","X":"MARKET","m":false}}`, code: "NON_POSITIVE_PRICE" },
    ];
    const clean = lines.slice(0, 3_000);
    const dirty: string[] = [];
    clean.forEach((l, i) => {
      dirty.push(l);
      for (const b of bad) if (b.after === i + 1) dirty.push(b.line);
    });
    const cleanFile = join(DIR, "clean.gz");
    const dirtyFile = join(DIR, "dirty.gz");
    writeFileSync(cleanFile, gzipSync(`${clean.join("\n")}\n`));
    writeFileSync(dirtyFile, gzipSync(`${dirty.join("\n")}\n`));
    const recDir = join(DIR, "recorded");
    const server = await startReplayServer(dirtyFile, { speed: "max", stamp: true });
    try {
      const rec = recorder({ dir: recDir, prefix: "usdm_futures_btcusdt", flushIntervalMs: 50 });
      const feed = binanceFeed({ url: server.url, receiveTime: "stamped", recorder: rec });
      const got: TickBatch[] = [];
      feed.onRows((rows) => got.push(rows));
      const done = ended(feed);
      feed.start();
      await done;
      rec.close();
      const stats = feed.stats();
      expect(stats.malformed).toBe(3);
      expect(feed.malformedLines.map((m) => m.code)).toEqual(bad.map((b) => b.code));
      expect(feed.malformedLines.map((m) => m.text)).toEqual(bad.map((b) => b.line));
      expect(feed.malformedLines.map((m) => m.line)).toEqual(bad.map((b, k) => b.after + k + 1));
      expect(feed.incidents.filter((i) => i.kind === "malformed").map((i) => i.text)).toEqual(bad.map((b) => b.line));
      // Everything else is exactly what the clean capture gives.
      const expected = await readFile(cleanFile);
      expect(concat(got)).toEqual(columns(expected));

      // The recorder: every stamped line, in order (the one without a receive time cannot be a capture line).
      const files = rec.stats().files;
      expect(files).toEqual([join(recDir, "usdm_futures_btcusdt_20240808.gz")]);
      expect(rec.stats().flushes).toBeGreaterThan(0);
      expect(rec.stats().rejected).toBe(1);
      const sent = dirty.filter((l) => l !== bad[1]!.line);
      expect(gunzipSync(readFileSync(files[0]!)).toString("utf8")).toBe(`${sent.join("\n")}\n`);
      const back = await readFile(files[0]!, { onBadRows: "quarantine" });
      expect(columns(back)).toEqual(columns(expected));
    } finally {
      await server.close();
    }
  }, 60_000);
});

function lost(message: string): { got: string; expected: string } {
  const m = /pu=(\d+), expected (\d+)/.exec(message);
  return { got: m?.[1] ?? "", expected: m?.[2] ?? "" };
}
