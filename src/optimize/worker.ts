/**
 * Worker thread of the trial pool (runs from dist/optimize/worker.js). At start it receives the
 * market data once, as views over the parent's SharedArrayBuffers, and loads the evaluator by
 * module reference; then it runs one task per message and posts each outcome back. Per-period
 * returns travel back as a transferred buffer (no copy).
 */
import os from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { batchFromHandle, loadEvaluator, runTrial } from "./evaluator.js";
import type { TrialTask } from "./types.js";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./pool.js";
// A worker thread has a module graph of its own: the venues register the formats and L3 venue rules its files and backtests may name.
import "../venues/index.js";

function post(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(reply, transfer);
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  // On Linux a thread's niceness is its own: pid 0 here is this worker's thread, not the process
  // (elsewhere it would be the whole process, so it is left alone). See PoolOptions.niceness.
  if (init.niceness > 0 && process.platform === "linux") {
    try {
      // Relative to the niceness inherited from the thread that started the pool.
      os.setPriority(0, Math.min(19, os.getPriority(0) + init.niceness));
    } catch {
      // A sandbox may forbid it; trials run the same, only scheduled at the caller's priority.
    }
  }
  const data = batchFromHandle(init.data);
  let evaluate;
  try {
    evaluate = await loadEvaluator(init.evaluator);
  } catch (error) {
    post({ type: "init-failed", message: error instanceof Error ? error.message : String(error) });
    return;
  }
  parentPort!.on("message", (message: WorkerRequest) => {
    if (message.type === "close") {
      parentPort!.close();
      return;
    }
    const task: TrialTask = message.task;
    const outcome = runTrial(evaluate, data, task);
    const transfer: ArrayBuffer[] = [];
    const returns = outcome.periodReturns;
    if (returns !== undefined) {
      if (returns.buffer instanceof ArrayBuffer && returns.byteOffset === 0 && returns.byteLength === returns.buffer.byteLength) transfer.push(returns.buffer);
      else outcome.periodReturns = returns.slice();
      if (transfer.length === 0 && outcome.periodReturns!.buffer instanceof ArrayBuffer) transfer.push(outcome.periodReturns!.buffer);
    }
    post({ type: "done", outcome }, transfer);
  });
  post({ type: "ready" });
}

main().catch((error: unknown) => {
  post({ type: "init-failed", message: error instanceof Error ? error.message : String(error) });
});
