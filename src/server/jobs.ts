/**
 * Jobs: optimizations and backtests started through the API. Each runs in its own coordinator
 * thread (job-worker.ts), so the server's event loop stays free while a sweep runs; at most
 * `maxJobs` run at once and the rest wait in a queue. A job is a run of the store from its first
 * store call on (state running, then finished / failed / interrupted), with its request kept as
 * the artifact `job.json`: after the server is killed, a restart finds the job as "interrupted",
 * and resuming it runs only the trials the store does not hold yet.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { LabError, closestName, isLabError } from "../core/index.js";
import { normalizeBacktestOptions, type BacktestOptions } from "../engine/index.js";
import { resolveSpace, type SpaceSpec } from "../optimize/index.js";
import type { RunManifest, RunRecord, RunStore, TrialRecord, TrialStore } from "../store/index.js";
import { registry, resolveParams, type StrategyFactory } from "../strategy/index.js";
import { badRequest } from "./errors.js";
import { serializeError, STORE_METHODS, type JobOutcome, type SerializedError, type StoreMethod, type ToServer, type WorkerInit } from "./job-protocol.js";
import type { LiveHub, LiveTrial } from "./live.js";
import type { JobBody } from "./schemas.js";

export type ServerStore = RunStore & TrialStore;
export type JobState = "queued" | "running" | "finished" | "failed" | "cancelled" | "interrupted";

export interface JobProgress {
  done: number;
  total: number;
  eventsPerSecond: number;
  /** Wall-clock time left, ms (NaN while unknown, 0 once finished). */
  etaMs: number;
  /** @deprecated Use `etaMs` (etaMs / 1000). Kept in the API's JSON for one version. */
  etaSeconds: number;
  /** Best objective so far (ok trials), null before the first. */
  best: number | null;
}

export interface Job {
  id: string;
  runId: string;
  kind: "optimize" | "backtest";
  strategy: string;
  state: JobState;
  createdAt: string;
  progress: JobProgress;
  error?: string;
}

/** What `job.json` holds. */
interface JobFile {
  id: string;
  runId: string;
  createdAt: string;
  spec: JobBody;
  /** Set when the job was cancelled (the run itself says "interrupted"). */
  cancelled?: boolean;
}

interface Entry {
  job: Job;
  spec: JobBody;
  dataPath: string | undefined;
  manifest: RunManifest | undefined;
  resume: boolean;
  worker: Worker | undefined;
  runReady: boolean;
  stopping: boolean;
  startedAt: number;
  events: number;
  minimize: boolean;
  settled: Promise<void> | undefined;
}

export const JOB_FILE = "job.json";

