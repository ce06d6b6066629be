/**
 * Kill and resume through the server: `strategy-lab serve` on a DuckDB store starts a sweep, is
 * killed with SIGKILL once some but not all trials are stored, and is started again. The job then
 * shows as "interrupted"; resuming it runs only the missing trials (the stored ones are kept as
 * they were) and ends with every trial's objective bit-equal to an uninterrupted run of the same
 * request.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDist } from "../optimize/helpers.js";
import { CLI, ROOT } from "../helpers/paths.js";
import { api, TOKEN, waitFor } from "./helpers.js";

const children: ChildProcess[] = [];
let dir: string;

/** Starts `serve` and resolves with its URL once it prints the dashboard line. */
function serve(store: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, "serve", "--store", store, "--port", "0", "--token", TOKEN], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += String(d);
      const m = /Strategy Lab dashboard: (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/.exec(out);
      if (m) {
        expect(decodeURIComponent(m[2]!)).toBe(TOKEN);
        resolve({ child, url: m[1]! });
      }
    });
    child.stderr!.on("data", (d: Buffer) => (err += String(d)));
    child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", () => r())));
}

const SWEEP = { kind: "optimize", strategy: "imbalance", data: "generated", events: 100_000, dataSeed: 5, space: { threshold: { min: 0.05, max: 0.95, step: 0.05 }, cooldownMs: { values: [10, 40] } }, seed: 11, workers: 1 };
const TOTAL = 19 * 2;

interface WireTrial {
  index: number;
  params: Record<string, unknown>;
  objective: number | string;
  metrics: Record<string, number | string>;
}

async function trials(url: string, runId: string): Promise<WireTrial[]> {
  return (await api(url, `/api/runs/${runId}/trials?limit=10000`)).body.trials as WireTrial[];
}

beforeAll(async () => {
  await buildDist();
  dir = mkdtempSync(join(tmpdir(), "lab-server-resume-"));
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await Promise.all(children.map(exited));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("serve: kill and resume", () => {
  it("shows a killed sweep as interrupted and resumes it to the uninterrupted run's exact trials", async () => {
    const store = join(dir, "runs.duckdb");
    const first = await serve(store);
    const job = (await api(first.url, "/api/jobs", { method: "POST", body: JSON.stringify(SWEEP) })).body.job;
    expect(job.state === "queued" || job.state === "running").toBe(true);
    // Some trials stored, not all: then the process dies without any chance to clean up.
    await waitFor("some trials", async () => {
      const r = await api(first.url, `/api/runs/${job.runId}`);
      return r.status === 200 && r.body.run.trials >= 4 ? true : undefined;
    });
    first.child.kill("SIGKILL");
    await exited(first.child);

    const second = await serve(store);
    const jobs = (await api(second.url, "/api/jobs")).body.jobs;
    const found = jobs.find((j: { id: string }) => j.id === job.id);
    expect(found).toMatchObject({ id: job.id, runId: job.runId, kind: "optimize", strategy: "imbalance", state: "interrupted" });
    const run = (await api(second.url, `/api/runs/${job.runId}`)).body.run;
    expect(run.state).toBe("interrupted");
    expect(run.trials).toBeGreaterThanOrEqual(4);
    expect(run.trials).toBeLessThan(TOTAL);
    const before = await trials(second.url, job.runId);
    expect(before).toHaveLength(run.trials);

    const resumed = await api(second.url, `/api/jobs/${job.id}/resume`, { method: "POST" });
    expect(resumed.status).toBe(200);
    await waitFor("the resumed job", async () => ((await api(second.url, `/api/jobs/${job.id}`)).body.job.state === "finished" ? true : undefined), 300_000);
    const after = await trials(second.url, job.runId);
    expect(after).toHaveLength(TOTAL);
    expect(new Set(after.map((t) => t.index)).size).toBe(TOTAL);
    // Trials stored before the kill were not run again: they are exactly as they were.
    const afterByIndex = new Map(after.map((t) => [t.index, t]));
    for (const t of before) expect(afterByIndex.get(t.index)).toEqual(t);

    // The same request, uninterrupted.
    const reference = (await api(second.url, "/api/jobs", { method: "POST", body: JSON.stringify(SWEEP) })).body.job;
    await waitFor("the reference job", async () => ((await api(second.url, `/api/jobs/${reference.id}`)).body.job.state === "finished" ? true : undefined), 300_000);
    const expected = await trials(second.url, reference.runId);
    expect(expected).toHaveLength(TOTAL);
    expect(after.map((t) => [t.index, t.params, t.objective, t.metrics])).toEqual(expected.map((t) => [t.index, t.params, t.objective, t.metrics]));
    const finalRun = (await api(second.url, `/api/runs/${job.runId}`)).body.run;
    expect(finalRun.state).toBe("finished");
    expect(finalRun.metrics.objective).toBe((await api(second.url, `/api/runs/${reference.runId}`)).body.run.metrics.objective);

    // SIGTERM stops the server cleanly.
    second.child.kill("SIGTERM");
    await exited(second.child);
    expect(second.child.exitCode).toBe(0);
  });
});
