/**
 * `strategy-lab replay-server <capture> [--speed N|max] [--port P] [--stamp]`: serves a Binance
 * capture over WebSocket on 127.0.0.1 as the venue's combined stream would, plus the REST depth
 * snapshot endpoint, until the capture ends or the process is interrupted (src/live/replay-server.ts).
 */
import type { Command } from "commander";
import { LabError } from "../../core/index.js";
import { startReplayServer } from "../../live/index.js";
import { parseIntegerOption, parseNumberOption, requireFile, untilInterrupted } from "../util.js";

interface ReplayOptions {
  speed?: string;
  port?: string;
  stamp?: boolean;
  keepOpen?: boolean;
}

export function parseSpeed(value: string): number | "max" {
  if (value === "max") return "max";
  const speed = parseNumberOption(value, "--speed");
  if (!(speed > 0)) throw new LabError({ code: "BAD_OPTION", message: `--speed must be a positive number or "max", got ${value}`, hint: "1 = as recorded, 10 = ten times faster, max = as fast as the client reads", context: { option: "--speed" } });
  return speed;
}

export function register(program: Command): void {
  program
    .command("replay-server <capture>")
    .description("serve a Binance capture over WebSocket on 127.0.0.1 as the venue's combined stream, with the REST depth snapshot (for lab.live feeds offline)")
    .option("--speed <n|max>", "recorded pace divided by n, or max (as fast as the client reads)", "1")
    .option("--port <n>", "port (0 = a free one)", "0")
    .option("--stamp", "send whole capture lines `<ns> <json>`, snapshots included (a feed with receiveTime: \"stamped\" then equals a backtest on the capture)")
    .option("--keep-open", "keep serving the REST snapshot after the capture ends (until interrupted)")
    .action(async (capture: string, o: ReplayOptions) => {
      requireFile(capture, "capture");
      const server = await startReplayServer(capture, { speed: parseSpeed(o.speed ?? "1"), port: parseIntegerOption(o.port ?? "0", "--port"), stamp: o.stamp === true });
      process.stdout.write(`replaying ${capture}\nstream: ${server.url}\nsnapshot: ${server.snapshotUrl}\n`);
      let interrupted = false;
      const interrupt = untilInterrupted().then(() => {
        interrupted = true;
      });
      await Promise.race([o.keepOpen ? interrupt : server.done.then(() => undefined), interrupt]);
      process.stdout.write(`${interrupted ? "interrupted" : "capture sent"}: ${server.sent().toLocaleString("en-US")} messages to ${server.connections()} connection(s)\n`);
      await server.close();
      process.exit(0);
    });
}
