/** `openStore(spec)`: a store from what a user passes (a path, "memory", a postgres:// URL, a store, or nothing). */
import { LabError } from "../core/index.js";
import { DuckDbStore } from "./duckdb.js";
import { MemoryStore } from "./memory.js";
import type { RunStore } from "./run-types.js";
import type { TrialStore } from "./types.js";

/** A store that keeps both optimizer trials and the run registry (every built-in back end). */
export type LabStore = TrialStore & RunStore;

/** A file path (DuckDB; ".duckdb" or ".db" suggested), "memory", a postgres:// URL, an open store, or undefined (memory). */
export type StoreSpec = string | TrialStore | undefined;

function isStore(value: unknown): value is TrialStore {
  return typeof value === "object" && value !== null && typeof (value as TrialStore).beginRun === "function" && typeof (value as TrialStore).record === "function";
}

/** Whether a store also keeps the run registry (a custom `TrialStore` may not). */
export function isRunStore<T extends object>(value: T): value is T & RunStore {
  const v = value as Partial<RunStore>;
  return typeof v.createRun === "function" && typeof v.updateRun === "function" && typeof v.getRun === "function" && typeof v.putArtifact === "function";
}

/** Whether `spec` names a PostgreSQL database. */
export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

async function openPostgres(url: string): Promise<LabStore> {
  // Loaded only when asked for, so DuckDB-only use never loads the PostgreSQL client.
  const { PostgresStore } = await import("./postgres.js");
  return PostgresStore.open(url);
}

/** Opens the store; `owned` says whether the caller must close it (it opened it). */
export async function openStore(spec: StoreSpec): Promise<{ store: TrialStore; owned: boolean }> {
  if (spec === undefined || spec === "memory" || spec === ":memory:") return { store: new MemoryStore(), owned: true };
  if (isStore(spec)) return { store: spec, owned: false };
  if (typeof spec === "string") {
    if (isPostgresUrl(spec)) return { store: await openPostgres(spec), owned: true };
    return { store: await DuckDbStore.open(spec), owned: true };
  }
  throw new LabError({ code: "BAD_OPTION", message: `store must be a file path, "memory", a postgres:// URL or a store, got ${JSON.stringify(spec)}`, hint: 'e.g. store: "sweeps.duckdb"', context: { option: "store" } });
}

/** Like `openStore`, for the run registry: a store that keeps runs (STORE_UNSUPPORTED for a trial-only store). */
export async function openRunStore(spec: StoreSpec | LabStore): Promise<{ store: LabStore; owned: boolean }> {
  const { store, owned } = await openStore(spec);
  if (!isRunStore(store)) {
    if (owned) await store.close();
    throw new LabError({ code: "STORE_UNSUPPORTED", message: `the store ${store.location} (${store.kind}) keeps optimizer trials only, not a run registry`, hint: 'use a DuckDB file path, "memory" or a postgres:// URL' });
  }
  return { store, owned };
}
