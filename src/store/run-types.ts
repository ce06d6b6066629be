/**
 * The run registry: every backtest, optimization and report becomes a run with a manifest (what
 * produced it, so it can be repeated), metrics, a result hash (so two runs can be compared for
 * identity), an equity series for charts and named artifacts (Parquet tables, an HTML report).
 * A DuckDB or PostgreSQL store implements this and `TrialStore` on the same object: an
 * optimization's trial run and its registry run share one id.
 */
import type { StoredValue } from "./types.js";

/** What produced a run. */
export type RunKind = "backtest" | "optimize" | "report";

/** "interrupted": the process stopped while the run was "running" (found so when a store is reopened or a job resumes). */
export type RunState = "running" | "finished" | "failed" | "interrupted";

/**
 * What data a run read. Data from files lists each file with its size and checksum; data built in
 * memory has a hash of its columns in `batch` instead.
 */
export interface DataFingerprint {
  /** The source files, paths as given (relative to the working folder or absolute). */
  files?: { path: string; bytes: number; sha256: string }[];
  /** sha256 over the batch's columns, when the data did not come from files. */
  batch?: string;
  /** Number of events. */
  rows?: number;
  symbols?: string[];
  /** First and last event time, ISO. */
  start?: string;
  end?: string;
  /**
   * How to read the data again, for a rerun: the command line's data options as text, e.g.
   * `{ data: "data/ticks.parquet", format: "parquet" }` or `{ data: "generated", events: "200000", seed: "1", mode: "l2" }`.
   */
  read?: Record<string, string>;
  /** A paper session's live feed (its URL): rows that were not kept, so the run cannot be repeated from the manifest. */
  live?: string;
}

/** Everything needed to repeat a run and to tell why a repetition differs. */
export interface RunManifest {
  kind: RunKind;
  /** Template name, the params it ran with, and the template's parameter schema when it has one. */
  strategy: { name: string; params: Record<string, StoredValue>; schema?: unknown };
  data: DataFingerprint;
  /** Every backtest option as JSON. */
  engine: Record<string, unknown>;
  /** Optimizations: space, method, trials, objective, walk-forward, seed. */
  optimize?: Record<string, unknown>;
  seed?: number;
  /** Package version (package.json). */
  version: string;
  /** Git commit of the package folder, when it is a git checkout. */
  commit?: string;
  host: string;
  /** Node.js version (process.version). */
  node: string;
  /** The run this one came from, e.g. the run a report or a rerun repeats. */
  parent?: string;
}

/** A stored artifact: `name` is [A-Za-z0-9._-]+, `bytes` its size. */
export interface ArtifactInfo {
  name: string;
  mediaType: string;
  bytes: number;
}

/** Equity over time, downsampled to at most ~2000 points, for charts. */
export interface EquitySeries {
  /** Epoch milliseconds. */
  timeMs: number[];
  equity: number[];
}

/** One run as the registry keeps it. */
export interface RunRecord {
  id: string;
  kind: RunKind;
  /** Strategy template name. */
  strategy: string;
  state: RunState;
  /** ISO time the run was created. */
  createdAt: string;
  /** ISO time the run finished or failed. */
  finishedAt?: string;
  manifest: RunManifest;
  /** The params of the run (an optimization: the chosen trial's). */
  params: Record<string, StoredValue>;
  /** sharpe, psr, dsr, pnl, trades, maxDrawdown, ...; NaN and ±Infinity are kept as such. */
  metrics: Record<string, number>;
  /** sha256 over the result's orders, fills and equity columns (bit-exact). */
  resultHash?: string;
  /** Why the run failed. */
  error?: string;
  /** Number of stored optimizer trials (0 for a backtest). */
  trials: number;
  artifacts: ArtifactInfo[];
  /** Absent when not recorded, and in listings that leave it out. */
  equity?: EquitySeries;
}

/** A metric range: every bound given must hold. */
export interface MetricBounds {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** Which runs `listRuns` returns, in what order. Every given field must match. */
export interface RunFilter {
  kind?: RunKind;
  strategy?: string;
  state?: RunState;
  /** ISO time: runs created at or after it. */
  since?: string;
  /** ISO time: runs created before it. */
  until?: string;
  /** Bounds on metrics; a run without the metric (or with NaN) does not match. */
  where?: Record<string, MetricBounds>;
  /** "createdAt" or a metric name (runs without it, or NaN, come last). @default "createdAt" */
  sort?: "createdAt" | (string & {});
  /** @default "desc" */
  order?: "asc" | "desc";
  /** @default all */
  limit?: number;
  /** @default 0 */
  offset?: number;
}

/** The fields `updateRun` can change. */
export interface RunPatch {
  state?: RunState;
  /** Merged into the stored metrics (a key given replaces that key). */
  metrics?: Record<string, number>;
  params?: Record<string, StoredValue>;
  resultHash?: string;
  equity?: EquitySeries;
  error?: string;
  /** ISO time. */
  finishedAt?: string;
}

/** The run registry of a store. */
export interface RunStore {
  /** "memory", "duckdb", "postgres", ... */
  readonly kind: string;
  /** Where the data lives (a file path, "memory", a URL without its password), for messages. */
  readonly location: string;
  /** Creates a run (state "running" unless given) and returns its id (generated unless given; an existing id is LabError RUN_EXISTS). */
  createRun(init: { id?: string; kind: RunKind; manifest: RunManifest; state?: RunState }): Promise<string>;
  /** Changes a run; LabError RUN_NOT_FOUND for an unknown id. */
  updateRun(id: string, patch: RunPatch): Promise<void>;
  /** Stores (or replaces) an artifact of a run. `name`: [A-Za-z0-9._-]+ only, else LabError BAD_ARTIFACT_NAME; unknown run: RUN_NOT_FOUND. */
  putArtifact(id: string, name: string, bytes: Uint8Array, mediaType: string): Promise<ArtifactInfo>;
  /** The bytes of an artifact; LabError RUN_NOT_FOUND / ARTIFACT_NOT_FOUND. */
  readArtifact(id: string, name: string): Promise<Uint8Array>;
  /** One run with its equity series and artifacts, or undefined. */
  getRun(id: string): Promise<RunRecord | undefined>;
  /** The runs that match, sorted and paged, and how many match in all (before paging). */
  listRuns(filter?: RunFilter): Promise<{ runs: RunRecord[]; total: number }>;
  close(): Promise<void>;
}
