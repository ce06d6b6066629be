/**
 * Is a Sharpe ratio real? Statistics that judge a backtest instead of describing it.
 *
 * - Probabilistic Sharpe ratio (Bailey & López de Prado, "The Sharpe Ratio Efficient Frontier",
 *   Journal of Risk 15(2), 2012): PSR(SR*) = Φ((SR − SR*)·√(n − 1) / √(1 − γ3·SR + (γ4 − 1)/4·SR²)),
 *   with SR the per-period (not annualized) Sharpe ratio, γ3 the skewness and γ4 the RAW kurtosis
 *   (3 for a normal distribution; passing excess kurtosis here is the classic bug).
 * - Minimum track record length (same paper): MinTRL = 1 + (1 − γ3·SR + (γ4 − 1)/4·SR²)·(Φ⁻¹(α)/(SR − SR*))²,
 *   in periods of the returns.
 * - Deflated Sharpe ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio", Journal of
 *   Portfolio Management 40(5), 2014): DSR = PSR(SR0) with the expected maximum Sharpe ratio of N
 *   unskilled trials SR0 = √V·((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))), γ = 0.5772156649
 *   (Euler–Mascheroni), V the variance of the trials' per-period Sharpe ratios.
 * - Standard error of the Sharpe ratio: Lo, "The Statistics of Sharpe Ratios", Financial Analysts
 *   Journal 58(4), 2002, iid-normal case: SE = √((1 + SR²/2)/n). The non-normal variant (Mertens
 *   2002; the σ(SR) inside the PSR) is reported beside it.
 * - Stationary block bootstrap (Politis & Romano, JASA 89(428), 1994): resamples blocks of
 *   geometric length (mean L) starting at uniform positions, wrapping around the end, with
 *   replacement; keeps short-range dependence that an iid bootstrap destroys. Percentile CIs.
 * - Probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey,
 *   Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting", Journal of
 *   Computational Finance 20(4), 2017; SSRN 2326253, 2015).
 *
 * Data problems (too few observations, NaN, constant returns) never throw and never produce a
 * made-up number: the value is NaN and `reason` says why. Invalid options (an odd partition count,
 * a confidence outside (0, 1)) are caller mistakes and throw a `LabError` with a hint.
 */
import { LabError, rng as makeRng } from "../core/index.js";
import { normalCdf, normalInv } from "./distributions.js";
import { centralMoments } from "./moments.js";

/** Euler–Mascheroni constant γ used by the expected maximum of N Gaussian Sharpe ratios. */
export const EULER_GAMMA = 0.5772156649015329;

/**
 * The four numbers every Sharpe test needs, when the returns themselves are not at hand (e.g. a
 * paper's worked example or a summary from elsewhere). All per period of the returns.
 */
export interface SharpeSample {
  /** Per-period Sharpe ratio mean/std of excess returns (not annualized). */
  sharpe: number;
  /** Number of return observations. */
  n: number;
  /** Skewness γ3 (population, 0 for a normal). */
  skewness: number;
  /** RAW kurtosis γ4 (population, 3 for a normal; NOT excess kurtosis). */
  kurtosisRaw: number;
}

/** Returns, or their summary. */
export type SharpeInput = ArrayLike<number> | SharpeSample;

export interface SharpeInputOptions {
  /** Risk-free return per period, subtracted from every return. @default 0 */
  riskFree?: number;
}

/** A summary of returns, or NaN fields plus the reason they could not be computed. */
export interface SharpeSampleResult extends SharpeSample {
  reason?: string;
}

function isSample(input: SharpeInput): input is SharpeSample {
  return typeof (input as SharpeSample).sharpe === "number" && typeof (input as SharpeSample).n === "number" && !ArrayBuffer.isView(input) && !Array.isArray(input);
}

const NAN_SAMPLE = (n: number, reason: string): SharpeSampleResult => ({ sharpe: NaN, n, skewness: NaN, kurtosisRaw: NaN, reason });

/**
 * Per-period Sharpe ratio (sample std, divisor n − 1), population skewness and raw kurtosis of
 * the excess returns. NaN fields and a reason for fewer than 4 returns, NaN/infinite values or a
 * constant series.
 */
