/**
 * Worker thread of a streamed sweep (src/optimize/streamed.ts): runs one trial per message as a
 * streamed backtest over the first rows of the catalog range and posts its outcome.
 */
import { parentPort, workerData } from "node:worker_threads";
import { LabError, instrument, type InstrumentSpecInit } from "../core/index.js";
import { catalogChunks, type CatalogSummary } from "../data/index.js";
import { backtestStream, type BacktestOptions } from "../engine/index.js";
import { strategies } from "../strategy/index.js";
import type { StreamedTask, StreamedWorkerInit } from "./streamed.js";
import { startingAt, trialOutputOf } from "./strategy-evaluator.js";
import type { TrialOutcome } from "./types.js";
// A worker thread has a module graph of its own: the venues register the formats and L3 venue rules its files and backtests may name.
import "../venues/index.js";

const init = workerData as StreamedWorkerInit;
const port = parentPort!;
const summary: CatalogSummary = { ...init.summary, instruments: init.summary.instruments.map((i) => instrument(i as InstrumentSpecInit)) };
const interval = init.backtest.equityIntervalNs ?? 1_000_000_000;
let ready: Promise<void> | undefined;

function messageOf(error: unknown): string {
  if (error instanceof LabError) return error.toLine().replace(/^error /, "");
  return error instanceof Error ? error.message : String(error);
}

async function runTask(task: StreamedTask): Promise<TrialOutcome> {
  const t0 = performance.now();
  try {
    ready ??= init.strategyModule === undefined ? Promise.resolve() : import(init.strategyModule).then(() => undefined);
    await ready;
    const configured = strategies.get(init.strategy)(task.params);
    const startNs = BigInt(task.startNs);
    const { catalog, start, end, ...rest } = init.range;
    const source = await catalogChunks(catalog, { ...rest, ...(start !== undefined ? { start: BigInt(start) } : {}), ...(end !== undefined ? { end: BigInt(end) } : {}), rows: task.rows, summary });
    const options: BacktestOptions = { ...(init.backtest as BacktestOptions), seed: task.seed >>> 0 };
    const run = await backtestStream(source, task.fromStart ? configured : startingAt(configured, startNs), options);
    const out = trialOutputOf(run, startNs, BigInt(task.endNs), interval, task.whole);
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(out.metrics)) metrics[k] = typeof v === "number" ? v : Number.NaN;
    return { id: task.id, ok: true, metrics, events: out.events, durationMs: performance.now() - t0, ...(out.periodReturns ? { periodReturns: out.periodReturns } : {}) };
  } catch (error) {
    return { id: task.id, ok: false, metrics: {}, events: 0, durationMs: performance.now() - t0, error: messageOf(error) };
  }
}

port.on("message", (message: StreamedTask | { type: "close" }) => {
  if ("type" in message) {
    port.close();
    return;
  }
  void runTask(message).then((outcome) => port.postMessage(outcome, outcome.periodReturns ? [outcome.periodReturns.buffer as ArrayBuffer] : []));
});
