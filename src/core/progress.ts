/**
 * Progress of long work (ingest, replay, sweeps) as plain events, so one producer can feed a
 * terminal bar, a notebook bar updated in place, or a WebSocket. Producers call `tick()` as often
 * as they like; sinks are called at most every `intervalMs` plus once at the end.
 */
export interface ProgressEvent {
  task: string;
  done: number;
  /** NaN when the total is unknown. */
  total: number;
  unit: string;
  elapsedMs: number;
  /** Units per second since start. */
  rate: number;
  /** NaN when unknown. */
  etaMs: number;
  finished: boolean;
  /** Free-form extra line, e.g. "best sharpe 1.9". */
  detail?: string;
}

export type ProgressSink = (event: ProgressEvent) => void;

export interface ProgressOptions {
  total?: number;
  unit?: string;
  /** Minimum time between sink calls. @default 100 */
  intervalMs?: number;
}

export class Progress {
  readonly task: string;
  total: number;
  readonly unit: string;
  private readonly sinks: ProgressSink[];
  private readonly intervalMs: number;
  private readonly startedAt = performance.now();
  private lastEmit = -Infinity;
  private doneCount = 0;
  private detailText: string | undefined;
  private finishedFlag = false;

  constructor(task: string, sinks: ProgressSink | readonly ProgressSink[] | undefined, options: ProgressOptions = {}) {
    this.task = task;
    this.total = options.total ?? NaN;
    this.unit = options.unit ?? "items";
    this.intervalMs = options.intervalMs ?? 100;
    this.sinks = sinks === undefined ? [] : typeof sinks === "function" ? [sinks] : [...sinks];
  }

  get done(): number {
    return this.doneCount;
  }

  /** Adds `count` finished units; emits if the interval has passed. */
  tick(count = 1, detail?: string): void {
    this.doneCount += count;
    if (detail !== undefined) this.detailText = detail;
    if (this.sinks.length === 0) return;
    const now = performance.now();
    if (now - this.lastEmit >= this.intervalMs) {
      this.lastEmit = now;
      this.emit(now);
    }
  }

  /** Sets the absolute count. */
  update(done: number, detail?: string): void {
    this.tick(done - this.doneCount, detail);
  }

  finish(detail?: string): ProgressEvent {
    if (detail !== undefined) this.detailText = detail;
    this.finishedFlag = true;
    return this.emit(performance.now());
  }

  snapshot(): ProgressEvent {
    return this.build(performance.now());
  }

  private build(now: number): ProgressEvent {
    const elapsedMs = now - this.startedAt;
    const rate = elapsedMs > 0 ? (this.doneCount * 1000) / elapsedMs : 0;
    const remaining = this.total - this.doneCount;
    const etaMs = Number.isFinite(this.total) && rate > 0 ? Math.max(0, (remaining / rate) * 1000) : NaN;
    const event: ProgressEvent = { task: this.task, done: this.doneCount, total: this.total, unit: this.unit, elapsedMs, rate, etaMs, finished: this.finishedFlag };
    if (this.detailText !== undefined) event.detail = this.detailText;
    return event;
  }

  private emit(now: number): ProgressEvent {
    const event = this.build(now);
    for (const sink of this.sinks) sink(event);
    return event;
  }
}

export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * A rate for progress lines: `1.2k items/s`; below one per second the time per unit instead
 * (`42.0 s/notebook`, `3.5 min/notebook`), since `0.0 notebooks/s` says nothing.
 */
export function formatRate(rate: number, unit: string): string {
  const abs = Math.abs(rate);
  if (abs > 0 && abs < 1) {
    const one = unit.length > 1 && unit.endsWith("s") ? unit.slice(0, -1) : unit;
    const seconds = 1 / abs;
    if (seconds < 60) return `${seconds.toFixed(1)} s/${one}`;
    if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min/${one}`;
    return `${(seconds / 3600).toFixed(1)} h/${one}`;
  }
  const [v, suffix] = abs >= 1e9 ? [rate / 1e9, "G"] : abs >= 1e6 ? [rate / 1e6, "M"] : abs >= 1e3 ? [rate / 1e3, "k"] : [rate, ""];
  return `${v.toFixed(v >= 100 ? 0 : 1)}${suffix} ${unit}/s`;
}

/** One text line for a progress event: `task [#####-----] 50% 5,000/10,000 items 1.2k items/s ETA 4s`. */
export function formatProgressLine(event: ProgressEvent, width = 24): string {
  const known = Number.isFinite(event.total) && event.total > 0;
  const fraction = known ? Math.min(1, event.done / event.total) : 0;
  const filled = Math.round(fraction * width);
  const bar = known ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%` : "";
  const count = known ? `${event.done.toLocaleString("en-US")}/${event.total.toLocaleString("en-US")}` : event.done.toLocaleString("en-US");
  const eta = event.finished ? `in ${formatDurationMs(event.elapsedMs)}` : `ETA ${formatDurationMs(event.etaMs)}`;
  return [event.task, bar, count, event.unit, event.done > 0 ? formatRate(event.rate, event.unit) : "", eta, event.detail ?? ""].filter(Boolean).join(" ");
}

/** A sink drawing a bar on a TTY stream (rewritten in place), or plain lines when not a TTY. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  let lastPlain = 0;
  return (event) => {
    const line = formatProgressLine(event);
    if (stream.isTTY) {
      stream.write(`\r${line.slice(0, (stream.columns ?? 120) - 1).padEnd(Math.min(stream.columns ?? 120, 120) - 1)}${event.finished ? "\n" : ""}`);
    } else if (event.finished || performance.now() - lastPlain > 2000) {
      lastPlain = performance.now();
      stream.write(line + "\n");
    }
  };
}
