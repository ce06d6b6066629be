/**
 * Starting the server safely, and the live feed's throttling (with fake timers, so no figure
 * depends on the machine's speed): a network address without a chosen token is refused, a taken
 * port is a LabError, the default store is the project's, progress goes out at most once per
 * 100 ms per job with the latest figures, and trials wait for the 100 ms flush, in order, each once.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { serveStoreSpec } from "../../src/cli/commands/serve.js";
import { createServer, LiveHub, type LiveProgress, type LiveTrial } from "../../src/server/index.js";
import { MemoryStore } from "../../src/store/index.js";
import { CLI, ROOT } from "../helpers/paths.js";
import { TOKEN } from "./helpers.js";

const run = promisify(execFile);

describe("starting", () => {
  it("refuses a network address without an explicit token", async () => {
    await expect(createServer({ store: new MemoryStore(), host: "0.0.0.0" })).rejects.toMatchObject({ code: "SERVER_UNSAFE_HOST", hint: expect.stringContaining("--token") });
    const r = await run(process.execPath, [CLI, "serve", "--host", "0.0.0.0", "--store", "memory"], { cwd: ROOT }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("SERVER_UNSAFE_HOST");
  });

  it("names a taken port", async () => {
    const first = await createServer({ store: new MemoryStore(), token: TOKEN });
    try {
      await expect(createServer({ store: new MemoryStore(), token: TOKEN, port: first.port })).rejects.toMatchObject({ code: "SERVER_LISTEN_FAILED", message: expect.stringContaining(String(first.port)) });
    } finally {
      await first.close();
    }
  });

  it("serves the project's .strategy-lab/runs.duckdb unless --store or STRATEGY_LAB_STORE says otherwise", () => {
    const saved = process.env.STRATEGY_LAB_STORE;
    try {
      delete process.env.STRATEGY_LAB_STORE;
      expect(serveStoreSpec(undefined, "/p")).toBe(join("/p", ".strategy-lab", "runs.duckdb"));
      process.env.STRATEGY_LAB_STORE = "postgres://x@127.0.0.1/lab";
      expect(serveStoreSpec(undefined, "/p")).toBe("postgres://x@127.0.0.1/lab");
      expect(serveStoreSpec("memory", "/p")).toBe("memory");
    } finally {
      if (saved === undefined) delete process.env.STRATEGY_LAB_STORE;
      else process.env.STRATEGY_LAB_STORE = saved;
    }
  });
});

/** A client the hub can send to: keeps the parsed frames. */
function fakeClient(): { frames: any[]; socket: any } {
  const frames: any[] = [];
  return { frames, socket: { readyState: 1, bufferedAmount: 0, send: (f: Buffer | string) => frames.push(JSON.parse(String(f))), on: () => undefined, terminate: () => undefined, close: () => undefined } };
}

const progress = (done: number): LiveProgress => ({ type: "progress", jobId: "job-1", runId: "run-1", done, total: 1000, eventsPerSecond: 1, etaSeconds: 1, best: null });
const trial = (index: number): LiveTrial => ({ index, window: 0, phase: "search", params: { x: index }, status: "ok", objective: index / 2, metrics: { sharpe: NaN } });

describe("live feed throttling", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends progress at most every 100 ms per job, the latest figures last", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const hub = new LiveHub();
    const c = fakeClient();
    hub.add(c.socket);
    for (let i = 1; i <= 1000; i++) hub.progress(progress(i));
    expect(c.frames.map((f) => f.done)).toEqual([1]);
    vi.advanceTimersByTime(100);
    expect(c.frames.map((f) => f.done)).toEqual([1, 1000]);
    // Another job is throttled on its own.
    hub.progress({ ...progress(5), jobId: "job-2" });
    expect(c.frames.map((f) => `${f.jobId}:${f.done}`)).toEqual(["job-1:1", "job-1:1000", "job-2:5"]);
    // 2 s of progress every millisecond: at most 10 per second.
    const before = c.frames.length;
    for (let ms = 0; ms < 2000; ms++) {
      hub.progress(progress(2000 + ms));
      vi.advanceTimersByTime(1);
    }
    const sent = c.frames.slice(before).filter((f) => f.jobId === "job-1").length;
    expect(sent).toBeGreaterThanOrEqual(19);
    expect(sent).toBeLessThanOrEqual(21);
    hub.close();
  });

  it("holds trials for the 100 ms flush and sends each once, in order, before a job message", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const hub = new LiveHub();
    const c = fakeClient();
    hub.add(c.socket);
    for (let i = 0; i < 500; i++) hub.trial("run-1", trial(i));
    expect(c.frames).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(c.frames.map((f) => f.trial.index)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(c.frames[3]).toEqual({ type: "trial", runId: "run-1", trial: { index: 3, window: 0, phase: "search", params: { x: 3 }, status: "ok", objective: 1.5, metrics: { sharpe: "NaN" } } });
    hub.trial("run-1", trial(500));
    hub.job({ id: "job-1", state: "finished" });
    expect(c.frames.slice(500).map((f) => f.type)).toEqual(["trial", "job"]);
    vi.advanceTimersByTime(1000);
    expect(c.frames).toHaveLength(502);
    hub.close();
  });
});
