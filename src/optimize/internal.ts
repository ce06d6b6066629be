/**
 * optimize's internals that higher layers use but that are not part of the package's public face
 * (`src/index.ts` does not re-export this file): the worker pool and its evaluator plumbing, the
 * job-queue internals the `strategy-lab worker` command runs, streamed sweeps over catalog ranges.
 */
export { sweepWith } from "./optimize.js";
export { TrialPool, acquirePool, releasePool, workerScriptUrl, compiledModuleUrl } from "./pool.js";
export { loadEvaluator, runTrial, shareBatch, batchFromHandle, type SharedBatchHandle } from "./evaluator.js";
export { dataChecksum, trialJobId, QueueDispatcher, type QueueJobData, type QueueJobResult, type TrialRunner, type TrialBatchInfo } from "./queue.js";
export { startQueueWorker, type QueueWorkerOptions, type QueueWorkerHandle } from "./queue-worker.js";
export { StreamedRunner, timeIndexOf, type StreamedRange, type TimeIndex } from "./streamed.js";
