/**
 * Runs written by other processes (a notebook's sweep on the same PostgreSQL store) reach the live
 * feed through polling: every `intervalMs` the running runs are listed, and a run that is new,
 * changed state, or has more trials than last time goes out as a `run` message.
 */
import type { RunRecord, RunStore } from "../store/index.js";
import { withoutEquity } from "./jobs.js";
import type { LiveHub } from "./live.js";

export const WATCH_MS = 500;

export class StoreWatcher {
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private since: string;

  constructor(private readonly store: RunStore, private readonly live: LiveHub, private readonly intervalMs = WATCH_MS) {
    this.since = new Date().toISOString();
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy === undefined) this.busy = this.poll().catch(() => undefined).finally(() => (this.busy = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  private key(run: RunRecord): string {
    return `${run.state}|${run.trials}|${run.finishedAt ?? ""}`;
  }

  private changed(run: RunRecord): boolean {
    const k = this.key(run);
    if (this.seen.get(run.id) === k) return false;
    this.seen.set(run.id, k);
    return true;
  }

  /** One poll (exposed for tests). */
  async poll(): Promise<void> {
    const running = (await this.store.listRuns({ state: "running", limit: 200 })).runs;
    const fresh = (await this.store.listRuns({ since: this.since, limit: 200, order: "asc" })).runs;
    const now = new Set(running.map((r) => r.id));
    // A run in both lists: the second listing is the newer one.
    const latest = new Map<string, RunRecord>();
    for (const run of [...running, ...fresh]) latest.set(run.id, run);
    for (const run of latest.values()) if (this.changed(run)) this.live.run(withoutEquity(run));
    // Runs that were running at the last poll and are not any more: finished, failed, interrupted.
    for (const [id, k] of this.seen) {
      if (now.has(id) || !k.startsWith("running|")) continue;
      const run = await this.store.getRun(id);
      if (run === undefined) this.seen.delete(id);
      else if (this.changed(run)) this.live.run(withoutEquity(run));
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.busy;
  }
}
