/**
 * /metrics: the Prometheus text carries each feed's counts as its stats() tell them, and the
 * process metrics (CPU, memory, event-loop lag).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binanceFeed, liveMetrics, serveMetrics, startReplayServer } from "../../src/live/index.js";
import { ROOT } from "../helpers/paths.js";

const CAPTURE = join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz");

function value(text: string, metric: string, labels: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${metric}{${labels}}`));
  if (!line) throw new Error(`no ${metric}{${labels}} in the exposition`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("live metrics", () => {
  it("serves the feed's counts and the process's figures in Prometheus text format", async () => {
    const server = await startReplayServer(CAPTURE, { speed: "max", maxLines: 3_000, omitLines: [1061] });
    const metrics = liveMetrics();
    const http = await serveMetrics(metrics);
    try {
      const feed = binanceFeed({ url: server.url, snapshotUrl: server.snapshotUrl });
      metrics.add("btcusdt", feed);
      await new Promise<void>((resolve) => {
        feed.onEnd(resolve);
        feed.start();
      });
      const stats = feed.stats();
      expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const response = await fetch(http.url);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = await response.text();
      const label = 'feed="btcusdt"';
      expect(value(text, "strategy_lab_feed_messages_total", label)).toBe(stats.messages);
      expect(value(text, "strategy_lab_feed_frames_total", label)).toBe(stats.frames);
      expect(value(text, "strategy_lab_feed_rows_total", label)).toBe(stats.rows);
      expect(value(text, "strategy_lab_feed_gaps_total", label)).toBe(stats.gaps);
      expect(value(text, "strategy_lab_feed_resyncs_total", label)).toBe(stats.resyncs);
      expect(value(text, "strategy_lab_feed_reconnects_total", label)).toBe(0);
      expect(value(text, "strategy_lab_feed_in_sync", label)).toBe(stats.inSync ? 1 : 0);
      expect(value(text, "strategy_lab_feed_lag_seconds", `${label},quantile="0.99"`)).toBeCloseTo(stats.lagMs.p99 / 1000, 9);
      // 3,000 lines, of which the REST snapshot is not streamed and line 1061 never sent.
      expect(stats.frames).toBe(3_000 - 2);
      expect(text).toMatch(/^process_cpu_seconds_total \d/m);
      expect(text).toMatch(/^process_resident_memory_bytes \d/m);
      expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
      expect((await fetch(http.url.replace("/metrics", "/other"))).status).toBe(404);
    } finally {
      await http.close();
      await server.close();
    }
  }, 60_000);
});
