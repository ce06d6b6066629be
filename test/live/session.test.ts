/**
 * Paper session control: pausing holds rows without changing any decision, stop() ends the run
 * with the rows taken so far, a stale feed is reported and reconnected, and the CLI's replay
 * server serves the capture.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { WebSocketServer } from "ws";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "../../src/venues/data-aliases.js";
import { backtest, latency } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";
import { binanceFeed, paper, showSession, startReplayServer, type BinanceFeed } from "../../src/live/index.js";
import { setFallbackWriter } from "../../src/report/index.js";
import { CLI, ROOT, TEST_OUTPUT } from "../helpers/paths.js";

const CAPTURE = join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz");
const DIR = join(TEST_OUTPUT, "live-session");
let slice = "";
let lines: string[] = [];

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  lines = gunzipSync(readFileSync(CAPTURE)).toString("utf8").split("\n").slice(0, 20_000);
  slice = join(DIR, "slice.gz");
  writeFileSync(slice, gzipSync(`${lines.join("\n")}\n`));
});
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const ended = (feed: BinanceFeed): Promise<void> => new Promise((resolve) => (feed.ended ? resolve() : feed.onEnd(resolve)));
const options = { latencyNs: latency.constant({ entryNs: 100_000 }), queue: "prob" as const, seed: 1 };

describe("paper sessions", () => {
  it("paused, rows wait in the session; resumed, the run equals the backtest", async () => {
    const batch = await readFile(slice);
    const expected = backtest(batch, strategies.marketMaker({ requoteMs: 20 }), options);
    expect(expected.fills.price.length).toBeGreaterThan(0);
    const server = await startReplayServer(slice, { speed: "max", stamp: true });
    try {
      const feed = binanceFeed({ url: server.url, receiveTime: "stamped" });
      const session = paper(feed, strategies.marketMaker({ requoteMs: 20 }), options);
      session.pause();
      await ended(feed);
      const held = session.status();
      expect(held.state).toBe("paused");
      expect(held.rowsDelivered + held.rowsQueued).toBe(batch.length);
      expect(held.rowsQueued).toBeGreaterThan(0);
      session.resume();
      const result = await session.result;
      expect(Array.from(result.fills.price)).toEqual(Array.from(expected.fills.price));
      expect(Array.from(result.fills.ts)).toEqual(Array.from(expected.fills.ts));
      expect(result.summary.pnl).toBe(expected.summary.pnl);
      const status = session.status();
      expect(status.state).toBe("finished");
      expect(status.rowsDelivered).toBe(batch.length);
      expect(status.callbacks).toBeGreaterThan(0);
      expect(status.feed.messages).toBe(feed.stats().messages);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("a slow consumer: held rows past maxQueuedRows are dropped and the engine's book restarts from the feed's", async () => {
    const server = await startReplayServer(slice, { speed: "max", stamp: true });
    try {
      const feed = binanceFeed({ url: server.url, receiveTime: "stamped" });
      const top = (book: { priceAt(side: 1 | -1, k: number): number; qtyAtLevel(side: 1 | -1, k: number): number }): string =>
        [1, -1].flatMap((side) => Array.from({ length: 10 }, (_, k) => `${book.priceAt(side as 1 | -1, k)}:${book.qtyAtLevel(side as 1 | -1, k)}`)).join(" ");
      let engineTop = "";
      const session = paper(feed, { onBook: () => undefined, onEnd: (ctx) => (engineTop = top(ctx.book())) }, { ...options, maxQueuedRows: 20_000 });
      session.pause();
      await ended(feed);
      const held = session.status();
      expect(held.droppedRows).toBeGreaterThan(0);
      expect(held.incidents.length).toBeGreaterThan(0);
      expect(held.incidents.every((i) => i.snapshot)).toBe(true);
      expect(held.rowsQueued).toBeLessThanOrEqual(20_000);
      session.resume();
      await session.result;
      const feedBook = feed.book;
      expect(engineTop).toBe(top({ priceAt: (s, k) => feedBook.priceAt(s, k), qtyAtLevel: (s, k) => feedBook.qtyAtLevel(s, k) }));
      expect(session.status().state).toBe("finished");
    } finally {
      await server.close();
    }
  }, 60_000);

  it("shows itself in place: figures, book ladder and latest trades, the last state drawn at the end", async () => {
    const outputs: string[] = [];
    const restore = setFallbackWriter((html) => outputs.push(html));
    const server = await startReplayServer(slice, { speed: 10, stamp: true, maxLines: 6_000 });
    try {
      const feed = binanceFeed({ url: server.url, receiveTime: "stamped" });
      const session = paper(feed, strategies.marketMaker({ requoteMs: 20 }), options);
      const display = showSession(session, feed, { everyMs: 100, levels: 3 });
      const result = await session.result;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(display.updates).toBeGreaterThanOrEqual(3);
      expect(outputs.length).toBe(display.updates);
      const last = outputs[outputs.length - 1]!;
      const stats = feed.stats();
      expect(last).toContain(`<td>finished</td><td>${session.status().rowsDelivered.toLocaleString("en-US")}</td>`);
      expect(last).toContain(`<td>${stats.messages.toLocaleString("en-US")}</td>`);
      expect(last).toContain(`<td>${result.summary.finalPosition[0]!.toLocaleString("en-US")}</td>`);
      const spec = feed.instrument;
      const bid = spec.priceString(feed.book.priceAt(1, 0));
      const ask = spec.priceString(feed.book.priceAt(-1, 0));
      expect(last).toContain(`<td>${spec.sizeString(feed.book.qtyAtLevel(1, 0))}</td><td>${bid}</td><td>${ask}</td><td>${spec.sizeString(feed.book.qtyAtLevel(-1, 0))}</td>`);
      // The latest trade first: the capture's last trade line among the lines served.
      const lastTrade = lines.slice(0, 6_000).reverse().find((l) => l.includes('"e":"trade"'))!;
      const price = /"p":"([^"]+)"/.exec(lastTrade)![1]!;
      expect(last).toMatch(new RegExp(`<caption>latest trades</caption>.*?<tbody><tr><td>(buy|sell)</td><td>${price.replace(".", "\\.").replace(/0+$/, "").replace(/\\\.$/, "")}`));
    } finally {
      restore();
      await server.close();
    }
  }, 60_000);

  it("stop() ends the run with the rows taken so far", async () => {
    const server = await startReplayServer(slice, { speed: 5, stamp: true });
    try {
      const feed = binanceFeed({ url: server.url, receiveTime: "stamped" });
      const session = paper(feed, strategies.marketMaker({ requoteMs: 20 }), options);
      await new Promise((resolve) => setTimeout(resolve, 700));
      const result = await session.stop();
      await feed.stop();
      const status = session.status();
      expect(status.state).toBe("finished");
      expect(status.rowsDelivered).toBeGreaterThan(0);
      expect(server.sent()).toBeLessThan(lines.length);
      // The run ends at the last row the engine took, before the capture's end.
      const full = backtest(await readFile(slice), strategies.marketMaker({ requoteMs: 20 }), options);
      expect(status.rowsDelivered).toBeLessThan(full.summary.events);
      expect(result.summary.endTs).toBeLessThan(full.summary.endTs);
      expect(result.summary.startTs).toBe(full.summary.startTs);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("a stale feed is reported and the connection reopened", async () => {
    const silent = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => silent.once("listening", resolve));
    let connections = 0;
    silent.on("connection", () => connections++);
    const port = (silent.address() as AddressInfo).port;
    const feed = binanceFeed({ url: `ws://127.0.0.1:${port}/stream`, staleAfterMs: 200, reconnect: { initialDelayMs: 20 } });
    feed.start();
    const deadline = Date.now() + 10_000;
    while (feed.stats().staleEvents < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await feed.stop();
    await new Promise((resolve) => silent.close(resolve));
    expect(feed.stats().staleEvents).toBeGreaterThanOrEqual(2);
    expect(feed.incidents.filter((i) => i.kind === "stale")[0]!.message).toMatch(/no message for \d+ ms/);
    expect(connections).toBeGreaterThanOrEqual(2);
    expect(feed.stats().reconnects).toBeGreaterThanOrEqual(1);
    expect(feed.ended).toBe(true);
  }, 30_000);

  it("strategy-lab live record appends the stream to a capture that reads back as the served lines", async () => {
    const server = await startReplayServer(slice, { speed: "max", stamp: false, maxLines: 3_000 });
    const dir = join(DIR, "recorded-cli");
    try {
      const child = spawn(process.execPath, [CLI, "live", "record", server.url, "--snapshot-url", server.snapshotUrl, "--dir", dir, "--prefix", "usdm_futures_btcusdt", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      const code = await new Promise((resolve) => child.once("exit", resolve));
      expect(code).toBe(0);
      const figures = JSON.parse(out.trim().split("\n").pop()!) as { messages: number; frames: number; files: string[]; recordedLines: number; snapshotsFetched: number };
      // Every streamed line (the REST snapshot is fetched, not streamed) plus the snapshots fetched.
      expect(figures.frames).toBe(3_000 - 1);
      expect(figures.recordedLines).toBe(figures.frames + figures.snapshotsFetched);
      expect(figures.files).toHaveLength(1);
      const recorded = gunzipSync(readFileSync(figures.files[0]!)).toString("utf8").split("\n").filter((l) => l !== "");
      const streamed = recorded.map((l) => l.slice(l.indexOf(" ") + 1)).filter((j) => !j.startsWith('{"lastUpdateId"'));
      const served = lines.slice(0, 3_000).map((l) => l.slice(l.indexOf(" ") + 1)).filter((j) => !j.startsWith('{"lastUpdateId"'));
      expect(streamed).toEqual(served);
      const back = await readFile(figures.files[0]!);
      expect(back.length).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("strategy-lab replay-server serves the capture and its snapshot on 127.0.0.1", async () => {
    const child = spawn(process.execPath, [CLI, "replay-server", slice, "--speed", "max", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      const deadline = Date.now() + 20_000;
      while (!/snapshot: (\S+)/.test(out) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const url = /stream: (\S+)/.exec(out)![1]!;
      const snapshotUrl = /snapshot: (\S+)/.exec(out)![1]!;
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/stream$/);
      const feed = binanceFeed({ url, snapshotUrl, snapshotIntervalMs: 20, reconnect: { maxAttempts: 2 } });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      feed.start();
      const outcome = await Promise.race([ended(feed).then(() => "ended"), new Promise((resolve) => setTimeout(() => resolve("timeout"), 40_000))]);
      if (outcome !== "ended") expect.fail(`feed did not end: ${JSON.stringify(feed.stats())} ${JSON.stringify(feed.incidents.map((i) => i.message))} server said: ${out}`);
      // Every line but the REST snapshot (served over HTTP, not streamed).
      expect(feed.stats().frames).toBe(lines.length - 1);
      expect(feed.stats().inSync).toBe(true);
      await exited;
      expect(out).toMatch(/capture sent: 19,999 messages to 1 connection/);
    } finally {
      child.kill();
    }
  }, 60_000);
});
