/**
 * `strategy-lab live record <url> --dir <dir>`: a venue's combined stream (and its REST depth
 * snapshots, with --snapshot-url) appended to daily capture files that `readFile` reads, with the
 * feed's incidents printed as they happen and, with --metrics-port, /metrics for Prometheus.
 * Runs until interrupted, --seconds pass, or the stream ends (a replay server's end of capture).
 */
import type { Command } from "commander";
import { binanceFeed, liveMetrics, recorder, serveMetrics } from "../../live/index.js";
import { parseIntegerOption, parseNumberOption, untilInterrupted } from "../util.js";

interface RecordOptions {
  snapshotUrl?: string;
  dir: string;
  prefix?: string;
  market?: string;
  flushMs?: string;
  seconds?: string;
  metricsPort?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const live = program.command("live").description("live market data: record a venue's stream as captures");
  live
    .command("record <url>")
    .description("append a Binance combined stream (and its REST snapshots) to daily capture files that readFile reads")
    .requiredOption("--dir <dir>", "directory of the capture files")
    .option("--snapshot-url <url>", "REST depth snapshot (recorded at its receive time, and used to keep the book in sync)")
    .option("--prefix <name>", "file name before _<YYYYMMDD>.gz", "capture")
    .option("--market <futures|spot>", "continuity rule of the depth stream", "futures")
    .option("--flush-ms <n>", "flush interval: a crash loses at most this many ms of lines", "1000")
    .option("--seconds <n>", "stop after this many seconds (default: until interrupted or the stream ends)")
    .option("--metrics-port <n>", "serve /metrics (Prometheus) on 127.0.0.1:<n> (0 = a free port)")
    .option("--json", "print the final figures as JSON")
    .action(async (url: string, o: RecordOptions) => {
      const market = o.market === "spot" ? "spot" : "futures";
      const rec = recorder({ dir: o.dir, prefix: o.prefix ?? "capture", flushIntervalMs: parseNumberOption(o.flushMs ?? "1000", "--flush-ms") });
      const feed = binanceFeed({ url, market, recorder: rec, ...(o.snapshotUrl ? { snapshotUrl: o.snapshotUrl } : {}) });
      const metrics = o.metricsPort === undefined ? undefined : liveMetrics();
      metrics?.add("recorder", feed);
      const http = metrics ? await serveMetrics(metrics, { port: parseIntegerOption(o.metricsPort!, "--metrics-port") }) : undefined;
      if (http) process.stdout.write(`metrics: ${http.url}\n`);
      let reported = 0;
      const report = setInterval(() => {
        for (; reported < feed.incidents.length; reported++) {
          const i = feed.incidents[reported]!;
          process.stderr.write(`${i.kind}: ${i.message}\n`);
        }
      }, 250);
      await untilInterrupted((stop) => {
        feed.onEnd(stop);
        if (o.seconds !== undefined) setTimeout(stop, parseNumberOption(o.seconds, "--seconds") * 1000).unref();
        feed.start();
      });
      await feed.stop();
      rec.close();
      clearInterval(report);
      await http?.close();
      const stats = feed.stats();
      const files = rec.stats().files;
      if (o.json) process.stdout.write(`${JSON.stringify({ ...stats, files, recordedLines: rec.stats().lines })}\n`);
      else process.stdout.write(`recorded ${rec.stats().lines.toLocaleString("en-US")} lines (${stats.messages.toLocaleString("en-US")} messages, ${stats.malformed} malformed, ${stats.gaps} gaps, ${stats.resyncs} resyncs, ${stats.reconnects} reconnects) to ${files.join(", ") || "no file"}\n`);
      process.exit(0);
    });
}
