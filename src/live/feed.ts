/**
 * A live Binance market-data feed: one WebSocket connection to a combined stream (depth diffs,
 * bookTicker, trades), the REST depth snapshot, an L2 book kept in sync by the book layer's rules,
 * and the same TickBatch rows a capture of the same messages gives (src/live/rows.ts).
 *
 * Nothing connects until `start()`, and only to the URLs given. Faults never throw out of the
 * feed; each becomes an incident (`incidents`, `stats()`):
 *
 * | fault | what happens |
 * | --- | --- |
 * | malformed message | counted, kept with its text (first 1,000 characters), skipped whole |
 * | sequence gap (`pu` != last `u`) | reported; the book is out of sync, diffs are buffered, a new REST snapshot is fetched (with `snapshotUrl`) and the book resynchronises from it by the documented rules |
 * | connection dropped or refused | reported as a gap (what was missed cannot be known); reconnect after `initialDelayMs`, doubling up to `maxDelayMs`; after reconnecting, a new snapshot |
 * | stale feed (no message for `staleAfterMs`) | reported; the connection is closed and reopened (then as above) |
 * | snapshot request fails | reported; retried while the book is out of sync, never more often than `snapshotIntervalMs` |
 *
 * Receive times: `"local"` stamps each message with this machine's clock when it is read
 * (ns since the epoch, from `performance.timeOrigin + performance.now()`); `"stamped"` reads frames
 * that are whole capture lines `<ns> <json>` (a replay server's `stamp` mode) and keeps their
 * times, so the rows equal the capture's.
 */
import WebSocket from "ws";
import { LabError, type InstrumentSpec } from "../core/index.js";
import type { TickBatch } from "../data/index.js";
import { binance } from "../venues/index.js";
import binanceBtcUsdt = binance.btcUsdt;
type BinanceMarket = binance.Market;
import type { L2Book } from "../book/index.js";
import { LiveRows, type MalformedLine } from "./rows.js";
import { lineText, type ReceivedLine } from "./fast-lines.js";
import type { CaptureRecorder } from "./recorder.js";
import { END_OF_CAPTURE } from "./replay-server.js";

export interface ReconnectPolicy {
  /** @default 250 */
  initialDelayMs?: number;
  /** @default 30000 */
  maxDelayMs?: number;
  /** Attempts in a row before the feed gives up and ends. @default Infinity */
  maxAttempts?: number;
}

export interface BinanceFeedOptions {
  /** The combined stream, e.g. `wss://fstream.binance.com/stream?streams=btcusdt@depth@0ms/btcusdt@bookTicker/btcusdt@trade`. */
  url: string;
  /** The REST depth snapshot, e.g. `https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000`. Without it the book waits for snapshots in the stream (a stamped replay). */
  snapshotUrl?: string;
  /** @default "futures" */
  market?: BinanceMarket;
  /** @default BTCUSDT on the market (lab.venues.binance.btcUsdt) */
  instrument?: InstrumentSpec;
  /** See readBinanceRaw. @default "event" */
  exchangeTime?: "event" | "transaction";
  /** See the module comment. @default "local" */
  receiveTime?: "local" | "stamped";
  /** @default 10000 */
  staleAfterMs?: number;
  /**
   * Least time between two snapshot requests: a venue weighs depth requests against a rate limit
   * (Binance: 20 of 2,400 per minute for 1,000 levels), and a snapshot that keeps missing the
   * stream must not turn into a request loop. @default 1000
   */
  snapshotIntervalMs?: number;
  reconnect?: ReconnectPolicy;
  /** Appends every line received (and every snapshot fetched) to a capture. */
  recorder?: CaptureRecorder;
  /** Incidents kept (the oldest are dropped past this; counts go on). @default 1000 */
  maxIncidents?: number;
}

export type IncidentKind = "malformed" | "gap" | "disconnect" | "reconnect" | "stale" | "snapshot-failed" | "resync" | "internal";

export interface FeedIncident {
  kind: IncidentKind;
  /** Wall-clock time, ns since the epoch. */
  at: bigint;
  message: string;
  /** For malformed lines: the line's text. */
  text?: string;
}

export interface FeedStats {
  state: "idle" | "connecting" | "open" | "waiting" | "ended";
  /** Frames received. */
  frames: number;
  /** Lines read as market data (diffs, snapshots, bookTicker, trades). */
  messages: number;
  malformed: number;
  nonData: number;
  rows: number;
  gaps: number;
  resyncs: number;
  reconnects: number;
  staleEvents: number;
  snapshotsFetched: number;
  inSync: boolean;
  /** Feed lag, local minus exchange time, over the last 4,096 messages (ms). */
  lagMs: { p50: number; p99: number; max: number };
  bestBid: number;
  bestAsk: number;
}

