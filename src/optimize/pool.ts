/**
 * A pool of worker threads that run trials over market data held once in shared memory.
 *
 * - Data: the batch's column buffers (SharedArrayBuffers; copied into shared memory once if they
 *   are not) are handed to each worker at start, never per trial; workers build typed-array views
 *   over them, so memory does not grow with the worker count beyond each worker's own state.
 * - Work: one task per message to whichever worker is idle (trials take milliseconds to minutes, so
 *   per-message overhead is negligible and load stays balanced); outcomes stream back as they
 *   finish and are returned in task order.
 * - Failures: an evaluator that throws gives a failed outcome with its message. A worker that dies
 *   (out of memory, `process.exit`) fails its in-flight trial with the exit reason and is replaced.
 * - `workers: 0` runs trials in the calling thread (and accepts a plain evaluator function): handy
 *   for debugging and for evaluators defined in a notebook cell.
 * - Between sweeps: `acquirePool` / `releasePool` keep one pool warm for the next sweep with the
 *   same data and evaluator (see the end of this file).
 *
 * The worker script is compiled JavaScript: it is located at `new URL("./worker.js",
 * import.meta.url)`, i.e. dist/optimize/worker.js next to this module. When this module is run
 * from TypeScript sources (tests), the same path under dist/ is used, so build first
 * (`npx tsc -p tsconfig.json`).
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import os from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { LabError } from "../core/index.js";
import { compiledModuleUrlFrom } from "../core/internal.js";
import type { TickBatch } from "../data/index.js";
import { loadEvaluator, normalizeEvaluatorRef, runTrial, shareBatch, type SharedBatchHandle } from "./evaluator.js";
import type { EvaluatorRef, TrialEvaluator, TrialOutcome, TrialTask } from "./types.js";

/** What a worker receives at start. */
export interface WorkerInit {
  data: SharedBatchHandle;
  evaluator: EvaluatorRef;
  /** Niceness to take on (Linux), 0 = none. */
  niceness: number;
}

export type WorkerRequest = { type: "run"; task: TrialTask } | { type: "close" };
export type WorkerReply = { type: "ready" } | { type: "init-failed"; message: string } | { type: "done"; outcome: TrialOutcome };

export interface PoolOptions {
  /** The market data every trial reads. */
  data: TickBatch;
  /** A module reference (any worker count) or a function (only with `workers: 0`). */
  evaluator: EvaluatorRef | TrialEvaluator;
  /** Worker threads; 0 = run in the calling thread. @default os.availableParallelism() */
  workers?: number;
  /**
   * How much nicer (lower priority) than the calling thread each worker thread runs, on Linux,
   * where niceness is per thread (ignored elsewhere); 0 = the caller's priority. When every core
   * runs a trial, trial threads at the priority of the process's JIT-compiler and garbage-collector
   * threads share the CPU evenly with them, so a fresh worker runs longer in unoptimized code while
   * its compilations wait; a lower priority lets those finish first, and keeps the calling thread
   * (a notebook kernel, the progress bar) responsive. @default 5
   */
  niceness?: number;
}

/** Default niceness of worker threads (see PoolOptions.niceness). */
export const WORKER_NICENESS = 5;

