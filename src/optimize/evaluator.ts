/**
 * Loading and calling evaluators, the same way in the main thread and in workers: import the
 * module named by an `EvaluatorRef`, take the export (calling it as a factory when the ref has
 * options), and run one trial with its timing and errors captured. Also the shared-memory handoff
 * of a `TickBatch`: columns travel to a worker as (SharedArrayBuffer, offset, length) triples, so
 * the market data exists once in memory whatever the number of workers.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { LabError, instrument, type InstrumentSpecInit } from "../core/index.js";
import { TICK_COLUMNS, TICK_COLUMN_NAMES, tickBatch, toShared, type TickBatch, type TickColumnName, type TickColumns } from "../data/index.js";
import type { EvaluatorRef, TrialEvaluator, TrialOutcome, TrialTask } from "./types.js";

/** Makes a module reference importable from any thread: relative and absolute paths become file URLs. */
export function normalizeEvaluatorRef(ref: EvaluatorRef): EvaluatorRef {
  if (typeof ref !== "object" || ref === null || typeof ref.module !== "string" || typeof ref.export !== "string") {
    throw new LabError({ code: "BAD_EVALUATOR", message: `an evaluator reference needs { module, export }, got ${JSON.stringify(ref)}`, hint: 'e.g. { module: new URL("./my-evaluator.js", import.meta.url).href, export: "evaluate" }' });
  }
  const m = ref.module;
  const module = m.startsWith("file:") || m.startsWith("node:") || m.startsWith("data:") ? m : m.startsWith(".") || isAbsolute(m) ? pathToFileURL(resolve(process.cwd(), m)).href : m;
  return ref.options === undefined ? { module, export: ref.export } : { module, export: ref.export, options: ref.options };
}

/** Imports the module and returns the evaluator (calling the export as a factory, possibly async, when `options` is set). */
export async function loadEvaluator(ref: EvaluatorRef): Promise<TrialEvaluator> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(ref.module)) as Record<string, unknown>;
  } catch (error) {
    throw new LabError({ code: "EVALUATOR_NOT_FOUND", message: `cannot import evaluator module ${ref.module}: ${(error as Error).message}`, hint: "give an absolute file URL or path of compiled JavaScript (workers cannot load .ts), or an installed package name", cause: error });
  }
  const exported = mod[ref.export];
  if (typeof exported !== "function") {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === "function");
    throw new LabError({ code: "EVALUATOR_NOT_FOUND", message: `module ${ref.module} has no function export "${ref.export}"`, hint: names.length ? `function exports: ${names.join(", ")}` : "export the evaluator function by name", context: { value: ref.export } });
  }
  if (ref.options === undefined) return exported as TrialEvaluator;
  const made: unknown = await (exported as (o: unknown) => unknown)(ref.options);
  if (typeof made !== "function") throw new LabError({ code: "BAD_EVALUATOR", message: `factory "${ref.export}" of ${ref.module} did not return an evaluator function`, hint: "with options, the export is called once as factory(options) and must return (params, data, range, ctx) => result" });
  return made as TrialEvaluator;
}

function messageOf(error: unknown): string {
  if (error instanceof LabError) return error.toLine().replace(/^error /, "");
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Runs one trial, never throwing: errors and bad return values become a failed outcome. */
export function runTrial(evaluate: TrialEvaluator, data: TickBatch, task: TrialTask): TrialOutcome {
  const t0 = performance.now();
  try {
    const out = evaluate(task.params, data, task.range, { seed: task.seed });
    const durationMs = performance.now() - t0;
    if (typeof out !== "object" || out === null || typeof out.metrics !== "object" || out.metrics === null) {
      return { id: task.id, ok: false, metrics: {}, events: 0, durationMs, error: "evaluator returned no { metrics, events } object" };
    }
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(out.metrics)) metrics[k] = typeof v === "number" ? v : Number.NaN;
    const outcome: TrialOutcome = { id: task.id, ok: true, metrics, events: typeof out.events === "number" && Number.isFinite(out.events) ? out.events : 0, durationMs };
    if (out.periodReturns !== undefined) {
      if (!(out.periodReturns instanceof Float64Array)) return { id: task.id, ok: false, metrics, events: outcome.events, durationMs, error: "evaluator returned periodReturns that is not a Float64Array" };
      outcome.periodReturns = out.periodReturns;
    }
    return outcome;
  } catch (error) {
    return { id: task.id, ok: false, metrics: {}, events: 0, durationMs: performance.now() - t0, error: messageOf(error) };
  }
}

export interface SharedColumn {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  length: number;
}

/** A TickBatch as plain, structured-cloneable data whose columns point at shared memory. */
export interface SharedBatchHandle {
  columns: Record<TickColumnName, SharedColumn>;
  instruments: InstrumentSpecInit[];
  length: number;
  source?: string;
}

/** True when every column already lives in a SharedArrayBuffer. */
export function isSharedBatch(batch: TickBatch): boolean {
  return TICK_COLUMN_NAMES.every((name) => batch[name].buffer instanceof SharedArrayBuffer);
}

/** The handle to send to workers; copies the batch into shared memory once if it is not there yet. */
export function shareBatch(batch: TickBatch): { batch: TickBatch; handle: SharedBatchHandle; copied: boolean } {
  const copied = !isSharedBatch(batch);
  const shared = copied ? toShared(batch) : batch;
  const columns = {} as Record<TickColumnName, SharedColumn>;
  for (const name of TICK_COLUMN_NAMES) {
    const col = shared[name];
    columns[name] = { buffer: col.buffer as SharedArrayBuffer, byteOffset: col.byteOffset, length: col.length };
  }
  const handle: SharedBatchHandle = { columns, instruments: shared.instruments.map((i) => i.toJSON()), length: shared.length };
  if (shared.source !== undefined) handle.source = shared.source;
  return { batch: shared, handle, copied };
}

/** Rebuilds the TickBatch in a worker: typed-array views over the same shared memory (no copy). */
export function batchFromHandle(handle: SharedBatchHandle): TickBatch {
  const cols = {} as Record<TickColumnName, unknown>;
  for (const name of TICK_COLUMN_NAMES) {
    const c = handle.columns[name];
    const Ctor = TICK_COLUMNS[name];
    cols[name] = new Ctor(c.buffer, c.byteOffset, c.length);
  }
  return tickBatch(cols as TickColumns, handle.instruments.map((i) => instrument(i)), handle.source);
}
