/**
 * Crash safety: a walk-forward genetic sweep runs in a child process (fixtures/sweep.mjs, 2
 * workers, DuckDB store), is killed with SIGKILL once some trials are done, and is resumed. The
 * resumed run must end with exactly the trials and results of an uninterrupted run, and no trial
 * committed before the kill may be evaluated again (the evaluator writes one side-channel line per
 * evaluation).
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { DuckDbStore } from "../../src/store/index.js";
import { ROOT } from "../helpers/paths.js";
import { buildDist, scratch } from "./helpers.js";

const SCRIPT = join(ROOT, "test", "optimize", "fixtures", "sweep.mjs");
const run = promisify(execFile);

interface SweepOutput {
  runId: string;
  evaluated: number;
  resumed: number;
  trials: { window: number; phase: string; index: number; params: { x: number; y: number }; range: { start: number; end: number } }[];
  oos: unknown[];
}

interface LogLine {
  params: { x: number; y: number };
  range: { start: number; end: number };
}

function lines(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.endsWith("}"))
    .map((l) => JSON.parse(l) as LogLine);
}

/** One evaluation's identity: the point and the rows (a window's search or its OOS run). */
const key = (l: { params: Readonly<Record<string, unknown>>; range: { start: number; end: number } }): string => `${l.range.start}-${l.range.end}:${l.params.x}/${l.params.y}`;

async function sweep(store: string, log: string, resume: boolean): Promise<SweepOutput> {
  const { stdout } = await run(process.execPath, [SCRIPT, store, log, resume ? "1" : "0", "2"], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as SweepOutput;
}

beforeAll(() => buildDist());

describe("kill and resume", () => {
  it("resumes after SIGKILL with the uninterrupted run's exact results and no trial run twice", async () => {
    const dir = scratch("resume");
    const reference = await sweep(join(dir, "reference.duckdb"), join(dir, "reference.jsonl"), false);
    const total = reference.trials.length + reference.oos.length;
    expect(total).toBeGreaterThan(40);

    const store = join(dir, "killed.duckdb");
    const log = join(dir, "killed.jsonl");
    const child = spawn(process.execPath, [SCRIPT, store, log, "0", "2"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    // Kill once a quarter of the evaluations are done.
    for (let waited = 0; lines(log).length < Math.floor(total / 4); waited += 10) {
      if (waited > 60_000) throw new Error("the sweep did not start");
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const evaluatedBeforeKill = lines(log).length;

    // What the store holds after the kill: some trials, not all.
    const killed = await DuckDbStore.open(store);
    const runs = await killed.listTrialRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe("running");
    const committed = await killed.loadTrials(runs[0]!.runId);
    await killed.close();
    expect(committed.length).toBeGreaterThan(0);
    expect(committed.length).toBeLessThan(total);
    // Every committed trial was evaluated (a trial is written after it ran).
    expect(committed.length).toBeLessThanOrEqual(evaluatedBeforeKill);

    const resumed = await sweep(store, log, true);
    expect(resumed.runId).toBe(runs[0]!.runId);
    expect(resumed.resumed).toBe(committed.length);
    expect(resumed.evaluated).toBe(total - committed.length);
    // Same trials, same results, same out-of-sample evaluations as the uninterrupted run.
    expect(resumed.trials).toEqual(reference.trials);
    expect(resumed.oos).toEqual(reference.oos);

    // Side channel: after the kill, exactly the uncommitted trials were evaluated, each once.
    const after = lines(log).slice(evaluatedBeforeKill).map(key);
    const committedKeys = new Set(committed.map(key));
    expect(after.filter((k) => committedKeys.has(k))).toEqual([]);
    expect(new Set(after).size).toBe(after.length);
    expect(after.length).toBe(total - committed.length);

    // The store ends with every trial exactly once.
    const final = await DuckDbStore.open(store);
    const trials = await final.loadTrials(runs[0]!.runId);
    expect((await final.listTrialRuns())[0]!.status).toBe("finished");
    await final.close();
    expect(trials).toHaveLength(total);
    expect(new Set(trials.map((t) => `${t.window}/${t.phase}/${t.index}`)).size).toBe(total);
  });
});
