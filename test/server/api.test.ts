/**
 * The REST API and the live feed of the research server, in process, on a memory store filled
 * by hand (runs) and by a real small sweep (jobs): token checks on REST and WebSocket, 400s that
 * name the field, "did you mean", artifact paths that cannot escape, the body limit, the OpenAPI
 * document against the registered routes, run listing/filtering/paging against the filled store,
 * and a sweep whose live messages arrive in order with every trial exactly once and the same
 * objectives as the same sweep run directly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTicks } from "../../src/data/index.js";
import { optimize } from "../../src/optimize/index.js";
import { createServer, type ResearchServer } from "../../src/server/index.js";
import { MemoryStore, type RunManifest } from "../../src/store/index.js";
import { buildDist } from "../optimize/helpers.js";
import { ROOT } from "../helpers/paths.js";
import { api, live, TOKEN, waitFor } from "./helpers.js";

let server: ResearchServer;
let store: MemoryStore;
const ids: string[] = [];

const manifest = (strategy: string): RunManifest => ({ kind: "backtest", strategy: { name: strategy, params: {} }, data: { rows: 10 }, engine: {}, version: "0.0.0", host: "test", node: process.version });

/** Seven finished runs with known metrics; run 3's sharpe is NaN. */
const FILL = [
  { strategy: "imbalance", sharpe: 1.5, pnl: 10 },
  { strategy: "imbalance", sharpe: -0.5, pnl: -3 },
  { strategy: "marketMaker", sharpe: 2.5, pnl: 30 },
  { strategy: "marketMaker", sharpe: NaN, pnl: 0 },
  { strategy: "imbalance", sharpe: 0.75, pnl: 4 },
  { strategy: "bidAskBounce", sharpe: 3, pnl: 12 },
  { strategy: "imbalance", sharpe: 1.25, pnl: 7 },
];

beforeAll(async () => {
  await buildDist();
  store = new MemoryStore();
  for (const [i, f] of FILL.entries()) {
    const id = await store.createRun({ id: `run-fill-${i}`, kind: "backtest", manifest: manifest(f.strategy) });
    await store.updateRun(id, { state: "finished", metrics: { sharpe: f.sharpe, pnl: f.pnl }, params: {}, finishedAt: new Date().toISOString() });
    ids.push(id);
    // createdAt orders the runs; keep them apart.
    await new Promise((r) => setTimeout(r, 5));
  }
  await store.putArtifact(ids[0]!, "report.html", new TextEncoder().encode("<!doctype html><p>report</p>"), "text/html");
  server = await createServer({ store, token: TOKEN, port: 0, projectRoot: ROOT, watchMs: 100 });
});

afterAll(async () => {
  await server?.close();
});