const LAG_RING = 4096;
const MAX_LOCAL_NS = "9223372036854775807";

export class BinanceFeed {
  readonly instrument: InstrumentSpec;
  readonly market: BinanceMarket;
  readonly incidents: FeedIncident[] = [];
  /** Malformed lines with their text (also in `incidents`). */
  readonly malformedLines: MalformedLine[] = [];
  private readonly rows: LiveRows;
  /** The stream's URL (for a session's record). */
  get url(): string {
    return this.options.url;
  }
  /** Whose clock the rows' receive times are: this machine's ("local") or the frames' stamps ("stamped"). */
  get receiveTime(): "local" | "stamped" {
    return this.options.receiveTime ?? "local";
  }
  private readonly listeners = new Set<(rows: TickBatch) => void>();
  private readonly endListeners = new Set<() => void>();
  private ws: WebSocket | undefined;
  private pending: ReceivedLine[] = [];
  private flushScheduled = false;
  private stateName: FeedStats["state"] = "idle";
  private stopped = false;
  private attempt = 0;
  private lastFrameAt = 0;
  private lastStampNs = 0n;
  private staleTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private snapshotInFlight = false;
  private lastSnapshotRequest = -Infinity;
  private snapshotTimer: NodeJS.Timeout | undefined;
  /** Connections opened so far: a snapshot requested on an earlier one is discarded. */
  private epoch = 0;
  private snapshotWanted = false;
  private readonly lagRing = new Float64Array(LAG_RING);
  private lagCount = 0;
  private counts = { frames: 0, messages: 0, malformed: 0, nonData: 0, rows: 0, gaps: 0, reconnects: 0, staleEvents: 0, snapshotsFetched: 0 };
  private resyncsReported = 0;

  constructor(private readonly options: BinanceFeedOptions) {
    if (typeof options?.url !== "string" || !/^wss?:\/\//.test(options.url)) {
      throw new LabError({ code: "BAD_OPTION", message: `the feed's url must be a ws:// or wss:// URL, got ${JSON.stringify(options?.url)}`, hint: "e.g. wss://fstream.binance.com/stream?streams=btcusdt@depth@0ms/btcusdt@bookTicker/btcusdt@trade, or a replay server's url", context: { option: "url" } });
    }
    if (options.snapshotUrl !== undefined && !/^https?:\/\//.test(options.snapshotUrl)) {
      throw new LabError({ code: "BAD_OPTION", message: `snapshotUrl must be an http(s):// URL, got ${JSON.stringify(options.snapshotUrl)}`, hint: "e.g. https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000", context: { option: "snapshotUrl" } });
    }
    this.market = options.market ?? "futures";
    this.instrument = options.instrument ?? binanceBtcUsdt(this.market);
    this.rows = new LiveRows({ market: this.market, instrument: this.instrument, description: options.url, ...(options.exchangeTime ? { exchangeTime: options.exchangeTime } : {}) });
  }

  /** The synchronised book (trust it only while `stats().inSync`). */
  get book(): L2Book {
    return this.rows.sync.book;
  }