export function sharpeSample(returns: ArrayLike<number>, options: SharpeInputOptions = {}): SharpeSampleResult {
  const n = returns.length;
  const rf = options.riskFree ?? 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(returns[i]!)) return NAN_SAMPLE(n, `return at index ${i} is ${String(returns[i])}: drop or fill missing periods before testing the Sharpe ratio`);
  }
  if (n < 4) return NAN_SAMPLE(n, `${n} returns: at least 4 are needed for skewness and kurtosis`);
  const excess = rf === 0 ? returns : Float64Array.from(returns as ArrayLike<number>, (v) => v - rf);
  const c = centralMoments(excess);
  if (c.constant) return NAN_SAMPLE(n, "returns are constant: the standard deviation is 0 and the Sharpe ratio is undefined");
  const sd = Math.sqrt((c.m2 * n) / (n - 1));
  return { sharpe: c.mean / sd, n, skewness: c.m3 / c.m2 ** 1.5, kurtosisRaw: c.m4 / (c.m2 * c.m2) };
}

function resolveSample(input: SharpeInput, options: SharpeInputOptions): SharpeSampleResult {
  if (isSample(input)) {
    const { sharpe, n, skewness, kurtosisRaw } = input;
    if (![sharpe, n, skewness, kurtosisRaw].every(Number.isFinite)) return { ...input, reason: "Sharpe ratio, n, skewness and kurtosis must all be finite numbers" };
    if (n < 2) return { ...input, reason: `n = ${n}: at least 2 observations are needed` };
    return { sharpe, n, skewness, kurtosisRaw };
  }
  return sharpeSample(input, options);
}

/** 1 − γ3·SR + (γ4 − 1)/4·SR²: the variance of the Sharpe estimator times (n − 1). */
function sharpeVarianceTerm(s: SharpeSample): number {
  return 1 - s.skewness * s.sharpe + ((s.kurtosisRaw - 1) / 4) * s.sharpe * s.sharpe;
}

export interface ProbabilisticSharpeResult {
  /** P(true Sharpe > benchmark), in [0, 1]; NaN with a reason. */
  value: number;
  /** Observed per-period Sharpe ratio. */
  sharpe: number;
  /** Per-period benchmark Sharpe SR*. */
  benchmark: number;
  /** σ(SR) = √((1 − γ3·SR + (γ4 − 1)/4·SR²)/(n − 1)). */
  standardError: number;
  n: number;
  skewness: number;
  kurtosisRaw: number;
  reason?: string;
}

export interface ProbabilisticSharpeOptions extends SharpeInputOptions {
  /** Benchmark per-period Sharpe ratio SR*. @default 0 */
  benchmark?: number;
}

/**
 * Probabilistic Sharpe ratio: the probability that the true Sharpe ratio exceeds `benchmark`,
 * given the observed one, the track record length and the skewness/kurtosis of the returns.
 */
export function probabilisticSharpe(input: SharpeInput, options: ProbabilisticSharpeOptions = {}): ProbabilisticSharpeResult {
  const s = resolveSample(input, options);
  const benchmark = options.benchmark ?? 0;
  const base = { sharpe: s.sharpe, benchmark, n: s.n, skewness: s.skewness, kurtosisRaw: s.kurtosisRaw };
  if (s.reason) return { ...base, value: NaN, standardError: NaN, reason: s.reason };
  if (!Number.isFinite(benchmark)) return { ...base, value: NaN, standardError: NaN, reason: `benchmark Sharpe ratio is ${benchmark}` };
  const term = sharpeVarianceTerm(s);
  if (!(term > 0)) return { ...base, value: NaN, standardError: NaN, reason: `1 − γ3·SR + (γ4 − 1)/4·SR² = ${term.toPrecision(4)} is not positive: skewness/kurtosis are inconsistent with this Sharpe ratio` };
  const standardError = Math.sqrt(term / (s.n - 1));
  return { ...base, value: normalCdf((s.sharpe - benchmark) / standardError), standardError };
}

/**
 * Expected maximum per-period Sharpe ratio among `trials` independent unskilled trials whose
 * Sharpe ratios have variance `sharpeVariance` (the DSR's SR0). One trial: 0 (no selection).
 */
