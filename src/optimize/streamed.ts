/**
 * Sweeps over catalog ranges larger than memory: every trial streams its own rows from the catalog
 * (src/engine/streaming.ts) on a worker thread, so memory holds a few chunks per worker, never the
 * range.
 *
 * The search, walk-forward windows, store, DSR and PBO are the optimizer's own (`sweepWith`): they
 * run on the range's time index, one row in `every` of the range (its receive and exchange times),
 * and a trial over index rows [s, e) reads the range's first e × every rows (row e × every − 1 is
 * its last) with the strategy switched on from the receive time of row s × every (rows before only
 * build the books: `startingAt`, the same rule as a window of an in-memory sweep). With `every` = 1
 * the windows and every trial equal the in-memory sweep over the same rows exactly; with a coarser
 * index the windows' edges fall on multiples of `every` rows.
 */
import os from "node:os";
import { Worker } from "node:worker_threads";
import { LabError } from "../core/index.js";
import { compiledModuleUrlFrom } from "../core/internal.js";
import { catalogChunks, tickBatch, allocateColumns, type CatalogChunkOptions, type CatalogSummary, type TickBatch } from "../data/index.js";
import type { TrialRunner } from "./queue.js";
import type { StrategyBacktestOptions } from "./strategy-evaluator.js";
import type { TrialOutcome, TrialTask } from "./types.js";

/** A catalog range, as a streamed sweep reads it. */
export interface StreamedRange {
  catalog: string;
  symbols?: string[];
  venues?: string[];
  /** ns as text (structured-cloneable). */
  start?: string;
  end?: string;
  chunkRows?: number;
}

/** The time index of a range: `index` has one row per `every` rows; `lastLocalTs[e]` is the receive time of row e × every − 1. */
export interface TimeIndex {
  index: TickBatch;
  every: number;
  totalRows: number;
  lastLocalTs: BigInt64Array;
  summary: CatalogSummary;
}

function query(range: StreamedRange): CatalogChunkOptions {
  return {
    ...(range.symbols ? { symbols: range.symbols } : {}),
    ...(range.venues ? { venues: range.venues } : {}),
    ...(range.start !== undefined ? { start: BigInt(range.start) } : {}),
    ...(range.end !== undefined ? { end: BigInt(range.end) } : {}),
    ...(range.chunkRows !== undefined ? { chunkRows: range.chunkRows } : {}),
  };
}

/** Reads the range once, keeping the times of one row in `every` (about `maxRows` index rows when `every` is not given). */
export async function timeIndexOf(range: StreamedRange, summary: CatalogSummary, every = Math.max(1, Math.ceil(summary.totalRows / 1_000_000))): Promise<TimeIndex> {
  const total = summary.totalRows;
  const m = Math.ceil(total / every);
  const cols = allocateColumns(m);
  const lastLocalTs = new BigInt64Array(m + 1);
  const source = await catalogChunks(range.catalog, { ...query(range), summary });
  let row = 0;
  try {
    for (let chunk = await source.next(); chunk; chunk = await source.next()) {
      for (let i = 0; i < chunk.length; i++, row++) {
        if (row % every === 0) {
          const r = row / every;
          cols.exchTs[r] = chunk.exchTs[i]!;
          cols.localTs[r] = chunk.localTs[i]!;
          cols.kind[r] = chunk.kind[i]!;
          cols.instrument[r] = chunk.instrument[i]!;
        }
        if ((row + 1) % every === 0 || row + 1 === total) lastLocalTs[Math.ceil((row + 1) / every)] = chunk.localTs[i]!;
      }
    }
  } finally {
    await source.close();
  }
  if (row !== total) throw new LabError({ code: "CATALOG_CHANGING", message: `${summary.description}: ${row.toLocaleString("en-US")} rows read, ${total.toLocaleString("en-US")} counted a moment before`, hint: "run the sweep when no writer is changing the catalog" });
  return { index: tickBatch(cols, summary.instruments, `${summary.description} (time index, one row in ${every})`), every, totalRows: total, lastLocalTs, summary };
}

