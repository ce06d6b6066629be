/**
 * Probability of Backtest Overfitting by Combinatorially Symmetric Cross-Validation
 * (Bailey, Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting",
 * J. of Computational Finance 2015).
 *
 * Input: a T×N performance matrix, rows = periods (in time order), columns = trials (parameter
 * sets). Rows are split into S contiguous blocks (S even; block b = rows ⌊b·T/S⌋ … ⌊(b+1)·T/S⌋ − 1,
 * so blocks are equal when S divides T). For each of the C(S, S/2) ways to choose S/2 blocks:
 * IS = the chosen blocks, OOS = the others; n* = the trial with the highest IS Sharpe
 * (mean/std, ddof = 1, of its column); ω = rank of n* among the OOS Sharpes / (N + 1), with
 * rank 1 = worst and ties sharing the average rank; λ = ln(ω/(1 − ω)). PBO = share of λ ≤ 0,
 * i.e. how often the in-sample winner lands at or below the OOS median.
 * A zero-variance column has an undefined Sharpe and ranks below every defined one.
 *
 * Data that cannot give a PBO (fewer than 2 trials, a NaN or infinite value, too few periods for
 * the partitions) gives `pbo: NaN` and a `reason`, never a number made up from the rest. A
 * malformed call (ragged rows, an odd or non-integer partition count) throws a LabError.
 */
import { LabError } from "../core/index.js";

export interface PboOptions {
  /** Number of blocks S (even, ≥ 2, ≤ T). @default 16, lowered to the largest even ≤ T */
  partitions?: number;
}

export interface PboResult {
  /** Share of combinations whose in-sample best trial ranked at or below the OOS median. */
  pbo: number;
  /** λ per combination, in combination order (lexicographic block sets). */
  logits: Float64Array;
  /** The in-sample blocks of each combination. */
  combinations: number[][];
  /** Index of the in-sample best trial per combination. */
  bestTrial: Int32Array;
  /** IS and OOS Sharpe (per period) of that trial per combination: the performance degradation. */
  inSampleSharpe: Float64Array;
  outOfSampleSharpe: Float64Array;
  /** Share of combinations where the selected trial lost out of sample (OOS Sharpe < 0). */
  probabilityOfLoss: number;
  partitions: number;
  periods: number;
  trials: number;
  /** Why `pbo` is NaN, when it is. */
  reason?: string;
}

function undefinedPbo(reason: string, partitions: number, periods: number, trials: number): PboResult {
  return {
    pbo: NaN,
    logits: new Float64Array(0),
    combinations: [],
    bestTrial: new Int32Array(0),
    inSampleSharpe: new Float64Array(0),
    outOfSampleSharpe: new Float64Array(0),
    probabilityOfLoss: NaN,
    partitions,
    periods,
    trials,
    reason,
  };
}

/** All k-subsets of {0..n−1} in lexicographic order. */
export function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const pick: number[] = [];
  const rec = (start: number): void => {
    if (pick.length === k) {
      out.push(pick.slice());
      return;
    }
    for (let i = start; i <= n - (k - pick.length); i++) {
      pick.push(i);
      rec(i + 1);
      pick.pop();
    }
  };
  rec(0);
  return out;
}

type Matrix = ReadonlyArray<ArrayLike<number>>;

