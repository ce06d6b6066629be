/**
 * The coordinator thread of one job: loads the data, runs the optimization (whose trials run on
 * the optimizer's own worker threads) or the backtest, and reports to the server. Its store is a
 * proxy (see job-protocol.ts). Cancelling a job terminates this thread, and with it the trial
 * workers it started.
 */
import { statSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { LabError, type LabErrorCode } from "../core/index.js";
import { generateTicks, readCatalog, readFile, type TickBatch } from "../data/index.js";
import { backtest } from "../engine/index.js";
import { optimize, type SpaceSpec, type StrategyBacktestOptions } from "../optimize/index.js";
import type { ArtifactInfo, BeginRunOptions, BegunRun, EquitySeries, RunInfo, RunRecord, RunStore, TrialRecord, TrialStore } from "../store/index.js";
import { strategies } from "../strategy/index.js";
import { rememberSweep, runChecklist, sweepChecklist } from "../report/index.js";
import { putChecklist } from "../runs/index.js";
import { serializeError, type JobOutcome, type SerializedError, type StoreMethod, type ToServer, type ToWorker, type WorkerInit } from "./job-protocol.js";
// A worker thread has a module graph of its own: the venues register the formats and L3 venue rules its files and backtests may name.
import "../venues/index.js";

const port = parentPort!;
const init = workerData as WorkerInit;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
let nextCall = 0;

function post(message: ToServer): void {
  port.postMessage(message);
}

function revive(e: SerializedError): Error {
  if (e.code !== undefined) return new LabError({ code: e.code as LabErrorCode, message: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }), ...(e.context === undefined ? {} : { context: e.context }) });
  return new Error(e.message);
}

port.on("message", (m: ToWorker) => {
  const p = pending.get(m.id);
  if (p === undefined) return;
  pending.delete(m.id);
  if (m.ok) p.resolve(m.value);
  else p.reject(revive(m.error));
});

function call<T>(method: StoreMethod, ...args: unknown[]): Promise<T> {
  const id = nextCall++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    post({ type: "call", id, method, args });
  });
}

/** The server's store, seen through messages. */
const proxy: TrialStore & RunStore = {
  kind: init.storeKind,
  location: init.location,
  beginRun: (o: BeginRunOptions) => call<BegunRun>("beginRun", o),
  record: (runId: string, trials: readonly TrialRecord[]) => call<void>("record", runId, trials),
  finishRun: (runId: string, summary: unknown) => call<void>("finishRun", runId, summary),
  loadTrials: (runId: string) => call<TrialRecord[]>("loadTrials", runId),
  listTrialRuns: () => call<RunInfo[]>("listTrialRuns"),
  createRun: (i) => call<string>("createRun", i),
  updateRun: (id, patch) => call<void>("updateRun", id, patch),
  putArtifact: (id, name, bytes, mediaType) => call<ArtifactInfo>("putArtifact", id, name, bytes, mediaType),
  readArtifact: (id, name) => call<Uint8Array>("readArtifact", id, name),
  getRun: (id) => call<RunRecord | undefined>("getRun", id),
  listRuns: (filter) => call<{ runs: RunRecord[]; total: number }>("listRuns", filter),
  close: async () => {},
};

async function loadData(): Promise<TickBatch> {
  const s = init.spec;
  if (init.dataPath === undefined) return generateTicks({ events: s.events ?? 200_000, seed: s.dataSeed ?? 1, mode: "l2", shared: true });
  if (statSync(init.dataPath).isDirectory()) return readCatalog(init.dataPath, { shared: true });
  return readFile(init.dataPath, { shared: true });
}

/** `{ values: [...] }` is the API's spelling of a list of values. */
function spaceSpec(space: NonNullable<WorkerInit["spec"]["space"]>): SpaceSpec {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(space)) out[k] = typeof v === "object" && v !== null && "values" in v ? v.values : v;
  return out as SpaceSpec;
}

/** At most ~2000 points, for charts. */
function downsample(tsNs: BigInt64Array, equity: Float64Array): EquitySeries {
  const n = equity.length;
  const stride = Math.max(1, Math.ceil(n / 2000));
  const timeMs: number[] = [];
  const eq: number[] = [];
  for (let i = 0; i < n; i += stride) {
    timeMs.push(Number(tsNs[i]! / 1_000_000n));
    eq.push(equity[i]!);
  }
  if (n > 0 && (n - 1) % stride !== 0) {
    timeMs.push(Number(tsNs[n - 1]! / 1_000_000n));
    eq.push(equity[n - 1]!);
  }
  return { timeMs, equity: eq };
}

async function runOptimize(data: TickBatch): Promise<JobOutcome> {
  const s = init.spec;
  const result = await optimize({
    data,
    strategy: s.strategy,
    ...(s.space === undefined ? {} : { space: { ...(s.params ?? {}), ...spaceSpec(s.space) } as SpaceSpec }),
    ...(s.method === undefined ? {} : { method: s.method }),
    ...(s.trials === undefined ? {} : { trials: s.trials }),
    ...(s.objective === undefined ? {} : { objective: s.objective }),
    ...(s.seed === undefined ? {} : { seed: s.seed }),
    ...(s.workers === undefined ? {} : { workers: s.workers }),
    backtest: (s.backtest ?? {}) as StrategyBacktestOptions,
    store: proxy,
    runId: init.runId,
    resume: init.resume,
    keepWorkersMs: 0,
    progress: (e) => post({ type: "progress", done: e.done, total: e.total, elapsedMs: e.elapsedMs }),
    onWarning: (message) => post({ type: "warning", message }),
  });
  await putChecklist(proxy, init.runId, sweepChecklist(rememberSweep(result, data, s.strategy, (s.backtest ?? {}) as StrategyBacktestOptions)));
  const best = result.best;
  return {
    metrics: best ? { ...best.metrics, objective: best.objective } : {},
    params: best ? { ...best.params } : {},
    trials: result.trialCount,
    objective: result.objective,
  };
}

async function runBacktest(data: TickBatch): Promise<JobOutcome> {
  const s = init.spec;
  const factory = strategies.get(s.strategy);
  const result = backtest(data, factory(s.params ?? {}), (s.backtest ?? {}) as Parameters<typeof backtest>[2]);
  await putChecklist(proxy, init.runId, runChecklist(result));
  const sum = result.summary;
  post({ type: "progress", done: 1, total: 1, elapsedMs: 0 });
  const metrics: Record<string, number> = { pnl: sum.pnl, realizedPnl: sum.realizedPnl, unrealizedPnl: sum.unrealizedPnl, fees: sum.fees, trades: sum.trades, orders: sum.orders, filledLots: sum.filledLots, makerShare: sum.makerShare, volume: sum.volume, maxDrawdown: sum.maxDrawdown, sharpe: sum.sharpe, events: sum.events };
  const eq = result.equity;
  return { metrics, params: { ...sum.params }, equity: downsample(eq.ts, eq.equity) };
}

try {
  const data = await loadData();
  const outcome = init.spec.kind === "optimize" ? await runOptimize(data) : await runBacktest(data);
  post({ type: "done", outcome });
} catch (error) {
  post({ type: "failed", error: serializeError(error) });
}
