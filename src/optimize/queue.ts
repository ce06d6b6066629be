/**
 * Distributed sweeps: trials go through a BullMQ job queue on Redis to `strategy-lab worker`
 * processes on any machine, instead of the local thread pool.
 *
 * - A job is one trial: params, row range and seed (what a thread worker receives), plus how to
 *   load the data (`QueueDataRef`: a file and its read options, a catalog query, or generated data)
 *   and the SHA-256 checksum of the batch this process runs on. A worker whose loaded data has
 *   another checksum refuses the trial (DATA_MISMATCH) rather than compute on other data.
 * - Job ids are the run id, the configuration fingerprint, the window, the phase and the trial
 *   index: enqueueing a sweep again (after the coordinator crashed, or on resume) finds the jobs
 *   already there, and takes the result of those that finished, so nothing runs twice.
 * - Outcomes come back bit for bit: metrics and per-period returns travel as little-endian
 *   float64 bytes (NaN and ±Infinity kept), so a queued sweep records exactly what a local one
 *   records and chooses the same params.
 * - A worker killed mid-trial stops renewing its job's lock; another worker's stalled-job check
 *   puts the job back in the queue once (`maxStalledCount` 1), and a job that stalls twice becomes
 *   a failed trial, as a thread that dies does in the local pool.
 */
import { createHash } from "node:crypto";
import { resolve as resolvePath } from "node:path";
import { Queue, QueueEvents, type Job } from "bullmq";
import { Redis } from "ioredis";
import { LabError, isLabError, type InstrumentSpecInit, type LabErrorCode } from "../core/index.js";
import { TICK_COLUMN_NAMES, readReportOf, type TickBatch } from "../data/index.js";
import { normalizeEvaluatorRef } from "./evaluator.js";
import { compiledModuleUrl } from "./pool.js";
import type { EvaluatorRef, Params, RowRange, TrialOutcome, TrialPhase, TrialTask } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Queue URLs and connections

