// What the backtest's input check (option `check`, default "warn": src/engine/input-check.ts)
// adds to a run. In "warn" the pass runs chunk by chunk just ahead of the engine's loop. The same
// backtest runs with check "off" and "warn" in pairs, back to back in one process (off then warn,
// then warn then off, ...), each on a fresh batch object over the same columns (a batch checked
// once is not checked again, so reusing one object would measure nothing).
// - `fraction` (the figure with the target): the time the "warn" run spent in the check, timed
//   inside the run (`lastInputCheckMs`, the scans before each chunk of the loop), against the best
//   "off" run; the best of the pairs. Whole-run comparisons cannot resolve it on a shared machine:
//   single runs vary by more than the check costs (on the 2-core development VM with other jobs
//   running, pairs ranged from 25 % faster to 30 % slower with the check).
// - `pairedFraction`: the median whole-run slowdown over the pairs, for reference.
// - `passFraction`: the pass alone, as one separate pass over every row ("strict" pays this before
//   its run), against the same best run.
// Used by bench/engine.bench.mjs; on its own it prints those entries:
//   node bench/input-check-cost.mjs        (ENGINE_BENCH_EVENTS rows, default 7,000,000)
import { fileURLToPath } from "node:url";
import * as lab from "../dist/index.js";
import { lastInputCheckMs, scanInputUncached } from "../dist/engine/input-check.js";

function seconds(fn) {
  globalThis.gc?.();
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** `{ fraction, pairedFraction, passFraction, bestOffSeconds, bestWarnSeconds, passSeconds, checkSeconds }` over `pairs` off/warn pairs. */
export function inputCheckCost(ticks, strategy, options, pairs = 5) {
  const off = [];
  const warn = [];
  const pass = [];
  const inRun = [];
  for (let i = 0; i < pairs; i++) {
    for (const check of i % 2 === 0 ? ["off", "warn"] : ["warn", "off"]) {
      const batch = lab.data.sliceBatch(ticks, 0);
      const s = seconds(() => lab.backtest(batch, strategy, { ...options, check }));
      (check === "off" ? off : warn).push(s);
      if (check === "warn") inRun.push(lastInputCheckMs() / 1000);
    }
    pass.push(seconds(() => scanInputUncached(ticks)));
  }
  const bestOffSeconds = Math.min(...off);
  const bestWarnSeconds = Math.min(...warn);
  const passSeconds = Math.min(...pass);
  const ratios = off.map((s, i) => warn[i] / s - 1).sort((a, b) => a - b);
  const pairedFraction = ratios.length % 2 === 1 ? ratios[ratios.length >> 1] : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
  const checkSeconds = Math.min(...inRun);
  const fraction = checkSeconds / bestOffSeconds;
  const passFraction = passSeconds / bestOffSeconds;
  const pct = (x) => `${(100 * x).toFixed(1)} %`;
  console.log(`input check: ${(checkSeconds * 1000).toFixed(1)} ms inside the run, ${pct(fraction)} of the best run without it (${bestOffSeconds.toFixed(3)} s); whole runs: median of ${pairs} pairs ${pct(pairedFraction)} slower (${ratios.map(pct).join(", ")}; best ${bestWarnSeconds.toFixed(3)} s warn); as a separate pass ${(passSeconds * 1000).toFixed(1)} ms, ${pct(passFraction)}`);
  return { fraction, pairedFraction, passFraction, bestOffSeconds, bestWarnSeconds, passSeconds, checkSeconds };
}

/** The bench entries for a cost measured by `inputCheckCost`. */
export function inputCheckEntries(cost) {
  return [
    { name: "input check cost", value: cost.fraction, unit: "ratio", better: "lower", target: 0.05 },
    { name: "input check cost, paired runs (median slowdown)", value: cost.pairedFraction, unit: "ratio", better: "lower" },
    { name: "input check as a separate pass (strict)", value: cost.passFraction, unit: "ratio", better: "lower" },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const events = Number(process.env.ENGINE_BENCH_EVENTS ?? 7_000_000);
  const ticks = lab.data.generateTicks({ events, seed: 1, mode: "l2" });
  const imbalance = lab.strategies.imbalance({ threshold: 0.3, size: 1, maxPosition: 5 });
  const options = { latencyNs: 50_000, queue: "riskAverse", seed: 1 };
  lab.backtest(lab.data.sliceBatch(ticks, 0, 300_000), imbalance, options);
  const cost = inputCheckCost(ticks, imbalance, options, Number(process.env.ENGINE_BENCH_CHECK_PAIRS ?? 7));
  for (const entry of inputCheckEntries(cost)) console.log(JSON.stringify(entry));
}
