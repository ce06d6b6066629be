// Cross-engine fidelity: the compat "hftbacktest" run of the reference market maker on
// hftbacktest's own event file (491,973 rows), and on a 14-copy version (about 6.9M rows, copy k's
// timestamps shifted by k × 346 s), events/s including the run's set-up (the whole backtest() call,
// input check included); and the read time of the .npz. Each figure is the best of REPEAT runs
// after one warm-up (the first run, compiling, is reported apart). For scale: hftbacktest 1.8.4
// runs this day at about 1.5M events/s after about 19 s of JIT compilation on this machine.
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { machine, result, writeResults } from "./lib.mjs";
import * as lab from "../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const NPZ = join(here, "..", "..", "shared", "data", "reference", "hftbacktest-1.8.4", "btcusdt_20240808.npz");
const REPEAT = Number(process.env.FIDELITY_BENCH_REPEAT ?? 5);
const COPIES = 14;
const SHIFT_NS = 346_000_000_000n;
const spec = lab.instrument({ symbol: "BTCUSDT", venue: "BINANCE-FUTURES", tickSize: "0.1", lotSize: "0.001" });
const options = { compat: "hftbacktest", queue: "squareProb", latencyNs: 10_000_000, fees: { maker: -0.00005, taker: 0.0007 } };
const mm = lab.strategies.get("skewedMarketMaker")({});

function best(fn) {
  let wall = Infinity;
  let last;
  for (let i = 0; i < REPEAT; i++) {
    globalThis.gc?.();
    const t0 = process.hrtime.bigint();
    last = fn();
    wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { wall, value: last };
}

console.log(`fidelity bench on ${machine().cpuModel}`);
const t0 = process.hrtime.bigint();
const one = lab.data.readHftbacktest(NPZ, { instrument: spec });
const firstRead = Number(process.hrtime.bigint() - t0) / 1e9;
const read = best(() => lab.data.readHftbacktest(NPZ, { instrument: spec }));

// 14 copies, each shifted by k × 346 s (the day spans 345 s, so copies follow one another).
const n = one.length;
const cols = lab.data.allocateColumns(n * COPIES);
for (let k = 0; k < COPIES; k++) {
  const shift = BigInt(k) * SHIFT_NS;
  for (const name of lab.data.TICK_COLUMN_NAMES) {
    const src = one[name];
    const dst = cols[name];
    if (name === "exchTs" || name === "localTs") for (let i = 0; i < n; i++) dst[k * n + i] = src[i] + shift;
    else dst.set(src, k * n);
  }
}
const many = lab.data.tickBatch(cols, one.instruments, "hftbacktest x14");

let t = process.hrtime.bigint();
const firstRun = lab.backtest(one, mm, options);
const firstRunS = Number(process.hrtime.bigint() - t) / 1e9;
const runOne = best(() => lab.backtest(one, mm, options));
const runMany = best(() => lab.backtest(many, mm, options));
console.log(`reference: ${runOne.value.toString().split("\n")[0]}`);
console.log(`x14: ${many.length.toLocaleString()} rows, ${runMany.value.fills.ts.length} fills (reference ${firstRun.fills.ts.length} per copy)`);

writeResults("fidelity", [
  result("compat run events/s, reference events (491,973 rows, set-up included, best of runs)", Math.round(n / runOne.wall), "events/s", "higher", 5_000_000),
  result("compat run events/s, 14 copies (set-up included, best of runs)", Math.round(many.length / runMany.wall), "events/s", "higher", 5_000_000),
  result("compat run, first run in the process (compiling), reference events", Number(firstRunS.toFixed(3)), "s", "lower"),
  result("read .npz (hftbacktest 1.x, 491,973 rows), best of runs", Number(read.wall.toFixed(3)), "s", "lower"),
  result("read .npz, first read in the process", Number(firstRead.toFixed(3)), "s", "lower"),
]);
