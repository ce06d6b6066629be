import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SHARED_DATA = join(ROOT, "..", "shared", "data", "real");
/** Git-ignored folder for test artefacts (screenshots, exported pages, temp notebooks). */
export const TEST_OUTPUT = join(ROOT, "test-output");
export const CLI = join(ROOT, "dist", "cli", "main.js");

/** Files under `dir` (any depth) whose name passes `keep`, in walk order. */
export function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, keep));
    else if (keep(name)) out.push(path);
  }
  return out;
}
