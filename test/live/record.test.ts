/**
 * A paper session is recorded in the run store like a backtest when recording is on: its manifest
 * names the live feed, its metrics and result hash are the session's result's, its fills, orders
 * and equity are artifacts, and a rerun says why it cannot repeat it.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as lab from "../../src/index.js";
import { MemoryStore } from "../../src/store/index.js";
import { resultHash } from "../../src/runs/index.js";
import { ROOT } from "../helpers/paths.js";

const CAPTURE = join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz");

describe("paper sessions in the run store", () => {
  afterAll(async () => {
    await lab.store.use(undefined);
  });

  it("records the session's result with the feed's URL, and a rerun names why it cannot repeat it", async () => {
    const store = new MemoryStore();
    await lab.store.use(store);
    const server = await lab.live.startReplayServer(CAPTURE, { speed: "max", stamp: true });
    try {
      const feed = lab.live.binanceFeed({ url: server.url, receiveTime: "stamped" });
      const session = lab.live.paper(feed, lab.strategies.marketMaker({ requoteMs: 50 }), { latencyNs: 200_000, seed: 3 });
      const result = await session.result;
      expect(session.status().state).toBe("finished");
      await lab.store.flush();
      const { runs } = await store.listRuns({});
      expect(runs.map((r) => r.kind)).toEqual(["backtest"]);
      const run = (await store.getRun(runs[0]!.id))!;
      expect(run.manifest.data.live).toBe(server.url);
      expect(run.manifest.strategy).toMatchObject({ name: "marketMaker", params: { requoteMs: 50 } });
      expect(run.manifest.engine.latencyNs).toBe(200_000);
      // The handover in effect, the default on a stamped replay.
      expect((run.manifest.engine as Record<string, unknown>).handover).toBe("lookahead");
      expect(result.summary.trades).toBeGreaterThan(10);
      expect(run.metrics.trades).toBe(result.summary.trades);
      expect(run.metrics.pnl).toBe(result.summary.pnl);
      expect(run.resultHash).toBe(resultHash(result));
      expect(run.artifacts.map((a) => a.name)).toEqual(["checklist.json", "equity.parquet", "fills.parquet", "orders.parquet"]);
      await expect(lab.runs.rerun(run.id)).rejects.toMatchObject({ code: "RERUN_UNAVAILABLE", message: expect.stringContaining(`the live feed ${server.url}`) });
    } finally {
      await server.close();
    }
  }, 120_000);

  it("records nothing when recording is off", async () => {
    await lab.store.use(undefined);
    const server = await lab.live.startReplayServer(CAPTURE, { speed: "max", stamp: true });
    try {
      const feed = lab.live.binanceFeed({ url: server.url, receiveTime: "stamped" });
      const session = lab.live.paper(feed, lab.strategies.marketMaker({ requoteMs: 50 }), { latencyNs: 200_000, seed: 3 });
      const result = await session.result;
      // the session object is the live layer's own, untouched
      expect(result.summary.trades).toBeGreaterThan(10);
      expect(await lab.store.current()).toBeUndefined();
    } finally {
      await server.close();
    }
  }, 120_000);
});