describe("tokens", () => {
  it("refuses /api without a token or with a wrong one (401, code UNAUTHORIZED)", async () => {
    const none = await api(server.url, "/api/health", { token: null });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("UNAUTHORIZED");
    expect(none.body.error.hint).toMatch(/token/);
    const wrong = await api(server.url, "/api/runs", { token: "nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("UNAUTHORIZED");
    const prefix = await api(server.url, "/api/health", { token: TOKEN.slice(0, -1) });
    expect(prefix.status).toBe(401);
  });

  it("accepts the bearer token and the cookie that GET /?token= sets", async () => {
    const ok = await api(server.url, "/api/health");
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true, version: expect.any(String), store: { kind: "memory", location: "memory" } });
    const login = await api(server.url, `/?token=${TOKEN}`, { token: null });
    expect(login.status).toBe(302);
    expect(login.headers.get("location")).toBe("/");
    const cookie = login.headers.get("set-cookie")!;
    expect(cookie).toContain(`strategy_lab_token=${TOKEN}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const viaCookie = await api(server.url, "/api/health", { token: null, headers: { cookie: cookie.split(";")[0]! } });
    expect(viaCookie.status).toBe(200);
    const badLogin = await api(server.url, "/?token=wrong", { token: null });
    expect(badLogin.status).toBe(401);
    expect(badLogin.headers.get("set-cookie")).toBeNull();
  });

  it("refuses the WebSocket upgrade without the token, with a wrong one, or from another origin", async () => {
    await expect(live(server.url, {})).rejects.toThrow("HTTP 401");
    await expect(live(server.url, { authorization: "Bearer wrong" })).rejects.toThrow("HTTP 401");
    await expect(live(server.url, { authorization: `Bearer ${TOKEN}`, origin: "http://evil.example" })).rejects.toThrow("HTTP 401");
    const ok = await live(server.url, { cookie: `strategy_lab_token=${TOKEN}` });
    await waitFor("hello", () => ok.messages.find((m) => m.type === "hello"));
    await ok.close();
  });
});

describe("validation", () => {
  const job = { kind: "optimize", strategy: "imbalance", data: "generated", events: 5000 };

  it("answers 400 naming the field of a bad value", async () => {
    const r = await api(server.url, "/api/jobs", { method: "POST", body: JSON.stringify({ ...job, trials: "x" }) });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("BAD_REQUEST");
    expect(r.body.error.field).toBe("trials");
    const nested = await api(server.url, "/api/jobs", { method: "POST", body: JSON.stringify({ ...job, space: { threshold: { min: 0.1, max: "a" } } }) });
    expect(nested.status).toBe(400);
    expect(nested.body.error.field).toBe("space.threshold");
    const unknownKey = await api(server.url, "/api/jobs", { method: "POST", body: JSON.stringify({ ...job, trails: 3 }) });
    expect(unknownKey.body.error.field).toBe("trails");
    const space = await api(server.url, "/api/jobs", { method: "POST", body: JSON.stringify({ ...job, space: { threshhold: { min: 0.1, max: 0.2, step: 0.1 } } }) });
    expect(space.status).toBe(400);
    expect(space.body.error.field).toBe("space.threshhold");
    expect(space.body.error.hint).toContain('did you mean "threshold"');
    const engine = await api(server.url, "/api/jobs", { method: "POST", body: JSON.stringify({ ...job, backtest: { latncyNs: 1000 } }) });
    expect(engine.status).toBe(400);
    expect(engine.body.error.field).toBe("backtest.latncyNs");
    expect(engine.body.error.hint).toContain('did you mean "latencyNs"');
    const q = await api(server.url, "/api/runs?limit=abc");
    expect(q.status).toBe(400);
    expect(q.body.error.field).toBe("limit");
    const where = await api(server.url, `/api/runs?where=${encodeURIComponent('{"sharpe":{"gt":"1"}}')}`);
    expect(where.status).toBe(400);
    expect(where.body.error.field).toBe("where.sharpe.gt");
    const outside = await api(server.url, "/api/jobs", { method: "POST", body: JSON.stringify({ ...job, data: "../../etc/passwd" }) });
    expect(outside.status).toBe(400);
    expect(outside.body.error.field).toBe("data");
  });

  it("suggests the closest strategy name", async () => {
    const r = await api(server.url, "/api/jobs", { method: "POST", body: JSON.stringify({ ...job, strategy: "imbalanc" }) });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe("strategy");
    expect(r.body.error.hint).toContain('did you mean "imbalance"?');
  });

  it("never lets an artifact name leave the run", async () => {
    const good = await api(server.url, `/api/runs/${ids[0]}/artifacts/report.html`);
    expect(good.status).toBe(200);
    expect(good.body).toBe("<!doctype html><p>report</p>");
    expect(good.headers.get("content-type")).toMatch(/^text\/html/);
    expect(good.headers.get("content-security-policy")).toContain("sandbox");
    for (const name of ["%2e%2e", "..%2f..%2fpackage.json", "%2e%2e%2f%2e%2e%2fpackage.json", "..", "a..b"]) {
      const r = await api(server.url, `/api/runs/${ids[0]}/artifacts/${name}`);
      expect([400, 404], name).toContain(r.status);
      expect(r.body.error.code, name).toMatch(/BAD_REQUEST|ARTIFACT_NOT_FOUND|ROUTE_NOT_FOUND/);
    }
    // A raw "../" in the path (no client normalization): no route matches, nothing is read.
    const raw = await fetch(`${server.url}/api/runs/${ids[0]}/artifacts/../../../package.json`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect([400, 404]).toContain(raw.status);
    expect(await raw.text()).not.toContain('"name": "strategy-lab"');
    const missing = await api(server.url, `/api/runs/${ids[0]}/artifacts/nothing.txt`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("ARTIFACT_NOT_FOUND");
    const noRun = await api(server.url, "/api/runs/run-none");
    expect(noRun.status).toBe(404);
    expect(noRun.body.error.code).toBe("RUN_NOT_FOUND");
  });

  it("refuses a body over the limit with 413", async () => {
    const big = JSON.stringify({ ...job, params: { pad: "x".repeat(1024 * 1024 + 10) } });
    const r = await api(server.url, "/api/jobs", { method: "POST", body: big });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("documents every route in the OpenAPI document", async () => {
    const r = await api(server.url, "/api/openapi.json");
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe("3.1.0");
    const apiRoutes = server.routes.filter((s) => s.split(" ")[1]!.startsWith("/api"));
    expect(apiRoutes.length).toBe(15);
    for (const route of apiRoutes) {
      const [method, path] = route.split(" ") as [string, string];
      const doc = r.body.paths[path.replace(/:([A-Za-z]+)/g, "{$1}")];
      expect(doc?.[method.toLowerCase()], route).toBeDefined();
    }
    const documented = Object.entries(r.body.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{([A-Za-z]+)\}/g, ":$1")}`));
    expect(documented.sort()).toEqual([...apiRoutes].sort());
    expect(r.body.paths["/api/jobs"].post.requestBody.content["application/json"].schema.properties.trials.type).toBe("integer");
  });
});

