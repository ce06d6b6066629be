// What the backtest's input check (option `check`, default "warn": src/engine/input-check.ts)
// costs: the same backtest with check "off" and "warn", in pairs run back to back in one process
// (off then warn, then warn then off, ...: a change in machine load falls on both), as the median
// over pairs of how much slower the run with the check was. Printed for context: the same from
// the best run of each kind, and the pass alone against the best run without it (the pass is the
// only work the check adds, and being short it is rarely disturbed by other processes).
// Used by bench/engine.bench.mjs; on its own it prints that entry:
//   node bench/input-check-cost.mjs        (ENGINE_BENCH_EVENTS rows, default 7,000,000)
import { fileURLToPath } from "node:url";
import * as lab from "../dist/index.js";
import { checkInput } from "../dist/engine/input-check.js";

function seconds(fn) {
  globalThis.gc?.();
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** `{ fraction, bestOffSeconds, bestWarnSeconds, passSeconds }` over `pairs` off/warn pairs. */
export function inputCheckCost(ticks, strategy, options, pairs = 5) {
  const off = [];
  const warn = [];
  const pass = [];
  for (let i = 0; i < pairs; i++) {
    for (const check of i % 2 === 0 ? ["off", "warn"] : ["warn", "off"]) {
      const s = seconds(() => lab.backtest(ticks, strategy, { ...options, check }));
      (check === "off" ? off : warn).push(s);
    }
    pass.push(seconds(() => checkInput([ticks], "warn")));
  }
  const bestOffSeconds = Math.min(...off);
  const bestWarnSeconds = Math.min(...warn);
  const passSeconds = Math.min(...pass);
  const ratios = off.map((s, i) => warn[i] / s - 1).sort((a, b) => a - b);
  const fraction = ratios.length % 2 === 1 ? ratios[ratios.length >> 1] : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
  const pct = (x) => `${(100 * x).toFixed(1)} %`;
  console.log(`input check: ${pct(fraction)} slower (median of ${pairs} pairs: ${ratios.map(pct).join(", ")}); best runs ${bestOffSeconds.toFixed(3)} s off, ${bestWarnSeconds.toFixed(3)} s warn (${pct(bestWarnSeconds / bestOffSeconds - 1)}); the pass alone ${(passSeconds * 1000).toFixed(1)} ms (${pct(passSeconds / bestOffSeconds)} of the best run)`);
  return { fraction, bestOffSeconds, bestWarnSeconds, passSeconds };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const events = Number(process.env.ENGINE_BENCH_EVENTS ?? 7_000_000);
  const ticks = lab.data.generateTicks({ events, seed: 1, mode: "l2" });
  const imbalance = lab.strategies.imbalance({ threshold: 0.3 });
  const options = { latencyNs: 50_000, queue: "riskAverse", seed: 1 };
  lab.backtest(lab.data.sliceBatch(ticks, 0, 300_000), imbalance, options);
  const cost = inputCheckCost(ticks, imbalance, options, Number(process.env.ENGINE_BENCH_CHECK_PAIRS ?? 7));
  console.log(JSON.stringify({ name: "input check cost", value: cost.fraction, unit: "ratio", better: "lower", target: 0.05 }));
}
