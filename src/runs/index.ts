/**
 * runs: recording backtests, optimizations and reports in the run registry of a store, reading
 * them back as notebook tables, and repeating a recorded backtest to check it reproduces. Sits
 * above engine, optimize and report (it records their results); the CLI and the server use it.
 */
export { backtest, optimize, store, runs, STORE_ENV, defaultStorePath, storeSpecFrom, type CatalogQuery, type CatalogSweepData, type SweepOptions } from "./facade.js";
export { recordBacktest, backtestManifest, backtestMetrics, resultHash, equityForCharts, engineJson, optionJson, sourceFiles, backtestArtifacts, parquetBytes, checklistArtifact, putChecklist, CHECKLIST_ARTIFACT, PARQUET, type BacktestRecordInfo } from "./record.js";
export { RunList, RunView, RunComparison, manifestDifferences, type MetricDiff } from "./views.js";
export { rerun, type RerunReport, type RerunOptions, type RerunDifference } from "./rerun.js";

export * as storeNamespace from "./store-namespace.js";
export * as runsNamespace from "./runs-namespace.js";
export * as liveNamespace from "./live.js";
