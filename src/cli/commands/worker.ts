/**
 * `strategy-lab worker --queue redis://host:port/name [--concurrency N]`: takes trials of
 * distributed sweeps from a job queue and runs them on this machine until SIGINT or SIGTERM (the
 * first signal lets running trials finish, a second one puts them back in the queue at once).
 * See docs/scale.md.
 */
import type { Command } from "commander";
import { startQueueWorker } from "../../optimize/internal.js";
import { parseIntegerOption } from "../util.js";

interface WorkerCliOptions {
  queue: string;
  concurrency?: string;
  lockDuration?: string;
  stalledInterval?: string;
  niceness?: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command("worker")
    .description("run trials of distributed sweeps (optimize --queue) from a Redis job queue until stopped")
    .requiredOption("--queue <url>", "the sweep's job queue, redis://host:port/name")
    .option("--concurrency <n>", "trials at once, one thread each (default 1; up to the cores to give)", "1")
    .option("--lock-duration <ms>", "how long a trial stays locked without renewal: a killed worker's trial runs again elsewhere after it", "30000")
    .option("--stalled-interval <ms>", "how often to look for trials of workers that died", "30000")
    .option("--niceness <n>", "how much lower the trial threads' scheduling priority is (Linux; 0-19)", "5")
    .option("-q, --quiet", "no log lines on stderr")
    .action(async (o: WorkerCliOptions) => {
      const log = o.quiet ? undefined : (line: string): void => void process.stderr.write(`worker: ${line}\n`);
      const handle = await startQueueWorker({
        url: o.queue,
        concurrency: parseIntegerOption(o.concurrency ?? "1", "--concurrency"),
        lockDurationMs: parseIntegerOption(o.lockDuration ?? "30000", "--lock-duration"),
        stalledIntervalMs: parseIntegerOption(o.stalledInterval ?? "30000", "--stalled-interval"),
        niceness: parseIntegerOption(o.niceness ?? "5", "--niceness"),
        ...(log ? { log } : {}),
      });
      await new Promise<void>((resolve) => {
        let signals = 0;
        const stop = (signal: NodeJS.Signals): void => {
          signals++;
          log?.(signals === 1 ? `${signal}: finishing the running trials (send it again to put them back in the queue now)` : `${signal}: putting the running trials back in the queue`);
          void handle.close({ release: signals > 1 }).then(() => {
            log?.(`stopped after ${handle.finished} trial${handle.finished === 1 ? "" : "s"}`);
            resolve();
          });
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
