/**
 * Distributed sweeps through a BullMQ job queue: a throwaway redis-server, two
 * `strategy-lab worker` processes, and sweeps whose results must equal a local sweep's bit for bit
 * (objectives, metrics with NaN and -Infinity, per-period returns, chosen params, trial count,
 * DSR/PBO inputs), also after a worker is killed in the middle of a trial; a worker given other data
 * refuses the trial (DATA_MISMATCH); an unreachable Redis is QUEUE_UNREACHABLE with a hint.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTicks, readFile, writeParquet } from "../../src/venues/data-aliases.js";
import { optimize, overfitting, parseQueueUrl, type OptimizationResult, type OptimizeOptions } from "../../src/optimize/index.js";
import { trialJobId } from "../../src/optimize/internal.js";
import { DuckDbStore, PostgresStore } from "../../src/store/index.js";
import { startPostgres } from "../../scripts/pg-cluster.mjs";
import { startRedis, type RedisServer } from "../../scripts/redis-server.mjs";
import { CLI, ROOT } from "../helpers/paths.js";
import { buildDist, scratch } from "./helpers.js";

const MODULE = join(ROOT, "test", "optimize", "fixtures", "queue-evaluators.mjs");
const EVENTS = 3000;
const GENERATED = { events: EVENTS, seed: 1, mode: "l2" as const };
const data = generateTicks({ ...GENERATED, shared: true });

let redis: RedisServer;
let url: string;
const workers: { child: ChildProcess; log: string[] }[] = [];

function startWorker(queueUrl: string): { child: ChildProcess; log: string[] } {
  const child = spawn(process.execPath, [CLI, "worker", "--queue", queueUrl, "--lock-duration", "1500", "--stalled-interval", "500"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  const w = { child, log: [] as string[] };
  child.stderr!.on("data", (d: Buffer) => w.log.push(...d.toString().split("\n").filter(Boolean)));
  workers.push(w);
  return w;
}

async function waitFor(what: string, test: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface LogLine {
  x: number;
  pid: number;
  event: string;
}

function logLines(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.endsWith("}"))
    .map((l) => JSON.parse(l) as LogLine);
}

function sweepOptions(evaluatorOptions: Record<string, unknown> = {}): OptimizeOptions {
  return {
    data,
    evaluator: { module: MODULE, export: "probe", options: evaluatorOptions },
    space: { x: { min: 0, max: 7.5, step: 0.5 } },
    objective: "score",
    constraints: { inf: { min: -1 } },
    seed: 11,
    onWarning: () => undefined,
  };
}

/** Everything a sweep's results are made of, except timings. */
function essence(r: OptimizationResult): unknown {
  return {
    trialCount: r.trialCount,
    best: r.bestParams,
    trials: r.trials.map((t) => ({ index: t.index, status: t.status, params: t.params, seed: t.seed, events: t.events, range: t.range, error: t.error ?? null, objective: bits([t.objective]), metrics: Object.entries(t.metrics).map(([k, v]) => [k, bits([v])]), returns: bits(t.periodReturns ?? new Float64Array(0)) })),
  };
}

/** float64 values as hex of their bytes: equal only when bit for bit equal (NaN included). */
function bits(values: ArrayLike<number>): string {
  return Buffer.from(Float64Array.from(values).buffer).toString("hex");
}

let local: OptimizationResult;

beforeAll(async () => {
  await buildDist();
  redis = await startRedis();
  url = `${redis.url}/sweeps`;
  startWorker(url);
  startWorker(url);
  await waitFor("two workers", () => workers.every((w) => w.log.some((l) => l.includes("takes trials from"))));
  local = await optimize({ ...sweepOptions(), workers: 1, keepWorkersMs: 0 });
}, 900_000);

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
  await redis?.stop();
});

