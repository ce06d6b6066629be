// Order-book replay speed, single core. Generation is not timed.
// - L2 replay: 7,000,000 generated L2 events through L2Book.apply, reading best bid/ask and their
//   sizes after every event (top-of-book tracking, as a strategy loop does). Target 20e6 events/s.
// - Per-call cost of bestBid()+bestAsk() and imbalance(5) on a populated book.
// - L3 replay: 7,000,000 generated L3 events through L3Book.apply with the same top-of-book reads.
//   Target 10e6 events/s.
import { machine, rssTracker, bestOf, result, writeResults } from "./lib.mjs";
import * as lab from "../dist/index.js";

const EVENTS = Number(process.env.BOOK_BENCH_EVENTS ?? 7_000_000);
const rss = rssTracker();
console.log(`book bench on ${machine().cpuModel}: ${EVENTS.toLocaleString()} events per replay`);

function replayL2(batch) {
  const book = new lab.book.L2Book();
  let touch = 0;
  for (let i = 0; i < batch.length; i++) {
    book.apply(batch, i);
    touch += book.bestBid() - book.bestAsk() + book.bestBidQty() - book.bestAskQty();
  }
  return { book, touch };
}

function replayL3(batch, L3Book) {
  const book = new L3Book();
  let touch = 0;
  for (let i = 0; i < batch.length; i++) {
    book.apply(batch, i);
    touch += book.bestBid() - book.bestAsk() + book.bestBidQty() - book.bestAskQty();
  }
  return { book, touch };
}

let t0 = performance.now();
const l2 = lab.data.generateTicks({ events: EVENTS, seed: 1, mode: "l2" });
console.log(`generated L2 in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
replayL2(lab.data.sliceBatch(l2, 0, 300_000)); // warm-up
const l2Run = await bestOf(3, () => replayL2(l2));
const l2Rate = EVENTS / l2Run.seconds;
if (!Number.isFinite(l2Run.value.touch)) console.log("note: the touch sum went non-finite (an empty side in the stream)");

// Per-call costs on the final book (both sides populated).
const book = l2Run.value.book;
const CALLS = 20_000_000;
let sink = 0;
const touchCall = await bestOf(3, () => {
  let s = 0;
  for (let k = 0; k < CALLS; k++) s += book.bestBid() + book.bestAsk();
  sink += s;
});
const IMB_CALLS = 2_000_000;
const imbalanceCall = await bestOf(3, () => {
  let s = 0;
  for (let k = 0; k < IMB_CALLS; k++) s += book.imbalance(5);
  sink += s;
});
if (sink === 42) console.log("unlikely");

const results = [
  result("L2 replay events/s (7M generated events, top-of-book read after each)", l2Rate, "events/s", "higher", 20_000_000),
  result("bestBid()+bestAsk() per call", (touchCall.seconds / CALLS) * 1e9, "ns", "lower"),
  result("imbalance(5) per call", (imbalanceCall.seconds / IMB_CALLS) * 1e9, "ns", "lower"),
];

const L3Book = lab.book.L3Book;
if (typeof L3Book === "function") {
  t0 = performance.now();
  const l3 = lab.data.generateTicks({ events: EVENTS, seed: 1, mode: "l3" });
  console.log(`generated L3 in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  replayL3(lab.data.sliceBatch(l3, 0, 300_000), L3Book);
  const l3Run = await bestOf(3, () => replayL3(l3, L3Book));
  results.push(result("L3 replay events/s (7M generated events, top-of-book read after each)", EVENTS / l3Run.seconds, "events/s", "higher", 10_000_000));
}

rss.stop();
results.push(result("peak RSS", rss.peakBytes() / 2 ** 20, "MiB", "lower"));
writeResults("book", results);
