/**
 * Is the Sharpe ratio real? Inference on the Sharpe ratio of one return series:
 *
 * - Probabilistic Sharpe Ratio (Bailey & López de Prado, "The Sharpe Ratio Efficient Frontier",
 *   J. of Risk 2012): PSR(SR*) = Φ((SR − SR*)·√(n − 1) / √(1 − γ₃·SR + (γ₄ − 1)/4·SR²)).
 *   SR is the NON-annualized per-period Sharpe ratio, γ₃ the skewness and γ₄ the RAW (Pearson)
 *   kurtosis (3 for a normal). Passing excess kurtosis (scipy's default) understates the
 *   variance of SR for fat tails: that is the classic bug this module guards against by naming
 *   its arguments `kurtosisRaw`.
 * - Deflated Sharpe Ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio", J. of Portfolio
 *   Management 2014): DSR = PSR(SR₀) with the expected maximum Sharpe of N unskilled trials
 *   SR₀ = √V·((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))), V the variance of the trials'
 *   per-period Sharpe ratios and γ the Euler–Mascheroni constant.
 * - Minimum track record length (Bailey & López de Prado 2012):
 *   n* = 1 + (1 − γ₃·SR + (γ₄ − 1)/4·SR²)·(Φ⁻¹(p)/(SR − SR*))², in periods.
 * - Standard error of the Sharpe ratio under iid returns (Lo, "The Statistics of Sharpe Ratios",
 *   FAJ 2002): √((1 + SR²/2)/n), per period.
 */
import { LabError } from "../core/index.js";
import { normalCdf, normalInv } from "./distributions.js";
import { std, skewness, kurtosisRaw, hasNonFinite } from "./moments.js";
import { sharpePerPeriod, DEFAULT_PERIODS_PER_YEAR } from "./metrics.js";

export const EULER_MASCHERONI = 0.5772156649015329;

/** The per-period moments the Sharpe inference formulas need. */
export interface SharpeMoments {
  /** Per-period (not annualized) Sharpe ratio. */
  sharpe: number;
  /** Number of returns. */
  n: number;
  /** Skewness γ₃ (biased, population moments). */
  skewness: number;
  /** Pearson (raw) kurtosis γ₄: 3 for a normal distribution. NOT excess kurtosis. */
  kurtosisRaw: number;
}

/** Per-period Sharpe, n, skewness and RAW kurtosis of `returns` (minus `riskFree` per period). */
export function sharpeMoments(returns: ArrayLike<number>, riskFree = 0): SharpeMoments {
  const x = new Float64Array(returns.length);
  for (let i = 0; i < x.length; i++) x[i] = returns[i]! - riskFree;
  return { sharpe: sharpePerPeriod(x), n: x.length, skewness: skewness(x), kurtosisRaw: kurtosisRaw(x) };
}

/** 1 − γ₃·SR + (γ₄ − 1)/4·SR²: the variance factor of the Sharpe estimator (≥ 0 since γ₄ ≥ 1 + γ₃²). */
export function sharpeVarianceFactor(m: SharpeMoments): number {
  return 1 - m.skewness * m.sharpe + ((m.kurtosisRaw - 1) / 4) * m.sharpe * m.sharpe;
}

/** PSR from moments: probability that the true per-period Sharpe exceeds `benchmark` (per period). */
export function probabilisticSharpeFromMoments(m: SharpeMoments, benchmark = 0): number {
  const factor = sharpeVarianceFactor(m);
  if (!(m.n >= 2) || !(factor > 0)) return NaN;
  return normalCdf(((m.sharpe - benchmark) * Math.sqrt(m.n - 1)) / Math.sqrt(factor));
}

/** PSR of a return series against a per-period benchmark Sharpe SR* (default 0). */
export function probabilisticSharpe(returns: ArrayLike<number>, options: { benchmark?: number; riskFree?: number } = {}): number {
  return probabilisticSharpeFromMoments(sharpeMoments(returns, options.riskFree ?? 0), options.benchmark ?? 0);
}

/**
 * Expected maximum per-period Sharpe among `trials` unskilled strategies whose Sharpe ratios
 * have variance `sharpeVariance` (per period, across trials). 0 for a single trial.
 */
export function expectedMaxSharpe(trials: number, sharpeVariance: number): number {
  if (!(trials >= 1) || !Number.isFinite(trials)) {
    throw new LabError({ code: "BAD_TRIALS", message: `number of trials must be ≥ 1, got ${trials}`, hint: "pass how many parameter sets the optimizer really evaluated" });
  }
  if (!(sharpeVariance >= 0)) {
    throw new LabError({ code: "BAD_TRIALS", message: `variance of trial Sharpe ratios must be ≥ 0, got ${sharpeVariance}`, hint: "pass the variance of the per-period (not annualized) Sharpe ratios across trials" });
  }
  if (trials === 1) return 0;
  const g = EULER_MASCHERONI;
  return Math.sqrt(sharpeVariance) * ((1 - g) * normalInv(1 - 1 / trials) + g * normalInv(1 - 1 / (trials * Math.E)));
}

export interface TrialsInfo {
  /** Number of independent trials (parameter sets) tried before picking this one. */
  count: number;
  /** Variance of the trials' per-period (NOT annualized) Sharpe ratios. */
  sharpeVariance: number;
}

