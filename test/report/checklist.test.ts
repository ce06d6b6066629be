/**
 * The research checklist and complexity score. Ground truth is computed here: the run's grid PnL
 * from its own equity samples, the input check's counts against the data layer's validate(), the
 * Sharpe moments, minimum track record and DSR inputs by hand, PBO of a sweep whose ranking is the
 * same in every block (0), and the neighbours of the chosen grid point read off the trials.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as lab from "../../src/index.js";
import type { BacktestResult, OptimizationResult } from "../../src/index.js";
import type { TrialEvaluator } from "../../src/optimize/index.js";
import { CLI, ROOT } from "../helpers/paths.js";

const ZIP = join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip");
const OPTIONS = { latencyNs: 100_000, equityIntervalNs: 10_000_000_000, initialCash: 1_000_000 };

const mean = (x: ArrayLike<number>): number => Array.from(x).reduce((a, b) => a + b, 0) / x.length;
function sharpe(x: ArrayLike<number>): number {
  const m = mean(x);
  return m / Math.sqrt(Array.from(x).reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1));
}
/** Skewness and raw kurtosis with population moments. */
function moments(x: ArrayLike<number>): { skew: number; kurt: number } {
  const m = mean(x);
  const c = (p: number): number => Array.from(x).reduce((a, b) => a + (b - m) ** p, 0) / x.length;
  return { skew: c(3) / c(2) ** 1.5, kurt: c(4) / c(2) ** 2 };
}
const Z95 = 1.6448536269514722;

