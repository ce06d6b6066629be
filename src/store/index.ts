/**
 * store: persistence of runs. A `TrialStore` commits each optimizer trial as it finishes, so a
 * sweep killed midway resumes without repeating finished trials; a `RunStore` is the run registry
 * (manifests, metrics, result hash, equity, artifacts). Back ends, each implementing both: DuckDB
 * file (the default for a path; plain SQL can read it), PostgreSQL (a `postgres://` URL; shared by
 * several researchers and processes; docs/store.md) and memory. Depends only on core.
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
export { PostgresStore, postgresStore, redactUrl, type PostgresStoreOptions } from "./postgres.js";