/** Variance (ddof = 1) of per-period Sharpe ratios; annualized ones are converted with `periodsPerYear`. */
export function trialSharpeVariance(sharpes: ArrayLike<number>, options: { annualized?: boolean; periodsPerYear?: number } = {}): number {
  const scale = options.annualized ? 1 / (options.periodsPerYear ?? DEFAULT_PERIODS_PER_YEAR) : 1;
  return std(sharpes) ** 2 * scale;
}

/** DSR = PSR(SR₀) with SR₀ the expected maximum Sharpe of `trials.count` unskilled trials. */
export function deflatedSharpe(returns: ArrayLike<number>, trials: TrialsInfo, options: { riskFree?: number } = {}): number {
  return probabilisticSharpeFromMoments(sharpeMoments(returns, options.riskFree ?? 0), expectedMaxSharpe(trials.count, trials.sharpeVariance));
}

/** Minimum track record length from moments (in periods); Infinity when SR ≤ SR*. */
export function minTrackRecordLengthFromMoments(m: SharpeMoments, benchmark = 0, confidence = 0.95): number {
  if (!Number.isFinite(m.sharpe) || !Number.isFinite(m.kurtosisRaw)) return NaN;
  if (m.sharpe <= benchmark) return Infinity;
  const z = normalInv(confidence);
  return 1 + sharpeVarianceFactor(m) * (z / (m.sharpe - benchmark)) ** 2;
}

/** Periods of track record needed for PSR(SR*) ≥ `confidence` at the observed moments. */
export function minTrackRecordLength(returns: ArrayLike<number>, options: { benchmark?: number; confidence?: number; riskFree?: number } = {}): number {
  return minTrackRecordLengthFromMoments(sharpeMoments(returns, options.riskFree ?? 0), options.benchmark ?? 0, options.confidence ?? 0.95);
}

/** Lo (2002) iid standard error of the per-period Sharpe ratio: √((1 + SR²/2)/n). */
export function sharpeStandardError(sharpe: number, n: number): number {
  if (!(n >= 1)) return NaN;
  return Math.sqrt((1 + (sharpe * sharpe) / 2) / n);
}

export interface SharpeInferenceOptions {
  periodsPerYear?: number;
  riskFree?: number;
  /** Per-period benchmark Sharpe for PSR and the minimum track record. @default 0 */
  benchmark?: number;
  /** Confidence for the minimum track record length. @default 0.95 */
  confidence?: number;
  trials?: TrialsInfo;
}

export interface SharpeInference {
  values: {
    sharpePerPeriod: number;
    skewness: number;
    kurtosisRaw: number;
    probabilisticSharpe: number;
    /** NaN without `trials`. */
    deflatedSharpe: number;
    /** Expected maximum per-period Sharpe of the trials (SR₀); NaN without `trials`. */
    expectedMaxSharpe: number;
    minTrackRecordLength: number;
    /** Lo (2002) standard error, per period. */
    sharpeStandardError: number;
    /** The same, annualized (× √periodsPerYear), comparable to the annualized Sharpe. */
    sharpeStandardErrorAnnualized: number;
  };
  reasons: Record<string, string>;
  n: number;
  trials?: TrialsInfo;
}

/** PSR, DSR, minimum track record and standard error, each NaN value with its reason. */
export function sharpeInference(returns: ArrayLike<number>, options: SharpeInferenceOptions = {}): SharpeInference {
  const ppy = options.periodsPerYear ?? DEFAULT_PERIODS_PER_YEAR;
  const benchmark = options.benchmark ?? 0;
  const m = sharpeMoments(returns, options.riskFree ?? 0);
  const reasons: Record<string, string> = {};
  const sr0 = options.trials ? expectedMaxSharpe(options.trials.count, options.trials.sharpeVariance) : NaN;
  const se = sharpeStandardError(m.sharpe, m.n);
  const values: SharpeInference["values"] = {
    sharpePerPeriod: m.sharpe,
    skewness: m.skewness,
    kurtosisRaw: m.kurtosisRaw,
    probabilisticSharpe: probabilisticSharpeFromMoments(m, benchmark),
    deflatedSharpe: options.trials ? probabilisticSharpeFromMoments(m, sr0) : NaN,
    expectedMaxSharpe: sr0,
    minTrackRecordLength: minTrackRecordLengthFromMoments(m, benchmark, options.confidence ?? 0.95),
    sharpeStandardError: se,
    sharpeStandardErrorAnnualized: se * Math.sqrt(ppy),
  };
  let common: string | undefined;
  if (m.n < 2) common = `needs at least 2 returns, got ${m.n}`;
  else if (hasNonFinite(returns)) common = "returns contain NaN or infinite values";
  else if (Number.isNaN(m.sharpe)) common = "returns are constant (zero variance)";
  for (const key of Object.keys(values) as (keyof SharpeInference["values"])[]) {
    if (!Number.isNaN(values[key])) continue;
    if (common !== undefined) {
      values[key] = NaN;
      reasons[key] = common;
    } else if ((key === "deflatedSharpe" || key === "expectedMaxSharpe") && !options.trials) reasons[key] = "number of trials not given";
    else reasons[key] = "undefined for these returns";
  }
  if (m.n >= 2 && values.minTrackRecordLength === Infinity) reasons.minTrackRecordLength = "Sharpe ratio is not above the benchmark: no track record length is enough";
  return { values, reasons, n: m.n, ...(options.trials ? { trials: options.trials } : {}) };
}