describe("research checklist of a plain in-sample backtest", () => {
  let data: lab.TickBatch;
  let run: BacktestResult;

  beforeAll(() => {
    data = lab.data.readLobster({ messages: ZIP }).batch;
    run = lab.backtest(data, lab.strategies.marketMaker({ minHalfSpreadTicks: 2 }), OPTIONS);
  }, 120_000);

  it("rates every item with the run's figures; out-of-sample is a warning", () => {
    const c = run.checklist();
    expect(c.subject).toBe("backtest");
    expect(c.items.map((i) => i.id)).toEqual(["data-validated", "fees-latency", "queue-model", "out-of-sample", "trials-dsr", "pbo", "track-record", "trades-per-parameter", "complexity"]);
    const status = Object.fromEntries(c.items.map((i) => [i.id, i.status]));
    expect(status).toEqual({ "data-validated": "warn", "fees-latency": "fail", "queue-model": "pass", "out-of-sample": "warn", "trials-dsr": "warn", pbo: "warn", "track-record": "fail", "trades-per-parameter": "warn", complexity: "warn" });
    expect(c.counts).toEqual({ pass: 1, warn: 6, fail: 2 });
    expect(c.status).toBe("fail");
    expect(c.item("out-of-sample")!.fix).toBe('lab.optimize({ data, strategy, space, walkForward: "rolling:windows=4" })');

    // Data: the data layer's own validation finds the same duplicates the run's input check counted.
    const q = lab.data.validate(data, { onReject: "report" });
    const dup = q.issues.find((i) => i.class === "duplicate")!.count;
    expect(dup).toBe(34);
    const dv = c.item("data-validated")!;
    expect(dv.figures).toMatchObject({ rowsChecked: data.length, issues: dup, "issues.duplicate": dup });
    expect(dv.reason).toBe(`${dup} issues in ${data.length.toLocaleString("en-US")} rows: duplicate ${dup}`);

    // Fees: the LOBSTER instrument charges none; latency is 100 µs each way.
    expect(data.instruments[0]!.makerFee).toBe(0);
    expect(c.item("fees-latency")!.figures).toMatchObject({ latency: "constant(100000, 100000)", fees: "instrument", feesPaid: 0 });
    expect(c.item("fees-latency")!.reason).toMatch(/^no fees are charged/);
    expect(c.item("queue-model")!.figures).toEqual({ book: "l3", queue: "l3Fifo" });

    // The grid PnL, from the engine's regular equity samples (fill index −1).
    const fill = run.equitySampleFill;
    const grid = Array.from(run.equity.equity).filter((_, j) => fill[j] === -1);
    const d = Float64Array.from(grid.slice(1), (v, k) => v - grid[k]!);
    const sr = sharpe(d);
    expect(sr).toBeLessThan(0);
    const tr = c.item("track-record")!;
    expect(tr.figures.periods).toBe(d.length);
    expect(tr.figures.sharpePerPeriod as number).toBeCloseTo(sr, 12);
    expect(tr.figures.minTrackRecordLength).toBe(Infinity);
    expect(c.item("trials-dsr")!.figures).toEqual({ probabilisticSharpe: lab.stats.probabilisticSharpe(d), periods: d.length });

    // Trades per parameter: fills over the strategy's 9 parameters.
    const params = Object.keys(run.summary.params).length;
    expect(params).toBe(9);
    const fills = run.fills.ts.length;
    expect(c.item("trades-per-parameter")!.figures).toEqual({ trades: fills, freeParameters: 9, tradesPerParameter: fills / 9 });
    expect(fills / 9).toBeGreaterThanOrEqual(10);
    expect(fills / 9).toBeLessThan(30);
    expect(c.complexity).toMatchObject({ freeParameters: 9, combinations: 1, trades: fills, periods: d.length, status: "warn" });
    expect(c.complexity.warnings).toEqual([`${(fills / 9).toFixed(1)} trades per free parameter (< 30)`, "9 free parameters (> 4): every one added multiplies the ways to fit noise"]);
  });

  it("fees and latency on pass; the trial count given computes the DSR by hand", () => {
    const withFees = lab.backtest(data, lab.strategies.marketMaker({ minHalfSpreadTicks: 2 }), { ...OPTIONS, fees: { maker: -0.0002, taker: 0.0003 } });
    const c = withFees.checklist({ trials: { count: 20, sharpeVariance: 0.0004 } });
    expect(c.item("fees-latency")!.status).toBe("pass");
    expect(c.item("fees-latency")!.figures.feesPaid).toBe(withFees.summary.fees);
    const d = lab.report.runChanges(withFees);
    // SR₀ = √V·((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))), then PSR(SR₀).
    const sr0 = lab.stats.expectedMaxSharpe(20, 0.0004);
    const g = 0.5772156649015329;
    expect(sr0).toBeCloseTo(Math.sqrt(0.0004) * ((1 - g) * lab.stats.normalInv(1 - 1 / 20) + g * lab.stats.normalInv(1 - 1 / (20 * Math.E))), 12);
    const sr = sharpe(d);
    const { skew, kurt } = moments(d);
    const dsr = lab.stats.normalCdf(((sr - sr0) * Math.sqrt(d.length - 1)) / Math.sqrt(1 - skew * sr + ((kurt - 1) / 4) * sr * sr));
    const item = c.item("trials-dsr")!;
    expect(item.figures.trials).toBe(20);
    expect(item.figures.deflatedSharpe as number).toBeCloseTo(dsr, 10);
    expect(item.status).toBe(dsr >= 0.95 ? "pass" : "warn");
    expect(c.complexity.combinations).toBe(20);
    // One DSR: the tear sheet's, for the same run and trials.
    const sheet = withFees.report({ trials: { count: 20, sharpeVariance: 0.0004 }, bootstrap: { resamples: 20 } });
    expect(Array.from(sheet.changes)).toEqual(Array.from(d));
    expect(sheet.inference.values.deflatedSharpe).toBe(item.figures.deflatedSharpe);
  });

  it("shows itself in a notebook, prints as text, and is a section of run.report()", () => {
    const c = run.checklist();
    const bundle = lab.report.richDisplay(c)!;
    expect(bundle["text/plain"]).toBe(c.toString());
    expect(bundle["text/html"]).toContain("Research checklist");
    expect(c.toString().split("\n")[0]).toBe("research checklist (backtest): 1 pass, 6 warn, 2 fail");
    const json = JSON.parse(JSON.stringify(c)) as { items: { id: string; status: string }[]; counts: unknown };
    expect(json.items).toHaveLength(9);
    expect(json.counts).toEqual({ pass: 1, warn: 6, fail: 2 });
    const sheet = run.report({ bootstrap: { resamples: 20 } });
    expect(sheet.html({ inlinePlotly: false })).toContain("Research checklist");
    expect((sheet.toJSON().checklist as { counts: unknown }).counts).toEqual({ pass: 1, warn: 6, fail: 2 });
  });
});