/** Default worker count: the cores Node may use. */
export function defaultWorkers(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

/**
 * URL of a compiled module of this folder (e.g. "worker.js"): next to this file when running from
 * dist/, else the same path under dist/ when running from TypeScript sources.
 */
export function compiledModuleUrl(file: string): URL {
  return compiledModuleUrlFrom(import.meta.url, file, "the optimizer's compiled module");
}

/** The worker script (see the module comment). */
export function workerScriptUrl(): URL {
  return compiledModuleUrl("worker.js");
}

interface Slot {
  worker: Worker;
  busy: TrialTask | undefined;
  ready: boolean;
}

export class TrialPool {
  readonly size: number;
  /** True when the data had to be copied into shared memory (it was not shared already). */
  readonly copiedData: boolean;
  private readonly data: TickBatch;
  private readonly handle: SharedBatchHandle | undefined;
  private readonly ref: EvaluatorRef | undefined;
  private local: TrialEvaluator | undefined;
  private slots: Slot[] = [];
  private closed = false;
  private restarts = 0;
  private readonly niceness: number;

  private constructor(data: TickBatch, handle: SharedBatchHandle | undefined, copied: boolean, ref: EvaluatorRef | undefined, local: TrialEvaluator | undefined, size: number, niceness = 0) {
    this.niceness = niceness;
    this.data = data;
    this.handle = handle;
    this.copiedData = copied;
    this.ref = ref;
    this.local = local;
    this.size = size;
  }

  static async open(options: PoolOptions): Promise<TrialPool> {
    const workers = options.workers ?? defaultWorkers();
    if (!Number.isInteger(workers) || workers < 0) throw new LabError({ code: "BAD_OPTION", message: `workers must be an integer ≥ 0, got ${String(workers)}`, hint: `e.g. workers: ${defaultWorkers()} (0 runs trials in this thread)`, context: { option: "workers" } });
    if (typeof options.evaluator === "function") {
      if (workers > 0) throw new LabError({ code: "BAD_EVALUATOR", message: "worker threads cannot receive a function evaluator", hint: "pass { module, export } naming a compiled module that exports it, or use workers: 0 to run in this thread", context: { option: "evaluator" } });
      return new TrialPool(options.data, undefined, false, undefined, options.evaluator, 0);
    }
    const niceness = options.niceness ?? WORKER_NICENESS;
    if (!Number.isInteger(niceness) || niceness < 0 || niceness > 19) throw new LabError({ code: "BAD_OPTION", message: `niceness must be an integer from 0 to 19, got ${String(niceness)}`, hint: `e.g. niceness: ${WORKER_NICENESS} (0 = the caller's priority)`, context: { option: "niceness" } });
    const ref = normalizeEvaluatorRef(options.evaluator);
    if (workers === 0) return new TrialPool(options.data, undefined, false, ref, await loadEvaluator(ref), 0);
    const { batch, handle, copied } = shareBatch(options.data);
    const pool = new TrialPool(batch, handle, copied, ref, undefined, workers, niceness);
    try {
      await Promise.all(Array.from({ length: workers }, () => pool.spawn()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  private spawn(): Promise<Slot> {
    const script = workerScriptUrl();
    return new Promise<Slot>((resolve, reject) => {
      // execArgv: [] so workers never inherit a TypeScript loader or test-runner flags.
      const worker = new Worker(script, { workerData: { data: this.handle!, evaluator: this.ref!, niceness: this.niceness } satisfies WorkerInit, execArgv: [] });
      const slot: Slot = { worker, busy: undefined, ready: false };
      const onInit = (message: WorkerReply): void => {
        if (message.type === "ready") {
          slot.ready = true;
          worker.off("message", onInit);
          worker.off("error", onInitError);
          worker.off("exit", onInitExit);
          this.slots.push(slot);
          resolve(slot);
        } else if (message.type === "init-failed") {
          void worker.terminate();
          reject(new LabError({ code: "EVALUATOR_FAILED", message: `worker could not start the evaluator: ${message.message}`, hint: "check the evaluator module and export (it is imported inside each worker)" }));
        }
      };
      const onInitError = (error: Error): void => reject(new LabError({ code: "WORKER_FAILED", message: `worker failed to start: ${error.message}`, hint: "rebuild with npx tsc -p tsconfig.json; run with workers: 0 to see the error in this thread", cause: error }));
      const onInitExit = (code: number): void => reject(new LabError({ code: "WORKER_FAILED", message: `worker exited during start with code ${code}`, hint: "run with workers: 0 to see the error in this thread" }));
      worker.on("message", onInit);
      worker.once("error", onInitError);
      worker.once("exit", onInitExit);
    });
  }

  /**
   * Runs the tasks; `onOutcome` is called as each finishes (in finishing order; a returned promise
   * is awaited before `run` resolves). Resolves with all outcomes in task order.
   */
  async run(tasks: readonly TrialTask[], onOutcome?: (outcome: TrialOutcome) => void | Promise<void>): Promise<TrialOutcome[]> {
    if (this.closed) throw new LabError({ code: "POOL_CLOSED", message: "the trial pool is closed", hint: "open a new pool" });
    const pendingCallbacks: Promise<void>[] = [];
    const deliver = (o: TrialOutcome): void => {
      const r = onOutcome?.(o);
      if (r instanceof Promise) pendingCallbacks.push(r);
    };
    let outcomes: TrialOutcome[];
    if (this.size === 0) outcomes = await this.runLocal(tasks, deliver);
    else {
      // Replace workers that died between runs.
      while (this.slots.length < this.size) await this.spawn();
      outcomes = await this.runWorkers(tasks, deliver);
    }
    await Promise.all(pendingCallbacks);
    const byId = new Map(outcomes.map((o) => [o.id, o]));
    return tasks.map((t) => byId.get(t.id)!);
  }

  private async runLocal(tasks: readonly TrialTask[], deliver: (o: TrialOutcome) => void): Promise<TrialOutcome[]> {
    const out: TrialOutcome[] = [];
    for (const task of tasks) {
      const outcome = runTrial(this.local!, this.data, task);
      out.push(outcome);
      deliver(outcome);
      // Yield so progress sinks, store writes and timers run between trials.
      await new Promise<void>((r) => setImmediate(r));
    }
    return out;
  }

  private runWorkers(tasks: readonly TrialTask[], deliver: (o: TrialOutcome) => void): Promise<TrialOutcome[]> {
    return new Promise<TrialOutcome[]>((resolve, reject) => {
      const queue = [...tasks];
      const out: TrialOutcome[] = [];
      let failed = false;
      const finish = (): void => {
        if (out.length === tasks.length) {
          for (const s of this.slots) detach(s);
          resolve(out);
        }
      };
      const handlers = new Map<Slot, { message: (m: WorkerReply) => void; exit: (code: number) => void; error: (e: Error) => void }>();
      const detach = (s: Slot): void => {
        const h = handlers.get(s);
        if (!h) return;
        s.worker.off("message", h.message);
        s.worker.off("exit", h.exit);
        s.worker.off("error", h.error);
        handlers.delete(s);
      };
      const feed = (s: Slot): void => {
        const task = queue.shift();
        s.busy = task;
        if (task !== undefined) s.worker.postMessage({ type: "run", task } satisfies WorkerRequest);
      };
      const attach = (s: Slot): void => {
        let lastError: Error | undefined;
        const h = {
          message: (m: WorkerReply): void => {
            if (m.type !== "done") return;
            s.busy = undefined;
            out.push(m.outcome);
            deliver(m.outcome);
            feed(s);
            finish();
          },
          error: (e: Error): void => {
            lastError = e;
          },
          exit: (code: number): void => {
            detach(s);
            this.slots = this.slots.filter((x) => x !== s);
            const task = s.busy;
            s.busy = undefined;
            if (task !== undefined) {
              const reason = lastError ? `worker died: ${lastError.message}` : `worker exited with code ${code}`;
              const o: TrialOutcome = { id: task.id, ok: false, metrics: {}, events: 0, durationMs: 0, error: reason };
              out.push(o);
              deliver(o);
            }
            if (failed || this.closed) return;
            if (out.length === tasks.length) return finish();
            if (++this.restarts > Math.max(8, 2 * this.size)) {
              failed = true;
              reject(new LabError({ code: "WORKER_FAILED", message: `workers keep dying (${this.restarts} restarts)`, hint: "run with workers: 0 to see the failure in this thread" }));
              return;
            }
            this.spawn().then(
              (fresh) => {
                attach(fresh);
                feed(fresh);
              },
              (error: unknown) => {
                failed = true;
                reject(error);
              },
            );
          },
        };
        handlers.set(s, h);
        s.worker.on("message", h.message);
        s.worker.on("error", h.error);
        s.worker.on("exit", h.exit);
      };
      if (tasks.length === 0) return resolve([]);
      for (const s of [...this.slots]) {
        attach(s);
        feed(s);
      }
    });
  }

  /** Whether the pool's threads keep the process alive (they do while trials run; a parked pool does not). */
  setKeepsProcessAlive(alive: boolean): void {
    for (const s of this.slots) {
      if (alive) s.worker.ref();
      else s.worker.unref();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------
// Warm pools between sweeps

/**
 * One pool left open after a sweep, for the next sweep over the same data with the same evaluator
 * and worker settings: a notebook's next cell then skips the threads' start-up and finds the
 * engine already compiled by V8 (a cold worker's first trials run up to 1.5x slower). Its threads
 * do not keep the process alive, and it closes after `keepMs` without use.
 */
interface ParkedPool {
  pool: TrialPool;
  data: TickBatch;
  key: string;
  timer: ReturnType<typeof setTimeout>;
}

let parked: ParkedPool | undefined;

/** How long a pool stays open after a sweep for the next one. @see acquirePool */
export const KEEP_WORKERS_MS = 60_000;

/**
 * What a reusable pool must match. Parked workers hold the modules they imported, so the key has
 * the modification time and size of the evaluator's module file and of a `strategyModule` in its
 * options: editing either starts fresh workers. (A change in a file those modules import is not
 * seen, as in any running JavaScript process: `closeIdleWorkers()` or `keepWorkersMs: 0`.)
 */
function poolKey(options: PoolOptions): string {
  if (typeof options.evaluator === "function") return "function";
  const ref = normalizeEvaluatorRef(options.evaluator);
  const strategyModule = (ref.options as { strategyModule?: unknown } | undefined)?.strategyModule;
  const files = [ref.module, typeof strategyModule === "string" ? strategyModule : undefined].map((m) => (m === undefined ? null : fileStamp(m)));
  return JSON.stringify([ref, files, options.workers ?? defaultWorkers(), options.niceness ?? WORKER_NICENESS]);
}

/** Modification time and size of a module given as a file URL or path (null for package names). */
function fileStamp(module: string): string | null {
  try {
    const path = module.startsWith("file:") ? fileURLToPath(module) : isAbsolute(module) || module.startsWith(".") ? resolve(module) : undefined;
    if (path === undefined) return null;
    const st = statSync(path);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return "missing";
  }
}

/**
 * A pool for `options`: the parked one when it was opened for the same data (the same batch
 * object), evaluator, worker count and niceness, else a new one (a parked pool for anything else
 * is closed first, so at most one set of idle threads exists).
 */
export async function acquirePool(options: PoolOptions): Promise<TrialPool> {
  const candidate = parked;
  parked = undefined;
  if (candidate !== undefined) {
    clearTimeout(candidate.timer);
    // The key has the worker count, so a request for workers: 0 never matches a parked pool.
    if (candidate.data === options.data && candidate.key === poolKey(options) && !candidate.pool.isClosed) {
      candidate.pool.setKeepsProcessAlive(true);
      return candidate.pool;
    }
    await candidate.pool.close();
  }
  return TrialPool.open(options);
}

/**
 * Ends a sweep's use of `pool`: parks it for `keepMs` (workers only; 0 closes it at once, as does
 * a sweep that failed).
 */
export async function releasePool(pool: TrialPool, options: PoolOptions, keepMs: number): Promise<void> {
  if (keepMs <= 0 || pool.size === 0 || pool.isClosed) return pool.close();
  await closeIdleWorkers(); // acquirePool took `pool` out, so any parked one is another
  pool.setKeepsProcessAlive(false);
  // setTimeout holds at most 2^31 − 1 ms (longer fires at once).
  const timer = setTimeout(() => void closeIdleWorkers(), Math.min(keepMs, 2 ** 31 - 1));
  timer.unref();
  parked = { pool, data: options.data, key: poolKey(options), timer };
}

/** Closes the worker threads kept warm after the last sweep (they also close on their own after a while). */
export async function closeIdleWorkers(): Promise<void> {
  const p = parked;
  parked = undefined;
  if (p === undefined) return;
  clearTimeout(p.timer);
  await p.pool.close();
}
