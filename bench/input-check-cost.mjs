// What the backtest's input check (option `check`, default "warn": src/engine/input-check.ts)
// costs. The same backtest runs with check "off" and "warn" in pairs, back to back in one process
// (off then warn, then warn then off, ...), and the pass alone after each pair. The figure
// (`fraction`) is the best pass against the best run without the check: the pass is the only work
// "warn" adds, before the run and apart from it, and being short it is rarely disturbed. The
// slowdown of the run pairs themselves (`pairedFraction`, the median over pairs) measures the same
// thing directly, but run times on a shared machine vary by more than the check costs: on the
// 2-core development VM with other jobs running, pairs ranged from 40 % faster to 42 % slower.
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

/** `{ fraction, pairedFraction, bestOffSeconds, bestWarnSeconds, passSeconds }` over `pairs` off/warn pairs. */
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
  const pairedFraction = ratios.length % 2 === 1 ? ratios[ratios.length >> 1] : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
  const fraction = passSeconds / bestOffSeconds;
  const pct = (x) => `${(100 * x).toFixed(1)} %`;
  console.log(`input check: the pass ${(passSeconds * 1000).toFixed(1)} ms, ${pct(fraction)} of the best run without it (${bestOffSeconds.toFixed(3)} s); runs with it ${pct(pairedFraction)} slower (median of ${pairs} pairs: ${ratios.map(pct).join(", ")}; best runs ${bestOffSeconds.toFixed(3)} s off, ${bestWarnSeconds.toFixed(3)} s warn)`);
  return { fraction, pairedFraction, bestOffSeconds, bestWarnSeconds, passSeconds };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const events = Number(process.env.ENGINE_BENCH_EVENTS ?? 7_000_000);
  const ticks = lab.data.generateTicks({ events, seed: 1, mode: "l2" });
  const imbalance = lab.strategies.imbalance({ threshold: 0.3, size: 1, maxPosition: 5 });
  const options = { latencyNs: 50_000, queue: "riskAverse", seed: 1 };
  lab.backtest(lab.data.sliceBatch(ticks, 0, 300_000), imbalance, options);
  const cost = inputCheckCost(ticks, imbalance, options, Number(process.env.ENGINE_BENCH_CHECK_PAIRS ?? 7));
  console.log(JSON.stringify({ name: "input check cost", value: cost.fraction, unit: "ratio", better: "lower", target: 0.05 }));
  console.log(JSON.stringify({ name: "input check cost, paired runs (median slowdown)", value: cost.pairedFraction, unit: "ratio", better: "lower" }));
}