describe("a sweep run by lab.optimize remembers its data and backtest options", () => {
  it("sweep.checklist() and sweep.report() read them", async () => {
    const data = lab.data.readLobster({ messages: ZIP }).batch;
    const sweep = await lab.optimize({ data, strategy: "marketMaker", space: { minHalfSpreadTicks: lab.range(1, 3, 1) }, backtest: OPTIONS, workers: 0 });
    const c = sweep.checklist();
    expect(c.item("data-validated")!.figures).toMatchObject({ rowsChecked: data.length, issues: 34, "issues.duplicate": 34 });
    expect(c.item("fees-latency")!.figures).toEqual({ latency: "constant(100000, 100000)", fees: "instrument" });
    expect(c.item("queue-model")!.figures).toEqual({ book: "l3", queue: "l3Fifo", orderByOrderData: true });
    expect(c.item("out-of-sample")!.status).toBe("fail");
    // Trades: the chosen trial's fills; sensitivity: its grid neighbours' objectives.
    const best = sweep.best!;
    expect(c.complexity).toMatchObject({ freeParameters: 1, combinations: 3, trades: best.metrics.trades });
    const at = best.params.minHalfSpreadTicks as number;
    const near = sweep.trials.filter((t) => Math.abs((t.params.minHalfSpreadTicks as number) - at) === 1 && Number.isFinite(t.objective));
    const change = Math.max(...near.map((t) => Math.abs(t.objective - best.objective)));
    expect(c.complexity.sensitivity).toEqual([{ parameter: "minHalfSpreadTicks", neighbours: near.length, maxChange: change, maxRelativeChange: Math.abs(best.objective) > 0 ? change / Math.abs(best.objective) : NaN }]);
    const sheet = sweep.report({ bootstrap: { resamples: 20 } });
    expect(JSON.parse(JSON.stringify(sheet.toJSON().checklist))).toEqual(JSON.parse(JSON.stringify(c)));
  }, 120_000);
});

