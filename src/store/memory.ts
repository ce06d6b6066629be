/** An in-memory store: the default when no store is given (nothing survives the process). */
import { chooseRun, newRunId } from "./common.js";
import type { BeginRunOptions, BegunRun, RunInfo, TrialRecord, TrialStore } from "./types.js";

function trialKey(t: TrialRecord): string {
  return `${t.window}/${t.phase}/${t.index}`;
}

export class MemoryStore implements TrialStore {
  readonly kind = "memory";
  readonly location = "memory";
  private readonly runs = new Map<string, { info: RunInfo; trials: Map<string, TrialRecord> }>();

  async beginRun(options: BeginRunOptions): Promise<BegunRun> {
    const found = chooseRun(await this.listTrialRuns(), options, this.location);
    if (found !== undefined) {
      const run = this.runs.get(found.runId)!;
      run.info.status = "running";
      return { runId: found.runId, resumed: true, trials: [...run.trials.values()] };
    }
    const runId = options.runId ?? newRunId();
    this.runs.set(runId, { info: { runId, createdAt: new Date().toISOString(), fingerprint: options.fingerprint, config: JSON.stringify(options.config), status: "running", trials: 0 }, trials: new Map() });
    return { runId, resumed: false, trials: [] };
  }

  async record(runId: string, trials: readonly TrialRecord[]): Promise<void> {
    const run = this.runs.get(runId);
    if (!run) return;
    for (const t of trials) run.trials.set(trialKey(t), t);
    run.info.trials = run.trials.size;
  }

  async finishRun(runId: string): Promise<void> {
    const run = this.runs.get(runId);
    if (run) run.info.status = "finished";
  }

  async loadTrials(runId: string): Promise<TrialRecord[]> {
    return [...(this.runs.get(runId)?.trials.values() ?? [])];
  }

  async listTrialRuns(): Promise<RunInfo[]> {
    return [...this.runs.values()].map((r) => ({ ...r.info }));
  }

  async close(): Promise<void> {}
}

export function memoryStore(): MemoryStore {
  return new MemoryStore();
}
