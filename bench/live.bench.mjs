// Live path speed: the bundled Binance futures capture from the replay server (a separate process,
// `strategy-lab replay-server --stamp`, on 127.0.0.1) into this process.
// - Messages/s at full speed: a bare WebSocket client (the server's ceiling on this machine), the
//   feed alone (parse, book sync, rows), and the feed with a paper session running a market maker.
//   Target >= 200k messages/s through feed, book and strategy. Best of LIVE_BENCH_REPEAT runs, with
//   the spread; the feed's share of the bare client's rate is the figure least disturbed by others.
// - Receive-to-strategy latency under a paced replay (LIVE_BENCH_SPEED x recorded pace, local receive
//   times): wall clock at each strategy callback minus the receive time of the row it sees, p50/p99.
//   The streamed engine takes a row once the next one has arrived (it needs the next row's time), so
//   this includes the wait for the next message; receive-to-book (frame read to rows laid out, the
//   book updated) is measured alongside. Target p99 < 1 ms.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import WebSocket from "ws";
import { machine, rssTracker, result, writeResults } from "./lib.mjs";
import * as lab from "../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const CAPTURE = join(here, "..", "data", "binance", "usdm_futures_btcusdt_20240808.gz");
const CLI = join(here, "..", "dist", "cli", "main.js");
const REPEAT = Number(process.env.LIVE_BENCH_REPEAT ?? 3);
const SPEED = Number(process.env.LIVE_BENCH_SPEED ?? 2);
const PACED_LINES = Number(process.env.LIVE_BENCH_PACED_LINES ?? 12_000);
const rss = rssTracker();
console.log(`live bench on ${machine().cpuModel}`);

