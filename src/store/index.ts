/**
 * store: persistence of optimization runs and their trials. A `TrialStore` commits each trial as
 * it finishes, so a sweep killed midway resumes without repeating finished trials. Back ends:
 * DuckDB file (the default for a path; plain SQL can read it) and memory (no path). PostgreSQL is
 * not implemented yet; it would be another `TrialStore`. Depends only on core.
 */
export type { TrialStore, TrialRecord, TrialStatus, TrialPhase, RowRange, RunInfo, BeginRunOptions, BegunRun, StoredValue } from "./types.js";
export { MemoryStore, memoryStore } from "./memory.js";
export { DuckDbStore, duckdbStore, type DuckDbStoreOptions } from "./duckdb.js";
export { openStore, type StoreSpec } from "./open.js";
export type { RunKind, RunState, DataFingerprint, RunManifest, ArtifactInfo, EquitySeries, RunRecord, RunFilter, MetricBounds, RunPatch, RunStore } from "./run-types.js";
export { openRunStore, isRunStore, isPostgresUrl, type LabStore } from "./open.js";
export { checkArtifactName, filterRuns, normalizeRunFilter, matchesRun, encodeEquity, decodeEquity, RUN_KINDS, RUN_STATES } from "./run-common.js";
export { encodeJson, decodeMetrics, newRunId, nextCreatedAt } from "./common.js";
export { environmentInfo, fileChecksum, downsampleEquity, batchChecksum, dataFingerprintOf, packageRoot, type BatchLike } from "./manifest.js";
