/**
 * A job's progress says the time left as `etaMs` (wall-clock durations are ms), with the old
 * `etaSeconds` beside it for one version; the dashboard reads `etaMs`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, LiveHub, type LiveProgress, type ResearchServer } from "../../src/server/index.js";
import { JobManager } from "../../src/server/jobs.js";
import { responses } from "../../src/server/schemas.js";
import { MemoryStore } from "../../src/store/index.js";
import { buildDist } from "../optimize/helpers.js";
import { ROOT } from "../helpers/paths.js";
import { api, live, TOKEN, waitFor } from "./helpers.js";

/** A hub that keeps the progress messages it is given instead of sending them. */
class RecordingHub extends LiveHub {
  readonly sent: LiveProgress[] = [];
  override progress(message: LiveProgress): void {
    this.sent.push({ ...message });
  }
}

describe("job progress: etaMs", () => {
  it("is the wall-clock time left at the rate so far, in ms, with etaSeconds = etaMs / 1000", () => {
    const hub = new RecordingHub();
    const jobs = new JobManager({ store: new MemoryStore(), projectRoot: ROOT, maxJobs: 1, live: hub, version: "test" });
    const job = { id: "job-1", runId: "run-1", progress: { done: 0, total: 100, eventsPerSecond: 0, etaMs: NaN, etaSeconds: NaN, best: null } };
    const entry = { job, startedAt: performance.now(), events: 0 };
    const progress = (jobs as unknown as { progress(e: unknown, done: number, total: number, elapsedMs: number): void }).progress.bind(jobs);
    // 25 of 100 in 5 s: 5 per second, 75 left, 15 s.
    progress(entry, 25, 100, 5000);
    expect(hub.sent.at(-1)).toMatchObject({ type: "progress", jobId: "job-1", done: 25, total: 100, etaMs: 15_000, etaSeconds: 15 });
    // 99 of 100 in 33 ms: 1 left at 3 per ms.
    progress(entry, 99, 100, 33);
    expect(hub.sent.at(-1)!.etaMs).toBeCloseTo(1 / 3, 12);
    expect(hub.sent.at(-1)!.etaSeconds).toBeCloseTo(1 / 3000, 15);
    // Unknown total (a sweep without a trial count) or no progress yet: unknown.
    progress(entry, 10, NaN, 1000);
    expect(hub.sent.at(-1)!.etaMs).toBeNaN();
    progress(entry, 0, 100, 1000);
    expect(hub.sent.at(-1)!.etaMs).toBeNaN();
    expect(job.progress.etaMs).toBeNaN();
  });

  it("the dashboard reads etaMs", () => {
    const js = readFileSync(join(ROOT, "src", "server", "dashboard", "live.js"), "utf8");
    expect(js).toContain("fmt.duration(fmt.num(p.etaMs) / 1000)");
    expect(js).not.toContain("etaSeconds");
  });
});

describe("job progress over the API", () => {
  let server: ResearchServer;
  beforeAll(async () => {
    await buildDist();
    server = await createServer({ store: new MemoryStore(), token: TOKEN, port: 0, projectRoot: ROOT, watchMs: 100 });
  }, 300_000);
  afterAll(async () => {
    await server?.close();
  });

  it("a finished backtest job has etaMs 0 (and etaSeconds 0), in the job document and on the live feed", async () => {
    const client = await live(server.url);
    const posted = await api(server.url, "/api/jobs", { method: "POST", body: JSON.stringify({ kind: "backtest", strategy: "imbalance", data: "generated", events: 5_000, dataSeed: 1 }) });
    expect(posted.status).toBe(201);
    const id = posted.body.job.id as string;
    expect(posted.body.job.progress.etaMs).toBe("NaN");
    const finished = await waitFor("the job to finish", async () => {
      const j = (await api(server.url, `/api/jobs/${id}`)).body.job;
      return j.state === "finished" || j.state === "failed" ? j : undefined;
    });
    expect(finished.state).toBe("finished");
    expect(finished.progress.etaMs).toBe(0);
    expect(finished.progress.etaSeconds).toBe(0);
    expect(() => responses.job.parse({ job: finished })).not.toThrow();
    const message = await waitFor("the finished message", () => client.messages.find((m) => m.type === "job" && m.job.id === id && m.job.state === "finished"));
    expect(message.job.progress.etaMs).toBe(0);
    const progress = client.messages.filter((m) => m.type === "progress" && m.jobId === id);
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) expect("etaMs" in p).toBe(true);
    await client.close();
  }, 300_000);
});