export function expectedMaxSharpe(trials: number, sharpeVariance: number): number {
  if (!(trials >= 1) || !(sharpeVariance >= 0)) return NaN;
  if (trials === 1 || sharpeVariance === 0) return 0;
  return Math.sqrt(sharpeVariance) * ((1 - EULER_GAMMA) * normalInv(1 - 1 / trials) + EULER_GAMMA * normalInv(1 - 1 / (trials * Math.E)));
}

export interface DeflatedSharpeOptions extends SharpeInputOptions {
  /** Number of independent trials N that were tried before picking this one (≥ 1). */
  trials: number;
  /** Variance V of the trials' per-period (not annualized) Sharpe ratios. */
  sharpeVariance: number;
}

export interface DeflatedSharpeResult extends ProbabilisticSharpeResult {
  trials: number;
  sharpeVariance: number;
  /** SR0: the benchmark the Sharpe ratio is deflated against. */
  expectedMaxSharpe: number;
}

/**
 * Deflated Sharpe ratio: the PSR against the Sharpe ratio the best of `trials` unskilled
 * strategies would be expected to show. Near 1: unlikely to be luck; near 0.5 or below: the
 * selection alone explains the observed Sharpe.
 */
export function deflatedSharpe(input: SharpeInput, options: DeflatedSharpeOptions): DeflatedSharpeResult {
  const { trials, sharpeVariance } = options;
  const sr0 = expectedMaxSharpe(trials, sharpeVariance);
  const psr = probabilisticSharpe(input, { ...options, benchmark: Number.isFinite(sr0) ? sr0 : 0 });
  if (!Number.isFinite(sr0)) {
    const reason = !(trials >= 1) ? `trials = ${trials}: at least 1 trial is needed` : `Sharpe variance across trials = ${sharpeVariance}: must be a number ≥ 0`;
    return { ...psr, benchmark: NaN, value: NaN, trials, sharpeVariance, expectedMaxSharpe: NaN, reason: psr.reason ?? reason };
  }
  return { ...psr, trials, sharpeVariance, expectedMaxSharpe: sr0 };
}

export interface MinTrackRecordOptions extends SharpeInputOptions {
  /** Benchmark per-period Sharpe ratio SR*. @default 0 */
  benchmark?: number;
  /** Confidence α that the true Sharpe exceeds the benchmark. @default 0.95 */
  confidence?: number;
}

export interface MinTrackRecordResult {
  /** Periods of returns needed; NaN with a reason (e.g. Sharpe not above the benchmark). */
  value: number;
  sharpe: number;
  benchmark: number;
  confidence: number;
  /** Periods actually observed. */
  n: number;
  reason?: string;
}

/** Minimum track record length: how many periods are needed for PSR(benchmark) ≥ confidence. */
export function minTrackRecordLength(input: SharpeInput, options: MinTrackRecordOptions = {}): MinTrackRecordResult {
  const confidence = options.confidence ?? 0.95;
  checkConfidence(confidence, "minTrackRecordLength");
  const benchmark = options.benchmark ?? 0;
  const s = resolveSample(input, options);
  const base = { sharpe: s.sharpe, benchmark, confidence, n: s.n };
  if (s.reason) return { ...base, value: NaN, reason: s.reason };
  if (!(s.sharpe > benchmark)) return { ...base, value: NaN, reason: `observed Sharpe ${s.sharpe.toPrecision(4)} is not above the benchmark ${benchmark}: no track record length makes it significant` };
  const term = sharpeVarianceTerm(s);
  if (!(term > 0)) return { ...base, value: NaN, reason: `1 − γ3·SR + (γ4 − 1)/4·SR² = ${term.toPrecision(4)} is not positive` };
  const z = normalInv(confidence);
  return { ...base, value: 1 + term * (z / (s.sharpe - benchmark)) ** 2 };
}

export interface SharpeStandardErrorResult {
  /** Lo (2002) iid-normal standard error √((1 + SR²/2)/n), per period. */
  value: number;
  /** Non-normal standard error √((1 − γ3·SR + (γ4 − 1)/4·SR²)/(n − 1)) (Mertens 2002; the PSR's σ). */
  nonNormal: number;
  sharpe: number;
  n: number;
  reason?: string;
}