/** A replay server in its own process; resolves with its URLs and a way to stop it. */
async function server(args) {
  const child = spawn(process.execPath, [CLI, "replay-server", CAPTURE, "--port", "0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d.toString()));
  while (!/snapshot: (\S+)/.test(out)) {
    if (child.exitCode !== null) throw new Error(`replay-server exited: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url: /stream: (\S+)/.exec(out)[1],
    snapshotUrl: /snapshot: (\S+)/.exec(out)[1],
    stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", resolve), child.kill()))),
  };
}

const ended = (feed) => new Promise((resolve) => (feed.ended ? resolve() : feed.onEnd(resolve)));

async function bare() {
  const s = await server(["--speed", "max", "--stamp"]);
  let n = 0, t0 = 0, t1 = 0;
  await new Promise((resolve) => {
    const ws = new WebSocket(s.url);
    ws.on("message", () => {
      if (n++ === 0) t0 = performance.now();
      t1 = performance.now();
    });
    ws.on("close", resolve);
  });
  await s.stop();
  return { messages: n, seconds: (t1 - t0) / 1000 };
}

async function feedOnly() {
  const s = await server(["--speed", "max", "--stamp"]);
  const feed = lab.live.binanceFeed({ url: s.url, receiveTime: "stamped" });
  let t0 = 0, t1 = 0, rows = 0;
  feed.onRows((r) => {
    rows += r.length;
    if (t0 === 0) t0 = performance.now();
    t1 = performance.now();
  });
  feed.start();
  await ended(feed);
  await s.stop();
  return { messages: feed.stats().messages, rows, seconds: (t1 - t0) / 1000 };
}

async function withStrategy() {
  const s = await server(["--speed", "max", "--stamp"]);
  const feed = lab.live.binanceFeed({ url: s.url, receiveTime: "stamped" });
  let t0 = 0;
  feed.onRows(() => {
    if (t0 === 0) t0 = performance.now();
  });
  const session = lab.live.paper(feed, lab.strategies.marketMaker({ requoteMs: 50 }), { latencyNs: 200_000, queue: "prob" });
  const run = await session.result;
  const seconds = (performance.now() - t0) / 1000;
  await s.stop();
  return { messages: feed.stats().messages, seconds, fills: run.fills.price.length };
}

function quantile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function paced() {
  const s = await server(["--speed", String(SPEED)]);
  const feed = lab.live.binanceFeed({ url: s.url, snapshotUrl: s.snapshotUrl });
  const toStrategy = [];
  const toBook = [];
  // Receive times of trade rows in order: the k-th onTrade is the k-th trade row (ctx.now() is not
  // the receive time: the engine raises a row's local time to its exchange time when the capture's
  // clock is behind the venue's, as this one is by 1.27 s).
  const tradeReceived = [];
  let taken = 0;
  const TRADE = lab.EventKind.Trade;
  feed.onRows((rows) => {
    const now = lab.live.wallNs();
    // The piece's last row was read last: frame read to book updated, for the freshest message.
    toBook.push(Number(now - rows.localTs[rows.length - 1]) / 1e6);
    for (let i = 0; i < rows.length; i++) if (rows.kind[i] === TRADE) tradeReceived.push(rows.localTs[i]);
  });
  const strategy = { onTrade: () => toStrategy.push(Number(lab.live.wallNs() - tradeReceived[taken++]) / 1e6) };
  const session = lab.live.paper(feed, strategy, { latencyNs: 200_000 });
  while (feed.stats().frames < PACED_LINES && !feed.ended) await new Promise((r) => setTimeout(r, 100));
  await session.stop();
  await feed.stop();
  await s.stop();
  toStrategy.sort((a, b) => a - b);
  toBook.sort((a, b) => a - b);
  return { toStrategy, toBook, frames: feed.stats().frames, trades: tradeReceived.length };
}

const results = [];
const rates = { bare: [], feed: [], strategy: [] };
for (let r = 0; r < REPEAT; r++) {
  const b = await bare();
  console.log(`  bare client: ${b.messages} messages in ${b.seconds.toFixed(2)} s`);
  const f = await feedOnly();
  console.log(`  feed: ${f.messages} messages in ${f.seconds.toFixed(2)} s`);
  const w = await withStrategy();
  rates.bare.push(b.messages / b.seconds);
  rates.feed.push(f.messages / f.seconds);
  rates.strategy.push(w.messages / w.seconds);
  console.log(`run ${r + 1}: bare client ${Math.round(b.messages / b.seconds)}/s, feed ${Math.round(f.messages / f.seconds)}/s (${f.rows} rows), feed+book+strategy ${Math.round(w.messages / w.seconds)}/s (${w.fills} fills)`);
}
const best = (xs) => Math.max(...xs);
const spread = (xs) => (Math.max(...xs) - Math.min(...xs)) / Math.max(...xs);
results.push(result("feed + book + strategy, full-speed replay", best(rates.strategy), "messages/s", "higher", 200_000));
results.push(result("feed + book (rows laid out), full-speed replay", best(rates.feed), "messages/s", "higher"));
results.push(result("bare WebSocket client (replay server's ceiling)", best(rates.bare), "messages/s", "higher"));
results.push(result("feed + book + strategy / bare client", best(rates.strategy) / best(rates.bare), "ratio", "higher"));
results.push(result("spread of feed + book + strategy runs", spread(rates.strategy), "fraction of best", "lower"));

const p = await paced();
console.log(`paced ${SPEED}x: ${p.frames} frames, ${p.trades} trade rows, ${p.toStrategy.length} onTrade callbacks`);
results.push(result(`receive-to-strategy p50 (paced ${SPEED}x, includes the wait for the next message; trades)`, quantile(p.toStrategy, 0.5), "ms", "lower"));
results.push(result(`receive-to-strategy p99 (paced ${SPEED}x, includes the wait for the next message; trades)`, quantile(p.toStrategy, 0.99), "ms", "lower", 1));
results.push(result(`receive-to-book p50 (paced ${SPEED}x)`, quantile(p.toBook, 0.5), "ms", "lower"));
results.push(result(`receive-to-book p99 (paced ${SPEED}x)`, quantile(p.toBook, 0.99), "ms", "lower", 1));
results.push(result("peak RSS", rss.peakBytes() / 2 ** 20, "MiB", "lower"));
rss.stop();
writeResults("live", results);
process.exit(0);
