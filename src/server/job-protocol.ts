/**
 * Messages between the server and a job's coordinator thread. The coordinator never opens the
 * store itself: a DuckDB file admits one writer, and the server already has it open. Its store
 * is a proxy whose every call is a message answered by the server on the real store, which also
 * lets the server see each trial as it is recorded (for the live feed).
 */
import type { EquitySeries, StoredValue } from "../store/index.js";
import type { JobBody } from "./schemas.js";

export interface WorkerInit {
  spec: JobBody;
  runId: string;
  resume: boolean;
  /** Absolute path of the data file or catalog folder; undefined for generated data. */
  dataPath: string | undefined;
  location: string;
  storeKind: string;
}

/** The store methods a coordinator may call. */
export const STORE_METHODS = ["beginRun", "record", "finishRun", "loadTrials", "listTrialRuns", "createRun", "updateRun", "putArtifact", "readArtifact", "getRun", "listRuns"] as const;
export type StoreMethod = (typeof STORE_METHODS)[number];

export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  hint?: string;
  context?: Record<string, unknown>;
}

export interface JobOutcome {
  metrics: Record<string, number>;
  params: Record<string, StoredValue>;
  equity?: EquitySeries;
  trials?: number;
  objective?: { name: string; direction: "maximize" | "minimize" };
}

export type ToServer =
  | { type: "call"; id: number; method: StoreMethod; args: unknown[] }
  | { type: "progress"; done: number; total: number; elapsedMs: number }
  | { type: "warning"; message: string }
  | { type: "done"; outcome: JobOutcome }
  | { type: "failed"; error: SerializedError };

export type ToWorker = { type: "reply"; id: number; ok: true; value: unknown } | { type: "reply"; id: number; ok: false; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (typeof error === "object" && error !== null) {
    const e = error as { name?: unknown; code?: unknown; message?: unknown; hint?: unknown; context?: unknown };
    const out: SerializedError = { name: typeof e.name === "string" ? e.name : "Error", message: typeof e.message === "string" ? e.message : String(error) };
    if (typeof e.code === "string") out.code = e.code;
    if (typeof e.hint === "string") out.hint = e.hint;
    if (typeof e.context === "object" && e.context !== null) {
      try {
        out.context = structuredClone(e.context) as Record<string, unknown>;
      } catch {
        // context with functions or handles: left out
      }
    }
    return out;
  }
  return { name: "Error", message: String(error) };
}
