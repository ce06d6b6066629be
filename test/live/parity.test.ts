/**
 * A paper session fed by the replay server (stamped frames, full speed) against lab.backtest on
 * the same capture: the same rows reach the engine, so fills, position and PnL are identical.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readFile } from "../../src/venues/data-aliases.js";
import { backtest, latency } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";
import { binanceFeed, paper, startReplayServer } from "../../src/live/index.js";
import { ROOT } from "../helpers/paths.js";

const CAPTURE = join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz");

describe("paper trading on a replayed capture", () => {
  it("gives the backtest's fills, position and PnL, row for row", async () => {
    const options = { latencyNs: latency.constant({ entryNs: 200_000, responseNs: 100_000 }), seed: 3, queue: "prob" as const };
    const strategy = strategies.marketMaker({ requoteMs: 50 });
    const batch = await readFile(CAPTURE);
    const expected = backtest(batch, strategy, options);
    expect(expected.fills.price.length).toBeGreaterThan(10);

    const server = await startReplayServer(CAPTURE, { speed: "max", stamp: true });
    try {
      const feed = binanceFeed({ url: server.url, receiveTime: "stamped" });
      let rows = 0;
      feed.onRows((r) => (rows += r.length));
      const session = paper(feed, strategy, options);
      const result = await session.result;
      expect(rows).toBe(batch.length);
      const stats = feed.stats();
      expect(stats.malformed).toBe(0);
      expect(stats.gaps).toBe(0);
      expect(result.fills.price.length).toBe(expected.fills.price.length);
      expect(Array.from(result.fills.price)).toEqual(Array.from(expected.fills.price));
      expect(Array.from(result.fills.qty)).toEqual(Array.from(expected.fills.qty));
      expect(Array.from(result.fills.ts)).toEqual(Array.from(expected.fills.ts));
      expect(Array.from(result.fills.side)).toEqual(Array.from(expected.fills.side));
      expect(Array.from(result.fills.fee)).toEqual(Array.from(expected.fills.fee));
      expect(result.summary.finalPosition).toEqual(expected.summary.finalPosition);
      expect(result.summary.pnl).toBe(expected.summary.pnl);
      expect(Array.from(result.equity.equity)).toEqual(Array.from(expected.equity.equity));
      expect(result.orders.id.length).toBe(expected.orders.id.length);
      expect(Array.from(result.orders.priceTicks)).toEqual(Array.from(expected.orders.priceTicks));
      expect(Array.from(result.orders.sentTs)).toEqual(Array.from(expected.orders.sentTs));
      expect(Array.from(result.orders.status)).toEqual(Array.from(expected.orders.status));
      const status = session.status();
      expect(status.state).toBe("finished");
      expect(status.rowsDelivered).toBe(batch.length);
    } finally {
      await server.close();
    }
  }, 120_000);

  it("two sessions on one feed each give the backtest's result (each run keeps its rows in its own memory)", async () => {
    const options = { latencyNs: latency.constant({ entryNs: 200_000, responseNs: 100_000 }), seed: 5, queue: "prob" as const };
    const strategy = strategies.marketMaker({ requoteMs: 20 });
    const other = strategies.marketMaker({ requoteMs: 100 });
    const batch = await readFile(CAPTURE);
    const expected = [backtest(batch, strategy, options), backtest(batch, other, options)];
    const server = await startReplayServer(CAPTURE, { speed: "max", stamp: true });
    try {
      const feed = binanceFeed({ url: server.url, receiveTime: "stamped" });
      const results = await Promise.all([paper(feed, strategy, options).result, paper(feed, other, options).result]);
      for (let k = 0; k < 2; k++) {
        expect(results[k]!.fills.price.length).toBeGreaterThan(10);
        expect(Array.from(results[k]!.fills.price)).toEqual(Array.from(expected[k]!.fills.price));
        expect(Array.from(results[k]!.fills.ts)).toEqual(Array.from(expected[k]!.fills.ts));
        expect(Array.from(results[k]!.equity.equity)).toEqual(Array.from(expected[k]!.equity.equity));
        expect(results[k]!.summary.pnl).toBe(expected[k]!.summary.pnl);
      }
      expect(results[0]!.fills.price.length).not.toBe(results[1]!.fills.price.length);
    } finally {
      await server.close();
    }
  }, 180_000);
});
