/**
 * Worker thread of the trial pool (runs from dist/optimize/worker.js). At start it receives the
 * market data once, as views over the parent's SharedArrayBuffers, and loads the evaluator by
 * module reference; then it runs one task per message and posts each outcome back. Per-period
 * returns travel back as a transferred buffer (no copy).
 */
import { parentPort, workerData } from "node:worker_threads";
import { batchFromHandle, loadEvaluator, runTrial, type SharedBatchHandle } from "./evaluator.js";
import type { EvaluatorRef, TrialTask } from "./types.js";
import type { WorkerReply, WorkerRequest } from "./pool.js";

interface WorkerInit {
  data: SharedBatchHandle;
  evaluator: EvaluatorRef;
}

function post(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(reply, transfer);
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
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