/** PBO by CSCV over `rows` (one array per period, one value per trial). */
export function probabilityOfOverfitting(rows: Matrix, options: PboOptions = {}): PboResult {
  const T = rows.length;
  const N = T > 0 ? rows[0]!.length : 0;
  for (let t = 0; t < T; t++) {
    const row = rows[t]!;
    if (row.length !== N) throw new LabError({ code: "PBO_RAGGED", message: `row ${t} has ${row.length} values, expected ${N}`, hint: "every period needs a value for every trial", context: { row: t } });
  }
  const S = options.partitions ?? Math.max(2, Math.min(16, T - (T % 2)));
  if (!Number.isInteger(S) || S < 2 || S % 2 !== 0) throw new LabError({ code: "PBO_BAD_PARTITIONS", message: `partitions must be an even integer ≥ 2, got ${S}`, hint: "e.g. 8 or 16" });
  if (N < 2) return undefinedPbo(`PBO needs at least 2 trials (columns), got ${N}`, S, T, N);
  for (let t = 0; t < T; t++) {
    const row = rows[t]!;
    for (let j = 0; j < N; j++) {
      if (!Number.isFinite(row[j]!)) return undefinedPbo(`value at row ${t} (period), column ${j} (trial) is ${row[j]}; fill periods without activity with 0 and drop undefined ones`, S, T, N);
    }
  }
  if (S > T || Math.floor(T / S) * (S / 2) < 2) return undefinedPbo(`${S} partitions of ${T} periods leave fewer than 2 periods in sample; use more periods or fewer partitions`, S, T, N);

  // Per block and trial: count, sum and sum of squares of values centred on the trial's overall
  // mean (centring keeps the one-pass variance from cancelling).
  const centre = new Float64Array(N);
  for (let t = 0; t < T; t++) for (let j = 0; j < N; j++) centre[j]! += rows[t]![j]! / T;
  const blockCount = new Float64Array(S);
  const blockSum = new Float64Array(S * N);
  const blockSq = new Float64Array(S * N);
  for (let b = 0; b < S; b++) {
    const lo = Math.floor((b * T) / S);
    const hi = Math.floor(((b + 1) * T) / S);
    blockCount[b] = hi - lo;
    for (let t = lo; t < hi; t++) {
      const row = rows[t]!;
      for (let j = 0; j < N; j++) {
        const d = row[j]! - centre[j]!;
        blockSum[b * N + j]! += d;
        blockSq[b * N + j]! += d * d;
      }
    }
  }

  const combos = combinations(S, S / 2);
  const logits = new Float64Array(combos.length);
  const best = new Int32Array(combos.length);
  const isSharpe = new Float64Array(combos.length);
  const oosSharpe = new Float64Array(combos.length);
  const inSet = new Uint8Array(S);
  const sharpeIS = new Float64Array(N);
  const sharpeOOS = new Float64Array(N);
  let overfit = 0;
  let losses = 0;
  for (let c = 0; c < combos.length; c++) {
    inSet.fill(0);
    for (const b of combos[c]!) inSet[b] = 1;
    for (let j = 0; j < N; j++) {
      let nI = 0, sI = 0, qI = 0, nO = 0, sO = 0, qO = 0;
      for (let b = 0; b < S; b++) {
        if (inSet[b]) (nI += blockCount[b]!), (sI += blockSum[b * N + j]!), (qI += blockSq[b * N + j]!);
        else (nO += blockCount[b]!), (sO += blockSum[b * N + j]!), (qO += blockSq[b * N + j]!);
      }
      sharpeIS[j] = sharpeFromSums(nI, sI, qI, centre[j]!);
      sharpeOOS[j] = sharpeFromSums(nO, sO, qO, centre[j]!);
    }
    let star = 0;
    for (let j = 1; j < N; j++) if (rankValue(sharpeIS[j]!) > rankValue(sharpeIS[star]!)) star = j;
    const v = rankValue(sharpeOOS[star]!);
    let below = 0;
    let ties = 0;
    for (let j = 0; j < N; j++) {
      if (j === star) continue;
      const o = rankValue(sharpeOOS[j]!);
      if (o < v) below++;
      else if (o === v) ties++;
    }
    const rank = 1 + below + ties / 2;
    const omega = rank / (N + 1);
    const lambda = Math.log(omega / (1 - omega));
    logits[c] = lambda;
    best[c] = star;
    isSharpe[c] = sharpeIS[star]!;
    oosSharpe[c] = sharpeOOS[star]!;
    if (lambda <= 0) overfit++;
    if (sharpeOOS[star]! < 0) losses++;
  }
  return {
    pbo: overfit / combos.length,
    logits,
    combinations: combos,
    bestTrial: best,
    inSampleSharpe: isSharpe,
    outOfSampleSharpe: oosSharpe,
    probabilityOfLoss: losses / combos.length,
    partitions: S,
    periods: T,
    trials: N,
  };
}

/** PBO over columns (one array per trial, one value per period). */
export function probabilityOfOverfittingColumns(columns: ReadonlyArray<ArrayLike<number>>, options: PboOptions = {}): PboResult {
  const N = columns.length;
  const T = N > 0 ? columns[0]!.length : 0;
  const rows: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const row = new Float64Array(N);
    for (let j = 0; j < N; j++) {
      const col = columns[j]!;
      if (col.length !== T) throw new LabError({ code: "PBO_RAGGED", message: `trial ${j} has ${col.length} periods, expected ${T}`, hint: "every trial needs a value for every period", context: { column: String(j) } });
      row[j] = col[t]!;
    }
    rows.push(row);
  }
  return probabilityOfOverfitting(rows, options);
}

/** Sharpe from count, sum and sum of squares of centred values (the centre shifts the mean back). */
function sharpeFromSums(n: number, sum: number, sq: number, centre: number): number {
  if (n < 2) return NaN;
  const m = sum / n;
  const variance = (sq - n * m * m) / (n - 1);
  const mu = m + centre;
  const sd = Math.sqrt(Math.max(0, variance));
  if (!(sd > 1e-14 * Math.abs(mu))) return NaN;
  return mu / sd;
}

function rankValue(sharpe: number): number {
  return Number.isNaN(sharpe) ? -Infinity : sharpe;
}