/**
 * Standard error of the per-period Sharpe ratio. `value` is Lo's (2002) asymptotic iid-normal
 * formula √((1 + SR²/2)/n); it ignores skewness, fat tails and serial correlation (Lo's eq. for
 * the non-iid case needs autocorrelations and is not computed). `nonNormal` keeps the iid
 * assumption but not normality. For an annualized Sharpe (iid returns) multiply both by √q.
 */
export function sharpeStandardError(input: SharpeInput, options: SharpeInputOptions = {}): SharpeStandardErrorResult {
  const s = resolveSample(input, options);
  if (s.reason) return { value: NaN, nonNormal: NaN, sharpe: s.sharpe, n: s.n, reason: s.reason };
  const term = sharpeVarianceTerm(s);
  return { value: Math.sqrt((1 + (s.sharpe * s.sharpe) / 2) / s.n), nonNormal: term > 0 ? Math.sqrt(term / (s.n - 1)) : NaN, sharpe: s.sharpe, n: s.n };
}

function checkConfidence(confidence: number, where: string): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new LabError({ code: "BAD_OPTION", message: `${where}: confidence must be in (0, 1), got ${confidence}`, hint: "e.g. { confidence: 0.95 }", context: { option: "confidence" } });
  }
}

// ---------------------------------------------------------------------------------------------
// Stationary block bootstrap
// ---------------------------------------------------------------------------------------------

export interface BootstrapOptions extends SharpeInputOptions {
  /** Bootstrap resamples. @default 1000 */
  samples?: number;
  /**
   * Mean block length L (geometric block lengths with p = 1/L). @default max(1, round(n^(1/3)))
   * The n^(1/3) rate is the order of the optimal block length for variance-type statistics
   * (Politis & White 2004); for iid returns L = 1 is the plain bootstrap.
   */
  meanBlockLength?: number;
  /** Two-sided confidence level of the percentile intervals. @default 0.9 */
  confidence?: number;
  /** Seed of the core `rng`: same seed, same intervals. @default 0 */
  seed?: number | string;
}

export interface ConfidenceInterval {
  /** The statistic on the original series. */
  estimate: number;
  lower: number;
  upper: number;
}

export interface BootstrapResult {
  /** Per-period Sharpe ratio (sample std) and its percentile interval. */
  sharpe: ConfidenceInterval;
  /** Maximum drawdown of compounded simple returns (fraction ≤ 0) and its interval. */
  maxDrawdown: ConfidenceInterval;
  /** Bootstrap distribution of the Sharpe ratio (NaN for constant resamples). */
  sharpeSamples: Float64Array;
  maxDrawdownSamples: Float64Array;
  samples: number;
  meanBlockLength: number;
  confidence: number;
  seed: number | string;
  reason?: string;
}

function sharpeOf(x: Float64Array): number {
  const n = x.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i]!;
  const m = sum / n;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - m;
    s2 += d * d;
  }
  const sd = Math.sqrt(s2 / (n - 1));
  return sd > Math.abs(m) * 1e-14 ? m / sd : NaN;
}

function maxDrawdownOf(x: Float64Array): number {
  let wealth = 1;
  let peak = 1;
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    wealth *= 1 + x[i]!;
    if (wealth > peak) peak = wealth;
    else {
      const dd = wealth / peak - 1;
      if (dd < worst) worst = dd;
    }
  }
  return worst;
}

function percentileInterval(values: Float64Array, confidence: number): [number, number] {
  const finite = values.filter((v) => v === v).sort();
  if (finite.length === 0) return [NaN, NaN];
  const q = (p: number): number => {
    const h = (finite.length - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, finite.length - 1);
    return finite[lo]! + (h - lo) * (finite[hi]! - finite[lo]!);
  };
  return [q((1 - confidence) / 2), q((1 + confidence) / 2)];
}

/**
 * Stationary block bootstrap confidence intervals for the per-period Sharpe ratio and the maximum
 * drawdown. Each resample has n returns: a block starts at a uniform index and continues with the
 * next index (wrapping past the end) until a new block starts, with probability 1/L per step.
 */
