/** `openStore(spec)`: a store from what a user passes (a path, a store, or nothing). */
import { LabError } from "../core/index.js";
import { DuckDbStore } from "./duckdb.js";
import { MemoryStore } from "./memory.js";
import type { TrialStore } from "./types.js";

/** A file path (DuckDB; ".duckdb" or ".db" suggested), "memory", an open store, or undefined (memory). */
export type StoreSpec = string | TrialStore | undefined;

function isStore(value: unknown): value is TrialStore {
  return typeof value === "object" && value !== null && typeof (value as TrialStore).beginRun === "function" && typeof (value as TrialStore).record === "function";
}

/** Opens the store; `owned` says whether the caller must close it (it opened it). */
export async function openStore(spec: StoreSpec): Promise<{ store: TrialStore; owned: boolean }> {
  if (spec === undefined || spec === "memory" || spec === ":memory:") return { store: new MemoryStore(), owned: true };
  if (isStore(spec)) return { store: spec, owned: false };
  if (typeof spec === "string") {
    if (/^postgres(ql)?:\/\//i.test(spec)) throw new LabError({ code: "STORE_UNSUPPORTED", message: "PostgreSQL stores are not supported yet", hint: "use a DuckDB file path, e.g. store: \"sweeps.duckdb\"" });
    return { store: await DuckDbStore.open(spec), owned: true };
  }
  throw new LabError({ code: "BAD_OPTION", message: `store must be a file path or a store, got ${JSON.stringify(spec)}`, hint: 'e.g. store: "sweeps.duckdb"', context: { option: "store" } });
}