function newId(prefix: string): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${prefix}-${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${randomBytes(3).toString("hex")}`;
}

/** dist/server/job-worker.js, also when this module runs from the TypeScript sources (tests). */
export function jobWorkerUrl(): URL {
  const here = new URL("./job-worker.js", import.meta.url);
  const path = fileURLToPath(here);
  if (existsSync(path)) return here;
  const built = path.replace(/([\\/])src([\\/])server([\\/])job-worker\.js$/, "$1dist$2server$3job-worker.js");
  if (built !== path && existsSync(built)) return pathToFileURL(built);
  throw new LabError({ code: "WORKER_NOT_BUILT", message: `the server's job module is missing: ${path}`, hint: "build the package first: npm run build (jobs run compiled JavaScript from dist/)", context: { file: path } });
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function wireTrial(t: TrialRecord): LiveTrial {
  return { index: t.index, window: t.window, phase: t.phase, params: t.params, status: t.status, objective: t.objective, metrics: t.metrics };
}

export interface JobManagerOptions {
  store: ServerStore;
  projectRoot: string;
  maxJobs: number;
  live: LiveHub;
  version: string;
}

export class JobManager {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: Entry[] = [];
  private running = 0;
  private closed = false;

  constructor(private readonly o: JobManagerOptions) {}

  /** Jobs of an earlier server on this store: those that were running are now "interrupted". */
  async load(): Promise<void> {
    const { store } = this.o;
    const { runs } = await store.listRuns({ limit: 1000 });
    for (const run of runs.reverse()) {
      if (!run.artifacts.some((a) => a.name === JOB_FILE)) continue;
      let file: JobFile;
      try {
        file = JSON.parse(new TextDecoder().decode(await store.readArtifact(run.id, JOB_FILE))) as JobFile;
      } catch {
        continue;
      }
      if (this.entries.has(file.id)) continue;
      let state: JobState;
      if (run.state === "running") {
        await store.updateRun(run.id, { state: "interrupted" });
        state = "interrupted";
      } else if (run.state === "interrupted") state = file.cancelled ? "cancelled" : "interrupted";
      else state = run.state;
      const entry = this.entry(file.spec, file.id, file.runId, file.createdAt, undefined);
      entry.job.state = state;
      entry.runReady = true;
      entry.job.progress.done = run.trials;
      if (run.error !== undefined && state === "failed") entry.job.error = run.error;
      try {
        entry.dataPath = this.dataPath(file.spec.data);
      } catch {
        entry.dataPath = resolve(this.o.projectRoot, file.spec.data);
      }
      this.entries.set(file.id, entry);
    }
  }

  list(): Job[] {
    return [...this.entries.values()].map((e) => ({ ...e.job, progress: { ...e.job.progress } })).reverse();
  }

  get(id: string): Job {
    return { ...this.find(id).job };
  }

  private find(id: string): Entry {
    const e = this.entries.get(id);
    if (e === undefined) throw new LabError({ code: "JOB_NOT_FOUND", message: `no job "${id}" on this server`, hint: "GET /api/jobs lists the jobs", context: { job: id } });
    return e;
  }

  /** The data path of a request: inside the project, and existing. */
  private dataPath(data: string): string | undefined {
    if (data === "generated") return undefined;
    const root = resolve(this.o.projectRoot);
    const full = resolve(root, data);
    const rel = relative(root, full);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) throw badRequest("data", `"${data}" is outside the project folder`, 'name a file under the project, e.g. "data/binance/spot_btcusdt_20240808.gz" (GET /api/datasets lists them), or "generated"');
    if (!existsSync(full)) throw badRequest("data", `no file or folder "${data}" in the project`, 'GET /api/datasets lists the bundled data files; or use "generated"');
    return full;
  }

  private strategy(name: string): StrategyFactory {
    if (registry.has(name)) return registry.get(name);
    const guess = closestName(name, registry.names());
    throw badRequest("strategy", `unknown strategy "${name}"`, `${guess ? `did you mean "${guess}"? ` : ""}known: ${registry.names().join(", ")}`);
  }

  /** A LabError of the strategy or optimizer layer about one parameter, as a 400 on its field. */
  private fieldError(error: unknown, field: string): never {
    if (isLabError(error)) {
      const param = typeof error.context.param === "string" ? error.context.param : typeof error.context.option === "string" ? error.context.option : undefined;
      throw new LabError({ code: "BAD_REQUEST", message: error.message, hint: error.hint, context: { field: param === undefined ? field : `${field}.${param}`, cause: error.code } });
    }
    throw error;
  }

  private entry(spec: JobBody, id: string, runId: string, createdAt: string, manifest: RunManifest | undefined): Entry {
    const job: Job = { id, runId, kind: spec.kind, strategy: spec.strategy, state: "queued", createdAt, progress: { done: 0, total: spec.kind === "backtest" ? 1 : NaN, eventsPerSecond: 0, etaMs: NaN, etaSeconds: NaN, best: null } };
    return { job, spec, dataPath: undefined, manifest, resume: false, worker: undefined, runReady: false, stopping: false, startedAt: 0, events: 0, minimize: false, settled: undefined };
  }

  async submit(spec: JobBody): Promise<Job> {
    if (this.closed) throw new LabError({ code: "BAD_REQUEST", message: "the server is stopping", hint: "start the job on the next server" });
    const factory = this.strategy(spec.strategy);
    let params: Record<string, number | boolean | string> = {};
    try {
      params = resolveParams(factory.schema, spec.params ?? {}, `strategy "${factory.strategyName}"`);
    } catch (error) {
      this.fieldError(error, "params");
    }
    if (spec.kind === "backtest" && spec.space !== undefined) throw badRequest("space", "a backtest has no search space", 'give params for a backtest, or kind "optimize" to search');
    if (spec.kind === "optimize" && spec.space !== undefined) {
      const space: Record<string, unknown> = { ...(spec.params ?? {}) };
      for (const [k, v] of Object.entries(spec.space)) space[k] = typeof v === "object" && v !== null && "values" in v ? v.values : v;
      try {
        resolveSpace(space as SpaceSpec, factory.schema);
      } catch (error) {
        this.fieldError(error, "space");
      }
    }
    if (spec.backtest !== undefined) {
      try {
        normalizeBacktestOptions(spec.backtest as BacktestOptions);
      } catch (error) {
        this.fieldError(error, "backtest");
      }
    }
    const dataPath = this.dataPath(spec.data);
    const normalized: JobBody = { ...spec, strategy: factory.strategyName };
    const manifest = await this.manifest(normalized, params, factory, dataPath);
    const entry = this.entry(normalized, newId("job"), newId("run"), new Date().toISOString(), manifest);
    entry.dataPath = dataPath;
    this.entries.set(entry.job.id, entry);
    this.queue.push(entry);
    this.o.live.job(entry.job);
    this.pump();
    return { ...entry.job };
  }

  private async manifest(spec: JobBody, params: Record<string, number | boolean | string>, factory: StrategyFactory, dataPath: string | undefined): Promise<RunManifest> {
    const data: RunManifest["data"] = dataPath === undefined ? { rows: spec.events ?? 200_000 } : statSync(dataPath).isFile() ? { files: [{ path: relative(this.o.projectRoot, dataPath), bytes: statSync(dataPath).size, sha256: await sha256File(dataPath) }] } : {};
    return {
      kind: spec.kind,
      strategy: { name: factory.strategyName, params, schema: factory.schema },
      data,
      engine: spec.backtest ?? {},
      ...(spec.kind === "optimize" ? { optimize: { space: spec.space ?? null, method: spec.method ?? "grid", trials: spec.trials ?? null, objective: spec.objective ?? "sharpe", seed: spec.seed ?? 0, ...(dataPath === undefined ? { data: { generated: true, events: spec.events ?? 200_000, seed: spec.dataSeed ?? 1 } } : {}) } } : {}),
      seed: spec.seed ?? 0,
      version: this.o.version,
      host: hostname(),
      node: process.version,
    };
  }

  cancel(id: string): Promise<Job> {
    const e = this.find(id);
    return this.stop(e, "cancelled").then(() => ({ ...e.job }));
  }

  async resume(id: string): Promise<Job> {
    const e = this.find(id);
    if (e.job.kind !== "optimize" || !["interrupted", "cancelled", "failed"].includes(e.job.state)) {
      throw new LabError({ code: "JOB_NOT_RESUMABLE", message: `job "${id}" is ${e.job.kind === "optimize" ? e.job.state : "a backtest"}; only an interrupted, cancelled or failed optimization can be resumed`, hint: e.job.kind === "optimize" ? "wait for it to end, or start a new job" : "start the backtest again as a new job", context: { job: id } });
    }
    delete e.job.error;
    e.resume = true;
    e.stopping = false;
    e.job.state = "queued";
    this.queue.push(e);
    this.o.live.job(e.job);
    this.pump();
    return { ...e.job };
  }

  private pump(): void {
    while (!this.closed && this.running < this.o.maxJobs && this.queue.length > 0) {
      const e = this.queue.shift()!;
      this.running++;
      e.settled = this.start(e)
        .catch((error: unknown) => this.fail(e, serializeError(error)))
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }

  private async start(e: Entry): Promise<void> {
    const { store } = this.o;
    e.job.state = "running";
    e.startedAt = performance.now();
    e.events = 0;
    e.minimize = false;
    e.job.progress = { done: 0, total: e.spec.kind === "backtest" ? 1 : NaN, eventsPerSecond: 0, etaMs: NaN, etaSeconds: NaN, best: null };
    this.o.live.job(e.job);
    if (e.spec.kind === "backtest") await this.ensureRun(e);
    const init: WorkerInit = { spec: e.spec, runId: e.job.runId, resume: e.resume, dataPath: e.dataPath, location: store.location, storeKind: store.kind };
    const worker = new Worker(jobWorkerUrl(), { workerData: init, execArgv: [] });
    e.worker = worker;
    await new Promise<void>((done) => {
      let finished = false;
      const end = (work: Promise<void>): void => {
        if (finished) return;
        finished = true;
        void work.finally(() => {
          void worker.terminate();
          done();
        });
      };
      worker.on("message", (m: ToServer) => {
        if (e.stopping) return;
        if (m.type === "call") void this.call(e, worker, m.id, m.method, m.args);
        else if (m.type === "progress") this.progress(e, m.done, m.total, m.elapsedMs);
        else if (m.type === "done") end(this.finish(e, m.outcome));
        else if (m.type === "failed") end(this.fail(e, m.error));
      });
      worker.on("error", (error) => {
        if (!e.stopping) end(this.fail(e, serializeError(error)));
      });
      worker.on("exit", (code) => {
        if (e.stopping) end(Promise.resolve());
        else end(this.fail(e, { name: "Error", message: `the job's thread stopped (exit code ${code}) before the job ended` }));
      });
    });
    e.worker = undefined;
  }

  /** The job's run exists (created here unless the optimizer created it) and holds job.json. */
  private async ensureRun(e: Entry): Promise<void> {
    if (e.runReady) {
      await this.o.store.updateRun(e.job.runId, { state: "running" });
    } else {
      const { store } = this.o;
      const existing = await store.getRun(e.job.runId);
      if (existing === undefined) await store.createRun({ id: e.job.runId, kind: e.spec.kind, manifest: e.manifest!, state: "running" });
      else if (existing.state !== "running") await store.updateRun(e.job.runId, { state: "running" });
      e.runReady = true;
    }
    await this.writeJobFile(e, false);
    const run = await this.o.store.getRun(e.job.runId);
    if (run !== undefined) this.o.live.run(withoutEquity(run));
  }

  private async writeJobFile(e: Entry, cancelled: boolean): Promise<void> {
    const file: JobFile = { id: e.job.id, runId: e.job.runId, createdAt: e.job.createdAt, spec: e.spec, ...(cancelled ? { cancelled } : {}) };
    await this.o.store.putArtifact(e.job.runId, JOB_FILE, new TextEncoder().encode(JSON.stringify(file, null, 2)), "application/json");
  }

  private async call(e: Entry, worker: Worker, id: number, method: StoreMethod, args: unknown[]): Promise<void> {
    const { store } = this.o;
    let reply: { ok: true; value: unknown } | { ok: false; error: SerializedError };
    try {
      if (!STORE_METHODS.includes(method)) throw new Error(`unknown store method ${String(method)}`);
      let value: unknown;
      if (method === "beginRun") {
        value = await store.beginRun(args[0] as Parameters<TrialStore["beginRun"]>[0]);
        await this.ensureRun(e);
      } else if (method === "createRun" && (args[0] as { id?: string }).id === e.job.runId && (await store.getRun(e.job.runId)) !== undefined) {
        // The optimizer registers the run the job already registered: one run, no error.
        value = e.job.runId;
      } else if (method === "record") {
        const trials = args[1] as TrialRecord[];
        await store.record(args[0] as string, trials);
        for (const t of trials) this.trial(e, t);
      } else {
        const fn = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!;
        value = await fn.apply(store, args);
      }
      reply = { ok: true, value };
    } catch (error) {
      reply = { ok: false, error: serializeError(error) };
    }
    if (e.stopping) return;
    try {
      worker.postMessage({ type: "reply", id, ...reply });
    } catch {
      // the thread ended meanwhile
    }
  }

  private trial(e: Entry, t: TrialRecord): void {
    e.events += t.events;
    if (t.status === "ok" && Number.isFinite(t.objective)) {
      const best = e.job.progress.best;
      if (best === null || (e.minimize ? t.objective < best : t.objective > best)) e.job.progress.best = t.objective;
    }
    this.o.live.trial(e.job.runId, wireTrial(t));
  }

  private progress(e: Entry, done: number, total: number, elapsedMs: number): void {
    const p = e.job.progress;
    p.done = done;
    p.total = total;
    const secs = (performance.now() - e.startedAt) / 1000;
    p.eventsPerSecond = secs > 0 ? e.events / secs : 0;
    const perMs = elapsedMs > 0 ? done / elapsedMs : 0;
    p.etaMs = perMs > 0 && Number.isFinite(total) ? Math.max(0, (total - done) / perMs) : NaN;
    p.etaSeconds = p.etaMs / 1000;
    this.o.live.progress({ type: "progress", jobId: e.job.id, runId: e.job.runId, ...p });
  }

  private async finish(e: Entry, outcome: JobOutcome): Promise<void> {
    const { store } = this.o;
    if (outcome.objective?.direction === "minimize") e.minimize = true;
    await store.updateRun(e.job.runId, { state: "finished", finishedAt: new Date().toISOString(), metrics: outcome.metrics, params: outcome.params, ...(outcome.equity ? { equity: outcome.equity } : {}) });
    const p = e.job.progress;
    if (Number.isFinite(p.total)) p.done = p.total;
    const secs = (performance.now() - e.startedAt) / 1000;
    if (e.spec.kind === "backtest" && outcome.metrics.events !== undefined && secs > 0) p.eventsPerSecond = outcome.metrics.events / secs;
    p.etaMs = 0;
    p.etaSeconds = 0;
    e.job.state = "finished";
    this.o.live.job(e.job);
    const run = await store.getRun(e.job.runId);
    if (run !== undefined) this.o.live.run(withoutEquity(run));
  }

  private async fail(e: Entry, error: SerializedError): Promise<void> {
    if (e.job.state !== "running") return;
    e.job.state = "failed";
    e.job.error = error.code ? `${error.code}: ${error.message}${error.hint ? ` (hint: ${error.hint})` : ""}` : error.message;
    if (e.runReady) {
      try {
        await this.o.store.updateRun(e.job.runId, { state: "failed", error: e.job.error, finishedAt: new Date().toISOString() });
      } catch {
        // the store is gone (server stopping); the job still reports the failure
      }
    }
    this.o.live.job(e.job);
  }

  /** Stops a job: `cancelled` on request, `interrupted` when the server stops. */
  private async stop(e: Entry, state: "cancelled" | "interrupted"): Promise<void> {
    if (e.job.state === "queued") {
      const i = this.queue.indexOf(e);
      if (i >= 0) this.queue.splice(i, 1);
      e.job.state = state;
      if (e.runReady && state === "cancelled") await this.writeJobFile(e, true);
      this.o.live.job(e.job);
      return;
    }
    if (e.job.state !== "running") return;
    e.stopping = true;
    const w = e.worker;
    if (w !== undefined) await w.terminate();
    await e.settled;
    e.job.state = state;
    if (e.runReady) {
      await this.o.store.updateRun(e.job.runId, { state: "interrupted", ...(state === "cancelled" ? { error: "cancelled" } : {}) });
      if (state === "cancelled") await this.writeJobFile(e, true);
    }
    this.o.live.job(e.job);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.entries.values()].filter((e) => e.job.state === "running" || e.job.state === "queued").map((e) => this.stop(e, "interrupted").catch(() => undefined)));
  }

  /** Ids of runs that belong to jobs of this server. */
  ownsRun(runId: string): boolean {
    for (const e of this.entries.values()) if (e.job.runId === runId) return true;
    return false;
  }
}

export function withoutEquity(run: RunRecord): RunRecord {
  const { equity: _equity, ...rest } = run;
  return rest;
}