export function bootstrapSharpe(returns: ArrayLike<number>, options: BootstrapOptions = {}): BootstrapResult {
  const n = returns.length;
  const samples = options.samples ?? 1000;
  const confidence = options.confidence ?? 0.9;
  const seed = options.seed ?? 0;
  checkConfidence(confidence, "bootstrapSharpe");
  if (!(Number.isInteger(samples) && samples >= 1)) throw new LabError({ code: "BAD_OPTION", message: `bootstrapSharpe: samples must be a positive integer, got ${samples}`, hint: "e.g. { samples: 1000 }", context: { option: "samples" } });
  const meanBlockLength = options.meanBlockLength ?? Math.max(1, Math.round(Math.cbrt(n)));
  if (!(meanBlockLength >= 1)) throw new LabError({ code: "BAD_OPTION", message: `bootstrapSharpe: meanBlockLength must be ≥ 1, got ${meanBlockLength}`, hint: "e.g. { meanBlockLength: 5 } (1 = iid bootstrap)", context: { option: "meanBlockLength" } });
  const empty = (reason: string): BootstrapResult => ({
    sharpe: { estimate: NaN, lower: NaN, upper: NaN },
    maxDrawdown: { estimate: NaN, lower: NaN, upper: NaN },
    sharpeSamples: new Float64Array(0),
    maxDrawdownSamples: new Float64Array(0),
    samples,
    meanBlockLength,
    confidence,
    seed,
    reason,
  });
  const summary = sharpeSample(returns, options);
  if (summary.reason) return empty(summary.reason);
  const rf = options.riskFree ?? 0;
  const x = Float64Array.from(returns as ArrayLike<number>);
  const excess = Float64Array.from(x, (v) => v - rf);
  const r = makeRng(seed);
  const p = 1 / meanBlockLength;
  const buf = new Float64Array(n);
  const bufRaw = new Float64Array(n);
  const sharpeSamples = new Float64Array(samples);
  const ddSamples = new Float64Array(samples);
  for (let b = 0; b < samples; b++) {
    let idx = r.int(n);
    for (let t = 0; t < n; t++) {
      buf[t] = excess[idx]!;
      bufRaw[t] = x[idx]!;
      if (r.float() < p) idx = r.int(n);
      else idx = idx + 1 === n ? 0 : idx + 1;
    }
    sharpeSamples[b] = sharpeOf(buf);
    ddSamples[b] = maxDrawdownOf(bufRaw);
  }
  const [sLo, sHi] = percentileInterval(sharpeSamples, confidence);
  const [dLo, dHi] = percentileInterval(ddSamples, confidence);
  return {
    sharpe: { estimate: summary.sharpe, lower: sLo, upper: sHi },
    maxDrawdown: { estimate: maxDrawdownOf(x), lower: dLo, upper: dHi },
    sharpeSamples,
    maxDrawdownSamples: ddSamples,
    samples,
    meanBlockLength,
    confidence,
    seed,
  };
}

// ---------------------------------------------------------------------------------------------
// Probability of backtest overfitting (CSCV)
// ---------------------------------------------------------------------------------------------

/** Performance of one trial over the rows of a split (IS or OOS). */
export type PerformanceMetric = "sharpe" | "mean" | ((returns: Float64Array) => number);

export interface PboOptions {
  /** S: number of row blocks, even, ≥ 2. C(S, S/2) train/test splits are evaluated. @default 16 */
  partitions?: number;
  /** Performance used to pick the best trial in sample and rank it out of sample. @default "sharpe" (per-period, sample std) */
  metric?: PerformanceMetric;
  /** Matrix layout: rows are periods and columns trials (default), or rows are trials. */
  layout?: "periodsByTrials" | "trialsByPeriods";
}

