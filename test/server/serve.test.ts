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
import { createServer, LiveHub, MAX_FRAME_BYTES, sameToken, toJson, type LiveProgress, type LiveTrial } from "../../src/server/index.js";
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

/**
 * A client the hub can send to: `frames` keeps the messages in order (a frame holding an array of
 * messages adds each of them, as the dashboard reads it), `raw` the frames as sent.
 */
function fakeClient(): { frames: any[]; raw: string[]; socket: any } {
  const frames: any[] = [];
  const raw: string[] = [];
  const send = (f: Buffer | string) => {
    raw.push(String(f));
    const m = JSON.parse(String(f));
    frames.push(...(Array.isArray(m) ? m : [m]));
  };
  return { frames, raw, socket: { readyState: 1, bufferedAmount: 0, send, on: () => undefined, terminate: () => undefined, close: () => undefined } };
}

const progress = (done: number): LiveProgress => ({ type: "progress", jobId: "job-1", runId: "run-1", done, total: 1000, eventsPerSecond: 1, etaMs: 1000, etaSeconds: 1, best: null });
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
    // One flush of 500 small trials is one frame: a JSON array of their messages.
    expect(c.raw).toHaveLength(1);
    expect(c.raw[0]!.startsWith('[{"type":"trial"')).toBe(true);
    hub.trial("run-1", trial(500));
    hub.job({ id: "job-1", state: "finished" });
    expect(c.frames.slice(500).map((f) => f.type)).toEqual(["trial", "job"]);
    expect(c.raw).toHaveLength(3);
    vi.advanceTimersByTime(1000);
    expect(c.frames).toHaveLength(502);
    expect(hub.delivered).toBe(502);
    hub.close();
  });

  it("sends text that is not ASCII intact", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const hub = new LiveHub();
    const c = fakeClient();
    hub.add(c.socket);
    hub.trial("run-é", { ...trial(0), params: { label: "é✓ \"q\" 𝛼" } });
    hub.trial("run-é", trial(1));
    vi.advanceTimersByTime(100);
    expect(c.frames.map((f) => [f.runId, f.trial.params])).toEqual([
      ["run-é", { label: "é✓ \"q\" 𝛼" }],
      ["run-é", { x: 1 }],
    ]);
    hub.close();
  });

  it("cuts a large flush into frames of about MAX_FRAME_BYTES, every trial once and in order, the same frames for every client", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const hub = new LiveHub();
    const a = fakeClient();
    const b = fakeClient();
    hub.add(a.socket);
    hub.add(b.socket);
    // 3000 trials of about 1.1 kB each: 3.3 MB in one flush.
    const big = (i: number): LiveTrial => ({ ...trial(i), params: { x: i, tag: "p".repeat(1000) } });
    const longest = toJson({ type: "trial", runId: "run-1", trial: big(2999) }).length;
    const total = Array.from({ length: 3000 }, (_, i) => toJson({ type: "trial", runId: "run-1", trial: big(i) }).length + 1).reduce((x, y) => x + y, 0);
    for (let i = 0; i < 3000; i++) hub.trial("run-1", big(i));
    vi.advanceTimersByTime(100);
    expect(a.frames.map((f) => f.trial.index)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(b.raw).toEqual(a.raw);
    // Every frame but the last reaches MAX_FRAME_BYTES and overshoots by less than one message.
    expect(a.raw).toHaveLength(Math.ceil(total / MAX_FRAME_BYTES));
    for (const f of a.raw.slice(0, -1)) {
      expect(f.length).toBeGreaterThanOrEqual(MAX_FRAME_BYTES);
      expect(f.length).toBeLessThanOrEqual(MAX_FRAME_BYTES + longest + 1);
    }
    expect(a.raw.join("").length).toBe(total + a.raw.length);
    expect(hub.delivered).toBe(6000);
    hub.close();
  });
});

describe("toJson", () => {
  // What the API promised before the replacer-free path: every value through the replacer.
  const reference = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : typeof x === "bigint" ? x.toString() : x));

  it("writes non-finite numbers and bigints as strings wherever they are, and everything else as JSON.stringify does", () => {
    const deep: Record<string, unknown> = { v: -Infinity };
    let d = deep;
    for (let i = 0; i < 100; i++) d = { next: d };
    const cases: unknown[] = [
      { a: 1, b: [1, 2, { c: "x", d: null, e: true }], f: undefined },
      { metrics: { sharpe: NaN, pnl: 1.5 } },
      [1, [2, [3, [Infinity]]]],
      { n: 12345678901234567890n },
      { at: new Date(Date.UTC(2024, 0, 2)), nested: { at: new Date(0) } },
      { t: { toJSON: () => ({ x: NaN }) } },
      { f: new Float64Array([1, NaN]) },
      d,
      NaN,
      -Infinity,
      "text",
      null,
    ];
    for (const c of cases) expect(toJson(c)).toBe(reference(c));
    expect(toJson({ metrics: { sharpe: NaN, pnl: 1.5 } })).toBe('{"metrics":{"sharpe":"NaN","pnl":1.5}}');
    expect(toJson({ t: { toJSON: () => ({ x: NaN }) } })).toBe('{"t":{"x":"NaN"}}');
  });
});

describe("token comparison", () => {
  it("accepts exactly the token: not a prefix, an extension, another case or another token of the same length", () => {
    const token = "Zm9vYmFyLXRva2VuLTEyMzQ1Njc4OTA";
    expect(sameToken(token, token)).toBe(true);
    for (const wrong of [undefined, "", token.slice(0, -1), `${token}x`, token.toLowerCase(), `${token.slice(0, -1)}B`, "é".repeat(token.length)]) expect(sameToken(wrong, token)).toBe(false);
  });
});
