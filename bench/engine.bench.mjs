// Full backtest throughput: generated L2 feed (7,000,000 rows) -> exchange book + local book +
// OrderBookImbalance + simulated exchange + portfolio, single core. Generation is not timed.
// Also a MarketMaker run (resting orders: queue model on every row) for comparison.
import { machine, rssTracker, bestOf, result, writeResults } from "./lib.mjs";
import * as lab from "../dist/index.js";

const EVENTS = Number(process.env.ENGINE_BENCH_EVENTS ?? 7_000_000);
const rss = rssTracker();
console.log(`engine bench on ${machine().cpuModel}: generating ${EVENTS.toLocaleString()} L2 events`);
const t0 = performance.now();
const ticks = lab.data.generateTicks({ events: EVENTS, seed: 1, mode: "l2" });
console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const imbalance = lab.strategies.imbalance({ threshold: 0.3, cooldownMs: 10 });
const options = { latencyNs: 50_000, queue: "riskAverse", seed: 1 };
// Warm-up on a slice so the timed run measures steady-state code.
lab.backtest(lab.data.sliceBatch(ticks, 0, 200_000), imbalance, options);
const obi = await bestOf(2, () => lab.backtest(ticks, imbalance, options));
const obiRate = EVENTS / obi.seconds;
console.log(String(obi.value));

const maker = lab.strategies.marketMaker({ requoteMs: 50 });
const mm = await bestOf(1, () => lab.backtest(ticks, maker, { ...options, queue: "prob" }));
const mmRate = EVENTS / mm.seconds;
console.log(String(mm.value));

rss.stop();
writeResults("engine", [
  result("backtest events/s (OrderBookImbalance, L2, riskAverse, 7M events)", obiRate, "events/s", "higher", 5_000_000),
  result("backtest events/s (MarketMaker, L2, prob queue, 7M events)", mmRate, "events/s", "higher"),
  result("fills (OrderBookImbalance run)", obi.value.fills.ts.length, "fills", "higher"),
  result("peak RSS (data + both runs)", rss.peakBytes() / 2 ** 20, "MiB", "lower", 1024),
]);