/** A parsed `redis://[user:password@]host:port/name` queue URL. */
export interface QueueLocation {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The BullMQ queue name (the URL's path). */
  name: string;
  /** The URL without its password, for messages. */
  display: string;
}

const QUEUE_URL_EXAMPLE = "redis://127.0.0.1:6379/sweeps";

function badUrl(url: string, why: string): LabError {
  return new LabError({ code: "BAD_QUEUE_URL", message: `queue URL ${JSON.stringify(url)}: ${why}`, hint: `write it as redis://host:port/name, e.g. ${QUEUE_URL_EXAMPLE}`, context: { value: url } });
}

/** Parses a queue URL (`redis://host:port/name`, `rediss://` for TLS; port 6379 when omitted). */
export function parseQueueUrl(url: string): QueueLocation {
  if (typeof url !== "string" || url.trim() === "") throw badUrl(String(url), "empty");
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw badUrl(url, "not a URL");
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw badUrl(url, `scheme ${u.protocol.replace(/:$/, "")} is not redis or rediss`);
  if (u.hostname === "") throw badUrl(url, "no host");
  const port = u.port === "" ? 6379 : Number(u.port);
  const name = decodeURIComponent(u.pathname.replace(/^\/+/, ""));
  if (name === "") throw badUrl(url, "no queue name (the path after host:port)");
  if (!/^[A-Za-z0-9_.-]{1,200}$/.test(name)) throw badUrl(url, `queue name ${JSON.stringify(name)} may only have letters, digits, "_", "-" and "."`);
  const loc: QueueLocation = { host: u.hostname.replace(/^\[|\]$/g, ""), port, tls: u.protocol === "rediss:", name, display: `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ""}${u.host}/${name}` };
  if (u.username) loc.username = decodeURIComponent(u.username);
  if (u.password) loc.password = decodeURIComponent(u.password);
  return loc;
}

/** ioredis options for BullMQ (blocking commands need `maxRetriesPerRequest: null`). */
export function connectionOptions(loc: QueueLocation): { host: string; port: number; username?: string; password?: string; tls?: object; maxRetriesPerRequest: null } {
  return { host: loc.host, port: loc.port, ...(loc.username ? { username: loc.username } : {}), ...(loc.password ? { password: loc.password } : {}), ...(loc.tls ? { tls: {} } : {}), maxRetriesPerRequest: null };
}

/**
 * Checks that the queue's Redis answers PING within `timeoutMs`; QUEUE_UNREACHABLE otherwise.
 * (BullMQ's own connections retry forever, which would leave a sweep waiting in silence.)
 */
export async function checkQueueReachable(loc: QueueLocation, timeoutMs = 3000): Promise<void> {
  const client = new Redis({ ...connectionOptions(loc), lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The socket's own error (ECONNREFUSED, ENOTFOUND, NOAUTH ...) says more than the rejection's.
  let socketError: Error | undefined;
  client.on("error", (e: Error) => (socketError ??= e));
  let failure: unknown;
  try {
    await client.connect();
    const pong = await Promise.race([client.ping(), new Promise<string>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref())]);
    if (pong !== "PONG") failure = new Error(`unexpected answer ${JSON.stringify(pong)}`);
  } catch (error) {
    failure = error;
  } finally {
    client.disconnect();
  }
  if (failure !== undefined) {
    const why = socketError?.message ?? (failure instanceof Error ? failure.message : String(failure));
    throw new LabError({
      code: "QUEUE_UNREACHABLE",
      message: `the job queue's Redis at ${loc.host}:${loc.port} does not answer (${loc.display}): ${why}`,
      hint: `start Redis there (e.g. redis-server --port ${loc.port}; npm run setup installs the Debian package redis-server), or fix the host and port in the queue URL`,
      context: { host: loc.host, port: loc.port, queue: loc.name },
      cause: failure,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Data references and checksums

/** Read options of a file data reference: `lab.data.readFile` options as plain data. */
export interface QueueFileReadOptions {
  format?: string;
  onBadRows?: "reject" | "quarantine";
  /** For files that carry no instrument. */
  instrument?: InstrumentSpecInit;
  timeUnit?: "s" | "ms" | "us" | "ns";
  clockOffsetNs?: number | "auto";
}

/**
 * How a queue worker loads a sweep's data. Paths must name the same content on every machine
 * (a shared file system, or the same file copied to the same path); the job's checksum checks it.
 */
export type QueueDataRef =
  | { file: string; options?: QueueFileReadOptions }
  | { catalog: string; options?: { symbols?: string[]; venues?: string[]; start?: string; end?: string; order?: "localTs" | "exchTs" | "file" } }
  | { generated: { events: number; seed: number; mode: "l2" | "l3"; depth?: number; startPriceTicks?: number; ratePerSecond?: number } };

/** Checks the shape of a data reference (QUEUE_DATA_REF when it is not one) and makes paths absolute. */
export function normalizeDataRef(ref: unknown): QueueDataRef {
  const bad = (why: string): LabError =>
    new LabError({ code: "QUEUE_DATA_REF", message: `queue data reference ${JSON.stringify(ref)}: ${why}`, hint: 'e.g. data: { file: "/data/ticks.parquet" }, { catalog: "/data/catalog", options: { symbols: ["BTCUSDT"] } } or { generated: { events: 200000, seed: 1, mode: "l2" } }' });
  if (typeof ref !== "object" || ref === null) throw bad("not an object");
  const r = ref as Record<string, unknown>;
  const keys = Object.keys(r).filter((k) => k !== "options");
  if (keys.length !== 1) throw bad("give exactly one of file, catalog or generated");
  if (typeof r.file === "string") return { file: resolvePath(r.file), ...(r.options === undefined ? {} : { options: r.options as QueueFileReadOptions }) };
  if (typeof r.catalog === "string") return { catalog: resolvePath(r.catalog), ...(r.options === undefined ? {} : { options: r.options as { symbols?: string[] } }) };
  if (typeof r.generated === "object" && r.generated !== null) {
    const g = r.generated as Record<string, unknown>;
    if (typeof g.events !== "number" || typeof g.seed !== "number" || (g.mode !== "l2" && g.mode !== "l3")) throw bad("generated needs { events, seed, mode }");
    return { generated: g as { events: number; seed: number; mode: "l2" | "l3" } };
  }
  throw bad("file and catalog are paths; generated is { events, seed, mode }");
}

/**
 * The reference a worker can load `data` from when none was given: the file it was read from
 * (with quarantine when the reader set rows aside, so the worker keeps the same rows).
 * Undefined for data that came from no file.
 */
export function dataRefOf(data: TickBatch): QueueDataRef | undefined {
  const report = readReportOf(data);
  if (report === undefined) return undefined;
  const quarantined = report.issues.some((i) => i.count > 0);
  return { file: resolvePath(report.file), ...(quarantined ? { options: { onBadRows: "quarantine" as const } } : {}) };
}

const checksums = new WeakMap<TickBatch, string>();

/**
 * SHA-256 of every column's bytes, the instruments and the row count, as hex. Remembered per batch
 * object (batches are not changed in place), so a next sweep over the same data does not hash it again.
 */
export function dataChecksum(data: TickBatch): string {
  const known = checksums.get(data);
  if (known !== undefined) return known;
  const h = createHash("sha256");
  h.update(`rows ${data.length}\n`);
  h.update(JSON.stringify(data.instruments.map((i) => i.toJSON())));
  for (const name of TICK_COLUMN_NAMES) {
    const col = data[name];
    // Views over SharedArrayBuffers are hashed in slices (update takes ArrayBuffer-backed bytes).
    const bytes = new Uint8Array(col.buffer, col.byteOffset, col.byteLength);
    const step = 1 << 24;
    for (let off = 0; off < bytes.length; off += step) h.update(Buffer.from(bytes.subarray(off, Math.min(bytes.length, off + step))));
    h.update(`|${name}|`);
  }
  const digest = h.digest("hex");
  checksums.set(data, digest);
  return digest;
}

// ---------------------------------------------------------------------------------------------
// Jobs and results

/** Modules of this package travel as `strategy-lab:<path under dist/optimize>` so each machine resolves its own copy. */
const PACKAGE_PREFIX = "strategy-lab:";

function packageDir(): string {
  return new URL(".", compiledModuleUrl("strategy-evaluator.js")).href;
}

/** The evaluator reference as a remote worker should import it. */
export function portableEvaluatorRef(ref: EvaluatorRef): EvaluatorRef {
  const dir = packageDir();
  return ref.module.startsWith(dir) ? { ...ref, module: PACKAGE_PREFIX + ref.module.slice(dir.length) } : ref;
}

/** Inverse of `portableEvaluatorRef`, on the worker's machine. */
export function localEvaluatorRef(ref: EvaluatorRef): EvaluatorRef {
  return ref.module.startsWith(PACKAGE_PREFIX) ? { ...ref, module: new URL(ref.module.slice(PACKAGE_PREFIX.length), packageDir()).href } : ref;
}

/** One trial as a job. */
export interface QueueJobData {
  version: 1;
  runId: string;
  window: number;
  phase: TrialPhase;
  index: number;
  params: Params;
  range: RowRange;
  seed: number;
  evaluator: EvaluatorRef;
  data: QueueDataRef;
  checksum: string;
  rows: number;
}

/** A trial outcome as a job's return value: numbers as float64 bytes (base64), so they come back bit for bit. */
export interface QueueJobResult {
  ok: boolean;
  metricNames: string[];
  metricValues: string;
  periodReturns?: string;
  events: number;
  durationMs: number;
  error?: string;
  /** host:pid of the worker process that ran it. */
  worker: string;
}

function f64ToBase64(values: Float64Array): string {
  const le = new Float64Array(values);
  return Buffer.from(le.buffer, le.byteOffset, le.byteLength).toString("base64");
}

function base64ToF64(text: string): Float64Array {
  const bytes = Buffer.from(text, "base64");
  const out = new Float64Array(bytes.length / 8);
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 8));
  return out;
}

export function encodeOutcome(outcome: TrialOutcome, worker: string): QueueJobResult {
  const names = Object.keys(outcome.metrics);
  const r: QueueJobResult = { ok: outcome.ok, metricNames: names, metricValues: f64ToBase64(Float64Array.from(names, (n) => outcome.metrics[n]!)), events: outcome.events, durationMs: outcome.durationMs, worker };
  if (outcome.periodReturns !== undefined) r.periodReturns = f64ToBase64(outcome.periodReturns);
  if (outcome.error !== undefined) r.error = outcome.error;
  return r;
}

export function decodeOutcome(id: number, r: QueueJobResult): TrialOutcome {
  const values = base64ToF64(r.metricValues);
  const metrics: Record<string, number> = {};
  r.metricNames.forEach((n, i) => (metrics[n] = values[i]!));
  const o: TrialOutcome = { id, ok: r.ok, metrics, events: r.events, durationMs: r.durationMs };
  if (r.periodReturns !== undefined) o.periodReturns = base64ToF64(r.periodReturns);
  if (r.error !== undefined) o.error = r.error;
  return o;
}

/** A worker reports a LabError that must stop the sweep (not just fail one trial) with this prefix in the job's failure reason. */
export const LAB_ERROR_PREFIX = "lab-error:";

export function labErrorReason(error: LabError): string {
  return LAB_ERROR_PREFIX + JSON.stringify({ code: error.code, message: error.message, hint: error.hint, context: error.context });
}

function labErrorFromReason(reason: string): LabError | undefined {
  if (!reason.startsWith(LAB_ERROR_PREFIX)) return undefined;
  try {
    const e = JSON.parse(reason.slice(LAB_ERROR_PREFIX.length)) as { code: LabErrorCode; message: string; hint: string; context: Record<string, unknown> };
    return new LabError({ code: e.code, message: e.message, hint: e.hint, context: e.context });
  } catch {
    return undefined;
  }
}

/** Job ids: no ":" (BullMQ's key separator), and one per run, configuration, window, phase and index. */
export function trialJobId(runId: string, fingerprint: string, window: number, phase: TrialPhase, index: number): string {
  return `${runId.replace(/[^A-Za-z0-9_.-]/g, "_")}.${fingerprint.slice(0, 12)}.w${window}.${phase}.${index}`;
}

/** Which trials a batch of tasks are (the job ids need them); task `id` i is trial `firstIndex + i`. */
export interface TrialBatchInfo {
  window: number;
  phase: TrialPhase;
  firstIndex: number;
}

/** What runs a batch of trials: the local pool or a queue. */
export interface TrialRunner {
  run(tasks: readonly TrialTask[], onOutcome?: (outcome: TrialOutcome) => void | Promise<void>, batch?: TrialBatchInfo): Promise<TrialOutcome[]>;
}

export interface QueueSweepOptions {
  /** `redis://host:port/name`. */
  url: string;
  /** How workers load the data. @default the file the data was read from */
  data?: QueueDataRef;
}

export interface QueueDispatcherOptions {
  location: QueueLocation;
  data: TickBatch;
  dataRef: QueueDataRef;
  evaluator: EvaluatorRef;
  runId: string;
  fingerprint: string;
  /** Kept jobs (finished and failed) expire after this many seconds. @default 7 days */
  keepJobsS?: number;
  warn?: (message: string) => void;
}

interface Waiter {
  resolve: (r: QueueJobResult) => void;
  reject: (e: unknown) => void;
  taskId: number;
}

/**
 * Sends trials to a job queue and waits for their results (the queue's counterpart of the thread
 * pool's `run`). Open with `QueueDispatcher.open`; `close()` when the sweep ends.
 */
export class QueueDispatcher implements TrialRunner {
  readonly size = 0;
  private readonly waiters = new Map<string, Waiter>();
  private warnedNoWorkers = false;
  private lastEventAt = performance.now();
  private readonly watchdog: ReturnType<typeof setInterval>;

  private constructor(
    private readonly o: QueueDispatcherOptions,
    private readonly checksum: string,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
  ) {
    events.on("completed", ({ jobId, returnvalue }) => this.settle(jobId, returnvalue, undefined));
    events.on("failed", ({ jobId, failedReason }) => this.settle(jobId, undefined, failedReason));
    // The events stream is trimmed (10,000 entries): a coordinator that fell far behind could miss
    // one. After a quiet spell, the pending jobs' states are read directly.
    this.watchdog = setInterval(() => void this.sweepPending(), 10_000);
    this.watchdog.unref();
  }

  private async sweepPending(): Promise<void> {
    if (this.waiters.size === 0 || performance.now() - this.lastEventAt < 10_000) return;
    for (const id of [...this.waiters.keys()]) {
      const job = await this.queue.getJob(id).catch(() => undefined);
      if (job === undefined) continue;
      const state = await job.getState().catch(() => "unknown");
      if (state === "completed") this.settle(id, job.returnvalue, undefined);
      else if (state === "failed") this.settle(id, undefined, job.failedReason);
    }
  }

  static async open(o: QueueDispatcherOptions): Promise<QueueDispatcher> {
    await checkQueueReachable(o.location);
    const checksum = dataChecksum(o.data);
    const connection = connectionOptions(o.location);
    // Events are read from the stream's current end, taken before any job is added: a job that
    // finishes before the event reader's first blocking read is still seen.
    const probe = new Redis({ ...connection, lazyConnect: true });
    probe.on("error", () => undefined);
    let lastEventId = "0-0";
    try {
      await probe.connect();
      const last = await probe.xrevrange(`bull:${o.location.name}:events`, "+", "-", "COUNT", 1);
      lastEventId = last[0]?.[0] ?? "0-0";
    } finally {
      probe.disconnect();
    }
    const queue = new Queue(o.location.name, { connection });
    const events = new QueueEvents(o.location.name, { connection, lastEventId });
    queue.on("error", () => undefined);
    events.on("error", () => undefined);
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    } catch (error) {
      await Promise.allSettled([queue.close(), events.close()]);
      throw error;
    }
    return new QueueDispatcher(o, checksum, queue, events);
  }

  /** The checksum of the data the jobs carry. */
  get dataChecksum(): string {
    return this.checksum;
  }

  private settle(jobId: string, returnvalue: unknown, failedReason: string | undefined): void {
    const w = this.waiters.get(jobId);
    if (w === undefined) return;
    this.lastEventAt = performance.now();
    this.waiters.delete(jobId);
    if (failedReason !== undefined) {
      const lab = labErrorFromReason(failedReason);
      if (lab !== undefined) w.reject(lab);
      // A job that failed without a LabError (stalled twice: its workers died) is a failed trial.
      else w.resolve({ ok: false, metricNames: [], metricValues: "", events: 0, durationMs: 0, error: `queue job ${jobId} failed: ${failedReason}`, worker: "" });
      return;
    }
    const value = typeof returnvalue === "string" ? (JSON.parse(returnvalue) as QueueJobResult) : (returnvalue as QueueJobResult);
    w.resolve(value);
  }

  private jobData(task: TrialTask, batch: TrialBatchInfo): QueueJobData {
    return {
      version: 1,
      runId: this.o.runId,
      window: batch.window,
      phase: batch.phase,
      index: batch.firstIndex + task.id,
      params: task.params,
      range: task.range,
      seed: task.seed,
      evaluator: portableEvaluatorRef(this.o.evaluator),
      data: this.o.dataRef,
      checksum: this.checksum,
      rows: this.o.data.length,
    };
  }

  /** Enqueues one trial (or finds its job from an earlier enqueue) and resolves with its result. */
  private async submit(task: TrialTask, batch: TrialBatchInfo): Promise<QueueJobResult> {
    const data = this.jobData(task, batch);
    const jobId = trialJobId(this.o.runId, this.o.fingerprint, batch.window, batch.phase, data.index);
    const result = new Promise<QueueJobResult>((resolve, reject) => this.waiters.set(jobId, { resolve, reject, taskId: task.id }));
    const existing = (await this.queue.getJob(jobId)) as Job<QueueJobData, unknown> | undefined;
    let job: Job<QueueJobData, unknown> | undefined = existing;
    if (existing !== undefined) {
      const state = await existing.getState();
      if (state === "failed") {
        // An earlier attempt failed (a data mismatch since fixed, workers that died): try again.
        await existing.remove();
        job = undefined;
      } else if (state === "completed") {
        this.settle(jobId, existing.returnvalue, undefined);
      }
    }
    if (job === undefined) {
      const keep = this.o.keepJobsS ?? 7 * 86400;
      await this.queue.add("trial", data, { jobId, attempts: 1, removeOnComplete: { age: keep }, removeOnFail: { age: keep } });
    }
    return result;
  }

  async run(tasks: readonly TrialTask[], onOutcome?: (outcome: TrialOutcome) => void | Promise<void>, batch: TrialBatchInfo = { window: 0, phase: "search", firstIndex: 0 }): Promise<TrialOutcome[]> {
    if (tasks.length === 0) return [];
    if (!this.warnedNoWorkers) {
      this.warnedNoWorkers = true;
      const workers = await this.queue.getWorkersCount().catch(() => -1);
      if (workers === 0) this.o.warn?.(`no worker is listening on queue ${this.o.location.display} yet; trials wait until one starts (strategy-lab worker --queue ${this.o.location.display})`);
    }
    const pending: Promise<void>[] = [];
    const outcomes: TrialOutcome[] = new Array(tasks.length);
    const byPosition = new Map(tasks.map((t, i) => [t.id, i]));
    let firstError: unknown;
    const submitted = tasks.map((task) =>
      this.submit(task, batch).then(
        (r) => {
          const outcome = decodeOutcome(task.id, r);
          outcomes[byPosition.get(task.id)!] = outcome;
          const p = onOutcome?.(outcome);
          if (p instanceof Promise) pending.push(p);
        },
        (error: unknown) => {
          firstError ??= error;
        },
      ),
    );
    // A LabError from one job (a data mismatch) stops the sweep: stop waiting for the others.
    await new Promise<void>((resolve) => {
      let left = submitted.length;
      for (const s of submitted)
        void s.then(() => {
          if (firstError !== undefined || --left === 0) resolve();
        });
    });
    if (firstError !== undefined) {
      // Trials that did finish are recorded before the error stops the sweep (resume keeps them).
      await Promise.allSettled(pending);
      await this.cancelWaiting();
      throw isLabError(firstError) ? firstError : new LabError({ code: "QUEUE_WORKER_FAILED", message: `queue ${this.o.location.display}: ${(firstError as Error).message ?? String(firstError)}`, hint: "see the worker's log; resume the sweep when it is fixed", cause: firstError });
    }
    await Promise.all(pending);
    return outcomes;
  }

  /** Takes this sweep's trials that no worker has started off the queue (after a sweep-stopping error). */
  private async cancelWaiting(): Promise<void> {
    const ids = [...this.waiters.keys()];
    this.waiters.clear();
    await Promise.allSettled(
      ids.map(async (id) => {
        const job = await this.queue.getJob(id);
        if (job !== undefined && (await job.getState()) === "waiting") await job.remove();
      }),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.watchdog);
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}

/** Opens a dispatcher for a sweep's `queue` option (a URL or `{ url, data }`). */
export async function openQueueDispatcher(spec: string | QueueSweepOptions, data: TickBatch, evaluator: EvaluatorRef, runId: string, fingerprint: string, warn: (m: string) => void): Promise<QueueDispatcher> {
  const o: QueueSweepOptions = typeof spec === "string" ? { url: spec } : spec;
  if (typeof o !== "object" || o === null || typeof o.url !== "string") throw badUrl(String((o as { url?: unknown } | null)?.url ?? o), "the queue option is a URL string or { url, data }");
  const location = parseQueueUrl(o.url);
  const ref = o.data !== undefined ? normalizeDataRef(o.data) : dataRefOf(data);
  if (ref === undefined) {
    throw new LabError({
      code: "QUEUE_DATA_REF",
      message: "the sweep's data came from no file, so queue workers cannot load it",
      hint: 'say how to load it: queue: { url, data: { generated: { events, seed, mode } } }, { file: "/path" } or { catalog: "/path", options }',
    });
  }
  return QueueDispatcher.open({ location, data, dataRef: ref, evaluator: normalizeEvaluatorRef(evaluator), runId, fingerprint, warn });
}
