/**
 * `strategy-lab worker --queue redis://host:port/name`: a process that takes trials from a sweep's
 * job queue and runs them with the optimizer's own worker threads (dist/optimize/worker.js, the
 * same evaluator path as a local sweep), `concurrency` trials at a time.
 *
 * - Data: loaded once per data reference (a file, a catalog query, generated data) into shared
 *   memory and kept for the next trials (the last two references); its checksum is compared with
 *   the job's, and a different one fails the job with DATA_MISMATCH instead of computing on other
 *   data. The threads are started once per data and evaluator and reused.
 * - Trials run in threads, so this process's event loop stays free to renew the jobs' locks: a
 *   trial may take far longer than the lock duration. A process that dies (SIGKILL, a crash) stops
 *   renewing; after `lockDurationMs` another worker's stalled check puts its trials back in the
 *   queue, once (`maxStalledCount` 1).
 * - `close()` (SIGINT/SIGTERM in the CLI) stops taking trials and lets the running ones finish;
 *   `close({ release: true })` (a second signal) stops them and puts them back in the queue now.
 */
import os from "node:os";
import { Worker as Thread } from "node:worker_threads";
import { UnrecoverableError, WaitingError, Worker, type Job } from "bullmq";
import { LabError, instrument, isLabError } from "../core/index.js";
import { generateTicks, readCatalog, readFile, type TickBatch } from "../data/index.js";
import { shareBatch, type SharedBatchHandle } from "./evaluator.js";
import { WORKER_NICENESS, workerScriptUrl, type WorkerInit, type WorkerReply, type WorkerRequest } from "./pool.js";
import { checkQueueReachable, connectionOptions, dataChecksum, encodeOutcome, labErrorReason, localEvaluatorRef, parseQueueUrl, type QueueDataRef, type QueueJobData, type QueueJobResult } from "./queue.js";
import type { EvaluatorRef, TrialOutcome } from "./types.js";
// Trials read files of every format and may name L3 venue rules: the venues register them.
import "../venues/index.js";

export interface QueueWorkerOptions {
  /** `redis://host:port/name`. */
  url: string;
  /** Trials run at once (one thread each). @default 1 */
  concurrency?: number;
  /** How long a trial's lock lasts without renewal (a dead worker's trial is retried after it). @default 30000 */
  lockDurationMs?: number;
  /** How often this worker looks for stalled trials of dead workers. @default 30000 */
  stalledIntervalMs?: number;
  /** Niceness of the trial threads relative to this process (Linux). @default 5 */
  niceness?: number;
  /** Lines about what the worker does (data loaded, trials finished). */
  log?: (line: string) => void;
}

export interface QueueWorkerHandle {
  /** host:pid, as recorded with each result. */
  readonly name: string;
  /** Trials this process finished. */
  readonly finished: number;
  /** Stops taking trials; running ones finish (or, with `release`, go back to the queue at once). */
  close(options?: { release?: boolean }): Promise<void>;
}

interface LoadedData {
  batch: TickBatch;
  handle: SharedBatchHandle;
  checksum: string;
}

interface Slot {
  thread: Thread;
  busy: boolean;
}

/** Threads for one (data, evaluator) pair; started on demand, up to `concurrency`. */
interface ThreadSet {
  key: string;
  slots: Slot[];
  starting: number;
}

async function loadData(ref: QueueDataRef): Promise<TickBatch> {
  if ("generated" in ref) return generateTicks({ ...ref.generated, shared: true });
  if ("catalog" in ref) return readCatalog(ref.catalog, { ...(ref.options ?? {}), shared: true });
  const { instrument: spec, ...rest } = ref.options ?? {};
  return readFile(ref.file, { ...rest, ...(spec === undefined ? {} : { instrument: instrument(spec) }), shared: true });
}

function describeRef(ref: QueueDataRef): string {
  if ("generated" in ref) return `generated data ${JSON.stringify(ref.generated)}`;
  if ("catalog" in ref) return `catalog ${ref.catalog}${ref.options ? ` ${JSON.stringify(ref.options)}` : ""}`;
  return `file ${ref.file}${ref.options ? ` ${JSON.stringify(ref.options)}` : ""}`;
}

