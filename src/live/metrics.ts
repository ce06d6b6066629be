/**
 * Monitoring: Prometheus text format (prom-client) for live feeds and the process they run in.
 * Process CPU, memory, event-loop lag (prom-client's default metrics), and per feed, labelled by
 * its name: messages, frames, rows, malformed lines, gaps, resyncs, reconnects, stale events
 * (counters), messages/s since the previous scrape, feed lag (local minus exchange time) p50/p99
 * over the last 4,096 messages, and whether the book is in sync (gauges).
 *
 * `serveMetrics` serves `/metrics` on its own port, on 127.0.0.1 unless told otherwise.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { LabError } from "../core/index.js";
import type { BinanceFeed, FeedStats } from "./feed.js";

export interface LiveMetrics {
  readonly registry: Registry;
  /** Adds a feed under a name (its `feed` label). */
  add(name: string, feed: BinanceFeed): void;
  remove(name: string): void;
  /** The exposition text, as `/metrics` serves it. */
  text(): Promise<string>;
}

type CounterKey = "messages" | "frames" | "rows" | "malformed" | "gaps" | "resyncs" | "reconnects" | "staleEvents";
const COUNTERS: readonly [CounterKey, string, string][] = [
  ["messages", "strategy_lab_feed_messages_total", "market-data messages read"],
  ["frames", "strategy_lab_feed_frames_total", "WebSocket frames received"],
  ["rows", "strategy_lab_feed_rows_total", "TickBatch rows laid out"],
  ["malformed", "strategy_lab_feed_malformed_total", "malformed lines counted and skipped"],
  ["gaps", "strategy_lab_feed_gaps_total", "sequence gaps and broken connections"],
  ["resyncs", "strategy_lab_feed_resyncs_total", "book resynchronisations from a snapshot"],
  ["reconnects", "strategy_lab_feed_reconnects_total", "reconnections"],
  ["staleEvents", "strategy_lab_feed_stale_total", "stale-feed events"],
];

/** A registry of process metrics and of the feeds added to it. */
export function liveMetrics(options: { prefix?: string } = {}): LiveMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, ...(options.prefix ? { prefix: options.prefix } : {}) });
  const feeds = new Map<string, BinanceFeed>();
  const previous = new Map<string, { messages: number; at: number }>();
  // One stats() per feed per scrape, shared by every metric's collect.
  let scrape: Map<string, FeedStats> | undefined;
  const statsOf = (): Map<string, FeedStats> => {
    scrape ??= new Map([...feeds].map(([name, feed]) => [name, feed.stats()]));
    return scrape;
  };
  for (const [key, name, help] of COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ["feed"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [feed, stats] of statsOf()) this.inc({ feed }, stats[key]);
      },
    });
  }
  new Gauge({
    name: "strategy_lab_feed_messages_per_second",
    help: "market-data messages per second since the previous scrape",
    labelNames: ["feed"],
    registers: [registry],
    collect() {
      this.reset();
      const now = performance.now();
      for (const [feed, stats] of statsOf()) {
        const before = previous.get(feed);
        previous.set(feed, { messages: stats.messages, at: now });
        if (before && now > before.at) this.set({ feed }, ((stats.messages - before.messages) * 1000) / (now - before.at));
      }
    },
  });
  new Gauge({
    name: "strategy_lab_feed_lag_seconds",
    help: "feed lag, local receive time minus exchange time, over the last 4096 messages",
    labelNames: ["feed", "quantile"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [feed, stats] of statsOf()) {
        if (Number.isNaN(stats.lagMs.p50)) continue;
        this.set({ feed, quantile: "0.5" }, stats.lagMs.p50 / 1000);
        this.set({ feed, quantile: "0.99" }, stats.lagMs.p99 / 1000);
      }
    },
  });
  new Gauge({
    name: "strategy_lab_feed_in_sync",
    help: "1 while the feed's book is in sync",
    labelNames: ["feed"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [feed, stats] of statsOf()) this.set({ feed }, stats.inSync ? 1 : 0);
    },
  });
  return {
    registry,
    add: (name, feed) => {
      feeds.set(name, feed);
    },
    remove: (name) => {
      feeds.delete(name);
      previous.delete(name);
    },
    text: async () => {
      scrape = undefined;
      try {
        return await registry.metrics();
      } finally {
        scrape = undefined;
      }
    },
  };
}

export interface MetricsServer {
  /** `http://<host>:<port>/metrics` */
  readonly url: string;
  readonly metrics: LiveMetrics;
  close(): Promise<void>;
}

/** Serves `metrics` at `/metrics` on its own port (0 = a free one), on 127.0.0.1 by default. */
export async function serveMetrics(metrics: LiveMetrics, options: { port?: number; host?: string } = {}): Promise<MetricsServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: GET /metrics\n");
      return;
    }
    metrics.text().then(
      (body) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
      (error: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: Error) => reject(new LabError({ code: "BAD_OPTION", message: `cannot serve metrics on ${host}:${options.port ?? 0}: ${error.message}`, hint: "choose another port, or 0 for a free one", context: { option: "port" }, cause: error })));
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/metrics`,
    metrics,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