describe("runs", () => {
  it("lists, filters, sorts and pages the store's runs", async () => {
    const all = await api(server.url, "/api/runs");
    expect(all.body.total).toBe(7);
    expect(all.body.runs.map((r: { id: string }) => r.id)).toEqual([...ids].reverse());
    expect(all.body.runs[3].metrics.sharpe).toBe("NaN");
    expect(all.body.runs.every((r: object) => !("equity" in r))).toBe(true);

    const imb = await api(server.url, "/api/runs?strategy=imbalance&order=asc");
    expect(imb.body.total).toBe(4);
    expect(imb.body.runs.map((r: { id: string }) => r.id)).toEqual([ids[0], ids[1], ids[4], ids[6]]);

    const sorted = await api(server.url, "/api/runs?sort=sharpe&order=desc&limit=3&offset=1");
    expect(sorted.body.total).toBe(7);
    expect(sorted.body.runs.map((r: { metrics: { sharpe: number } }) => r.metrics.sharpe)).toEqual([2.5, 1.5, 1.25]);

    const where = await api(server.url, `/api/runs?where=${encodeURIComponent(JSON.stringify({ sharpe: { gte: 1.25 }, pnl: { lt: 20 } }))}&sort=pnl&order=asc`);
    expect(where.body.runs.map((r: { id: string }) => r.id)).toEqual([ids[6], ids[0], ids[5]]);

    const page2 = await api(server.url, "/api/runs?limit=2&offset=6");
    expect(page2.body.runs.map((r: { id: string }) => r.id)).toEqual([ids[0]]);
    expect(page2.body.total).toBe(7);
  });

  it("shows one run and compares two", async () => {
    const one = await api(server.url, `/api/runs/${ids[2]}`);
    expect(one.body.run.id).toBe(ids[2]);
    expect(one.body.run.strategy).toBe("marketMaker");
    expect(one.body.run.metrics).toEqual({ sharpe: 2.5, pnl: 30 });
    const cmp = await api(server.url, `/api/compare?a=${ids[0]}&b=${ids[3]}`);
    expect(cmp.status).toBe(200);
    expect(cmp.body.metrics).toEqual([
      { name: "pnl", a: 10, b: 0, diff: -10 },
      { name: "sharpe", a: 1.5, b: "NaN", diff: "NaN" },
    ]);
    const bad = await api(server.url, `/api/compare?a=${ids[0]}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("b");
  });

  it("lists strategies with their parameter schemas, and the bundled datasets", async () => {
    const s = await api(server.url, "/api/strategies");
    const names = s.body.strategies.map((x: { name: string }) => x.name);
    expect(names).toEqual(expect.arrayContaining(["imbalance", "marketMaker", "bidAskBounce"]));
    const threshold = s.body.strategies.find((x: { name: string }) => x.name === "imbalance").params.find((p: { name: string }) => p.name === "threshold");
    expect(threshold).toMatchObject({ type: "number", default: 0.3, min: 0, max: 1, step: 0.05 });
    const d = await api(server.url, "/api/datasets");
    const paths = d.body.datasets.map((x: { path: string }) => x.path);
    expect(paths).toContain("data/binance/spot_btcusdt_20240808.gz");
    expect(d.body.datasets.find((x: { path: string }) => x.path === "data/binance/spot_btcusdt_20240808.gz").format).toBe("binance-raw");
    expect(paths.some((p: string) => p.endsWith(".md"))).toBe(false);
  });

  it("sends runs written to the store by others to the live feed", async () => {
    const client = await live(server.url);
    expect((await api(server.url, "/api/runs?limit=3")).body.total).toBe(7);
    const id = await store.createRun({ id: "run-from-elsewhere", kind: "backtest", manifest: manifest("imbalance") });
    await waitFor("the new run", () => client.messages.find((m) => m.type === "run" && m.run.id === id && m.run.state === "running"));
    // A listing asked for after the message has the run (the server's listing cache was cleared).
    const listed = await api(server.url, "/api/runs?limit=3");
    expect(listed.body.total).toBe(8);
    expect(listed.body.runs[0].id).toBe(id);
    await store.updateRun(id, { state: "finished", finishedAt: new Date().toISOString() });
    await waitFor("the finished run", () => client.messages.find((m) => m.type === "run" && m.run.id === id && m.run.state === "finished"));
    await client.close();
  });
});

describe("jobs", () => {
  const EVENTS = 20_000;
  const sweep = { kind: "optimize", strategy: "imbalance", data: "generated", events: EVENTS, dataSeed: 3, space: { threshold: { min: 0.1, max: 0.5, step: 0.1 }, cooldownMs: { values: [10, 50] } }, seed: 7, workers: 1 };

  it("runs a sweep whose live messages arrive in order, every trial once, with the direct run's objectives", async () => {
    const client = await live(server.url);
    const posted = await api(server.url, "/api/jobs", { method: "POST", body: JSON.stringify(sweep) });
    expect(posted.status).toBe(201);
    const job = posted.body.job;
    expect(job.kind).toBe("optimize");
    // The server answers while the job runs (the sweep is on other threads).
    const during = await api(server.url, "/api/health");
    expect(during.status).toBe(200);
    await waitFor("the job to finish", async () => ((await api(server.url, `/api/jobs/${job.id}`)).body.job.state === "finished" ? true : undefined));
    await waitFor("the finished message", () => client.messages.find((m) => m.type === "job" && m.job.id === job.id && m.job.state === "finished"));
    await client.close();

    const mine = client.messages.filter((m) => (m.type === "job" && m.job.id === job.id) || (m.type === "progress" && m.jobId === job.id) || (m.type === "trial" && m.runId === job.runId));
    const states = mine.filter((m) => m.type === "job").map((m) => m.job.state);
    expect(states).toEqual(["queued", "running", "finished"]);
    const finishedAt = mine.findIndex((m) => m.type === "job" && m.job.state === "finished");
    const trials = mine.filter((m) => m.type === "trial");
    expect(mine.slice(finishedAt + 1)).toEqual([]);
    expect(trials).toHaveLength(10);
    expect(new Set(trials.map((t) => t.trial.index)).size).toBe(10);
    const done = mine.filter((m) => m.type === "progress").map((m) => m.done as number);
    expect(done.length).toBeGreaterThan(0);
    for (let i = 1; i < done.length; i++) expect(done[i]).toBeGreaterThanOrEqual(done[i - 1]!);

    // Ground truth: the same sweep run directly in this process.
    const data = generateTicks({ events: EVENTS, seed: 3, mode: "l2", shared: true });
    const direct = await optimize({ data, strategy: "imbalance", space: { threshold: { min: 0.1, max: 0.5, step: 0.1 }, cooldownMs: [10, 50] }, seed: 7, workers: 1, keepWorkersMs: 0 });
    const byIndex = new Map(direct.trials.map((t) => [t.index, t]));
    for (const t of trials) {
      const d = byIndex.get(t.trial.index)!;
      expect(t.trial.params).toEqual(d.params);
      expect(Object.is(t.trial.objective, d.objective) || t.trial.objective === String(d.objective)).toBe(true);
    }

    const run = (await api(server.url, `/api/runs/${job.runId}`)).body.run;
    expect(run.state).toBe("finished");
    expect(run.kind).toBe("optimize");
    expect(run.trials).toBe(10);
    expect(run.params).toEqual(direct.best!.params);
    expect(run.metrics.objective).toBe(direct.best!.objective);
    expect(run.artifacts.map((a: { name: string }) => a.name)).toContain("job.json");
    const stored = await api(server.url, `/api/runs/${job.runId}/trials?limit=4&offset=2`);
    expect(stored.body.total).toBe(10);
    expect(stored.body.trials.map((t: { index: number }) => t.index)).toEqual([2, 3, 4, 5]);
    expect(stored.body.trials[0].objective).toBe(byIndex.get(2)!.objective);
  });

  it("queues a second job while one runs, and cancels", async () => {
    const big = { ...sweep, events: 60_000, space: { threshold: { min: 0.05, max: 0.95, step: 0.05 }, cooldownMs: { values: [10, 20, 50] } } };
    const client = await live(server.url);
    const a = (await api(server.url, "/api/jobs", { method: "POST", body: JSON.stringify(big) })).body.job;
    const b = (await api(server.url, "/api/jobs", { method: "POST", body: JSON.stringify(big) })).body.job;
    expect((await api(server.url, `/api/jobs/${b.id}`)).body.job.state).toBe("queued");
    await waitFor("a first trial of job a", () => client.messages.find((m) => m.type === "trial" && m.runId === a.runId));
    // The API answers while the sweep runs on other threads.
    const health = await api(server.url, "/api/health");
    expect(health.status).toBe(200);
    expect((await api(server.url, `/api/jobs/${a.id}`)).body.job.state).toBe("running");
    const cancelledB = await api(server.url, `/api/jobs/${b.id}`, { method: "DELETE" });
    expect(cancelledB.body.job.state).toBe("cancelled");
    const cancelledA = await api(server.url, `/api/jobs/${a.id}`, { method: "DELETE" });
    expect(cancelledA.status).toBe(200);
    expect(cancelledA.body.job.state).toBe("cancelled");
    const run = (await api(server.url, `/api/runs/${a.runId}`)).body.run;
    expect(run.state).toBe("interrupted");
    expect(run.trials).toBeGreaterThan(0);
    expect(run.trials).toBeLessThan(57);
    // Nothing of job a comes after its cancellation.
    const count = client.messages.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(client.messages.slice(count).filter((m) => m.runId === a.runId || m.jobId === a.id)).toEqual([]);
    await client.close();
    const unknown = await api(server.url, "/api/jobs/job-none", { method: "DELETE" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("JOB_NOT_FOUND");
    const notResumable = await api(server.url, `/api/jobs/${a.id}/resume`, { method: "POST" });
    expect(notResumable.status).toBe(200);
    await waitFor("the resumed job to finish", async () => ((await api(server.url, `/api/jobs/${a.id}`)).body.job.state === "finished" ? true : undefined));
    expect((await api(server.url, `/api/runs/${a.runId}`)).body.run.trials).toBe(57);
    const again = await api(server.url, `/api/jobs/${a.id}/resume`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("JOB_NOT_RESUMABLE");
  });
});
