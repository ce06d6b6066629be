/**
 * Stationary block bootstrap (Politis & Romano, "The Stationary Bootstrap", JASA 1994):
 * resamples of length n drawn with replacement as blocks that start at a uniform random index
 * and continue (circularly) until a geometric stop with mean length L; so serial dependence
 * within ~L periods survives the resampling. Default L = n^(1/3). Confidence intervals are
 * percentile intervals of the statistic over the resamples (linear-interpolated quantiles).
 * Seeded through core `rng(seed)`: the same seed gives the same intervals.
 *
 * Returns that cannot be resampled (fewer than 2, or any NaN/infinite value) give NaN intervals
 * and a `reason`; a constant series gives a NaN Sharpe interval with its reason. Bad options
 * (e.g. `confidence: 2`) throw a LabError.
 *
 * The inner loop reuses one buffer and computes Sharpe and max drawdown in place: no
 * allocation per resample.
 */
import { LabError, rng } from "../core/index.js";
import { DEFAULT_PERIODS_PER_YEAR, sharpePerPeriod } from "./metrics.js";
import { quantileSorted } from "./moments.js";
import { drawdownInfo } from "./drawdown.js";

export interface BootstrapOptions {
  /** Number of resamples. @default 1000 */
  resamples?: number;
  /** Mean block length L. @default n^(1/3) */
  blockLength?: number;
  /** Two-sided confidence of the intervals. @default 0.9 */
  confidence?: number;
  /** @default 0 */
  seed?: number | string;
  /** Used to annualize the Sharpe ratio. @default 252 */
  periodsPerYear?: number;
  riskFree?: number;
}

export interface ConfidenceInterval {
  /** The statistic on the original series. */
  estimate: number;
  lower: number;
  upper: number;
  /** The statistic on every resample (NaN where undefined, e.g. a constant resample). */
  samples: Float64Array;
  /** Why the estimate or the interval is NaN, when it is. */
  reason?: string;
}

export interface BootstrapResult {
  /** Annualized Sharpe ratio. */
  sharpe: ConfidenceInterval;
  /** Max drawdown (fraction ≥ 0, the depth below the peak). */
  maxDrawdown: ConfidenceInterval;
  resamples: number;
  blockLength: number;
  confidence: number;
  seed: number | string;
  /** Why nothing was resampled (too few returns, a NaN), when that is so. */
  reason?: string;
}

/**
 * Fills `out` with one stationary-bootstrap resample of `x`: each position either continues the
 * current block (probability 1 − 1/L) or jumps to a new uniform start.
 */
export function stationaryResample(x: ArrayLike<number>, out: Float64Array, blockLength: number, random: { float(): number; int(n: number): number }): Float64Array {
  const n = x.length;
  const pNew = 1 / blockLength;
  let j = random.int(n);
  for (let i = 0; i < out.length; i++) {
    if (i > 0) {
      if (random.float() < pNew) j = random.int(n);
      else if (++j === n) j = 0;
    }
    out[i] = x[j]!;
  }
  return out;
}

/** `equityDrawdown(cumulativeWealth(r)).fraction` without building the wealth: one call per resample allocates nothing. */
function maxDrawdownInPlace(r: Float64Array): number {
  let w = 1;
  let peak = 1;
  let worst = 0;
  for (let i = 0; i < r.length; i++) {
    w *= 1 + r[i]!;
    if (w > peak) peak = w;
    else {
      const dd = 1 - w / peak;
      if (dd > worst) worst = dd;
    }
  }
  return worst;
}

function percentileInterval(samples: Float64Array, confidence: number): [number, number] {
  const finite = samples.filter((v) => !Number.isNaN(v)).sort();
  if (finite.length === 0) return [NaN, NaN];
  const a = (1 - confidence) / 2;
  return [quantileSorted(finite, a), quantileSorted(finite, 1 - a)];
}

function unusableReason(returns: ArrayLike<number>): string | undefined {
  if (returns.length < 2) return `the bootstrap needs at least 2 returns, got ${returns.length}`;
  for (let i = 0; i < returns.length; i++) {
    if (!Number.isFinite(returns[i]!)) return `return ${i} is ${returns[i]}; remove or fill undefined periods first`;
  }
  return undefined;
}

/** Percentile confidence intervals for the annualized Sharpe ratio and the max drawdown. */
export function bootstrap(returns: ArrayLike<number>, options: BootstrapOptions = {}): BootstrapResult {
  const n = returns.length;
  const resamples = options.resamples ?? 1000;
  const blockLength = options.blockLength ?? Math.cbrt(n);
  const confidence = options.confidence ?? 0.9;
  const seed = options.seed ?? 0;
  if (!(resamples >= 1) || !Number.isInteger(resamples)) throw new LabError({ code: "BAD_OPTION", message: `resamples must be a positive integer, got ${resamples}`, hint: "e.g. { resamples: 1000 }" });
  if (!(blockLength >= 1)) throw new LabError({ code: "BAD_OPTION", message: `blockLength must be ≥ 1, got ${blockLength}`, hint: "1 gives the iid bootstrap; the default is n^(1/3)" });
  if (!(confidence > 0 && confidence < 1)) throw new LabError({ code: "BAD_OPTION", message: `confidence must be in (0, 1), got ${confidence}`, hint: "e.g. { confidence: 0.9 }" });
  const annualize = Math.sqrt(options.periodsPerYear ?? DEFAULT_PERIODS_PER_YEAR);
  const rf = options.riskFree ?? 0;
  const unusable = unusableReason(returns);
  if (unusable !== undefined) {
    const none = (): ConfidenceInterval => ({ estimate: NaN, lower: NaN, upper: NaN, samples: new Float64Array(0), reason: unusable });
    return { sharpe: none(), maxDrawdown: none(), resamples: 0, blockLength, confidence, seed, reason: unusable };
  }
  const random = rng(seed);
  const buffer = new Float64Array(n);
  const sharpes = new Float64Array(resamples);
  const drawdowns = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    stationaryResample(returns, buffer, blockLength, random);
    drawdowns[b] = maxDrawdownInPlace(buffer);
    sharpes[b] = sharpePerPeriod(buffer, rf) * annualize;
  }
  const [sl, su] = percentileInterval(sharpes, confidence);
  const [dl, du] = percentileInterval(drawdowns, confidence);
  const sharpe: ConfidenceInterval = { estimate: sharpePerPeriod(returns, rf) * annualize, lower: sl, upper: su, samples: sharpes };
  if (Number.isNaN(sharpe.estimate)) sharpe.reason = "returns are constant (zero variance): the Sharpe ratio is undefined";
  else if (Number.isNaN(sl)) sharpe.reason = "every resample is constant: the Sharpe interval is undefined";
  return {
    sharpe,
    maxDrawdown: { estimate: drawdownInfo(returns).maxDrawdown, lower: dl, upper: du, samples: drawdowns },
    resamples,
    blockLength,
    confidence,
    seed,
  };
}