describe("sweeps through a job queue", () => {
  it("equal a local sweep with the same seed, bit for bit, and are recorded in the store like local trials", async () => {
    expect(local.trialCount).toBe(16);
    expect(local.statusCounts()).toEqual({ ok: 15, infeasible: 1, failed: 0 });
    const dir = scratch("queue");
    const storePath = join(dir, "queue.duckdb");
    const events: { done: number; total: number; finished: boolean }[] = [];
    const queued = await optimize({ ...sweepOptions(), queue: { url, data: { generated: GENERATED } }, store: storePath, runId: "queued", progress: (e) => events.push(e) });
    // Progress reaches the sink the local optimizer uses: trials done of the total.
    expect(events.at(-1)).toMatchObject({ done: 16, total: 16, finished: true });
    expect(essence(queued)).toEqual(essence(local));
    expect(queued.bestParams).toEqual({ x: 3 });
    expect(queued.evaluated).toBe(16);
    // DSR and PBO from the same inputs.
    const a = overfitting(local);
    const b = overfitting(queued);
    expect(bits([b.dsr, b.pbo, b.sharpeVariance, b.trialCount])).toBe(bits([a.dsr, a.pbo, a.sharpeVariance, a.trialCount]));
    // Both workers took trials.
    const perWorker = workers.map((w) => w.log.filter((l) => l.includes("run queued)")).length);
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(16);
    expect(perWorker.every((n) => n > 0)).toBe(true);
    // The store holds every trial as a local sweep records it.
    const store = await DuckDbStore.open(storePath);
    const stored = await store.loadTrials("queued");
    await store.close();
    expect(stored).toHaveLength(16);
    const byIndex = new Map(stored.map((t) => [t.index, t]));
    for (const t of queued.trials) {
      const s = byIndex.get(t.index)!;
      expect(bits([s.objective])).toBe(bits([t.objective]));
      expect(bits(s.periodReturns ?? [])).toBe(bits(t.periodReturns ?? []));
      expect(s.params).toEqual(t.params);
    }
  }, 60_000);

  it("records in a shared PostgreSQL store as a local sweep does, and resumes there without running finished trials", async () => {
    const cluster = await startPostgres({ fsync: false });
    try {
      const log = join(scratch("queue-pg"), "evaluations.jsonl");
      const queued = await optimize({ ...sweepOptions({ log }), queue: { url, data: { generated: GENERATED } }, store: cluster.url, runId: "pg" });
      expect(essence(queued)).toEqual(essence(local));
      const store = await PostgresStore.open(cluster.url);
      try {
        const stored = await store.loadTrials("pg");
        expect(stored.map((t) => [t.index, bits([t.objective]), bits(t.periodReturns ?? []), t.params]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(queued.trials.map((t) => [t.index, bits([t.objective]), bits(t.periodReturns ?? []), t.params]));
        expect((await store.listTrialRuns()).find((r) => r.runId === "pg")?.status).toBe("finished");
      } finally {
        await store.close();
      }
      // Resuming the finished run takes every trial from the store: nothing is enqueued or run.
      const resumed = await optimize({ ...sweepOptions({ log }), queue: { url, data: { generated: GENERATED } }, store: cluster.url, resume: true });
      expect(resumed.resumed).toBe(16);
      expect(resumed.evaluated).toBe(0);
      expect(logLines(log)).toHaveLength(16);
      expect(essence(resumed)).toEqual(essence(local));
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it("re-enqueueing a sweep (same run id and configuration) takes the finished jobs' results instead of running them again", async () => {
    const log = join(scratch("queue-idem"), "evaluations.jsonl");
    const first = await optimize({ ...sweepOptions({ log }), queue: { url, data: { generated: GENERATED } }, runId: "idem" });
    expect(logLines(log)).toHaveLength(16);
    // A coordinator that crashed and starts again with a fresh store enqueues the same job ids.
    const again = await optimize({ ...sweepOptions({ log }), queue: { url, data: { generated: GENERATED } }, runId: "idem" });
    expect(logLines(log)).toHaveLength(16);
    expect(essence(again)).toEqual(essence(first));
    expect(essence(again)).toEqual(essence(local));
    const q = new Queue("sweeps", { connection: { host: "127.0.0.1", port: redis.port } });
    try {
      const fingerprintJob = (await q.getJobs(["completed"])).find((j) => j.id!.startsWith("idem."));
      expect(fingerprintJob?.id).toMatch(/^idem\.[0-9a-f]{12}\.w0\.search\.\d+$/);
      expect(trialJobId("a:b", "0123456789abcdef", 2, "oos", 0)).toBe("a_b.0123456789ab.w2.oos.0");
    } finally {
      await q.close();
    }
  }, 60_000);

  it("strategy-lab optimize --queue runs a built-in strategy on the workers with the local run's results", async () => {
    const args = ["optimize", "--strategy", "imbalance", "--data", "generated", "--events", "4000", "--space", '{"threshold":[0.2,0.3,0.4]}', "--objective", "pnl", "--seed", "5", "--json", "--quiet"];
    const cli = (extra: string[]): Promise<{ trials: { index: number; objective: number | null; params: Record<string, unknown> }[]; bestParams: Record<string, unknown>; trialCount: number }> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...args, ...extra], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
        child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`))));
      });
    const [viaQueue, here] = await Promise.all([cli(["--queue", url]), cli(["--workers", "1"])]);
    expect(viaQueue.trialCount).toBe(3);
    expect(viaQueue.trials.map((t) => [t.index, t.objective, t.params])).toEqual(here.trials.map((t) => [t.index, t.objective, t.params]));
    expect(viaQueue.bestParams).toEqual(here.bestParams);
  }, 60_000);

  it("a worker whose data has another checksum fails the trial with DATA_MISMATCH instead of computing it", async () => {
    // The workers are told to generate seed 2 data; this process runs on seed 1 data.
    const error = await optimize({ ...sweepOptions(), queue: { url, data: { generated: { ...GENERATED, seed: 2 } } }, runId: "mismatch" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "LabError", code: "DATA_MISMATCH" });
    const e = error as { message: string; hint: string; context: { expected: string; actual: string } };
    expect(e.message).toMatch(/^worker [^ ]+:\d+ loaded generated data \{"events":3000,"seed":2,"mode":"l2"\} with 3000 rows and checksum [0-9a-f]{64}, but the sweep ran on 3000 rows with checksum [0-9a-f]{64}: trial \d+ of window 0 \(run mismatch\) was not computed$/);
    expect(e.context.expected).not.toBe(e.context.actual);
    expect(e.hint).toContain("same data");
  }, 60_000);

  it("data read from a file: workers read the same path with no data option; a file whose content differs on their side is DATA_MISMATCH", async () => {
    const dir = scratch("queue-file");
    const path = join(dir, "ticks.parquet");
    await writeParquet(generateTicks({ events: 2500, seed: 3, mode: "l2" }), path);
    const fromFile = await readFile(path, { shared: true });
    const options = { ...sweepOptions(), data: fromFile };
    const here = await optimize({ ...options, workers: 1, keepWorkersMs: 0 });
    const queued = await optimize({ ...options, queue: url, runId: "file" });
    expect(essence(queued)).toEqual(essence(here));
    expect(essence(queued)).not.toEqual(essence(local));
    // The same path now holds other rows (as on a machine with an older copy of the file).
    const other = join(dir, "other.parquet");
    await writeParquet(generateTicks({ events: 2500, seed: 4, mode: "l2" }), other);
    const changed = join(dir, "changed.parquet");
    await writeParquet(generateTicks({ events: 2500, seed: 3, mode: "l2" }), changed);
    const before = await readFile(changed, { shared: true });
    copyFileSync(other, changed);
    const error = await optimize({ ...sweepOptions(), data: before, queue: url, runId: "file-changed" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "DATA_MISMATCH" });
    expect((error as Error).message).toContain(`loaded file ${changed} with 2500 rows and checksum`);
  }, 60_000);

  it("a trial whose worker is killed (SIGKILL) mid-trial runs again on the other worker, and the results stay identical", async () => {
    const log = join(scratch("queue-kill"), "evaluations.jsonl");
    const sweep = optimize({ ...sweepOptions({ log, slowX: 5, delayMs: 2500 }), queue: { url, data: { generated: GENERATED } }, runId: "killed" });
    await waitFor("the slow trial to start", () => logLines(log).some((l) => l.x === 5));
    const victim = logLines(log).find((l) => l.x === 5)!.pid;
    const w = workers.find((x) => x.child.pid === victim)!;
    expect(w).toBeDefined();
    w.child.kill("SIGKILL");
    const result = await sweep;
    expect(essence(result)).toEqual(essence(local));
    const starts = logLines(log).filter((l) => l.x === 5);
    expect(starts).toHaveLength(2);
    expect(starts[0]!.pid).toBe(victim);
    expect(starts[1]!.pid).not.toBe(victim);
    // Every other trial ran exactly once.
    const others = logLines(log).filter((l) => l.x !== 5);
    expect(new Set(others.map((l) => l.x)).size).toBe(others.length);
    const q = new Queue("sweeps", { connection: { host: "127.0.0.1", port: redis.port } });
    try {
      const job = (await q.getJobs(["completed"])).find((j) => j.id!.startsWith("killed.") && (j.data as { params: { x: number } }).params.x === 5)!;
      expect(job.stalledCounter).toBe(1);
    } finally {
      await q.close();
    }
  }, 60_000);
});

describe("stopping a worker", () => {
  const alive = (): { child: ChildProcess; log: string[] }[] => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  const ready = (w: { log: string[] }): boolean => w.log.some((l) => l.includes("takes trials from"));
  const exitOf = (w: { child: ChildProcess }): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => new Promise((r) => w.child.once("exit", (code, signal) => r({ code, signal })));

  it("SIGTERM lets the running trial finish, then the worker exits with code 0", async () => {
    while (alive().length < 2) startWorker(url);
    await waitFor("two ready workers", () => alive().every(ready));
    const log = join(scratch("queue-term"), "evaluations.jsonl");
    const sweep = optimize({ ...sweepOptions({ log, slowX: 5, delayMs: 1500 }), queue: { url, data: { generated: GENERATED } }, runId: "term-finish" });
    await waitFor("the slow trial to start", () => logLines(log).some((l) => l.x === 5));
    const pid = logLines(log).find((l) => l.x === 5)!.pid;
    const w = workers.find((x) => x.child.pid === pid)!;
    const exited = exitOf(w);
    w.child.kill("SIGTERM");
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(w.log.some((l) => /^worker: trial \d+ of window 0 \(search, run term-finish\): ok/.test(l))).toBe(true);
    expect(w.log.at(-1)).toMatch(/^worker: stopped after \d+ trials?$/);
    const result = await sweep;
    expect(essence(result)).toEqual(essence(local));
    expect(logLines(log).filter((l) => l.x === 5)).toHaveLength(1);
  }, 60_000);

  it("a second signal puts the running trial back in the queue at once; another worker runs it, with the same results", async () => {
    while (alive().length < 2) startWorker(url);
    await waitFor("two ready workers", () => alive().every(ready));
    const log = join(scratch("queue-release"), "evaluations.jsonl");
    const sweep = optimize({ ...sweepOptions({ log, slowX: 5, delayMs: 2500 }), queue: { url, data: { generated: GENERATED } }, runId: "term-release" });
    await waitFor("the slow trial to start", () => logLines(log).some((l) => l.x === 5));
    const pid = logLines(log).find((l) => l.x === 5)!.pid;
    const w = workers.find((x) => x.child.pid === pid)!;
    const exited = exitOf(w);
    w.child.kill("SIGINT");
    await waitFor("the first signal", () => w.log.some((l) => l.startsWith("worker: SIGINT: finishing")));
    w.child.kill("SIGTERM");
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(w.log.some((l) => l.startsWith("worker: SIGTERM: putting the running trials back"))).toBe(true);
    const result = await sweep;
    expect(essence(result)).toEqual(essence(local));
    const starts = logLines(log).filter((l) => l.x === 5);
    expect(starts.map((l) => l.pid === pid)).toEqual([true, false]);
    const q = new Queue("sweeps", { connection: { host: "127.0.0.1", port: redis.port } });
    try {
      const job = (await q.getJobs(["completed"])).find((j) => j.id!.startsWith("term-release.") && (j.data as { params: { x: number } }).params.x === 5)!;
      // Released, not stalled.
      expect(job.stalledCounter).toBe(0);
    } finally {
      await q.close();
    }
  }, 60_000);
});

describe("queue errors", () => {
  it("an unreachable Redis is QUEUE_UNREACHABLE naming host:port, with a hint to start redis-server", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const error = await optimize({ ...sweepOptions(), queue: { url: `redis://127.0.0.1:${port}/nowhere`, data: { generated: GENERATED } } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "QUEUE_UNREACHABLE" });
    const e = error as { message: string; hint: string };
    expect(e.message).toContain(`Redis at 127.0.0.1:${port} does not answer`);
    expect(e.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(e.hint).toContain(`redis-server --port ${port}`);
    expect(e.hint).toContain("npm run setup");
    // The worker command says the same and exits with code 2.
    const child = spawn(process.execPath, [CLI, "worker", "--queue", `redis://127.0.0.1:${port}/nowhere`], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error QUEUE_UNREACHABLE: the job queue's Redis at 127\.0\.0\.1:\d+ does not answer/);
  }, 30_000);

  it("bad queue URLs, data references and evaluators are refused before anything runs", async () => {
    expect(() => parseQueueUrl("http://127.0.0.1:6379/x")).toThrow(/scheme http is not redis or rediss/);
    expect(() => parseQueueUrl("redis://127.0.0.1:6379")).toThrow(/no queue name/);
    expect(() => parseQueueUrl("redis://127.0.0.1:6379/a:b")).toThrow(/may only have letters/);
    expect(parseQueueUrl("redis://u:secret@h:7000/q")).toMatchObject({ host: "h", port: 7000, name: "q", password: "secret", display: "redis://u@h:7000/q" });
    await expect(optimize({ ...sweepOptions(), queue: "redis//nope" })).rejects.toMatchObject({ code: "BAD_QUEUE_URL" });
    // Generated data has no file: the workers must be told how to make it.
    await expect(optimize({ ...sweepOptions(), queue: url })).rejects.toMatchObject({ code: "QUEUE_DATA_REF" });
    await expect(optimize({ ...sweepOptions(), queue: url, workers: 2 })).rejects.toMatchObject({ code: "QUEUE_EVALUATOR" });
    await expect(optimize({ ...sweepOptions(), evaluator: () => ({ metrics: {}, events: 0 }), queue: url })).rejects.toMatchObject({ code: "QUEUE_EVALUATOR" });
  }, 30_000);
});