export interface PboResult {
  /** Probability of backtest overfitting: share of splits with logit λ ≤ 0; NaN with a reason. */
  pbo: number;
  /** λ_c = ln(ω_c / (1 − ω_c)) per split, ω_c the relative OOS rank of the best IS trial. */
  logits: Float64Array;
  /** ω_c = rank / (N + 1), rank 1 = worst OOS (ties get the average rank). */
  relativeRanks: Float64Array;
  /** Index of the best in-sample trial per split. */
  bestTrial: Int32Array;
  /** Performance of the best IS trial in sample and out of sample, per split. */
  inSample: Float64Array;
  outOfSample: Float64Array;
  /** Least-squares fit OOS = intercept + slope·IS over the splits (the paper's performance degradation). */
  degradation: { slope: number; intercept: number; rSquared: number };
  /** Share of splits where the best IS trial has OOS performance < 0. */
  probabilityOfLoss: number;
  /** The IS block sets, as block indices, in the order of `logits`. */
  splits: number[][];
  partitions: number;
  trials: number;
  /** Periods used (the first S·⌊T/S⌋ rows; the remainder is dropped). */
  periodsUsed: number;
  periods: number;
  reason?: string;
}

/** All k-subsets of {0..n−1} in lexicographic order. */
export function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const pick: number[] = [];
  const walk = (start: number): void => {
    if (pick.length === k) {
      out.push(pick.slice());
      return;
    }
    for (let i = start; i <= n - (k - pick.length); i++) {
      pick.push(i);
      walk(i + 1);
      pick.pop();
    }
  };
  walk(0);
  return out;
}

function averageRanks(values: Float64Array): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!]! === values[order[i]!]!) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = rank;
    i = j + 1;
  }
  return ranks;
}

/**
 * Probability of backtest overfitting by CSCV. The T × N matrix (T periods of returns for N trials)
 * is cut into S blocks of ⌊T/S⌋ consecutive rows. For every choice of S/2 blocks as in-sample set
 * (the rest out of sample): pick the trial with the best IS performance, rank its OOS performance
 * among all trials (ω = rank/(N + 1)) and take the logit λ = ln(ω/(1 − ω)). PBO is the share of
 * splits with λ ≤ 0: the IS winner did not beat the OOS median. (λ = 0, exactly the median, is
 * possible with an odd N; it counts as overfit, as in the paper's ∫_{−∞}^{0} f(λ)dλ.)
 */