describe("research checklist of a walk-forward sweep", () => {
  // Every trial's return is a common noise term plus a drift of a/10: a higher a wins in every
  // block, so PBO is 0, and the best trial's Sharpe ratio is far above what 15 unskilled trials give.
  const noise = (row: number): number => Math.sin(row * 1.7) + 0.5 * Math.cos(row * 0.37);
  const evaluator: TrialEvaluator = (p, _data, range) => {
    const a = Number(p.a);
    const n = Math.floor((range.end - range.start) / 10);
    const r = Float64Array.from({ length: n }, (_, k) => a / 10 + noise(range.start + 10 * k));
    return { metrics: { total: r.reduce((x, y) => x + y, 0), trades: 200 }, periodReturns: r, events: range.end - range.start };
  };
  let sweep: OptimizationResult;

  beforeAll(async () => {
    const data = lab.data.generateTicks({ events: 6_000, seed: 5, mode: "l2" });
    sweep = await lab.optimize({ data, evaluator, space: { a: lab.range(1, 5, 1) }, objective: "total", walkForward: "rolling:windows=3", workers: 0 });
  }, 60_000);

  it("out-of-sample, DSR and PBO pass, with the figures computed here", () => {
    const c = sweep.checklist();
    expect(c.subject).toBe("optimization");
    expect(sweep.trialCount).toBe(15);
    const oos = c.item("out-of-sample")!;
    expect(oos.status).toBe("pass");
    expect(oos.figures).toMatchObject({ walkForwardWindows: 3, evaluatedWindows: 3 });

    // Stitched out-of-sample returns, by hand: every window's chosen a is 5.
    const parts = sweep.windows.map((w) => {
      expect(w.best!.params.a).toBe(5);
      const r = w.outOfSample!;
      return Array.from({ length: Math.floor((r.end - r.start) / 10) }, (_, k) => 0.5 + noise(r.start + 10 * k));
    });
    const stitched = parts.flat();
    expect(oos.figures.oosPeriods).toBe(stitched.length);

    // Sharpe variance across the last window's 5 trials (sample variance of per-period Sharpe ratios).
    const last = sweep.windows[2]!.inSample;
    const rows = [1, 2, 3, 4, 5].map((a) => Array.from({ length: Math.floor((last.end - last.start) / 10) }, (_, k) => a / 10 + noise(last.start + 10 * k)));
    const s = rows.map(sharpe);
    const sm = mean(s);
    const v = s.reduce((x, y) => x + (y - sm) ** 2, 0) / (s.length - 1);
    const dsrItem = c.item("trials-dsr")!;
    expect(dsrItem.status).toBe("pass");
    expect(dsrItem.figures.trials).toBe(15);
    expect(dsrItem.figures.sharpeVariance as number).toBeCloseTo(v, 12);
    expect(dsrItem.figures.sharpePerPeriod as number).toBeCloseTo(sharpe(stitched), 12);
    expect(dsrItem.figures.deflatedSharpe as number).toBeGreaterThanOrEqual(0.95);

    const pbo = c.item("pbo")!;
    expect(pbo.status).toBe("pass");
    expect(pbo.figures.pbo).toBe(0);
    expect(pbo.figures.trials).toBe(5);

    // Minimum track record: 1 + (1 − γ₃·SR + (γ₄ − 1)/4·SR²)·(z/SR)².
    const sr = sharpe(stitched);
    const { skew, kurt } = moments(stitched);
    const minTrl = 1 + (1 - skew * sr + ((kurt - 1) / 4) * sr * sr) * (Z95 / sr) ** 2;
    const tr = c.item("track-record")!;
    expect(tr.figures.minTrackRecordLength as number).toBeCloseTo(minTrl, 6);
    expect(tr.status).toBe(stitched.length >= minTrl ? "pass" : "warn");

    // A custom evaluator: the engine's settings are unknown.
    expect(c.item("fees-latency")!.status).toBe("warn");
    expect(c.item("trades-per-parameter")!.figures).toEqual({ trades: 200, freeParameters: 1, tradesPerParameter: 200 });
  });
});

