/**
 * The run listing cache of `GET /api/runs`: within LIST_CACHE_MS every client gets the listing of
 * one store query; a live `run` message clears it, so the next request sees the change; after the
 * interval one request starts a fresh query and, while the store is slow to answer, clients get
 * the kept listing instead of waiting; once the fresh listing is in, they get that one. A listing
 * carries an ETag, and a client naming it in If-None-Match gets 304 until the listing changes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createServer, type ResearchServer } from "../../src/server/index.js";
import { LIST_CACHE_MS } from "../../src/server/app.js";
import { MemoryStore, type RunFilter, type RunManifest, type RunRecord } from "../../src/store/index.js";
import { ROOT } from "../helpers/paths.js";
import { api, sleep, TOKEN, waitFor } from "./helpers.js";

const manifest: RunManifest = { kind: "backtest", strategy: { name: "imbalance", params: {} }, data: { rows: 10 }, engine: {}, version: "0.0.0", host: "test", node: process.version };

/** A memory store that counts the listings the server asks for (strategy "imbalance") and can hold them back. */
class GatedStore extends MemoryStore {
  listings = 0;
  gate: Promise<void> | undefined;
  override async listRuns(filter?: RunFilter): Promise<{ runs: RunRecord[]; total: number }> {
    if (filter?.strategy === "imbalance") {
      this.listings++;
      if (this.gate !== undefined) await this.gate;
    }
    return super.listRuns(filter);
  }
}

let server: ResearchServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const PATH = "/api/runs?strategy=imbalance&limit=50";

describe("run listing cache", () => {
  it("answers many requests from one query, refreshes on a run message, and serves the kept listing while a slow refresh runs", async () => {
    const store = new GatedStore();
    await store.createRun({ id: "run-a", kind: "backtest", manifest });
    server = await createServer({ store, token: TOKEN, projectRoot: ROOT, watchMs: 60_000 });

    const first = await Promise.all(Array.from({ length: 20 }, () => api(server!.url, PATH)));
    for (const r of first) expect(r.body.runs.map((x: RunRecord) => x.id)).toEqual(["run-a"]);
    expect(store.listings).toBe(1);

    // A run message (here: a run the server heard of) clears the cache: the next listing is fresh.
    await store.createRun({ id: "run-b", kind: "backtest", manifest });
    server.live.run({ id: "run-b" });
    expect((await api(server.url, PATH)).body.runs.map((x: RunRecord) => x.id)).toEqual(["run-b", "run-a"]);
    expect(store.listings).toBe(2);

    // A change nobody announced, a slow store, and the interval over: the kept listing answers
    // while the one fresh query waits on the store.
    await store.createRun({ id: "run-c", kind: "backtest", manifest });
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    await sleep(LIST_CACHE_MS + 50);
    const during = await Promise.all(Array.from({ length: 10 }, () => api(server!.url, PATH)));
    for (const r of during) expect(r.body.runs.map((x: RunRecord) => x.id)).toEqual(["run-b", "run-a"]);
    expect(store.listings).toBe(3);
    open();
    store.gate = undefined;
    await waitFor("the fresh listing", async () => ((await api(server!.url, PATH)).body.total === 3 ? true : undefined), 10_000);
    expect((await api(server.url, PATH)).body.runs.map((x: RunRecord) => x.id)).toEqual(["run-c", "run-b", "run-a"]);
    expect(store.listings).toBe(3);
  });

  it("answers 304 to a client that has the current listing, and 200 with a new ETag once it changed", async () => {
    const store = new GatedStore();
    await store.createRun({ id: "run-a", kind: "backtest", manifest });
    server = await createServer({ store, token: TOKEN, projectRoot: ROOT, watchMs: 60_000 });
    const first = await api(server.url, PATH);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(first.headers.get("cache-control")).toBe("no-cache, private");
    const again = await api(server.url, PATH, { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
    expect(again.body).toBe("");
    expect(again.headers.get("etag")).toBe(etag);
    // Among others, and as a weak validator, it still matches; another one does not.
    expect((await api(server.url, PATH, { headers: { "if-none-match": `"x", W/${etag}` } })).status).toBe(304);
    expect((await api(server.url, PATH, { headers: { "if-none-match": '"x"' } })).status).toBe(200);
    await store.createRun({ id: "run-b", kind: "backtest", manifest });
    server.live.run({ id: "run-b" });
    const changed = await api(server.url, PATH, { headers: { "if-none-match": etag! } });
    expect(changed.status).toBe(200);
    expect(changed.body.runs.map((x: RunRecord) => x.id)).toEqual(["run-b", "run-a"]);
    expect(changed.headers.get("etag")).not.toBe(etag);
  });

  it("a failed query is not kept: the request gets the error, the next one asks the store again", async () => {
    const store = new GatedStore();
    await store.createRun({ id: "run-a", kind: "backtest", manifest });
    server = await createServer({ store, token: TOKEN, projectRoot: ROOT, watchMs: 60_000 });
    let fail = true;
    const list = store.listRuns.bind(store);
    store.listRuns = async (filter?: RunFilter) => {
      if (fail && filter?.strategy === "imbalance") throw new Error("store down");
      return list(filter);
    };
    expect((await api(server.url, PATH)).status).toBe(500);
    fail = false;
    const again = await api(server.url, PATH);
    expect(again.status).toBe(200);
    expect(again.body.runs.map((x: RunRecord) => x.id)).toEqual(["run-a"]);
  });
});
