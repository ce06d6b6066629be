/** The public names of the optimize layer (re-exported by index.ts, and as the `optimizer` namespace). */
export { optimize, trialSeed, type OptimizeOptions } from "./optimize.js";
export { OptimizationResult, trialTable, type WindowReport, type ResultTable } from "./result.js";
export { range, resolveSpace, paramsKey, isSearchable, type RangeSpec, type SpaceEntry, type SpaceSpec, type SearchSpace } from "./space.js";
export { gridSearch, randomSearch, geneticSearch, expandGrid, gridSize, GeneticPlan, type SearchMethod, type SearchPlan, type Candidate, type GridOptions, type RandomOptions, type GeneticOptions } from "./search.js";
export { normalizeObjective, normalizeConstraints, fitness, type ObjectiveSpec, type ConstraintSpec, type Objective, type Constraints, type Direction, type Metrics } from "./objective.js";
export { walkForwardWindows, parseWalkForward, type WalkForwardSpec, type WalkForwardWindow } from "./walk-forward.js";
export { WORKER_NICENESS, KEEP_WORKERS_MS, closeIdleWorkers, defaultWorkers, type PoolOptions } from "./pool.js";
export { isSharedBatch } from "./evaluator.js";
export { evaluatorFor, strategyEvaluator, startingAt, rangeFigures, type StrategyBacktestOptions, type StrategyEvaluatorOptions } from "./strategy-evaluator.js";
export { overfitting, type OverfittingReport, type OverfittingOptions } from "./overfitting.js";
export { dataFingerprint } from "./fingerprint.js";
export type { TrialEvaluator, EvaluatorRef, EvaluatorFactory, TrialContext, TrialOutput, TrialTask, TrialOutcome, TrialRecord, TrialStatus, TrialPhase, RowRange, Params, ParamValue } from "./types.js";
export { parseQueueUrl, checkQueueReachable, dataRefOf, normalizeDataRef, type QueueSweepOptions, type QueueDataRef, type QueueFileReadOptions, type QueueLocation } from "./queue.js";
