/**
 * What the store keeps: optimization runs (a fingerprint of their configuration, so a resumed run
 * can be checked against the one that crashed) and their trials, one row per finished trial.
 */

export type StoredValue = number | boolean | string;

/** Rows [start, end) of the market data a trial looked at. */
export interface RowRange {
  start: number;
  end: number;
}

export type TrialStatus = "ok" | "infeasible" | "failed";

/** "search": a trial of the optimizer (in-sample for walk-forward); "oos": the chosen params on an out-of-sample window. */
export type TrialPhase = "search" | "oos";

/** One finished trial. */
export interface TrialRecord {
  /** Index within its search (window and phase), in the order the search proposed it. */
  index: number;
  /** Walk-forward window, or 0 without walk-forward. */
  window: number;
  phase: TrialPhase;
  /** Genetic search: the generation that first proposed the params; 0 otherwise. */
  generation: number;
  params: Record<string, StoredValue>;
  status: TrialStatus;
  metrics: Record<string, number>;
  /** Objective value as computed (before the direction is applied); NaN when failed. */
  objective: number;
  /** Why the trial is infeasible, or the evaluator's error message when it failed. */
  error?: string;
  seed: number;
  durationMs: number;
  events: number;
  /** Additive per-period returns on a grid that depends only on the range. */
  periodReturns?: Float64Array;
  range: RowRange;
}

export interface RunInfo {
  runId: string;
  createdAt: string;
  fingerprint: string;
  /** The configuration as JSON text (for people reading the store). */
  config: string;
  status: "running" | "finished";
  trials: number;
}

export interface BeginRunOptions {
  /** Name of the run. @default generated from the time */
  runId?: string;
  /** Hash of everything that decides the trials and their results (not the worker count). */
  fingerprint: string;
  /** The configuration, stored as JSON for readers. */
  config: unknown;
  /**
   * false: always a new run. true: continue the newest run with the same fingerprint (or `runId`),
   * reusing its finished trials; a new run when there is none.
   */
  resume: boolean;
}

export interface BegunRun {
  runId: string;
  resumed: boolean;
  /** Trials already finished in this run (empty for a new run). */
  trials: TrialRecord[];
}

/**
 * Persistence of runs and trials. `record` resolves once the trials are durable (committed): a
 * crash afterwards never loses them.
 */
export interface TrialStore {
  /** "memory", "duckdb", ... */
  readonly kind: string;
  /** Where the data lives (a file path), for messages. */
  readonly location: string;
  beginRun(options: BeginRunOptions): Promise<BegunRun>;
  record(runId: string, trials: readonly TrialRecord[]): Promise<void>;
  finishRun(runId: string, summary: unknown): Promise<void>;
  loadTrials(runId: string): Promise<TrialRecord[]>;
  /** The optimization runs with their trial counts. (Named apart from `RunStore.listRuns`, the registry listing, because one store object implements both.) */
  listTrialRuns(): Promise<RunInfo[]>;
  close(): Promise<void>;
}
