/** An in-memory store: the default when no store is given (nothing survives the process). */
import { chooseRun, newRunId, nextCreatedAt } from "./common.js";
import { artifactNotFound, checkArtifactName, copyRun, filterRuns, runExists, runNotFound } from "./run-common.js";
import type { ArtifactInfo, RunFilter, RunKind, RunManifest, RunPatch, RunRecord, RunState, RunStore } from "./run-types.js";
import type { BeginRunOptions, BegunRun, RunInfo, TrialRecord, TrialStore } from "./types.js";

function trialKey(t: TrialRecord): string {
  return `${t.window}/${t.phase}/${t.index}`;
}

export class MemoryStore implements TrialStore, RunStore {
  readonly kind = "memory";
  readonly location = "memory";
  private readonly runs = new Map<string, { info: RunInfo; trials: Map<string, TrialRecord> }>();
  private readonly registry = new Map<string, { run: RunRecord; artifacts: Map<string, { info: ArtifactInfo; bytes: Uint8Array }> }>();

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

  async createRun(init: { id?: string; kind: RunKind; manifest: RunManifest; state?: RunState }): Promise<string> {
    const id = init.id ?? newRunId();
    if (this.registry.has(id)) throw runExists(id, this.location);
    const run: RunRecord = { id, kind: init.kind, strategy: init.manifest.strategy.name, state: init.state ?? "running", createdAt: nextCreatedAt(), manifest: structuredClone(init.manifest), params: { ...init.manifest.strategy.params }, metrics: {}, trials: 0, artifacts: [] };
    this.registry.set(id, { run, artifacts: new Map() });
    return id;
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    const entry = this.registry.get(id);
    if (!entry) throw runNotFound(id, this.location);
    const run = entry.run;
    if (patch.state !== undefined) run.state = patch.state;
    if (patch.metrics !== undefined) run.metrics = { ...run.metrics, ...patch.metrics };
    if (patch.params !== undefined) run.params = { ...patch.params };
    if (patch.resultHash !== undefined) run.resultHash = patch.resultHash;
    if (patch.equity !== undefined) run.equity = { timeMs: [...patch.equity.timeMs], equity: [...patch.equity.equity] };
    if (patch.error !== undefined) run.error = patch.error;
    if (patch.finishedAt !== undefined) run.finishedAt = patch.finishedAt;
  }

  async putArtifact(id: string, name: string, bytes: Uint8Array, mediaType: string): Promise<ArtifactInfo> {
    checkArtifactName(name);
    const entry = this.registry.get(id);
    if (!entry) throw runNotFound(id, this.location);
    const info: ArtifactInfo = { name, mediaType, bytes: bytes.byteLength };
    entry.artifacts.set(name, { info, bytes: bytes.slice() });
    return { ...info };
  }

  async readArtifact(id: string, name: string): Promise<Uint8Array> {
    const entry = this.registry.get(id);
    if (!entry) throw runNotFound(id, this.location);
    const found = entry.artifacts.get(name);
    if (!found) throw artifactNotFound(id, name, this.location);
    return found.bytes.slice();
  }

  private view(id: string, equity = true): RunRecord | undefined {
    const entry = this.registry.get(id);
    if (!entry) return undefined;
    const run = copyRun(entry.run, { equity });
    run.trials = this.runs.get(id)?.trials.size ?? 0;
    run.artifacts = [...entry.artifacts.values()].map((a) => ({ ...a.info })).sort((a, b) => (a.name < b.name ? -1 : 1));
    return run;
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return this.view(id);
  }

  async listRuns(filter?: RunFilter): Promise<{ runs: RunRecord[]; total: number }> {
    // Filtering and sorting read only plain fields and metrics, so they run on the stored records
    // themselves; only the returned page is copied.
    const page = filterRuns([...this.registry.values()].map((e) => e.run), filter);
    return { runs: page.runs.map((r) => this.view(r.id, false)!), total: page.total };
  }

  async close(): Promise<void> {}
}

export function memoryStore(): MemoryStore {
  return new MemoryStore();
}