  /** Rows as they are laid out (see src/live/rows.ts); returns the unsubscribe function. */
  onRows(listener: (rows: TickBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called once when the feed ends (stop(), end of a replay, reconnect attempts exhausted). */
  onEnd(listener: () => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  get ended(): boolean {
    return this.stateName === "ended";
  }

  start(): this {
    if (this.stateName !== "idle") return this;
    this.connect();
    const every = Math.max(50, Math.floor(this.staleAfterMs() / 4));
    this.staleTimer = setInterval(() => this.checkStale(), every);
    this.staleTimer.unref();
    return this;
  }

  /** Closes the connection and ends the feed; rows already received are delivered first. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once("close", () => resolve());
        ws.terminate();
      });
    }
    this.end();
  }

  stats(): FeedStats {
    const lags = this.lagRing.slice(0, Math.min(this.lagCount, LAG_RING)).sort();
    const q = (p: number): number => (lags.length === 0 ? NaN : lags[Math.min(lags.length - 1, Math.floor(p * lags.length))]! / 1e6);
    return {
      state: this.stateName,
      ...this.counts,
      resyncs: this.rows.sync.resyncs,
      inSync: this.rows.sync.inSync,
      lagMs: { p50: q(0.5), p99: q(0.99), max: lags.length === 0 ? NaN : lags[lags.length - 1]! / 1e6 },
      bestBid: this.book.bestBid(),
      bestAsk: this.book.bestAsk(),
    };
  }

  private staleAfterMs(): number {
    return this.options.staleAfterMs ?? 10_000;
  }

  private incident(kind: IncidentKind, message: string, text?: string): void {
    const entry: FeedIncident = { kind, at: wallNs(), message, ...(text !== undefined ? { text } : {}) };
    this.incidents.push(entry);
    const max = this.options.maxIncidents ?? 1000;
    if (this.incidents.length > max) this.incidents.splice(0, this.incidents.length - max);
  }

  private connect(): void {
    if (this.stopped) return;
    this.stateName = "connecting";
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url, { maxPayload: 16 * 1024 * 1024, handshakeTimeout: 10_000 });
    } catch (error) {
      this.incident("disconnect", `cannot open ${this.options.url}: ${(error as Error).message}`);
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.on("open", () => {
      if (this.ws !== ws) return;
      this.stateName = "open";
      this.epoch++;
      this.lastFrameAt = performance.now();
      if (this.attempt > 0 || this.counts.reconnects > 0 || this.counts.frames > 0) this.incident("reconnect", `connected again to ${this.options.url}`);
      this.attempt = 0;
      // Binance's procedure: open the stream, buffer, then request the snapshot.
      if (this.options.snapshotUrl) this.requestSnapshot();
    });
    ws.on("message", (data: WebSocket.RawData) => {
      if (this.ws !== ws) return;
      this.receive(data);
    });
    ws.on("error", (error: Error) => {
      if (this.ws !== ws) return;
      this.incident("disconnect", `${this.options.url}: ${error.message}`);
    });
    ws.on("close", (code: number, reason: Buffer) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      // Everything that came before the close is laid out before the break is marked.
      this.flush();
      if (this.stopped) return;
      if (code === END_OF_CAPTURE) {
        this.end();
        return;
      }
      const text = `connection closed (code ${code}${reason.length ? `, ${reason.toString()}` : ""})`;
      this.incident("disconnect", text);
      const gap = this.rows.breakSync(text);
      this.counts.gaps++;
      this.incident("gap", gap.message);
      this.counts.reconnects++;
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const policy = this.options.reconnect ?? {};
    if (this.attempt >= (policy.maxAttempts ?? Infinity)) {
      this.incident("disconnect", `giving up after ${this.attempt} reconnect attempts`);
      this.end();
      return;
    }
    const delay = Math.min(policy.maxDelayMs ?? 30_000, (policy.initialDelayMs ?? 250) * 2 ** this.attempt);
    this.attempt++;
    this.stateName = "waiting";
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private checkStale(): void {
    if (this.stateName !== "open" || !this.ws) return;
    const idle = performance.now() - this.lastFrameAt;
    if (idle < this.staleAfterMs()) return;
    this.counts.staleEvents++;
    this.incident("stale", `no message for ${Math.round(idle)} ms (staleAfterMs ${this.staleAfterMs()}): reconnecting`);
    this.ws.terminate();
  }

  private receive(data: WebSocket.RawData): void {
    this.counts.frames++;
    this.lastFrameAt = performance.now();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const stamped = this.options.receiveTime === "stamped";
    let received: ReceivedLine;
    if (bytes.indexOf(10) >= 0 || bytes.indexOf(13) >= 0) {
      // One message per line in the capture format: line breaks are JSON whitespace, never data.
      const text = bytes.toString("utf8").replace(/[\r\n]+/g, " ");
      let line: string;
      if (stamped) {
        line = text;
        const space = text.indexOf(" ");
        if (space > 0 && /^\d{1,19}$/.test(text.slice(0, space))) this.lastStampNs = BigInt(text.slice(0, space));
      } else line = `${wallNs()} ${text}`;
      received = { bytes: Buffer.from(line, "utf8"), jsonStart: 0, ns: null, whole: true };
    } else if (stamped) {
      // The frame is a capture line: its `<ns> ` prefix read from the bytes, the JSON left as bytes.
      let space = 0;
      while (space < bytes.length && space < 20 && bytes[space]! >= 48 && bytes[space]! <= 57) space++;
      let ns: bigint | null = null;
      if (space > 0 && space <= 19 && bytes[space] === 32) {
        const digits = bytes.toString("latin1", 0, space);
        this.lastStampNs = BigInt(digits);
        // The reader's bound (int64 ns); a larger stamp is its to report.
        if (space < 19 || digits <= MAX_LOCAL_NS) ns = this.lastStampNs;
      }
      received = { bytes, jsonStart: space + 1, ns, whole: true };
    } else received = { bytes, jsonStart: 0, ns: wallNs(), whole: false };
    this.options.recorder?.appendLine(lineText(received));
    this.pending.push(received);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Lays out the pending lines; never throws (a fault here is an incident). */
  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    try {
      const piece = this.rows.pieceOf(lines);
      this.counts.messages += piece.messages;
      this.counts.nonData += piece.nonData;
      for (const bad of piece.malformed) {
        this.counts.malformed++;
        this.malformedLines.push(bad);
        if (this.malformedLines.length > (this.options.maxIncidents ?? 1000)) this.malformedLines.shift();
        this.incident("malformed", bad.message, bad.text);
      }
      for (const lag of piece.lags) this.lagRing[this.lagCount++ % LAG_RING] = lag;
      if (piece.gaps.length > 0) {
        this.counts.gaps += piece.gaps.length;
        for (const gap of piece.gaps) this.incident("gap", gap.message);
      }
      const resyncs = this.rows.sync.resyncs;
      if (resyncs > this.resyncsReported) {
        this.resyncsReported = resyncs;
        this.incident("resync", `book resynchronised from a snapshot (resync ${resyncs})`);
      }
      if (this.rows.sync.outOfSync || (!this.rows.sync.synced && this.rows.sync.buffered > 0)) this.requestSnapshot();
      if (piece.rows && piece.rows.length > 0) {
        this.counts.rows += piece.rows.length;
        for (const listener of this.listeners) listener(piece.rows);
      }
    } catch (error) {
      this.incident("internal", `lines ${this.rows.lines - lines.length + 1}-${this.rows.lines} not laid out: ${(error as Error).message}`);
    }
  }

  private requestSnapshot(): void {
    const url = this.options.snapshotUrl;
    if (!url || this.stopped) return;
    if (this.snapshotInFlight || this.snapshotTimer) {
      this.snapshotWanted = true;
      return;
    }
    const wait = this.lastSnapshotRequest + (this.options.snapshotIntervalMs ?? 1000) - performance.now();
    if (wait > 0) {
      this.snapshotTimer = setTimeout(() => {
        this.snapshotTimer = undefined;
        if (!this.stopped && (this.rows.sync.outOfSync || !this.rows.sync.synced)) this.requestSnapshot();
      }, wait);
      return;
    }
    this.lastSnapshotRequest = performance.now();
    this.snapshotInFlight = true;
    this.snapshotWanted = false;
    const epoch = this.epoch;
    void (async () => {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        const body = await response.text();
        if (!response.ok) throw new Error(`HTTP ${response.status}: ${body.slice(0, 200)}`);
        // Requested before the connection was replaced: it belongs to a stream that is gone.
        if (epoch !== this.epoch) {
          this.snapshotWanted = true;
          return;
        }
        if (!body.trimStart().startsWith("{") || !body.includes('"lastUpdateId"')) throw new Error(`not a depth snapshot: ${body.slice(0, 200)}`);
        this.counts.snapshotsFetched++;
        const compact = body.includes("\n") || body.includes("\r") ? body.replace(/[\r\n]+/g, " ") : body;
        // The snapshot takes its place in the stream at its receive time, as a collector records it.
        const ns = this.options.receiveTime === "stamped" ? this.lastStampNs : wallNs();
        const line = `${ns} ${compact}`;
        this.options.recorder?.appendLine(line);
        const bytes = Buffer.from(line, "utf8");
        this.pending.push({ bytes, jsonStart: bytes.indexOf(32) + 1, ns, whole: true });
        this.flush();
      } catch (error) {
        this.incident("snapshot-failed", `${url}: ${(error as Error).message}`);
        this.snapshotWanted = this.snapshotWanted || this.rows.sync.outOfSync;
      } finally {
        this.snapshotInFlight = false;
      }
      if (this.snapshotWanted && !this.stopped && !this.rows.sync.synced) this.requestSnapshot();
    })();
  }

  private end(): void {
    if (this.stateName === "ended") return;
    this.flush();
    this.stateName = "ended";
    clearInterval(this.staleTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.snapshotTimer);
    for (const listener of this.endListeners) listener();
  }
}

/** This machine's clock, ns since the epoch (sub-ms resolution from the monotonic clock). */
export function wallNs(): bigint {
  const ms = performance.timeOrigin + performance.now();
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.floor((ms - whole) * 1e6));
}

/** Creates a feed (nothing connects until `start()`). */
export function binanceFeed(options: BinanceFeedOptions): BinanceFeed {
  return new BinanceFeed(options);
}
