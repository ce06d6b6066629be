/**
 * Shared test helpers: building dist/ once (workers run compiled JavaScript, see
 * src/optimize/pool.ts), the fixture evaluator module, and small hand-made batches.
 */
import { execFile } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { instrument } from "../../src/core/index.js";
import { EventKind, TickBatchBuilder, type TickBatch } from "../../src/data/index.js";
import { ROOT, TEST_OUTPUT } from "../helpers/paths.js";

export const FIXTURES = pathToFileURL(join(ROOT, "test", "optimize", "fixtures", "evaluators.mjs")).href;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Compiles the package (tsc -p tsconfig.json) so worker threads find dist/optimize/worker.js.
 * Type errors elsewhere in the tree do not stop emitting; a lock keeps parallel test files from
 * compiling at the same time. Asynchronous, with generous limits: on a busy machine a build takes
 * minutes, and a test worker blocked for a minute loses its link to vitest.
 */
export async function buildDist(): Promise<void> {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  const lock = join(TEST_OUTPUT, "optimize-build.lock");
  const started = Date.now();
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(lock, "wx");
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { force: true });
      if (Date.now() - started > 900_000) throw new Error("timed out waiting for another build");
      await sleep(200);
    }
  }
  try {
    await new Promise<void>((resolve) => {
      // Errors in files other than ours still emit JavaScript; the check below is what matters.
      execFile(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, () => resolve());
    });
    if (!existsSync(join(ROOT, "dist", "optimize", "worker.js"))) throw new Error("dist/optimize/worker.js was not built");
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

/** Rows at 1 ms steps from `t0`, trade rows at price 100, with `aux[i]` given. */
export function timedBatch(aux: ArrayLike<number>, t0 = 1_700_000_000_000_000_000n): TickBatch {
  const b = new TickBatchBuilder(aux.length);
  for (let i = 0; i < aux.length; i++) {
    const t = t0 + BigInt(i) * 1_000_000n;
    b.push(t, t, EventKind.Trade, 1, 100, 1, Number.NaN, 0, 0, i, aux[i]!);
  }
  return b.build([instrument({ symbol: "TST", venue: "SIM", tickSize: "0.01" })], "test rows");
}

/** A fresh folder under test-output/ for one test. */
export function scratch(name: string): string {
  const dir = join(TEST_OUTPUT, "optimize", `${name}-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
