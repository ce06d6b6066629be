/**
 * From a run to its report in one call: `run.report()`, `lab.show.tearSheet(run)`, the results
 * file adapter `strategy-lab report` uses, and an optimization's chosen trial with the sweep's
 * trial count and Sharpe variance for the DSR. Figures are checked against the run's summary and
 * against values recomputed here.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import * as lab from "../../src/index.js";
import type { BacktestResult, OptimizationResult } from "../../src/index.js";
import { ROOT } from "../helpers/paths.js";

const ZIP = join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip");
const OPTIONS = { latencyNs: 100_000, equityIntervalNs: 10_000_000_000, initialCash: 1_000_000 };

describe("run.report() and lab.show.tearSheet(run)", () => {
  let data: lab.TickBatch;
  let run: BacktestResult;
  let sweep: OptimizationResult;

  beforeAll(async () => {
    data = lab.data.readLobster({ messages: ZIP }).batch;
    run = lab.backtest(data, lab.strategies.marketMaker({ minHalfSpreadTicks: 2 }), OPTIONS);
    sweep = await lab.optimize({ data, strategy: "marketMaker", space: { minHalfSpreadTicks: lab.range(1, 3, 1) }, backtest: OPTIONS, workers: 0 });
  }, 120_000);

  it("reports the summary's figures, the convention and the run's settings", () => {
    const sheet = run.report({ bootstrap: { resamples: 50 } });
    const s = run.summary;
    expect(sheet.title).toBe("marketMaker(gamma=0.1, kappa=5, horizonSec=0.1, minHalfSpreadTicks=2, size=0, orderNotional=1000, maxPosition=0, requoteMs=50, volHalfLifeSec=10) on GOOG");
    expect(sheet.metrics.values.sharpe).toBe(s.sharpe);
    expect(sheet.perPeriod.sharpePerDay).toBe(s.sharpePerDay);
    expect(sheet.convention).toBe(s.sharpeConvention);
    expect(sheet.intervalNs).toBe(OPTIONS.equityIntervalNs);
    expect(sheet.calendar.name).toBe("NASDAQ");
    // The grid's total return, from the engine's own grid samples (fill index −1).
    const fill = run.equitySampleFill;
    const grid = Array.from(run.equity.equity).filter((_, j) => fill[j] === -1);
    expect(sheet.returns.reduce((w, r) => w * (1 + r), 1) - 1).toBeCloseTo(grid[grid.length - 1]! / grid[0]! - 1, 12);
    expect(sheet.trades!.summary.fills).toBe(s.trades);
    expect(sheet.input.orders).toBe(s.orders);
    expect(sheet.input.notes![0]).toContain("latency constant(100000, 100000)");
    // Without trials: the PSR, recomputed from the grid PnL by hand.
    const d = Float64Array.from(grid.slice(1), (v, k) => v - grid[k]!);
    expect(sheet.inference.values.probabilisticSharpe).toBe(lab.stats.probabilisticSharpe(d));
    expect(sheet.verdict.headline).toMatch(/^Probabilistic Sharpe /);
  });

  it("the results file (run.toJSON(), what `strategy-lab report` reads) gives the same sheet", () => {
    const json = JSON.parse(JSON.stringify(run.toJSON())) as lab.report.BacktestJsonLike;
    const fromFile = lab.report.tearSheet(lab.report.jsonSheetInput(json, { bootstrap: { resamples: 50 } }));
    const inMemory = run.report({ bootstrap: { resamples: 50 } });
    expect(fromFile.metrics.values.sharpe).toBe(run.summary.sharpe);
    expect(fromFile.convention).toBe(inMemory.convention);
    expect(fromFile.title).toBe(inMemory.title);
    expect(Array.from(fromFile.changes)).toEqual(Array.from(inMemory.changes));
    expect(fromFile.inference.values).toEqual(inMemory.inference.values);
  });

  it("lab.show.tearSheet(run) displays the run's sheet; lab.show.backtest(run) shows the PSR next to the Sharpe ratio", () => {
    const shown: string[] = [];
    const restore = lab.report.setFallbackWriter((html) => shown.push(html));
    try {
      lab.show.tearSheet(run, { bootstrap: { resamples: 50 }, inlinePlotly: false });
      lab.show.backtest(run);
    } finally {
      restore();
    }
    expect(shown.length).toBeGreaterThanOrEqual(2);
    expect(shown[0]).toContain("annualized by √(252 sessions × 6.5 h of 10 s periods) = √589,680");
    expect(shown[0]).toContain(run.report().title.replace(/=/g, "="));
    const summary = shown.slice(1).join("");
    const psr = lab.report.runPsr(run);
    expect(psr).toBe(run.report().inference.values.probabilisticSharpe);
    expect(summary).toMatch(new RegExp(`probabilistic sharpe \\(vs 0\\)</th><td[^>]*>${psr.toFixed(3)}<`));
    expect(summary).toMatch(new RegExp(`sharpe \\(annualized\\)</th><td[^>]*>${run.summary.sharpe.toFixed(2).replace("-", "[-−]")}<`));
  });

  it("an optimization's chosen trial: its backtest, deflated by the sweep's trial count and Sharpe variance", () => {
    expect(sweep.trials.length).toBe(3);
    const best = sweep.best!;
    const sheet = sweep.report({ bootstrap: { resamples: 50 } });
    const of = lab.optimizer.overfitting(sweep);
    expect(sheet.inference.trials).toEqual({ count: 3, sharpeVariance: of.sharpeVariance });
    expect(of.sharpeVariance).toBeGreaterThan(0);
    // The chosen trial over the whole data is the run: the trial's Sharpe ratio is the sheet's.
    expect(sheet.metrics.values.sharpe).toBe(best.metrics.sharpe);
    expect(sheet.title).toContain(`minHalfSpreadTicks=${best.params.minHalfSpreadTicks}`);
    // DSR by hand: PSR against SR₀ = expected max Sharpe of 3 unskilled trials with that variance.
    const sr0 = lab.stats.expectedMaxSharpe(3, of.sharpeVariance);
    expect(sheet.inference.values.deflatedSharpe).toBeCloseTo(lab.stats.probabilisticSharpe(sheet.changes, { benchmark: sr0 }), 12);
    // The same through a run: run.report({ trials: sweep }).
    const rerun = lab.backtest(data, lab.strategies.marketMaker(best.params), { ...OPTIONS, seed: best.seed >>> 0 });
    expect(rerun.report({ trials: sweep, bootstrap: { resamples: 50 } }).inference.values.deflatedSharpe).toBe(sheet.inference.values.deflatedSharpe);
  });

  it("a run with no initial cash (equity = PnL) reports its PnL figures and says why return metrics are missing", () => {
    const pnlRun = lab.backtest(data, lab.strategies.marketMaker({ minHalfSpreadTicks: 2 }), { ...OPTIONS, initialCash: 0 });
    const sheet = pnlRun.report({ bootstrap: { resamples: 50 } });
    expect(sheet.metrics.values.sharpe).toBe(pnlRun.summary.sharpe);
    // The same PnL on a different account: the same Sharpe ratio (to rounding of the equity sums).
    expect(pnlRun.summary.sharpe).toBeCloseTo(run.summary.sharpe, 9);
    expect(sheet.metrics.values.totalReturn).toBeNaN();
    expect(sheet.metrics.reasons.totalReturn).toMatch(/^no account value: the run has no initial cash/);
    expect(Number.isFinite(sheet.inference.values.probabilisticSharpe)).toBe(true);
    expect(sheet.bootstrap!.sharpe.lower).toBeLessThan(sheet.bootstrap!.sharpe.upper);
    // With the capital given, the return metrics are back and the Sharpe ratio does not move.
    const withCapital = pnlRun.report({ capital: 1_000_000, bootstrap: { resamples: 50 } });
    expect(withCapital.metrics.values.sharpe).toBeCloseTo(pnlRun.summary.sharpe, 9);
    expect(withCapital.metrics.values.totalReturn).toBeCloseTo(run.report({ bootstrap: { resamples: 50 } }).metrics.values.totalReturn!, 12);
  });

  it("a sweep that cannot repeat its trial says what to do instead", () => {
    expect(() => lab.report.chosenRun(Object.create(Object.getPrototypeOf(sweep)) as OptimizationResult)).toThrow(/cannot repeat its chosen trial/);
  });
});