/** What a streamed-trial worker receives at start. */
export interface StreamedWorkerInit {
  range: StreamedRange;
  summary: { instruments: unknown[]; traits: CatalogSummary["traits"]; totalRows: number; description: string };
  strategy: string;
  strategyModule?: string;
  backtest: StrategyBacktestOptions;
}

/** One trial for a worker: the first `rows` rows, the strategy on from `startNs`, figures over [startNs, endNs]. */
export interface StreamedTask {
  id: number;
  params: TrialTask["params"];
  seed: number;
  rows: number;
  startNs: string;
  endNs: string;
  fromStart: boolean;
  whole: boolean;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

/** Runs tasks (index-row ranges of a `TimeIndex`) as streamed backtests on worker threads. */
export class StreamedRunner implements TrialRunner {
  private constructor(
    private readonly time: TimeIndex,
    private readonly slots: Slot[],
  ) {}

  static async open(time: TimeIndex, init: Omit<StreamedWorkerInit, "summary">, workers = Math.max(1, os.availableParallelism() - 1)): Promise<StreamedRunner> {
    const script = compiledModuleUrlFrom(import.meta.url, "streamed-worker.js", "the streamed sweep's worker module");
    const s = time.summary;
    const workerData: StreamedWorkerInit = { ...init, summary: { instruments: s.instruments.map((i) => i.toJSON()), traits: s.traits, totalRows: s.totalRows, description: s.description } };
    const slots = Array.from({ length: Math.max(1, workers) }, () => ({ worker: new Worker(script, { workerData }), busy: false }));
    return new StreamedRunner(time, slots);
  }

  private taskOf(task: TrialTask): StreamedTask {
    const { index, every, totalRows, lastLocalTs } = this.time;
    const { start, end } = task.range;
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= index.length)) {
      throw new LabError({ code: "BAD_RANGE", message: `row range [${start}, ${end}) is not inside the time index's ${index.length} rows`, hint: "ranges are rows of the sweep's time index" });
    }
    const rows = Math.min(end * every, totalRows);
    return { id: task.id, params: task.params, seed: task.seed, rows, startNs: String(index.localTs[start]!), endNs: String(lastLocalTs[end]!), fromStart: start === 0, whole: start === 0 && rows === totalRows };
  }

  async run(tasks: readonly TrialTask[], onOutcome?: (outcome: TrialOutcome) => void | Promise<void>): Promise<TrialOutcome[]> {
    const out: TrialOutcome[] = new Array(tasks.length);
    let next = 0;
    const work = async (slot: Slot): Promise<void> => {
      while (next < tasks.length) {
        const k = next++;
        const task = this.taskOf(tasks[k]!);
        slot.busy = true;
        const outcome = await new Promise<TrialOutcome>((resolve) => {
          const onMessage = (m: TrialOutcome): void => {
            slot.worker.off("error", onError);
            resolve(m);
          };
          const onError = (e: Error): void => {
            slot.worker.off("message", onMessage);
            resolve({ id: task.id, ok: false, metrics: {}, events: 0, durationMs: 0, error: `streamed trial worker failed: ${e.message}` });
          };
          slot.worker.once("message", onMessage);
          slot.worker.once("error", onError);
          slot.worker.postMessage(task);
        });
        slot.busy = false;
        out[k] = outcome;
        await onOutcome?.(outcome);
      }
    };
    await Promise.all(this.slots.map(work));
    return out;
  }

  /**
   * Asks each worker to finish (it closes its DuckDB connection and exits): terminating a thread
   * while DuckDB's native code runs in it would abort the process.
   */
  async close(): Promise<void> {
    await Promise.all(
      this.slots.map(async ({ worker }) => {
        const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
        worker.postMessage({ type: "close" });
        await exited;
      }),
    );
  }
}
