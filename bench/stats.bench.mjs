// Statistics throughput on one core: the metric registry and Sharpe inference over a long
// intraday return series, the stationary bootstrap, and PBO by CSCV over a typical sweep matrix.
import { machine, rssTracker, bestOf, result, writeResults } from "./lib.mjs";
import * as lab from "../dist/index.js";

const rss = rssTracker();
console.log(`stats bench on ${machine().cpuModel}`);
const random = lab.rng(1);
// One year of 1-minute returns on a 24/7 market.
const N = 525_600;
const returns = Float64Array.from({ length: N }, () => random.normal(0.00001, 0.001));

lab.stats.metricsReport(returns.subarray(0, 10_000), { periodsPerYear: N });
const metrics = await bestOf(3, () => lab.stats.metricsReport(returns, { periodsPerYear: N }));
const inference = await bestOf(3, () => lab.stats.sharpeInference(returns, { periodsPerYear: N, trials: { count: 500, sharpeVariance: 1e-5 } }));

// 1000 resamples of 10,000 returns = 10M resampled returns, each resample's Sharpe and drawdown.
const boot = await bestOf(3, () => lab.stats.bootstrap(returns.subarray(0, 10_000), { resamples: 1000, seed: 1, periodsPerYear: N }));

// 2,000 periods × 200 trials, S = 16: 12,870 combinations.
const T = 2000;
const TRIALS = 200;
const rows = Array.from({ length: T }, () => Float64Array.from({ length: TRIALS }, () => random.normal(0, 0.01)));
const pbo = await bestOf(2, () => lab.stats.probabilityOfOverfitting(rows, { partitions: 16 }));

rss.stop();
writeResults("stats", [
  result("metricsReport returns/s (525,600 one-minute returns, every registry metric)", N / metrics.seconds, "returns/s", "higher", 2_000_000),
  result("sharpeInference returns/s (PSR, DSR, MinTRL, SE)", N / inference.seconds, "returns/s", "higher"),
  result("stationary bootstrap resampled returns/s (1000 × 10,000)", (1000 * 10_000) / boot.seconds, "returns/s", "higher", 20_000_000),
  result("PBO by CSCV (2,000 periods × 200 trials, S = 16, 12,870 combinations)", pbo.seconds, "s", "lower", 2),
  result("peak RSS", rss.peakBytes() / 2 ** 20, "MiB", "lower", 512),
]);