export function pbo(matrix: ReadonlyArray<ArrayLike<number>>, options: PboOptions = {}): PboResult {
  const S = options.partitions ?? 16;
  const metric = options.metric ?? "sharpe";
  if (!(Number.isInteger(S) && S >= 2 && S % 2 === 0)) {
    throw new LabError({ code: "BAD_OPTION", message: `pbo: partitions must be an even integer ≥ 2, got ${S}`, hint: "e.g. { partitions: 16 } (C(16, 8) = 12,870 splits)", context: { option: "partitions" } });
  }
  const byTrials = options.layout === "trialsByPeriods";
  const N = byTrials ? matrix.length : matrix.length > 0 ? matrix[0]!.length : 0;
  const T = byTrials ? (matrix.length > 0 ? matrix[0]!.length : 0) : matrix.length;
  const at = (t: number, j: number): number => (byTrials ? matrix[j]![t]! : matrix[t]![j]!);
  const blockRows = Math.floor(T / S);
  const periodsUsed = blockRows * S;
  const fail = (reason: string): PboResult => ({
    pbo: NaN,
    logits: new Float64Array(0),
    relativeRanks: new Float64Array(0),
    bestTrial: new Int32Array(0),
    inSample: new Float64Array(0),
    outOfSample: new Float64Array(0),
    degradation: { slope: NaN, intercept: NaN, rSquared: NaN },
    probabilityOfLoss: NaN,
    splits: [],
    partitions: S,
    trials: N,
    periodsUsed,
    periods: T,
    reason,
  });
  if (N < 2) return fail(`${N} trial(s): PBO ranks trials against each other and needs at least 2`);
  for (let r = 0; r < matrix.length; r++) {
    const row = matrix[r]!;
    const expected = byTrials ? T : N;
    if (row.length !== expected) return fail(`row ${r} has ${row.length} values, expected ${expected}: the matrix must be rectangular`);
  }
  const minBlockRows = metric === "mean" ? 1 : 2;
  if (blockRows < minBlockRows) return fail(`${T} periods for ${S} partitions: each block needs at least ${minBlockRows} period(s) (use fewer partitions or more periods)`);
  for (let t = 0; t < periodsUsed; t++) {
    for (let j = 0; j < N; j++) {
      if (!Number.isFinite(at(t, j))) return fail(`value at period ${t}, trial ${j} is ${String(at(t, j))}: fill or drop missing periods first`);
    }
  }

  // Per block and trial: sums of (x − shift) and (x − shift)², shift = the trial's overall mean,
  // so a split's Sharpe ratio needs S/2 additions instead of a pass over the rows.
  const shift = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (let t = 0; t < periodsUsed; t++) s += at(t, j);
    shift[j] = s / periodsUsed;
  }
  const sum = new Float64Array(S * N);
  const sumSq = new Float64Array(S * N);
  for (let b = 0; b < S; b++) {
    for (let t = b * blockRows; t < (b + 1) * blockRows; t++) {
      for (let j = 0; j < N; j++) {
        const d = at(t, j) - shift[j]!;
        sum[b * N + j] += d;
        sumSq[b * N + j] += d * d;
      }
    }
  }
  const custom = typeof metric === "function" ? metric : undefined;
  const half = S / 2;
  const rowsPerSide = half * blockRows;
  const scratch = custom ? new Float64Array(rowsPerSide) : new Float64Array(0);
  const perf = (blocks: readonly number[], out: Float64Array): void => {
    for (let j = 0; j < N; j++) {
      if (custom) {
        let k = 0;
        for (const b of blocks) for (let t = b * blockRows; t < (b + 1) * blockRows; t++) scratch[k++] = at(t, j);
        out[j] = custom(scratch);
        continue;
      }
      let s = 0;
      let q = 0;
      for (const b of blocks) {
        s += sum[b * N + j]!;
        q += sumSq[b * N + j]!;
      }
      const m = s / rowsPerSide;
      if (metric === "mean") {
        out[j] = m + shift[j]!;
        continue;
      }
      const v = (q - s * m) / (rowsPerSide - 1);
      const level = Math.abs(m + shift[j]!);
      out[j] = v > (level * 1e-14) ** 2 ? (m + shift[j]!) / Math.sqrt(v) : NaN;
    }
  };

  const splits = combinations(S, half);
  const C = splits.length;
  const logits = new Float64Array(C);
  const relativeRanks = new Float64Array(C);
  const bestTrial = new Int32Array(C);
  const inSample = new Float64Array(C);
  const outOfSample = new Float64Array(C);
  const isPerf = new Float64Array(N);
  const oosPerf = new Float64Array(N);
  const inSet = new Uint8Array(S);
  for (let c = 0; c < C; c++) {
    const chosen = splits[c]!;
    inSet.fill(0);
    for (const b of chosen) inSet[b] = 1;
    const complement: number[] = [];
    for (let b = 0; b < S; b++) if (!inSet[b]) complement.push(b);
    perf(chosen, isPerf);
    perf(complement, oosPerf);
    let best = -1;
    for (let j = 0; j < N; j++) if (isPerf[j] === isPerf[j] && (best < 0 || isPerf[j]! > isPerf[best]!)) best = j;
    if (best < 0 || oosPerf.some((v) => v !== v)) return fail(`split ${c}: a trial's performance is undefined (constant returns within a block set); use metric "mean" or drop constant trials`);
    const ranks = averageRanks(oosPerf);
    const omega = ranks[best]! / (N + 1);
    bestTrial[c] = best;
    relativeRanks[c] = omega;
    logits[c] = Math.log(omega / (1 - omega));
    inSample[c] = isPerf[best]!;
    outOfSample[c] = oosPerf[best]!;
  }
  let overfit = 0;
  let losses = 0;
  for (let c = 0; c < C; c++) {
    if (logits[c]! <= 0) overfit++;
    if (outOfSample[c]! < 0) losses++;
  }
  return {
    pbo: overfit / C,
    logits,
    relativeRanks,
    bestTrial,
    inSample,
    outOfSample,
    degradation: linearFit(inSample, outOfSample),
    probabilityOfLoss: losses / C,
    splits,
    partitions: S,
    trials: N,
    periodsUsed,
    periods: T,
  };
}

function linearFit(x: Float64Array, y: Float64Array): { slope: number; intercept: number; rSquared: number } {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) return { slope: NaN, intercept: NaN, rSquared: NaN };
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, rSquared: syy > 0 ? (sxy * sxy) / (sxx * syy) : NaN };
}