/** Starts a queue worker (see the module comment); resolves once it is connected. */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const loc = parseQueueUrl(options.url);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new LabError({ code: "BAD_OPTION", message: `concurrency must be an integer ≥ 1, got ${String(concurrency)}`, hint: "e.g. --concurrency 2 (one trial per core)", context: { option: "concurrency" } });
  await checkQueueReachable(loc);
  const name = `${os.hostname()}:${process.pid}`;
  const log = options.log ?? (() => undefined);
  const niceness = options.niceness ?? WORKER_NICENESS;

  const cache = new Map<string, Promise<LoadedData>>();
  const getData = (ref: QueueDataRef): Promise<LoadedData> => {
    const key = JSON.stringify(ref);
    let p = cache.get(key);
    if (p === undefined) {
      p = (async () => {
        const t0 = performance.now();
        const batch = await loadData(ref);
        const { batch: shared, handle } = shareBatch(batch);
        const checksum = dataChecksum(shared);
        log(`loaded ${describeRef(ref)}: ${shared.length} rows, checksum ${checksum.slice(0, 16)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        return { batch: shared, handle, checksum };
      })();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
      // Keep the last two data sets (a sweep and the next one); older ones are dropped.
      while (cache.size > 2) cache.delete(cache.keys().next().value!);
    }
    return p;
  };

  let threads: ThreadSet | undefined;
  const slotWaiters: (() => void)[] = [];
  const active = new Map<string, { slot: Slot; job: Job<QueueJobData, QueueJobResult>; token: string | undefined; release: () => void }>();
  let finished = 0;

  const startThread = (set: ThreadSet, data: LoadedData, evaluator: EvaluatorRef): Promise<Slot> =>
    new Promise<Slot>((resolve, reject) => {
      const thread = new Thread(workerScriptUrl(), { workerData: { data: data.handle, evaluator, niceness } satisfies WorkerInit, execArgv: [] });
      const onMessage = (m: WorkerReply): void => {
        if (m.type === "ready") {
          thread.off("message", onMessage);
          const slot: Slot = { thread, busy: false };
          thread.once("exit", () => {
            set.slots = set.slots.filter((s) => s !== slot);
          });
          set.slots.push(slot);
          resolve(slot);
        } else if (m.type === "init-failed") {
          void thread.terminate();
          reject(new LabError({ code: "QUEUE_WORKER_FAILED", message: `worker ${name} could not start the evaluator ${evaluator.module}#${evaluator.export}: ${m.message}`, hint: "install the same version of the code on every worker machine (and build it: npm run build); a strategyModule or evaluator path must exist there too" }));
        }
      };
      thread.on("message", onMessage);
      thread.once("error", (e) => reject(new LabError({ code: "QUEUE_WORKER_FAILED", message: `worker ${name}: a trial thread failed to start: ${e.message}`, hint: "rebuild with npm run build on this machine", cause: e })));
    });

  /** A free thread for this data and evaluator (starting one when fewer than `concurrency` run). */
  const acquire = async (data: LoadedData, evaluator: EvaluatorRef): Promise<Slot> => {
    const key = JSON.stringify([data.checksum, evaluator]);
    if (threads?.key !== key) {
      const old = threads;
      threads = { key, slots: [], starting: 0 };
      // Threads of other data or another evaluator are closed once idle (their trials finish).
      if (old !== undefined) for (const s of old.slots) if (!s.busy) void s.thread.terminate();
    }
    const set = threads;
    for (;;) {
      const free = set.slots.find((s) => !s.busy);
      if (free !== undefined) {
        free.busy = true;
        return free;
      }
      if (set.slots.length + set.starting < concurrency) {
        set.starting++;
        try {
          const slot = await startThread(set, data, evaluator);
          slot.busy = true;
          return slot;
        } finally {
          set.starting--;
        }
      }
      await new Promise<void>((r) => slotWaiters.push(r));
    }
  };

  const releaseSlot = (slot: Slot): void => {
    slot.busy = false;
    if (threads !== undefined && !threads.slots.includes(slot)) void slot.thread.terminate();
    slotWaiters.shift()?.();
  };

  /** Runs one trial on a thread; a thread that dies fails the trial, as in the local pool. */
  const runOnThread = (slot: Slot, job: Job<QueueJobData, QueueJobResult>, token: string | undefined): Promise<TrialOutcome | "released"> =>
    new Promise((resolve) => {
      const d = job.data;
      let lastError: Error | undefined;
      const done = (value: TrialOutcome | "released"): void => {
        slot.thread.off("message", onMessage);
        slot.thread.off("exit", onExit);
        slot.thread.off("error", onError);
        active.delete(job.id!);
        resolve(value);
      };
      const onMessage = (m: WorkerReply): void => {
        if (m.type === "done") done(m.outcome);
      };
      const onError = (e: Error): void => {
        lastError = e;
      };
      let released = false;
      const onExit = (code: number): void => {
        if (released) return done("released");
        done({ id: 0, ok: false, metrics: {}, events: 0, durationMs: 0, error: lastError ? `worker died: ${lastError.message}` : `worker exited with code ${code}` });
      };
      slot.thread.on("message", onMessage);
      slot.thread.on("error", onError);
      slot.thread.on("exit", onExit);
      active.set(job.id!, {
        slot,
        job,
        token,
        release: () => {
          released = true;
          void slot.thread.terminate();
        },
      });
      slot.thread.postMessage({ type: "run", task: { id: 0, params: d.params, range: d.range, seed: d.seed } } satisfies WorkerRequest);
    });

  const processor = async (job: Job<QueueJobData, QueueJobResult>, token?: string): Promise<QueueJobResult> => {
    const d = job.data;
    try {
      if (d.version !== 1) throw new LabError({ code: "QUEUE_WORKER_FAILED", message: `worker ${name}: job ${job.id} has format version ${String(d.version)}, this worker reads 1`, hint: "run the same version of the code on the sweep's machine and every worker" });
      let data: LoadedData;
      try {
        data = await getData(d.data);
      } catch (error) {
        const why = isLabError(error) ? error.toLine().replace(/^error /, "") : (error as Error).message;
        throw new LabError({ code: "QUEUE_WORKER_FAILED", message: `worker ${name} could not load ${describeRef(d.data)}: ${why}`, hint: "the data must be reachable on every worker machine at the same path (a shared file system, or a copy), or use a shared catalog", cause: error });
      }
      if (data.checksum !== d.checksum) {
        throw new LabError({
          code: "DATA_MISMATCH",
          message: `worker ${name} loaded ${describeRef(d.data)} with ${data.batch.length} rows and checksum ${data.checksum}, but the sweep ran on ${d.rows} rows with checksum ${d.checksum}: trial ${d.index} of window ${d.window} (run ${d.runId}) was not computed`,
          hint: "make this worker read the same data (the same file content at the same path, the same read options, the same code version), then resume the sweep",
          context: { expected: d.checksum, actual: data.checksum, worker: name },
        });
      }
      const slot = await acquire(data, localEvaluatorRef(d.evaluator));
      let outcome: TrialOutcome | "released";
      try {
        outcome = await runOnThread(slot, job, token);
      } finally {
        releaseSlot(slot);
      }
      if (outcome === "released") {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      finished++;
      log(`trial ${d.index} of window ${d.window} (${d.phase}, run ${d.runId}): ${outcome.ok ? "ok" : `failed: ${outcome.error}`} in ${outcome.durationMs.toFixed(0)} ms`);
      return encodeOutcome(outcome, name);
    } catch (error) {
      if (error instanceof WaitingError) throw error;
      if (isLabError(error)) {
        log(error.toLine());
        // Not retried: another attempt on this machine would meet the same data or build.
        throw new UnrecoverableError(labErrorReason(error));
      }
      throw error;
    }
  };

  const worker = new Worker<QueueJobData, QueueJobResult>(loc.name, processor, {
    connection: connectionOptions(loc),
    concurrency,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: 1,
    name,
  });
  worker.on("error", (e) => log(`queue connection: ${e.message}`));
  await worker.waitUntilReady();
  log(`worker ${name} takes trials from ${loc.display} (${concurrency} at a time)`);

  let closing: Promise<void> | undefined;
  return {
    name,
    get finished() {
      return finished;
    },
    async close(o = {}) {
      if (o.release) for (const a of [...active.values()]) a.release();
      closing ??= (async () => {
        await worker.close();
        const set = threads;
        threads = undefined;
        if (set !== undefined) await Promise.all(set.slots.map((s) => s.thread.terminate()));
      })();
      await closing;
    },
  };
}