describe("complexity score of an over-parameterized sweep", () => {
  // Five parameters, 48 combinations, 20 trades: the objective rewards e = 3 with a cliff.
  const evaluator: TrialEvaluator = (p) => {
    const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((k) => Number(p[k]));
    const score = a! + b! + c! + d! + (e === 3 ? 30 : 0) + e!;
    return { metrics: { score, trades: 20 }, periodReturns: Float64Array.from([1, 2, 3, 4, 5, 6], (k) => score / 10 + Math.sin(k * (a! + e!))), events: 0 };
  };
  let sweep: OptimizationResult;

  beforeAll(async () => {
    const data = lab.data.generateTicks({ events: 500, seed: 2, mode: "l2" });
    sweep = await lab.optimize({ data, evaluator, space: { a: [1, 2], b: [1, 2], c: [1, 2], d: [1, 2], e: [1, 2, 3] }, objective: "score", workers: 0 });
  }, 60_000);

  it("counts free parameters, combinations and trades per parameter, measures the cliff, and warns", () => {
    const c = sweep.checklist();
    const cx = c.complexity;
    expect(sweep.trialCount).toBe(48);
    // The chosen point: a = b = c = d = 2, e = 3 → 8 + 30 + 3 = 41.
    expect(sweep.best!.params).toEqual({ a: 2, b: 2, c: 2, d: 2, e: 3 });
    expect(sweep.best!.objective).toBe(41);
    expect(cx).toMatchObject({ freeParameters: 5, combinations: 48, trades: 20, tradesPerParameter: 4, status: "fail" });
    // Neighbours: a → 1 loses 1 (1/41); e → 2 loses 30 + 1 = 31 (31/41).
    const byName = Object.fromEntries(cx.sensitivity.map((s) => [s.parameter, s]));
    expect(byName.a).toEqual({ parameter: "a", neighbours: 1, maxChange: 1, maxRelativeChange: 1 / 41 });
    expect(byName.e).toEqual({ parameter: "e", neighbours: 1, maxChange: 31, maxRelativeChange: 31 / 41 });
    expect(cx.maxRelativeChange).toBe(31 / 41);
    expect(cx.warnings).toEqual([
      "4.0 trades per free parameter (< 30)",
      "5 free parameters (> 4): every one added multiplies the ways to fit noise",
      "48 combinations searched for 20 trades: more parameter sets than observations",
      "e: the objective changes by 76% one grid step away (> 50%): a sharp peak",
    ]);
    expect(c.item("trades-per-parameter")!.status).toBe("fail");
    expect(c.item("complexity")!.status).toBe("fail");
    expect(c.item("out-of-sample")!.status).toBe("fail");
  });
});

describe("the CLI carries the checklist", () => {
  function cli(...args: string[]) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, input: "" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it("strategy-lab backtest --json has the run's checklist; the text output a short block", () => {
    const args = ["backtest", "--strategy", "imbalance", "--data", "generated", "--events", "30000", "--seed", "3", "--params", '{"threshold":0.4}', "--latency", "50us", "--queue", "prob"];
    const r = cli(...args, "--json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { checklist: lab.report.ChecklistJson; summary: { trades: number } };
    const direct = lab.backtest(lab.data.generateTicks({ events: 30_000, seed: 3, mode: "l2" }), lab.strategies.imbalance({ threshold: 0.4 }), { latencyNs: 50_000, queue: "prob", seed: 3 });
    const expected = JSON.parse(JSON.stringify(direct.checklist())) as lab.report.ChecklistJson;
    expect(out.checklist).toEqual(expected);
    expect(out.checklist.items.find((i) => i.id === "queue-model")!.figures).toEqual({ book: "l2", queue: "prob(n=3)" });
    expect(out.checklist.items.find((i) => i.id === "trades-per-parameter")!.figures.trades).toBe(out.summary.trades);
    const text = cli(...args);
    expect(text.stdout).toContain(`checklist: ${expected.counts.pass} pass, ${expected.counts.warn} warn, ${expected.counts.fail} fail`);
    expect(text.stdout).toContain('warn out-of-sample evaluated → lab.optimize({ data, strategy, space, walkForward: "rolling:windows=4" })');
  });

  it("strategy-lab optimize --json has the sweep's checklist", () => {
    const r = cli("optimize", "--strategy", "imbalance", "--data", "generated", "--events", "20000", "--space", '{"threshold":[0.3,0.5]}', "--latency", "50us", "--workers", "0", "--json");
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { checklist: lab.report.ChecklistJson; trialCount?: number; overfitting: { trialCount: number; pbo: number } };
    const c = out.checklist;
    expect(c.subject).toBe("optimization");
    expect(c.complexity).toMatchObject({ freeParameters: 1, combinations: 2 });
    expect(c.items.find((i) => i.id === "out-of-sample")!.status).toBe("fail");
    expect(c.items.find((i) => i.id === "fees-latency")!.figures.latency).toBe("constant(50000, 50000)");
    const pbo = c.items.find((i) => i.id === "pbo")!.figures.pbo;
    expect(pbo === null ? NaN : pbo).toEqual(out.overfitting.pbo === null ? NaN : out.overfitting.pbo);
  });
});
