/**
 * The live feed (`/api/live`): every connected client gets the same JSON messages. Job state
 * changes and run records go out at once; progress goes out at most every `PROGRESS_MS` per job
 * (the latest figures win); trials are buffered and flushed every `TRIAL_MS`, and always before
 * a job message, so a client sees every trial of a job before the job is finished. A flush sends
 * its trials as JSON arrays of messages, one frame per `MAX_FRAME_BYTES` or so, serialized and
 * encoded once for all clients. A fast sweep therefore costs a browser a bounded number of
 * wake-ups and frames, whatever its trial rate, and the server a bounded cost per client.
 */
import type { WebSocket } from "ws";
import { toJson } from "./json.js";

export const PROGRESS_MS = 100;
export const TRIAL_MS = 100;
/** A client this far behind (bytes queued on its socket) is dropped rather than buffered without bound. */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** A flush's trials are cut into frames of about this many bytes (a frame holds at least one trial; it ends at the first message that reaches the size). */
export const MAX_FRAME_BYTES = 1024 * 1024;

export interface LiveProgress {
  type: "progress";
  jobId: string;
  runId: string;
  done: number;
  total: number;
  eventsPerSecond: number;
  /** Wall-clock time left, ms (NaN while unknown). */
  etaMs: number;
  /** @deprecated Use `etaMs` (etaMs / 1000). Sent for one version. */
  etaSeconds: number;
  best: number | null;
}

export interface LiveTrial {
  index: number;
  window: number;
  phase: "search" | "oos";
  params: Record<string, number | boolean | string>;
  status: "ok" | "infeasible" | "failed";
  objective: number;
  metrics: Record<string, number>;
}

/** `[m0,m1,...]` of messages[from..to), whose lengths plus one each (and one more) make `size`. */
function arrayFrame(messages: readonly Buffer[], from: number, to: number, size: number): Buffer {
  const frame = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = from; i < to; i++) {
    frame[at++] = i === from ? 0x5b : 0x2c;
    messages[i]!.copy(frame, at);
    at += messages[i]!.length;
  }
  frame[at] = 0x5d;
  return frame;
}

export class LiveHub {
  private readonly clients = new Set<WebSocket>();
  /** Trial messages waiting for the flush, as UTF-8 bytes (a frame is then copied together, not joined and encoded). */
  private trialMessages: Buffer[] = [];
  private trialTimer: NodeJS.Timeout | undefined;
  private readonly progressLast = new Map<string, number>();
  private readonly progressPending = new Map<string, { message: LiveProgress; timer: NodeJS.Timeout }>();
  /** Messages sent (messages x clients; a batch counts each message in it). */
  delivered = 0;
  private readonly changeListeners: (() => void)[] = [];

  /** `fn` runs before every job or run message: whatever a client reloads on it must be fresh. */
  onChange(fn: () => void): void {
    this.changeListeners.push(fn);
  }

  private changed(): void {
    for (const fn of this.changeListeners) fn();
  }

  get size(): number {
    return this.clients.size;
  }

  add(socket: WebSocket): void {
    this.clients.add(socket);
    socket.on("close", () => this.clients.delete(socket));
    socket.on("error", () => this.clients.delete(socket));
    // Clients only listen; anything they send is ignored.
  }

  private broadcast(text: string | Buffer, messages = 1): void {
    if (this.clients.size === 0) return;
    // Encoded once for every client (ws would encode a string per send).
    const frame = typeof text === "string" ? Buffer.from(text) : text;
    for (const c of this.clients) {
      if (c.readyState !== 1) continue;
      if (c.bufferedAmount > MAX_BUFFERED_BYTES) {
        this.clients.delete(c);
        c.terminate();
        continue;
      }
      c.send(frame, { binary: false });
      this.delivered += messages;
    }
  }

  /** A job changed state: buffered trials and progress go first, so the order on the wire is the order of events. */
  job(job: unknown): void {
    this.changed();
    this.flushAll();
    this.broadcast(toJson({ type: "job", job }));
  }

  run(run: unknown): void {
    this.changed();
    this.broadcast(toJson({ type: "run", run }));
  }

  progress(message: LiveProgress): void {
    const now = performance.now();
    const last = this.progressLast.get(message.jobId) ?? -Infinity;
    const pending = this.progressPending.get(message.jobId);
    if (now - last >= PROGRESS_MS && pending === undefined) {
      this.progressLast.set(message.jobId, now);
      this.broadcast(toJson(message));
      return;
    }
    if (pending !== undefined) {
      pending.message = message;
      return;
    }
    const timer = setTimeout(() => this.flushProgress(message.jobId), Math.max(0, PROGRESS_MS - (now - last)));
    timer.unref();
    this.progressPending.set(message.jobId, { message, timer });
  }

  private flushProgress(jobId: string): void {
    const p = this.progressPending.get(jobId);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.progressPending.delete(jobId);
    this.progressLast.set(jobId, performance.now());
    this.broadcast(toJson(p.message));
  }

  trial(runId: string, trial: LiveTrial): void {
    this.trialMessages.push(Buffer.from(toJson({ type: "trial", runId, trial })));
    if (this.trialTimer === undefined) {
      this.trialTimer = setTimeout(() => this.flushTrials(), TRIAL_MS);
      this.trialTimer.unref();
    }
  }

  private flushTrials(): void {
    if (this.trialTimer !== undefined) clearTimeout(this.trialTimer);
    this.trialTimer = undefined;
    const messages = this.trialMessages;
    this.trialMessages = [];
    if (this.clients.size === 0) return;
    let first = 0;
    let bytes = 0;
    for (let i = 0; i < messages.length; i++) {
      bytes += messages[i]!.length + 1;
      if (bytes >= MAX_FRAME_BYTES || i === messages.length - 1) {
        this.broadcast(arrayFrame(messages, first, i + 1, bytes + 1), i + 1 - first);
        first = i + 1;
        bytes = 0;
      }
    }
  }

  flushAll(): void {
    this.flushTrials();
    for (const id of [...this.progressPending.keys()]) this.flushProgress(id);
  }

  close(): void {
    this.flushAll();
    for (const c of this.clients) c.close(1001, "server stopping");
    this.clients.clear();
  }
}
